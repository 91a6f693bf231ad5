#ifndef VANITY_CDW_SHIM_H
#define VANITY_CDW_SHIM_H
/* elfutils' libdw: DWARF line tables and scopes, for naming the function
 * and source line of a faulting pc (Sources/VanityImage/Symbolizer.swift). */
#include <elfutils/libdw.h>
#include <dwarf.h>
#include <gelf.h>
#endif
