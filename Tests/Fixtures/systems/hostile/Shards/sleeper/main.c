#include <vanity_shard.h>
#include <vanity/vanity.h>
/* Timeouts whose deadlines pass 2^64 ns since boot never expire: each wait
 * ends only when the writer notifies. */
int main(void) {
  int64_t t0 = vanity_time_ns();
  int64_t bits = vanity_wait(~0ull);
  vanity_printf("sleeper: wait(~0) -> 0x%lx after %ld ms\n", bits, (vanity_time_ns() - t0) / 1000000);
  while (vanity_time_ns() < 1200000000ll) vanity_wait((uint64_t)(1200000000ll - vanity_time_ns()));
  t0 = vanity_time_ns();
  bits = vanity_wait(~0ull - 1000000000ull);
  vanity_printf("sleeper: wait(~0 - 1e9) -> 0x%lx after %ld ms\n", bits, (vanity_time_ns() - t0) / 1000000);
  for (;;) vanity_wait(0);
}
