// Opens libyaml on first use: see CYAML.h for why it is not linked.
#include "CYAML.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static struct ovsvirt_yaml_api api;
static const struct ovsvirt_yaml_api *opened;
static char failure[512] = "libyaml was not opened";
static pthread_once_t once = PTHREAD_ONCE_INIT;

// Looks `name` up into `*slot`; false (and the reason recorded) when libyaml lacks it.
static int resolve(void *handle, const char *name, void **slot) {
  *slot = dlsym(handle, name);
  if (*slot == NULL) {
    snprintf(failure, sizeof failure, "libyaml lacks %s: too old?", name);
    return 0;
  }
  return 1;
}

#define RESOLVE(field, symbol) resolve(handle, #symbol, (void **)&api.field)

static void open_once(void) {
  void *handle = dlopen("libyaml-0.so.2", RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL) {
    const char *reason = dlerror();
    snprintf(failure, sizeof failure, "cannot load libyaml (%s)", reason ? reason : "unknown reason");
    return;
  }
  int ok = RESOLVE(parserInitialize, yaml_parser_initialize) && RESOLVE(parserDelete, yaml_parser_delete) &&
           RESOLVE(parserSetInputString, yaml_parser_set_input_string) &&
           RESOLVE(parserSetEncoding, yaml_parser_set_encoding) && RESOLVE(parserParse, yaml_parser_parse) &&
           RESOLVE(eventDelete, yaml_event_delete);
  if (ok) opened = &api;
}

const struct ovsvirt_yaml_api *ovsvirt_yaml_open(void) {
  pthread_once(&once, open_once);
  return opened;
}

const char *ovsvirt_yaml_open_error(void) { return failure; }
