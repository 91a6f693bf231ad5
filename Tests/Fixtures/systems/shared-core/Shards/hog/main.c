#include <vanity_shard.h>
#include <vanity/vanity.h>
#include "../common.h"
/* Spins for ever without a system call, summing 1..N and checking each sum:
 * its budget throttles it, and whatever runs it gets is correct work. */
int main(void) {
  struct board *b = vanity_region_board.base;
  for (;;) {
    uint64_t s = 0;
    for (volatile uint64_t i = 1; i <= 10000; i++) s += i;
    if (s != 10000ull * 10001ull / 2u) b->hog_wrong++;
    b->hog_count++;
  }
}
