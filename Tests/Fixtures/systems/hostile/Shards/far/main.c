#include <vanity_shard.h>
#include <vanity/vanity.h>
/* Receives in batches until a call reports that the writer broke the
 * protocol; never reads outside its ring (no fault). */
int main(void) {
  uint64_t m[4], got = 0;
  for (uint32_t n; (n = vanity_recv_batch(&vanity_channel_far, m, 4)) != 0 && got < 1000000;) got += n;
  vanity_printf("far: %lu message(s), then %u peer error(s); no fault\n", got, vanity_channel_peer_errors(&vanity_channel_far));
  for (;;) vanity_wait(0);
}
