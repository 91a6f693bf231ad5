/* What the demo shards agree on: the message, how many, and the transform.
 * The Swift transformer mirrors demo_transform (Shards/transformer/main.swift). */
#ifndef DEMO_H
#define DEMO_H

#include <stdint.h>

#define DEMO_MESSAGES 20000u

struct demo_msg {
  uint32_t seq;
  uint32_t check; /* producer: seq * 2654435761; transformer: check ^ seq */
  uint64_t payload[7];
};

_Static_assert(sizeof(struct demo_msg) == 64, "one 64-byte slot");

static inline void demo_fill(struct demo_msg *m, uint32_t seq) {
  m->seq = seq;
  m->check = seq * 2654435761u;
  for (int i = 0; i < 7; i++) m->payload[i] = (uint64_t)seq * (uint64_t)(i + 1);
}

/* What the sink expects after the transformer. */
static inline uint32_t demo_expected_check(uint32_t seq) { return (seq * 2654435761u) ^ seq; }

#endif
