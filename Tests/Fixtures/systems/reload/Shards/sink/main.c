/* Checks both paths: every counter value exactly once and in order, intact;
 * reports each new transformer version or generation. Once nothing has
 * arrived for 5 s (the test held the producer), it reports and stops
 * the system: status 0 if everything arrived, 1 if not. */
#include <vanity/vanity.h>

#include "../message.h"

struct path {
  const char *name;
  uint32_t next;
  uint32_t errors;
};

static void check(struct path *p, const struct reload_msg *m) {
  if (m->seq != p->next || m->check != reload_check(m->seq)) {
    if (p->errors++ < 10) vanity_printf("sink: %s: expected message %u, got %u (check %x)\n", p->name, p->next, m->seq, m->check);
    p->next = m->seq;
  }
  p->next++;
}

int main(void) {
  struct reload_msg m[32];
  struct path stamped = {"through the transformer", 0, 0}, direct = {"direct", 0, 0};
  uint32_t version = 0, generation = 0;
  int64_t last = 0;
  for (;;) {
    uint32_t n = vanity_try_recv_batch(&vanity_channel_stamped, m, 32);
    for (uint32_t i = 0; i < n; i++) {
      if (m[i].version != version || m[i].generation != generation) {
        version = m[i].version;
        generation = m[i].generation;
        vanity_printf("sink: transformer version %u generation %u from message %u\n", version, generation, m[i].seq);
      }
      check(&stamped, &m[i]);
    }
    uint32_t d = vanity_try_recv_batch(&vanity_channel_direct, m, 32);
    for (uint32_t i = 0; i < d; i++) check(&direct, &m[i]);
    int64_t now = vanity_time_ns();
    if (n || d) last = now;
    else if (last && now - last > 5000000000ll) break; /* a held transformer's rollback comes within 5 s */
    else vanity_wait(1000000);
  }
  int ok = !stamped.errors && !direct.errors && stamped.next == direct.next;
  vanity_printf("sink: %u messages through the transformer, %u direct: %s\n", stamped.next, direct.next,
                ok ? "in order, no gap, no duplicate" : "MESSAGES LOST OR DUPLICATED");
  vanity_shutdown(ok ? 0 : 1);
  return 1;
}
