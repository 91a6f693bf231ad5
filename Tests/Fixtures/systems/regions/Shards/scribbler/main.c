#include <vanity_shard.h>
#include <vanity/vanity.h>
#include "../common.h"

/* Its own data: back to these values at every start. */
static volatile uint64_t seeded = 7;
static volatile uint64_t touched;

#define JOURNAL_MAGIC 0x4a524e4cull /* "JRNL" */

int main(void) {
  volatile uint64_t *journal = vanity_region_journal.base;
  const volatile uint64_t *shelf = vanity_region_shelf.base;
  int64_t generation = vanity_generation(VANITY_SHARD_ID);
  shelf_wait_ready(shelf, vanity_yield);
  if (generation == 1) {
    uint64_t used = 0;
    for (uint64_t i = 0; i < vanity_region_journal.size / 8; i++) used += journal[i] != 0;
    journal[0] = JOURNAL_MAGIC;
    journal[1] = (uint64_t)generation;
    seeded = 8;
    touched = 1;
    vanity_printf("scribbler: generation 1: journal %s, marked it; writing to the read-only shelf at 0x%lx\n",
                  used ? "NOT EMPTY" : "empty", (uint64_t)(uintptr_t)shelf + SCRIBBLE_AT);
    *(volatile uint64_t *)((uintptr_t)shelf + SCRIBBLE_AT) = 0xdead;
    vanity_printf("scribbler: STILL RUNNING\n");
    return 1;
  }
  int journal_ok = journal[0] == JOURNAL_MAGIC && journal[1] == 1;
  int data_ok = seeded == 7 && touched == 0;
  uint64_t wrong = shelf_check(shelf, vanity_region_shelf.size);
  vanity_printf("scribbler: generation %ld: journal %s, own data %s, shelf %lu wrong\n", generation,
                journal_ok ? "intact (marked by generation 1)" : "LOST", data_ok ? "fresh" : "NOT RESET", wrong);
  if (journal_ok && data_ok && !wrong)
    __atomic_store_n(&((volatile uint64_t *)vanity_region_board.base)[BOARD_SCRIBBLER], VERDICT_OK, __ATOMIC_RELEASE);
  return 0;
}
