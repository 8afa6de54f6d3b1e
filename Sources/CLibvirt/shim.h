// libvirt's headers live under <libvirt/…>; a modulemap cannot name them directly.
// Only the types are used from here: the library itself is opened at run time (see
// Sources/Libvirt/LibvirtLibrary.swift), so the module map does not link it.
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
