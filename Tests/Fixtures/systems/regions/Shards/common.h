/* Shared by the regions fixture's C shards (and the Swift shard's C helper):
 * the shelf's format, the board's slots and the shards' ids. */
#ifndef REGIONS_COMMON_H
#define REGIONS_COMMON_H
#include <stdint.h>

/* Shard ids: their order in system.toml. */
enum { WRITER, READER, SCRIBBLER, OUTSIDER, SWIFTY, JUDGE };

/* The shelf: a header line, then pattern words to the end. */
#define SHELF_READY 0x53484c4652454459ull /* "SHLFREDY" */
#define SHELF_FIRST 8u                    /* words of the header line */
struct shelf_header {
  uint64_t ready; /* SHELF_READY once every word is written (release) */
  uint64_t words; /* pattern words that follow */
  uint64_t sum;   /* their sum */
  uint64_t reserved[5];
};

/* Pattern word i of the shelf (i from SHELF_FIRST). */
static inline uint64_t shelf_word(uint64_t i) { return (i + 1) * 0x9e3779b97f4a7c15ull ^ (i << 32); }

/* Offsets the faulting shards touch. */
#define SCRIBBLE_AT 0x100u
#define PEEK_AT 0x200u

/* The board: one verdict word per checker, written once. */
#define VERDICT_OK 0x4f4bu
enum { BOARD_READER, BOARD_SCRIBBLER, BOARD_SWIFTY, BOARD_SLOTS };

static inline void shelf_wait_ready(const volatile uint64_t *shelf, int64_t (*yield)(void)) {
  while (__atomic_load_n(&((const struct shelf_header *)(uintptr_t)shelf)->ready, __ATOMIC_ACQUIRE) != SHELF_READY) yield();
}

/* Checks every pattern word; returns how many are wrong. */
static inline uint64_t shelf_check(const volatile uint64_t *shelf, uint64_t size) {
  uint64_t wrong = 0;
  for (uint64_t i = SHELF_FIRST; i < size / 8; i++) wrong += shelf[i] != shelf_word(i);
  return wrong;
}
#endif
