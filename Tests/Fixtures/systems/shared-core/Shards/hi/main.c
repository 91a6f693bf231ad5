#include <vanity_shard.h>
#include <vanity/vanity.h>
#include "../common.h"
/* Answers each ping after SPIN_NS of work, and says whether the spinners on
 * its core moved meanwhile: with a higher priority than both, they must not. */
int main(void) {
  const struct board *b = vanity_region_board.base;
  for (;;) {
    struct ping p;
    vanity_recv(&vanity_channel_ping, &p);
    uint64_t lo = b->lo_count, hog = b->hog_count, fpa = b->fp_rounds[0], fpb = b->fp_rounds[1], tick = b->tick_count;
    uint64_t t0 = (uint64_t)vanity_time_ns();
    volatile uint64_t sink = 0;
    while ((uint64_t)vanity_time_ns() - t0 < SPIN_NS)
      for (uint32_t i = 0; i < 1000; i++) sink += i;
    struct pong r = {.seq = p.seq, .sent_ns = p.sent_ns, .disturbed = b->lo_count != lo || b->hog_count != hog ||
                                                                  b->fp_rounds[0] != fpa || b->fp_rounds[1] != fpb ||
                                                                  b->tick_count != tick};
    vanity_send(&vanity_channel_pong, &r);
  }
}
