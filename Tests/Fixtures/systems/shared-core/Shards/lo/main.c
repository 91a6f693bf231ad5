#include <vanity_shard.h>
#include <vanity/vanity.h>
#include "../common.h"
/* The lowest priority: counts for ever without a system call, on whatever
 * time the others leave, beating as it goes: its watchdog (300 ms) counts
 * only the time it runs, so the seconds that the others hold its core are
 * not silence. Its first generation faults part of the way. */
int main(void) {
  struct board *b = vanity_region_board.base;
  uint32_t generation = (uint32_t)vanity_generation(ID_LO);
  b->lo_generation = generation;
  vanity_printf("lo: generation %u counting\n", generation);
  for (;;) {
    if (++b->lo_count % 1024 == 0) vanity_alive(); /* the watchdog's heartbeat */
    if (generation == 1 && b->lo_count == LO_FAULT_AT) *(volatile uint32_t *)8 = 1; /* a fault: restart */
  }
}
