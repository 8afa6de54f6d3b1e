// Debian's libyaml (libyaml-dev; the binary then needs libyaml-0-2): the spec loader reads its
// parser events, see Sources/OVSVirt/Spec/YAMLComposer.swift.
#include <yaml.h>
