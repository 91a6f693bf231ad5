/* The few C library functions the kernel (and the compiler) needs. */
#include "internal.h"

void *memcpy(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if ((((uintptr_t)d | (uintptr_t)s | n) & 7u) == 0) {
    for (size_t i = 0; i < n / 8; i++) ((uint64_t *)d)[i] = ((const uint64_t *)s)[i];
    return dst;
  }
  while (n--) *d++ = *s++;
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  unsigned char *d = dst;
  if ((((uintptr_t)d | n) & 7u) == 0) {
    uint64_t v = (uint8_t)c * 0x0101010101010101ull;
    for (size_t i = 0; i < n / 8; i++) ((uint64_t *)d)[i] = v;
    return dst;
  }
  while (n--) *d++ = (unsigned char)c;
  return dst;
}

size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}
