/* LZ4 round trips in a shard: text, zeros and pseudo-random bytes (64 KiB
 * each) compressed with LZ4_compress_default and LZ4_compress_HC, then
 * decompressed with LZ4_decompress_safe and compared. Damaged input must be
 * refused, never overrun the output. Waits for the Swift shard, then stops
 * the system (status 0 when everything matched). */
#include <inttypes.h>
#include <lz4.h>
#include <lz4hc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vanity/vanity.h>

#define SIZE (64 * 1024)

static int failures;
#define CHECK(cond)                                          \
  do {                                                       \
    if (!(cond)) {                                           \
      printf("lz4: FAILED %s (line %d)\n", #cond, __LINE__); \
      failures++;                                            \
    }                                                        \
  } while (0)

/* FNV-1a, 32 bits. */
static uint32_t fnv1a(const uint8_t *p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

static void fill_text(uint8_t *p, size_t n) {
  static const char *const words[] = {"shard", "kernel", "channel", "ring", "core", "grant", "budget", "vanity",
                                      "compress", "the", "a", "of", "and", "every", "platform", "boots"};
  size_t at = 0;
  uint32_t x = 12345;
  while (at < n) {
    x = x * 1103515245u + 12345u;
    const char *w = words[(x >> 16) % 16];
    for (size_t i = 0; w[i] && at < n; i++) p[at++] = (uint8_t)w[i];
    if (at < n) p[at++] = (x >> 28) == 0 ? '\n' : ' ';
  }
}

static void fill_random(uint8_t *p, size_t n) {
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    p[i] = (uint8_t)(x >> 32);
  }
}

static uint8_t *original, *packed, *unpacked;
static int64_t busy_ns;

/* One buffer through LZ4 (hc = 0) or LZ4 HC at level hc. */
static void round_trip(const char *name, int hc) {
  const int bound = LZ4_compressBound(SIZE);
  memset(unpacked, 0xa5, SIZE);
  int64_t t0 = vanity_time_ns();
  int n = hc ? LZ4_compress_HC((const char *)original, (char *)packed, SIZE, bound, hc)
             : LZ4_compress_default((const char *)original, (char *)packed, SIZE, bound);
  int m = n > 0 ? LZ4_decompress_safe((const char *)packed, (char *)unpacked, n, SIZE) : -1;
  busy_ns += vanity_time_ns() - t0;
  int same = m == SIZE && memcmp(original, unpacked, SIZE) == 0;
  CHECK(n > 0 && n <= bound);
  CHECK(same);
  printf("lz4: %s%s: %d -> %d bytes, round trip %s, fnv1a %08" PRIx32 " -> %08" PRIx32 "\n", name, hc ? " (hc)" : "", SIZE, n,
         same ? "ok" : "FAILED", fnv1a(original, SIZE), fnv1a(unpacked, SIZE));
}

int main(void) {
  original = malloc(SIZE);
  packed = malloc((size_t)LZ4_compressBound(SIZE));
  unpacked = malloc(SIZE);
  CHECK(original && packed && unpacked);
  if (!original || !packed || !unpacked) vanity_shutdown(1);
  printf("lz4: LZ4 %s, compress bound of %d is %d\n", LZ4_versionString(), SIZE, LZ4_compressBound(SIZE));

  fill_text(original, SIZE);
  round_trip("text", 0);
  round_trip("text", LZ4HC_CLEVEL_DEFAULT);
  memset(original, 0, SIZE);
  round_trip("zeros", 0);
  fill_random(original, SIZE);
  round_trip("random", 0);

  /* Damaged input: LZ4_decompress_safe refuses it and writes nothing past
   * the output's end. */
  fill_text(original, SIZE);
  int n = LZ4_compress_default((const char *)original, (char *)packed, SIZE, LZ4_compressBound(SIZE));
  memset(unpacked, 0x5a, SIZE);
  int cut = LZ4_decompress_safe((const char *)packed, (char *)unpacked, n / 2, SIZE);
  int small = LZ4_decompress_safe((const char *)packed, (char *)unpacked, n, SIZE / 2);
  int guard = 1;
  for (size_t i = SIZE / 2; i < SIZE; i++) guard &= unpacked[i] == 0x5a;
  CHECK(cut < 0 && small < 0 && guard);
  printf("lz4: damaged input refused: truncated %s, output too small %s, nothing written past the end %s\n", cut < 0 ? "yes" : "no",
         small < 0 ? "yes" : "no", guard ? "yes" : "no");
  printf("lz4: 4 round trips of %d bytes in %" PRId64 " us\n", SIZE, busy_ns / 1000);

  uint64_t done = 0;
  vanity_recv(&vanity_channel_swift_done, &done);
  printf("lz4: %d failure(s), swift says %s\n", failures, done == 1 ? "ok" : "FAILED");
  vanity_shutdown(failures == 0 && done == 1 ? 0 : 1);
  return 0;
}
