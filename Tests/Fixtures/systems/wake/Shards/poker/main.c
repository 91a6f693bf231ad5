#include <vanity_shard.h>
#include <vanity/vanity.h>
/* Does what `go` asks: 1 a message on left, 2 on right, 3 on both (both
 * notified before the second message, so the waiter's wait sees both), 4 a
 * message on tock for the swift waiter. Each message is followed by an
 * explicit notify: the waiter sleeps in vanity_wait, not in a receive, so
 * no waiting flag asks for one. */
static void send(const struct vanity_channel *ch, uint64_t v) {
  vanity_send(ch, &v);
  vanity_notify(ch->id);
}

int main(void) {
  for (;;) {
    uint64_t cmd = 0;
    vanity_recv(&vanity_channel_go, &cmd);
    if (cmd == 1) send(&vanity_channel_left, 1);
    if (cmd == 2) send(&vanity_channel_right, 2);
    if (cmd == 3) {
      uint64_t v = 3;
      send(&vanity_channel_left, 3);
      vanity_notify(vanity_channel_right.id);
      vanity_send(&vanity_channel_right, &v);
    }
    if (cmd == 4) send(&vanity_channel_tock, 4);
  }
}
