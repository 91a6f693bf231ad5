/* Shard start-up on hardware and the small C runtime every shard links (C and
 * Swift): _start, the status block, memcpy/memset. (The hosted simulator
 * uses the host's C library and Platforms/sim/shard.c instead.) */
#include <vanity/vanity.h>

int main(void);

/* First in the data region (the linker script places .data.vanity_status
 * first): the kernel core reads the heartbeat for the watchdog. */
__attribute__((section(".data.vanity_status"), used)) struct vanity_shard_status vanity_status = {.heartbeat = 1};

__attribute__((section(".text.start"), noreturn)) void _start(void) {
  int status = main();
  vanity_exit((uint32_t)status);
}

void *memcpy(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  while (n--) *d++ = *s++;
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (d < s) {
    while (n--) *d++ = *s++;
  } else {
    while (n--) d[n] = s[n];
  }
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  unsigned char *d = dst;
  while (n--) *d++ = (unsigned char)c;
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (size_t i = 0; i < n; i++)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

