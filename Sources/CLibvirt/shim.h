// libvirt's headers live under <libvirt/…>; a modulemap cannot name them directly.
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
