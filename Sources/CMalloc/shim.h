// glibc's malloc tuning (mallopt), which the Glibc module leaves out: see ProcessLifetime.swift.
#include <malloc.h>
