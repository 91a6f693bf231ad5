#include <vanity_shard.h>
#include <vanity/vanity.h>
#include "../common.h"

int main(void) {
  const struct vanity_shared_region *r = &vanity_region_shelf;
  const volatile uint64_t *shelf = r->base;
  shelf_wait_ready(shelf, vanity_yield);
  const struct shelf_header *h = r->base;
  uint64_t wrong = shelf_check(shelf, r->size);
  vanity_printf("reader: the shelf at 0x%lx (physical 0x%lx, writable %u): %lu words, %lu wrong, sum %s\n",
                (uint64_t)(uintptr_t)r->base, r->phys, r->writable, h->words, wrong,
                h->words == r->size / 8 - SHELF_FIRST ? "ok" : "BAD");
  if (!wrong && r->phys == (uint64_t)(uintptr_t)r->base && !r->writable)
    __atomic_store_n(&((volatile uint64_t *)vanity_region_board.base)[BOARD_READER], VERDICT_OK, __ATOMIC_RELEASE);
  return 0;
}
