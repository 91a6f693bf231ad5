/* libfdt for Swift: its accessors are function-like macros, which Swift
 * cannot import, so they are wrapped in static inline functions here. */
#ifndef VANITY_CFDT_SHIM_H
#define VANITY_CFDT_SHIM_H
#include <libfdt.h>

static inline uint32_t vfdt_magic(const void *fdt) { return fdt_magic(fdt); }
static inline uint32_t vfdt_totalsize(const void *fdt) { return fdt_totalsize(fdt); }
static inline uint32_t vfdt_be32(const void *p) { return fdt32_ld((const fdt32_t *)p); }
static inline uint64_t vfdt_be64(const void *p) { return fdt64_ld((const fdt64_t *)p); }
#endif
