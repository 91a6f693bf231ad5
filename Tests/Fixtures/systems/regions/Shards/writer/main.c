#include <vanity_shard.h>
#include <vanity/vanity.h>
#include "../common.h"

int main(void) {
  const struct vanity_shared_region *r = &vanity_region_shelf;
  volatile uint64_t *shelf = r->base;
  uint64_t words = r->size / 8, sum = 0;
  for (uint64_t i = SHELF_FIRST; i < words; i++) {
    shelf[i] = shelf_word(i);
    sum += shelf_word(i);
  }
  struct shelf_header *h = r->base;
  h->words = words - SHELF_FIRST;
  h->sum = sum;
  __atomic_store_n(&h->ready, SHELF_READY, __ATOMIC_RELEASE);
  vanity_printf("writer: filled the shelf: %lu bytes at 0x%lx (physical 0x%lx, writable %u, dma %u)\n", r->size,
                (uint64_t)(uintptr_t)r->base, r->phys, r->writable, r->dma);
  /* The outsider maps no region: it learns the address from here. */
  uint64_t tip = (uint64_t)(uintptr_t)r->base;
  vanity_send(&vanity_channel_tip, &tip);
  return 0;
}
