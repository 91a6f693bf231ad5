/* What the Embedded Swift runtime needs from "libc" in a shard: memory from
 * the shard's heap region (heap-size in system.toml; a bump allocator, free
 * is a no-op), putchar for print(), and random bytes for hashing. A shard
 * without a heap gets ENOMEM, which Swift turns into a trap. */
#include <stddef.h>
#include <stdint.h>
#include <vanity/vanity.h>

extern char __vanity_heap_start[], __vanity_heap_end[];
static uintptr_t heap_next;

int posix_memalign(void **out, size_t align, size_t size) {
  if (!heap_next) heap_next = (uintptr_t)__vanity_heap_start;
  if (align < 16) align = 16;
  uintptr_t p = (heap_next + align - 1) & ~(uintptr_t)(align - 1);
  if (p + size > (uintptr_t)__vanity_heap_end || p + size < p) return 12; /* ENOMEM */
  heap_next = p + size;
  *out = (void *)p;
  return 0;
}

void free(void *p) { (void)p; }

int putchar(int c) {
  char ch = (char)c;
  vanity_log(&ch, 1);
  return c;
}

void arc4random_buf(void *buf, size_t n) {
  static uint64_t state = 0x853c49e6748fea9bull;
  uint8_t *b = buf;
  for (size_t i = 0; i < n; i++) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    b[i] = (uint8_t)(state >> 56);
  }
}
