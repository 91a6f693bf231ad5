#include <vanity_shard.h>
#include <vanity/vanity.h>
#include "../common.h"
/* lo's equal in priority, but it enters the kernel all the time: its slice
 * must still end, so that lo gets its turns. */
int main(void) {
  struct board *b = vanity_region_board.base;
  for (;;) {
    vanity_time_ns();
    b->tick_count++;
  }
}
