#include <vanity_shard.h>
#include <vanity/vanity.h>
/* 100,000 reads in a row never go backwards; the counter moves over a loop
 * of work and over a 20 ms wait. Then waits for scounter and stops. The
 * report's system-call count shows the reads made none. */
#define READS 100000u
int main(void) {
  uint64_t first = vanity_cycles(), prev = first;
  uint32_t backwards = 0;
  for (uint32_t i = 0; i < READS; i++) {
    uint64_t now = vanity_cycles();
    if (now < prev) backwards++;
    prev = now;
  }
  volatile uint64_t sink = 0;
  uint64_t before = vanity_cycles();
  for (uint32_t i = 0; i < 1000000u; i++) sink += i;
  uint64_t work = vanity_cycles() - before;
  int64_t until = vanity_time_ns() + 20000000ll;
  before = vanity_cycles();
  for (int64_t now = vanity_time_ns(); now < until; now = vanity_time_ns()) vanity_wait((uint64_t)(until - now));
  uint64_t waited = vanity_cycles() - before;
  vanity_printf("counter: %u reads, %u backwards; advanced over the reads %d, over work %d, over a wait %d\n", READS,
                backwards, prev > first, work > 0, waited > 0);
  uint64_t m;
  vanity_recv(&vanity_channel_done, &m);
  vanity_shutdown(0);
  return 0;
}
