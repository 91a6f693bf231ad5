#include <stdio.h>
#include <string.h>
#include <vanity/vanity.h>

/* The byte loop shards had before the C library (Shards/lib/c/start.c), kept
 * a byte loop: the compiler may not turn it into a memcpy call. */
__attribute__((noinline, no_builtin("memcpy"))) static void *byte_copy(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  while (n--) *d++ = *s++;
  return dst;
}

/* Through a pointer, so every call is a real call to the library's memcpy
 * (not inlined for a constant size): what a shard copying a message of a
 * size known only at run time gets. */
static void *(*volatile library_copy)(void *, const void *, size_t) = memcpy;
static void *(*volatile loop_copy)(void *, const void *, size_t) = byte_copy;

static uint8_t src[2048] __attribute__((aligned(64))), dst[2048] __attribute__((aligned(64)));

/* Nanoseconds per copy of `n` bytes, the best of 5 rounds. */
static uint64_t per_copy(void *(*copy)(void *, const void *, size_t), size_t n, uint32_t count) {
  uint64_t best = ~0ull;
  for (int round = 0; round < 5; round++) {
    int64_t t0 = vanity_time_ns();
    for (uint32_t i = 0; i < count; i++) {
      copy(dst, src, n);
      __asm__ volatile("" ::: "memory");
    }
    uint64_t ps = (uint64_t)(vanity_time_ns() - t0) * 1000u / count;
    if (ps < best) best = ps;
  }
  return best; /* picoseconds */
}

int main(void) {
  for (size_t i = 0; i < sizeof src; i++) src[i] = (uint8_t)(i * 13 + 1);
  static const size_t sizes[] = {64, 1500};
  for (size_t k = 0; k < 2; k++) {
    size_t n = sizes[k];
    uint32_t count = n < 256 ? 200000u : 20000u;
    uint64_t lib = per_copy(library_copy, n, count), loop = per_copy(loop_copy, n, count);
    if (memcmp(dst, src, n) != 0) printf("copy: WRONG COPY\n");
    printf("copy: %zu B: library %llu.%03llu ns, byte loop %llu.%03llu ns, %llu.%02llux\n", n, (unsigned long long)(lib / 1000),
           (unsigned long long)(lib % 1000), (unsigned long long)(loop / 1000), (unsigned long long)(loop % 1000),
           (unsigned long long)(loop / lib), (unsigned long long)(loop * 100 / lib % 100));
  }
  vanity_shutdown(0);
  return 0;
}
