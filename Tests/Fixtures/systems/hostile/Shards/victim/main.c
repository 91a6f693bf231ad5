#include <vanity_shard.h>
#include <vanity/vanity.h>
/* Receives until a call reports that the writer broke the protocol. */
int main(void) {
  uint64_t m, got = 0;
  while (vanity_recv(&vanity_channel_stall, &m)) got++;
  vanity_printf("victim: %lu message(s), then a protocol error reported (%u peer error(s)); still running\n", got,
                vanity_channel_peer_errors(&vanity_channel_stall));
  for (;;) vanity_wait(0);
}
