// Debian's libxml2 headers pull in ICU headers when LIBXML_ICU_ENABLED is set; we never use
// ICU-backed encodings, and skipping them keeps the module importable without libicu-dev.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xmlsave.h>

// xmlFree is a global function-pointer variable, which Swift 6 rejects as shared mutable state.
static inline void ovsvirt_xml_free(void *pointer) { xmlFree(pointer); }
