#include <vanity_shard.h>
#include <vanity/vanity.h>
#include "../common.h"
/* Pings hi PINGS times, one at a time with a pause between, measuring each
 * round trip; then checks that lo and mute restarted, that lo counts again,
 * that hog's sums were right, and that neither hi nor hog restarted. */
static uint64_t now(void) { return (uint64_t)vanity_time_ns(); }

int main(void) {
  const struct board *b = vanity_region_board.base;
  uint64_t max_rtt = 0, total = 0;
  uint32_t disturbed = 0, wrong_seq = 0;
  for (uint64_t i = 1; i <= PINGS; i++) {
    struct ping p = {.seq = i, .sent_ns = now()};
    vanity_send(&vanity_channel_ping, &p);
    struct pong r;
    vanity_recv(&vanity_channel_pong, &r);
    uint64_t rtt = now() - r.sent_ns;
    if (r.seq != i) wrong_seq++;
    if (rtt > max_rtt) max_rtt = rtt;
    total += rtt;
    disturbed += r.disturbed;
    vanity_wait(2000000); /* the spinners' turn */
  }
  vanity_printf("client: %u pings answered (%u out of order), %u with another shard running during hi's work, "
                "round trip %lu us on average, %lu us at most (hi works %lu us per ping)\n",
                PINGS, wrong_seq, disturbed, (unsigned long)(total / PINGS / 1000u), (unsigned long)(max_rtt / 1000u),
                (unsigned long)(SPIN_NS / 1000u));
  /* lo restarted after its fault and counts again; the others never restarted. */
  uint64_t deadline = now() + 30000000000ull;
  while ((b->lo_generation < 2 || b->mute_generation < 2) && now() < deadline) vanity_wait(1000000);
  uint64_t lo0 = b->lo_count, hog0 = b->hog_count, fpa0 = b->fp_rounds[0], fpb0 = b->fp_rounds[1], tick0 = b->tick_count;
  for (uint32_t k = 0; k < 1000 && (b->lo_count == lo0 || b->hog_count == hog0 || b->fp_rounds[0] == fpa0 ||
                                   b->fp_rounds[1] == fpb0 || b->tick_count == tick0);
       k++)
    vanity_wait(10000000);
  vanity_printf("client: lo generation %u %s, tick %s; hog %s, %lu wrong sums; generations: hi %ld, hog %ld\n",
                b->lo_generation, b->lo_count != lo0 ? "counts" : "is stuck", b->tick_count != tick0 ? "counts" : "is stuck", b->hog_count != hog0 ? "sums" : "is stuck",
                (unsigned long)b->hog_wrong, (long)vanity_generation(ID_HI), (long)vanity_generation(ID_HOG));
  vanity_printf("client: mute generation %u\n", b->mute_generation);
  vanity_printf("client: fpa %s, fpb %s, %lu wrong floating-point sums\n", b->fp_rounds[0] != fpa0 ? "sums" : "is stuck",
                b->fp_rounds[1] != fpb0 ? "sums" : "is stuck", (unsigned long)(b->fp_wrong[0] + b->fp_wrong[1]));
  vanity_shutdown(0);
  return 0;
}
