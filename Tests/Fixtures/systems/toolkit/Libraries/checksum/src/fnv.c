#include <checksum/checksum.h>

/* The library's own define, given by its "defines". */
#ifndef CHECKSUM_SEED
#error "the library's defines did not reach its compile"
#endif

uint32_t checksum(const void *data, size_t len) {
  const uint8_t *p = data;
  typeof(len) i; /* typeof is GNU C before C23: the library's c-flags (-std=gnu17) come after the build's -std=c17 */
  uint32_t h = 2166136261u ^ CHECKSUM_SEED;
  for (i = 0; i < len; i++) {
    h ^= p[i];
    h *= 16777619u;
  }
  return h;
}
