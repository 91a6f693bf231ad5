#include <stdlib.h>
#include <vanity_shard.h>
#include <vanity/vanity.h>

/* The patterns DumpTests looks for: "VANITY" and a tag per place, then a counter. */
#define PATTERN(tag, i) (0x56414e4954590000ull | ((uint64_t)(tag) << 8) | (uint64_t)(i))

volatile uint64_t dump_global[4];

int main(void) {
  volatile uint64_t on_stack[4];
  uint64_t *on_heap = malloc(4 * sizeof *on_heap);
  uint64_t note[4];
  for (uint64_t i = 0; i < 4; i++) {
    dump_global[i] = PATTERN('G', i);
    on_stack[i] = PATTERN('S', i);
    on_heap[i] = PATTERN('H', i);
    note[i] = PATTERN('C', i);
    ((volatile uint64_t *)vanity_region_board.base)[i] = PATTERN('R', i);
  }
  vanity_send(&vanity_channel_notes, note);
  vanity_printf("keeper: ready global=0x%lx stack=0x%lx heap=0x%lx board=0x%lx\n", (uint64_t)(uintptr_t)dump_global,
                (uint64_t)(uintptr_t)on_stack, (uint64_t)(uintptr_t)on_heap, (uint64_t)(uintptr_t)vanity_region_board.base);
  for (;;) vanity_wait(0);
}
