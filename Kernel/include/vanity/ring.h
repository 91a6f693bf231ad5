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
 *
 * Free marks: neither side reads the other's busy line in steady state.
 * - A receiver overwrites the first 8 bytes of every slot it has consumed
 *   with VANITY_RING_FREE_MARK, and a copying sender writes a message's first
 *   8 bytes last. So a receiver that has caught up learns of the next
 *   message from the slot itself: once the first word at `tail` is no
 *   longer the mark, the whole message is there. It reads `head` only when
 *   its cached copy says empty and the marks cannot be trusted (below), or
 *   when `info.escapes` has changed: a sender bumps it after publishing a
 *   message whose first word happens to equal the mark.
 * - A receiver advances `tail` (its own line) at every release, but hands
 *   slots back to the sender lazily: it marks them and moves `info.released`
 *   only once VANITY_RING_HAND_BACK messages (at most a quarter of the ring)
 *   are consumed, when it finds the ring empty, and at once when the sender
 *   waits for room. A sender goes by `released`, never by `tail`: so it sees
 *   free slots in groups, and may see up to that many fewer free slots than
 *   there are while its receiver is busy with something else.
 * - A receiver trusts marks only once `consumer.marks_pending` is 0 (the
 *   kernel sets it to `slots` when a reader restarts or reloads; each slot
 *   the reader's own code marks counts it down) and while
 *   `info.in_place_sends` is 0 (a sender that builds messages in place
 *   writes their words in any order: its first reservation sets the flag for
 *   good, and its receiver goes by `head` from then on, still marking slots).
 * docs/abi.md describes the protocol, docs/performance.md what it buys.
 */
#ifndef VANITY_RING_H
#define VANITY_RING_H

#include <stddef.h>
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
  uint32_t peer_errors;      /* protocol errors the sender's library found in its receiver's indices */
  uint8_t pad[VANITY_CACHE_LINE - 16];
};

struct vanity_ring_consumer {
  uint32_t tail;             /* next index the consumer reads */
  uint32_t producer_waiting; /* set by the producer before it sleeps on a full ring */
  uint32_t cached_head;      /* the consumer's view of how far messages go (by head or by marks) */
  uint32_t marks_pending;    /* slots still to be marked by this reader before it trusts marks */
  uint32_t escapes_seen;     /* the last info.escapes this reader acted on */
  uint32_t peer_errors;      /* protocol errors the receiver's library found in its sender's indices */
  uint8_t pad[VANITY_CACHE_LINE - 24];
};

/* Read on both fast paths and written rarely: by the kernel at boot and at
 * restarts, by the receiver once per hand-back, by the sender once per
 * escaped message and at its first in-place reservation. */
struct vanity_ring_info {
  uint32_t magic;          /* VANITY_RING_MAGIC once the kernel has initialised the ring */
  uint32_t msg_size;       /* bytes per slot */
  uint32_t slots;          /* number of slots, a power of two */
  uint32_t generation;     /* bumped by the kernel when an endpoint restarts */
  uint32_t released;       /* slots before this index are marked free and the sender's again */
  uint32_t escapes;        /* bumped after publishing a message whose first word is the mark */
  uint32_t in_place_sends; /* set for good by the sender's first vanity_send_reserve */
  uint8_t pad[VANITY_CACHE_LINE - 28];
};

/* The first 8 bytes of a free slot ("VANITY!!" in ASCII, little-endian). */
#define VANITY_RING_FREE_MARK 0x21215954494e4156ull

/* A receiver hands slots back at least every this many messages (or every
 * quarter ring, if smaller): see vanity_ring_hand_back. */
#define VANITY_RING_HAND_BACK 16u

struct vanity_ring {
  struct vanity_ring_producer producer;
  struct vanity_ring_consumer consumer;
  struct vanity_ring_info info;
  /* uint8_t slots[slots][msg_size] follows */
};

/* The offsets above describe this struct (docs/abi.md): one cannot change
 * without the other. */
_Static_assert(offsetof(struct vanity_ring, producer) == VANITY_RING_PRODUCER_OFFSET, "ring: producer line offset");
_Static_assert(offsetof(struct vanity_ring, consumer) == VANITY_RING_CONSUMER_OFFSET, "ring: consumer line offset");
_Static_assert(offsetof(struct vanity_ring, info) == VANITY_RING_INFO_OFFSET, "ring: description line offset");
_Static_assert(sizeof(struct vanity_ring) == VANITY_RING_HEADER_SIZE, "ring: header size");
_Static_assert(sizeof(struct vanity_ring_producer) == VANITY_CACHE_LINE && sizeof(struct vanity_ring_consumer) == VANITY_CACHE_LINE
                   && sizeof(struct vanity_ring_info) == VANITY_CACHE_LINE,
               "ring: each line is one cache line");

/* How many consumed messages a receiver may hold before handing their slots
 * back: VANITY_RING_HAND_BACK, at most a quarter of the ring, at least 1. */
static inline uint32_t vanity_ring_hand_back(uint32_t slots) {
  uint32_t k = slots / 4 < VANITY_RING_HAND_BACK ? slots / 4 : VANITY_RING_HAND_BACK;
  return k ? k : 1;
}

/* The first word of the slot holding `index`, where its free mark lives. */
static inline uint64_t *vanity_ring_slot_word(struct vanity_ring *r, uint32_t msg_size, uint32_t slots, uint32_t index) {
  return (uint64_t *)((uint8_t *)r + VANITY_RING_SLOTS_OFFSET + (uint64_t)(index & (slots - 1)) * msg_size);
}

/* Marks the slots of [from, to) free and hands them to the sender. The
 * receiver does this; so does the kernel for a reader that restarts. Slots
 * are marked even when an in-place sender keeps the receiver from trusting
 * marks: a slot its receiver has written comes back to the sender faster
 * than one it has only read (about 1.6x for in-place batches and 2x for
 * in-place single messages; docs/performance.md). */
static inline void vanity_ring_release_slots(struct vanity_ring *r, uint32_t msg_size, uint32_t slots, uint32_t from, uint32_t to) {
  /* `from` is `info.released`, which the sender can write too: a distance
   * beyond the ring (a hostile or broken peer) marks every slot once, never
   * 2^32 of them. */
  if (to - from > slots) from = to - slots;
  for (uint32_t i = from; i != to; i++) __atomic_store_n(vanity_ring_slot_word(r, msg_size, slots, i), VANITY_RING_FREE_MARK, __ATOMIC_RELAXED);
  uint32_t pending = r->consumer.marks_pending, n = to - from;
  if (pending) __atomic_store_n(&r->consumer.marks_pending, pending > n ? pending - n : 0, __ATOMIC_RELAXED);
  __atomic_store_n(&r->info.released, to, __ATOMIC_RELEASE); /* after the marks: the sender may reuse the slots */
}

/* Makes a ring empty, every slot marked free, every index at `start`. The
 * kernel does this at boot; tests and benchmarks that make their own rings
 * use it too. */
static inline void vanity_ring_init(struct vanity_ring *r, uint32_t msg_size, uint32_t slots, uint32_t start) {
  volatile uint8_t *b = (volatile uint8_t *)r; /* no memset call: the kernel is freestanding */
  for (uint32_t i = 0; i < VANITY_RING_HEADER_SIZE; i++) b[i] = 0;
  r->info.msg_size = msg_size;
  r->info.slots = slots;
  r->producer.head = r->producer.cached_tail = start;
  r->consumer.tail = r->consumer.cached_head = start;
  for (uint32_t i = 0; i < slots; i++) *vanity_ring_slot_word(r, msg_size, slots, i) = VANITY_RING_FREE_MARK;
  r->info.released = start;
  __atomic_store_n(&r->info.magic, VANITY_RING_MAGIC, __ATOMIC_RELEASE);
}

#endif
