/* The channel ring format: the single definition shared by the kernel, the C
 * and Embedded Swift user libraries and the host tools (vanity-build imports
 * this header to size and place rings).
 *
 * A channel is one single-producer single-consumer ring in memory mapped into
 * exactly two shards. The header occupies VANITY_RING_HEADER_SIZE bytes: the
 * producer's line, the consumer's line and a read-only description line, so
 * the two indices never share a cache line. `slots` messages of `msg_size`
 * bytes follow at VANITY_RING_SLOTS_OFFSET. Indices run freely (mod 2^32);
 * slot i lives at (index & (slots - 1)). `slots` is a power of two.
 */
#ifndef VANITY_RING_H
#define VANITY_RING_H

#include <stdint.h>

#define VANITY_CACHE_LINE 64u
#define VANITY_RING_MAGIC 0x56524e47u /* "VRNG" */

#define VANITY_RING_PRODUCER_OFFSET 0u
#define VANITY_RING_CONSUMER_OFFSET 64u
#define VANITY_RING_INFO_OFFSET 128u
#define VANITY_RING_HEADER_SIZE 192u
#define VANITY_RING_SLOTS_OFFSET VANITY_RING_HEADER_SIZE

/* Limits on a channel's shape, enforced by vanity-build. */
#define VANITY_RING_MIN_MSG_SIZE 8u
#define VANITY_RING_MAX_MSG_SIZE 4096u
#define VANITY_RING_MSG_ALIGN 8u
#define VANITY_RING_MIN_SLOTS 2u
#define VANITY_RING_MAX_SLOTS 65536u

/* Each side's line holds what that side writes on every operation, plus a
 * cached copy of the other side's index (so the other side's line is read
 * only when the cache says the ring is full or empty), plus the *other*
 * side's "waiting" flag: a side sets it only before it sleeps, so the line
 * stays in its owner's cache in steady state and a publish checks the flag
 * without touching the other core's line. */
struct vanity_ring_producer {
  uint32_t head;             /* next index the producer writes */
  uint32_t consumer_waiting; /* set by the consumer before it sleeps on an empty ring */
  uint32_t cached_tail;      /* the producer's last view of consumer.tail (never ahead of it) */
  uint8_t pad[VANITY_CACHE_LINE - 12];
};

struct vanity_ring_consumer {
  uint32_t tail;             /* next index the consumer reads */
  uint32_t producer_waiting; /* set by the producer before it sleeps on a full ring */
  uint32_t cached_head;      /* the consumer's last view of producer.head (never ahead of it) */
  uint8_t pad[VANITY_CACHE_LINE - 12];
};

struct vanity_ring_info {
  uint32_t magic;      /* VANITY_RING_MAGIC once the kernel has initialised the ring */
  uint32_t msg_size;   /* bytes per slot */
  uint32_t slots;      /* number of slots, a power of two */
  uint32_t generation; /* bumped by the kernel when an endpoint restarts */
  uint8_t pad[VANITY_CACHE_LINE - 16];
};

struct vanity_ring {
  struct vanity_ring_producer producer;
  struct vanity_ring_consumer consumer;
  struct vanity_ring_info info;
  /* uint8_t slots[slots][msg_size] follows */
};

#endif
