#include <vanity_shard.h>
#include <vanity/vanity.h>
/* First run: sleeps until its (hostile) writer wakes it, then faults. Second
 * run: the kernel has reset its ring; it receives one message. */
int main(void) {
  if (vanity_generation(VANITY_SHARD_ID) == 1) {
    vanity_wait(0);
    __builtin_trap();
  }
  uint64_t m = 0;
  int ok = vanity_recv(&vanity_channel_wrap, &m);
  vanity_printf("restarter: generation %ld received %lu (%d), %u peer error(s)\n", vanity_generation(VANITY_SHARD_ID), m, ok,
                vanity_channel_peer_errors(&vanity_channel_wrap));
  for (;;) vanity_wait(0);
}
