// libxml2's API, opened on first use (see xml_library.c). Linking libxml2 would load it with ICU,
// zlib and liblzma at every ovsvirt start, OVS-only commands included: ~1.1 M instructions of the
// dynamic loader's relocations (callgrind), before main. libxml/ here is a link to Debian's
// /usr/include/libxml2/libxml (the -I pkg-config would give), for the types and signatures only:
// nothing below makes the binary need libxml2.so.
#ifndef OVSVIRT_CLIBXML2_H
#define OVSVIRT_CLIBXML2_H

// Debian's libxml2 headers pull in ICU headers when LIBXML_ICU_ENABLED is set; we never use
// ICU-backed encodings, and skipping them keeps the module importable without libicu-dev.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>

// Every libxml2 function ovsvirt calls, typed by libxml2's own declarations.
struct ovsvirt_xml_api {
  __typeof__(xmlReadMemory) *_Nonnull readMemory;
  __typeof__(xmlGetLastError) *_Nonnull getLastError;
  __typeof__(xmlFreeDoc) *_Nonnull freeDoc;
  __typeof__(xmlDocGetRootElement) *_Nonnull docGetRootElement;
  __typeof__(xmlBufferCreate) *_Nonnull bufferCreate;
  __typeof__(xmlBufferFree) *_Nonnull bufferFree;
  __typeof__(xmlBufferContent) *_Nonnull bufferContent;
  __typeof__(xmlNodeDump) *_Nonnull nodeDump;
  __typeof__(xmlGetProp) *_Nonnull getProp;
  __typeof__(xmlStrEqual) *_Nonnull strEqual;
  __typeof__(xmlSetProp) *_Nonnull setProp;
  __typeof__(xmlUnsetProp) *_Nonnull unsetProp;
  __typeof__(xmlNewDocNode) *_Nonnull newDocNode;
  __typeof__(xmlAddNextSibling) *_Nonnull addNextSibling;
  __typeof__(xmlAddChild) *_Nonnull addChild;
  __typeof__(xmlIsBlankNode) *_Nonnull isBlankNode;
  __typeof__(xmlUnlinkNode) *_Nonnull unlinkNode;
  __typeof__(xmlFreeNode) *_Nonnull freeNode;
  __typeof__(xmlNodeGetContent) *_Nonnull nodeGetContent;
  __typeof__(xmlEncodeSpecialChars) *_Nonnull encodeSpecialChars;
  __typeof__(xmlNodeSetContent) *_Nonnull nodeSetContent;
  // libxml2's deallocator is a variable (xmlMemSetup can change it): read at each call.
  xmlFreeFunc _Nullable *_Nonnull freeFunction;
};

// libxml2, opened and its functions looked up once per process (thread-safe); NULL when that
// failed, with the reason in ovsvirt_xml_open_error().
const struct ovsvirt_xml_api *_Nullable ovsvirt_xml_open(void);
const char *_Nonnull ovsvirt_xml_open_error(void);

#endif
