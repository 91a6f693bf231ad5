#include <vanity_shard.h>
#include <vanity/vanity.h>
/* Receives the workers' counts on w0, w1 and w2 (one per core index) and
 * checks that each channel carries only its own core's messages, in order
 * (from 1 again after a restart), then reports each core's last generation
 * and count and stops the system once all three have finished the same run. */
struct msg {
  uint32_t core, generation;
  uint64_t value;
};

static const struct vanity_channel *const in[3] = {&vanity_channel_w0, &vanity_channel_w1, &vanity_channel_w2};

int main(void) {
  uint64_t last[3] = {0}, counted[3] = {0};
  uint32_t generation[3] = {0}, finished[3] = {0}, wrong = 0;
  for (;;) {
    int got = 0;
    for (uint32_t k = 0; k < 3; k++) {
      struct msg m;
      while (vanity_try_recv(in[k], &m)) {
        got = 1;
        if (m.core != k) wrong++;
        if (m.generation != generation[k]) { /* a new run: it counts from 1 again */
          generation[k] = m.generation;
          last[k] = 0;
          counted[k] = 0;
          finished[k] = 0;
        }
        if (m.value == 0) {
          finished[k] = 1;
        } else {
          if (m.value != last[k] + 1) wrong++;
          last[k] = m.value;
          counted[k]++;
        }
      }
    }
    if (finished[0] && finished[1] && finished[2] && generation[0] == generation[1] && generation[1] == generation[2]) {
      for (uint32_t k = 0; k < 3; k++)
        vanity_printf("tally: core index %u: generation %u, %lu messages in order\n", k, generation[k], (unsigned long)counted[k]);
      vanity_printf("tally: %u wrong\n", wrong);
      vanity_shutdown(0);
    }
    if (got) continue;
    int ready = 0;
    for (uint32_t k = 0; k < 3; k++) ready |= vanity_arm(in[k]);
    if (!ready) vanity_wait(0);
  }
}
