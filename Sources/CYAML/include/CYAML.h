// Debian's libyaml (libyaml-dev for this header; the binary then needs libyaml-0-2), for the spec
// loader's own event reader (Sources/OVSVirt/Spec/YAMLComposer.swift). Opened on first use (see
// yaml_library.c), like libvirt and libxml2: only commands reading a spec need it, and every
// linked library costs each ovsvirt start its loading and relocation.
#ifndef OVSVIRT_CYAML_H
#define OVSVIRT_CYAML_H

#include <yaml.h>

// Every libyaml function ovsvirt calls, typed by libyaml's own declarations.
struct ovsvirt_yaml_api {
  __typeof__(yaml_parser_initialize) *_Nonnull parserInitialize;
  __typeof__(yaml_parser_delete) *_Nonnull parserDelete;
  __typeof__(yaml_parser_set_input_string) *_Nonnull parserSetInputString;
  __typeof__(yaml_parser_set_encoding) *_Nonnull parserSetEncoding;
  __typeof__(yaml_parser_parse) *_Nonnull parserParse;
  __typeof__(yaml_event_delete) *_Nonnull eventDelete;
};

// libyaml, opened and its functions looked up once per process (thread-safe); NULL when that
// failed, with the reason in ovsvirt_yaml_open_error().
const struct ovsvirt_yaml_api *_Nullable ovsvirt_yaml_open(void);
const char *_Nonnull ovsvirt_yaml_open_error(void);

#endif
