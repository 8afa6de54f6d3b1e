// Opens libxml2 on first use: see CLibXML2.h for why it is not linked.
#include "CLibXML2.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static struct ovsvirt_xml_api api;
static const struct ovsvirt_xml_api *opened;
static char failure[512] = "libxml2 was not opened";
static pthread_once_t once = PTHREAD_ONCE_INIT;

// Looks `name` up into `*slot`; false (and the reason recorded) when libxml2 lacks it.
static int resolve(void *handle, const char *name, void **slot) {
  *slot = dlsym(handle, name);
  if (*slot == NULL) {
    snprintf(failure, sizeof failure, "libxml2 lacks %s: too old?", name);
    return 0;
  }
  return 1;
}

#define RESOLVE(field, symbol) resolve(handle, #symbol, (void **)&api.field)

static void open_once(void) {
  void *handle = dlopen("libxml2.so.2", RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL) {
    const char *reason = dlerror();
    snprintf(failure, sizeof failure, "cannot load libxml2 (%s); install libxml2 (scripts/bootstrap does)",
             reason ? reason : "unknown reason");
    return;
  }
  int ok = RESOLVE(readMemory, xmlReadMemory) && RESOLVE(getLastError, xmlGetLastError) &&
           RESOLVE(freeDoc, xmlFreeDoc) && RESOLVE(docGetRootElement, xmlDocGetRootElement) &&
           RESOLVE(bufferCreate, xmlBufferCreate) && RESOLVE(bufferFree, xmlBufferFree) &&
           RESOLVE(bufferContent, xmlBufferContent) && RESOLVE(nodeDump, xmlNodeDump) &&
           RESOLVE(getProp, xmlGetProp) && RESOLVE(strEqual, xmlStrEqual) && RESOLVE(setProp, xmlSetProp) &&
           RESOLVE(unsetProp, xmlUnsetProp) && RESOLVE(newDocNode, xmlNewDocNode) &&
           RESOLVE(addNextSibling, xmlAddNextSibling) && RESOLVE(addChild, xmlAddChild) &&
           RESOLVE(isBlankNode, xmlIsBlankNode) && RESOLVE(unlinkNode, xmlUnlinkNode) &&
           RESOLVE(freeNode, xmlFreeNode) && RESOLVE(nodeGetContent, xmlNodeGetContent) &&
           RESOLVE(encodeSpecialChars, xmlEncodeSpecialChars) && RESOLVE(nodeSetContent, xmlNodeSetContent) &&
           RESOLVE(freeFunction, xmlFree);
  if (ok) opened = &api;
}

const struct ovsvirt_xml_api *ovsvirt_xml_open(void) {
  pthread_once(&once, open_once);
  return opened;
}

const char *ovsvirt_xml_open_error(void) { return failure; }
