#include <vanity_shard.h>
#include <vanity/vanity.h>
/* A line every 20 ms until the flood is over, then a few more; then stops
 * the system. */
int main(void) {
  uint64_t m;
  int lines = 0, after = -1;
  while (after < 5) {
    vanity_printf("s: line %d\n", ++lines);
    if (after >= 0) after++;
    else if (vanity_try_recv(&vanity_channel_done, &m)) after = 0;
    int64_t until = vanity_time_ns() + 20000000;
    while (vanity_time_ns() < until) vanity_wait((uint64_t)(until - vanity_time_ns()));
  }
  vanity_printf("s: %d lines, the last 5 after the flood\n", lines);
  for (;;) vanity_wait(0);
}
