/* The reload test's message: the producer's counter, and what the
 * transformer stamps on it. Mirrored by Shards/transformer/main.swift. */
#ifndef RELOAD_MESSAGE_H
#define RELOAD_MESSAGE_H
#include <stdint.h>

struct reload_msg {
  uint32_t seq;        /* the producer's counter: 0, 1, 2, ... on both channels */
  uint32_t version;    /* the transformer's version (0 on the direct channel) */
  uint32_t generation; /* the transformer's generation */
  uint32_t check;      /* seq * 2654435761: the message arrived intact */
};

static inline uint32_t reload_check(uint32_t seq) { return seq * 2654435761u; }
#endif
