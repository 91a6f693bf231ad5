/* The C17 user library for shards: system calls and channels.
 *
 * Include this header; it brings the shard's generated <vanity_shard.h>
 * (its channels and devices). Channels are the rings described by <vanity/ring.h>; sending and
 * receiving never enters the kernel while a ring has room or messages. A
 * side that must wait first relaxes briefly (WFE on aarch64), then sets its
 * waiting flag in the ring and sleeps in VANITY_SYS_WAIT; the other side
 * notifies only when it sees that flag. See docs/abi.md. */
#ifndef VANITY_VANITY_H
#define VANITY_VANITY_H

#include <stddef.h>
#include <stdint.h>

#include <vanity_shard.h> /* generated: this shard's channels, devices and regions */

#include <vanity/arch.h>
#include <vanity/handles.h>
#include <vanity/ring.h>
#include <vanity/syscall.h>

/* ------------------------------------------------------------ cores */

/* (Code built outside a shard, such as the ring stress test, has no
 * generated header: one core.) */
#ifndef VANITY_SHARD_CORE_COUNT
#define VANITY_SHARD_CORE_COUNT 1u
#endif

/* Which of the shard's cores runs the caller, 0 to VANITY_SHARD_CORE_COUNT - 1
 * (its cores in ascending order: 0 is the lowest-numbered). A shard on
 * several cores runs main once on each, each on a stack of its own, so the
 * stack pointer says which (docs/abi.md, "A shard on several cores"). */
static inline uint32_t vanity_core_index(void) {
#if VANITY_SHARD_CORE_COUNT == 1
  return 0;
#else
  volatile char here = 0;
  uintptr_t base = (uintptr_t)VANITY_SHARD_STACK_TOP - (uintptr_t)VANITY_SHARD_STACK_SIZE;
  uintptr_t k = ((uintptr_t)&here - base) / (uintptr_t)VANITY_SHARD_STACK_STRIDE;
  return k < VANITY_SHARD_CORE_COUNT ? (uint32_t)k : 0u;
#endif
}

/* A spin lock for the cores of one shard (in its own memory, or in a shared
 * region between shards). It never enters the kernel: hold it briefly. */
struct vanity_lock {
  volatile uint32_t held;
};
#define VANITY_LOCK_INIT {0}
static inline int vanity_trylock(struct vanity_lock *l) { return !__atomic_exchange_n(&l->held, 1u, __ATOMIC_ACQUIRE); }
static inline void vanity_lock(struct vanity_lock *l) {
  while (!vanity_trylock(l))
    while (__atomic_load_n(&l->held, __ATOMIC_RELAXED)) vanity_arch_pause();
}
static inline void vanity_unlock(struct vanity_lock *l) { __atomic_store_n(&l->held, 0u, __ATOMIC_RELEASE); }

/* The shard's status blocks, one per core (first bytes of its data region):
 * the heartbeat the watchdog reads and what blocking calls kept for the
 * next wait. A platform's arch.h may say where they are instead
 * (VANITY_ARCH_STATUS_BASE). */
extern struct vanity_shard_status vanity_status[VANITY_SHARD_CORE_COUNT];
#ifndef VANITY_ARCH_STATUS_BASE
#define VANITY_ARCH_STATUS_BASE (vanity_status)
#endif
#ifndef VANITY_ARCH_STATUS
#define VANITY_ARCH_STATUS (&VANITY_ARCH_STATUS_BASE[vanity_core_index()])
#endif

/* The data path is forced inline. A shard's channel handles are constants
 * (its generated header), and only inlined does the compiler see msg_size
 * and slots as such: it then builds a message straight in the slot, not in
 * the caller's buffer first. Left to itself it kept vanity_try_send out of
 * line, and one at a time ran at half the speed (docs/performance.md). */
#define VANITY_HOT static inline __attribute__((always_inline))

VANITY_HOT void vanity_alive(void) { VANITY_ARCH_STATUS->heartbeat++; }

/* ------------------------------------------------------------ system calls */

static inline int64_t vanity_log(const char *text, size_t len) {
  return vanity_arch_syscall(VANITY_SYS_LOG, (uint64_t)(uintptr_t)text, len, 0);
}
static inline int64_t vanity_notify(uint32_t channel) { return vanity_arch_syscall(VANITY_SYS_NOTIFY, channel, 0, 0); }
static inline int64_t vanity__wait_ack(uint64_t timeout_ns, uint64_t ack) {
  vanity_alive();
  return vanity_arch_syscall(VANITY_SYS_WAIT, timeout_ns, ack, 0);
}
static inline int64_t vanity__wait(uint64_t timeout_ns) { return vanity__wait_ack(timeout_ns, 0); }
/* Waits for a wake-up or `timeout_ns` (0: forever) and returns what woke
 * it: the wake word of <vanity/syscall.h> (VANITY_WAKE_*; test a channel
 * with vanity_woke_channel or VANITY_WOKE_CHANNEL_<NAME>, a device with
 * vanity_woke_device or VANITY_WOKE_IRQ_<NAME>), 0 on timeout. It reports
 * every wake since the last vanity_wait returned, including those the
 * blocking sends and receives below took while they waited (they keep them
 * in the status block): a bit is never lost, but it may name a channel
 * whose message a blocking call has already received, so it means "look
 * there", not "a message is there". With wakes kept it returns at once
 * (after a poll of the kernel's, so those are reported too).
 *
 * vanity_wait_ack(timeout_ns, ack) is vanity_wait that first acknowledges the
 * interrupts whose bits `ack` holds (interrupt bits of the wake word, e.g.
 * the device bits of the wake that the caller has since served), as
 * vanity_irq_ack does, in the same kernel entry: a driver that leaves a line
 * masked while it polls and acknowledges it on going back to sleep pays one
 * entry per sleep, not two. VANITY_E_INVALID, without waiting, if `ack`
 * names an interrupt the caller lacks. */
static inline int64_t vanity_wait_ack(uint64_t timeout_ns, uint64_t ack) {
  uint64_t kept = VANITY_ARCH_STATUS->woke_kept;
  if (kept) {
    int64_t now = vanity__wait_ack(1, ack); /* a poll: the shortest timeout */
    if (now < 0) return now;
    VANITY_ARCH_STATUS->woke_kept = 0;
    return (int64_t)(kept | (uint64_t)now);
  }
  return vanity__wait_ack(timeout_ns, ack);
}
static inline int64_t vanity_wait(uint64_t timeout_ns) { return vanity_wait_ack(timeout_ns, 0); }
/* Did the wake word `woke` report channel `ch` / any line of device `dev`? */
static inline int vanity_woke_channel(uint64_t woke, const struct vanity_channel *ch) {
  return (woke & vanity_wake_channel_bit(ch->wake_index)) != 0;
}
static inline int vanity_woke_device(uint64_t woke, const struct vanity_device *dev) {
  return (woke & vanity_wake_irq_range(dev->irq_index, dev->irq_count)) != 0;
}
static inline int64_t vanity_irq_ack(uint32_t irq) { return vanity_arch_syscall(VANITY_SYS_IRQ_ACK, irq, 0, 0); }
static inline int64_t vanity_time_ns(void) { return vanity_arch_syscall(VANITY_SYS_TIME, 0, 0, 0); }
/* The calling core's cycle counter, read without a system call: aarch64-virt
 * PMCCNTR_EL0, riscv64-virt `rdcycle`, x86_64-pc and the simulator the
 * time-stamp counter (docs/abi.md, "Cycle counter"). Differences on one core
 * measure work; the rate is the platform's. */
static inline uint64_t vanity_cycles(void) { return vanity_arch_cycles(); }
/* For shards that poll while busy and sleep when idle (the network driver,
 * the virtualisers, the echo shard): whether to keep polling, work having
 * last been seen at cycle count `since`. VANITY_POLL_CYCLES of the core's
 * counter is about 0.5–2 ms on every platform (QEMU runs its counters at
 * about 1 GHz, a host's TSC at 1–3 GHz): traffic with gaps shorter than
 * that costs no kernel entry (docs/performance.md, "Echo server"). */
#ifndef VANITY_POLL_CYCLES
#define VANITY_POLL_CYCLES 2000000ull
#endif
static inline int vanity_keep_polling(uint64_t since) { return vanity_cycles() - since < VANITY_POLL_CYCLES; }
static inline int64_t vanity_yield(void) { return vanity_arch_syscall(VANITY_SYS_YIELD, 0, 0, 0); }
static inline int64_t vanity_generation(uint32_t shard) { return vanity_arch_syscall(VANITY_SYS_GENERATION, shard, 0, 0); }
/* Supervisors (docs/kernel.md, "Supervisors that act"): restart, hold or
 * release a shard in the caller's reach; needs the "restart" capability.
 * 0, or VANITY_E_DENIED (no cap, or outside the reach: counted),
 * VANITY_E_INVALID, VANITY_E_BUSY (a request for it is still pending),
 * VANITY_E_STATE (release of a shard that is not held). The request is
 * carried out on the shard's own core, soon after the call returns
 * (vanity_control_pending says when). */
static inline int64_t vanity_control(uint32_t shard, enum vanity_control action) {
  return vanity_arch_syscall(VANITY_SYS_CONTROL, shard, (uint64_t)action, 0);
}
static inline int64_t vanity_restart(uint32_t shard) { return vanity_control(shard, VANITY_CONTROL_RESTART); }
static inline int64_t vanity_hold(uint32_t shard) { return vanity_control(shard, VANITY_CONTROL_HOLD); }
static inline int64_t vanity_release(uint32_t shard) { return vanity_control(shard, VANITY_CONTROL_RELEASE); }
/* 0 once the last request for `shard` (anyone's) is carried out, VANITY_E_BUSY while it is pending. */
static inline int64_t vanity_control_pending(uint32_t shard) { return vanity_control(shard, VANITY_CONTROL_QUERY); }
/* Copies the fault record of `shard` (the caller itself, or a shard in its
 * reach) into *out; returns sizeof *out, or VANITY_E_DENIED / VANITY_E_INVALID. */
static inline int64_t vanity_fault_record(uint32_t shard, struct vanity_fault_record *out) {
  return vanity_arch_syscall(VANITY_SYS_FAULT_RECORD, shard, (uint64_t)(uintptr_t)out, sizeof *out);
}
__attribute__((noreturn)) static inline void vanity_exit(uint32_t status) {
  vanity_arch_syscall(VANITY_SYS_EXIT, status, 0, 0);
  for (;;) {
  }
}
/* Needs the "shutdown" capability; returns VANITY_E_DENIED without it. */
static inline int64_t vanity_shutdown(uint32_t status) { return vanity_arch_syscall(VANITY_SYS_SHUTDOWN, status, 0, 0); }

/* printf-like logging into a line buffer: %s %d %u %x %lu %lx %llu %c %%. */
int vanity_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ------------------------------------------------------------ channels */

VANITY_HOT uint8_t *vanity__slot(const struct vanity_channel *ch, uint32_t index) {
  return (uint8_t *)ch->ring + VANITY_RING_SLOTS_OFFSET + (size_t)(index & (ch->slots - 1)) * ch->msg_size;
}

/* Messages are copied 8 bytes at a time (msg_size is a multiple of 8). Not
 * memcpy, and not a plain loop a compiler turns into memcpy: its 16- and
 * 32-byte loads cannot be forwarded from the 8-byte stores that built the
 * message a moment ago, so every send would wait for all earlier stores to
 * reach the cache; that halved the one-at-a-time throughput
 * (docs/performance.md). Relaxed atomics keep every access 8 bytes wide and
 * cost no more than plain moves. Into a slot, the first word goes last:
 * once it is no longer the free mark, the receiver may take the message
 * (ring.h). Returns whether that word is the mark (an escape). */
VANITY_HOT int vanity__copy_in(uint8_t *slot, const void *msg, uint32_t n) {
  uint64_t *d = (uint64_t *)slot;
  const uint64_t *s = (const uint64_t *)msg;
  for (uint32_t i = 1; i < n / 8; i++) __atomic_store_n(d + i, __atomic_load_n(s + i, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
  uint64_t first = __atomic_load_n(s, __ATOMIC_RELAXED);
  __atomic_store_n(d, first, __ATOMIC_RELEASE);
  return first == VANITY_RING_FREE_MARK;
}

VANITY_HOT void vanity__copy_out(void *msg, const uint8_t *slot, uint32_t n) {
  uint64_t *d = (uint64_t *)msg;
  const uint64_t *s = (const uint64_t *)slot;
  for (uint32_t i = 0; i < n / 8; i++) __atomic_store_n(d + i, __atomic_load_n(s + i, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
}

/* Tells the other side, if it sleeps, that the ring changed. No fence: the
 * flag is read with a plain load after the index is published; the rare
 * race this leaves (the other side sets its flag while our index store is
 * still in flight) is closed by the sleeper's first, bounded wait (see
 * vanity__block). The flag lives on our own cache line, so in steady state
 * this costs a load that hits. */
VANITY_HOT void vanity__wake_peer(const struct vanity_channel *ch, uint32_t *waiting) {
  if (__atomic_load_n(waiting, __ATOMIC_RELAXED) && __atomic_exchange_n(waiting, 0u, __ATOMIC_ACQ_REL) && ch->notify)
    vanity_notify(ch->id);
  vanity_arch_signal();
}

/* Messages waiting in the ring (receiver) or already queued (sender). The
 * receiver may be a message ahead of `head`, having found it by its mark. */
static inline uint32_t vanity_pending(const struct vanity_channel *ch) {
  uint32_t used = __atomic_load_n(&ch->ring->producer.head, __ATOMIC_ACQUIRE) - __atomic_load_n(&ch->ring->consumer.tail, __ATOMIC_ACQUIRE);
  return (int32_t)used > 0 ? used : 0;
}

/* For a shard that polls its receiving rings and sleeps in vanity_wait on
 * its own: says on the ring that this side is about to sleep, so the
 * sender's next send notifies; returns whether a message is there already
 * (then do not sleep). */
static inline int vanity_arm(const struct vanity_channel *ch) {
  __atomic_store_n(&ch->ring->producer.consumer_waiting, 1u, __ATOMIC_SEQ_CST);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  return vanity_pending(ch) != 0;
}

/* Protocol errors: an index the peer writes (`head` for a receiver,
 * `info.released` for a sender) more than `slots` away from this side's own
 * is never acted on. The call that finds it moves nothing (it returns 0,
 * a blocking form returns early) and counts it in this side's
 * `peer_errors` (vanity_channel_peer_errors). One compare, made only when
 * the peer's index is read, not per message. */
static inline void vanity__peer_error(uint32_t *errors) { __atomic_store_n(errors, *errors + 1, __ATOMIC_RELAXED); }

/* Sender: free slots from `head` on, by what the receiver has handed back
 * (`info.released`); that line is read only when the cached copy says the
 * ring is too full. Still too full, it pauses before it returns: a caller
 * polling a full ring without pause took that line from the receiver so
 * often that its hand-backs stalled (docs/performance.md). */
VANITY_HOT uint32_t vanity__room(const struct vanity_channel *ch, uint32_t head, uint32_t want) {
  struct vanity_ring *r = ch->ring;
  uint32_t room = ch->slots - (head - r->producer.cached_tail);
  if (room >= want) return room;
  vanity_alive(); /* at least once per `slots` messages: the watchdog's sign of life */
  uint32_t released = __atomic_load_n(&r->info.released, __ATOMIC_ACQUIRE);
  if (head - released > ch->slots) { /* ahead of head, or more than a ring behind */
    vanity__peer_error(&r->producer.peer_errors);
    return 0;
  }
  r->producer.cached_tail = released;
  if (ch->slots - (head - r->producer.cached_tail) < want) vanity_arch_pause();
  return ch->slots - (head - r->producer.cached_tail);
}

/* Publishes n messages from `head` on; then, if one of them starts with the
 * free mark, says so in `info.escapes`, so the receiver reads `head`. */
VANITY_HOT void vanity__publish(const struct vanity_channel *ch, uint32_t head, uint32_t n, int escaped) {
  __atomic_store_n(&ch->ring->producer.head, head + n, __ATOMIC_RELEASE);
  if (escaped) __atomic_fetch_add(&ch->ring->info.escapes, 1u, __ATOMIC_RELEASE);
  vanity__wake_peer(ch, &ch->ring->producer.consumer_waiting);
}

/* Receiver: marks the consumed slots before `upto` free and hands them back
 * to the sender, waking it if it waits for room. */
static inline void vanity__hand_back(const struct vanity_channel *ch, uint32_t upto) {
  struct vanity_ring *r = ch->ring;
  uint32_t released = r->info.released;
  if (released == upto) return;
  vanity_alive(); /* at least once per VANITY_RING_HAND_BACK messages */
  if (upto - released > ch->slots) { /* the sender wrote `released` */
    vanity__peer_error(&r->consumer.peer_errors);
    return;
  }
  vanity_ring_release_slots(r, ch->msg_size, ch->slots, released, upto);
  vanity__wake_peer(ch, &r->consumer.producer_waiting);
}

/* Receiver: n messages from `tail` on are consumed. Slots go back to the
 * sender in groups (ring.h), or at once if it waits for room. */
VANITY_HOT void vanity__release(const struct vanity_channel *ch, uint32_t tail, uint32_t n) {
  struct vanity_ring *r = ch->ring;
  __atomic_store_n(&r->consumer.tail, tail + n, __ATOMIC_RELEASE);
  if (tail + n - r->info.released >= vanity_ring_hand_back(ch->slots) || __atomic_load_n(&r->consumer.producer_waiting, __ATOMIC_RELAXED))
    vanity__hand_back(ch, tail + n);
}

/* Receiver: can it find messages by their slots' marks? Read after the slot
 * word: a sender's in-place flag is set (and fenced) before any word it
 * writes in place, so a word seen first implies the flag is seen here. */
VANITY_HOT int vanity__marks_trusted(const struct vanity_channel *ch) {
  const struct vanity_ring *r = ch->ring;
  return !r->consumer.marks_pending && !__atomic_load_n(&r->info.in_place_sends, __ATOMIC_ACQUIRE);
}

/* Receiver: messages from `tail` on. When its cached view is empty it looks
 * at the slot at `tail`: the free mark there (and no new escape) means the
 * ring is empty, and it hands every consumed slot back; a message there
 * is one to take. It reads `head` only for a batch, after an escape, or
 * while marks cannot be trusted. */
VANITY_HOT uint32_t vanity__available(const struct vanity_channel *ch, uint32_t tail, uint32_t want) {
  struct vanity_ring *r = ch->ring;
  uint32_t avail = r->consumer.cached_head - tail;
  if (avail >= want) return avail;
  if (avail == 0) {
    uint64_t first = __atomic_load_n((const uint64_t *)vanity__slot(ch, tail), __ATOMIC_ACQUIRE);
    if (vanity__marks_trusted(ch)) {
      uint32_t escapes = __atomic_load_n(&r->info.escapes, __ATOMIC_ACQUIRE);
      if (escapes == r->consumer.escapes_seen) {
        if (first == VANITY_RING_FREE_MARK) {
          vanity_alive(); /* an empty poll is a sign of life */
          vanity__hand_back(ch, tail);
          return 0;
        }
        if (want == 1) {
          r->consumer.cached_head = tail + 1; /* head may not be published yet */
          return 1;
        }
      }
      r->consumer.escapes_seen = escapes;
    }
  }
  vanity_alive();
  uint32_t head = __atomic_load_n(&r->producer.head, __ATOMIC_ACQUIRE);
  if (head - tail + ch->slots > 2 * ch->slots) { /* more than a ring ahead of tail or behind it */
    vanity__peer_error(&r->consumer.peer_errors);
    return 0;
  }
  if ((int32_t)(head - r->consumer.cached_head) > 0) r->consumer.cached_head = head;
  avail = r->consumer.cached_head - tail;
  if (!avail) vanity__hand_back(ch, tail);
  return avail;
}

/* Sends up to `count` messages of msg_size bytes each from `msgs`; returns
 * how many fit (0 when the ring is full). Never blocks. */
VANITY_HOT uint32_t vanity_try_send_batch(const struct vanity_channel *ch, const void *msgs, uint32_t count) {
  vanity_arch_sched();
  uint32_t head = ch->ring->producer.head;
  uint32_t room = vanity__room(ch, head, count);
  uint32_t n = count < room ? count : room;
  int escaped = 0;
  for (uint32_t i = 0; i < n; i++) escaped |= vanity__copy_in(vanity__slot(ch, head + i), (const uint8_t *)msgs + (size_t)i * ch->msg_size, ch->msg_size);
  if (n) vanity__publish(ch, head, n, escaped);
  return n;
}

/* Receives up to `max` messages into `msgs` (max * msg_size bytes); returns
 * how many (0 when the ring is empty). Never blocks. */
VANITY_HOT uint32_t vanity_try_recv_batch(const struct vanity_channel *ch, void *msgs, uint32_t max) {
  vanity_arch_sched();
  uint32_t tail = ch->ring->consumer.tail;
  uint32_t avail = vanity__available(ch, tail, max);
  uint32_t n = max < avail ? max : avail;
  for (uint32_t i = 0; i < n; i++) vanity__copy_out((uint8_t *)msgs + (size_t)i * ch->msg_size, vanity__slot(ch, tail + i), ch->msg_size);
  if (n) vanity__release(ch, tail, n);
  return n;
}

/* Zero-copy batches: the caller builds messages in the ring itself.
 * vanity_send_reserve gives up to `max` free slots (contiguous, so fewer at
 * the wrap point; 0 when full) starting at *first; vanity_send_commit
 * publishes the first n of them. vanity_recv_peek / vanity_recv_release are
 * the reading side. Never block. */
VANITY_HOT uint32_t vanity_send_reserve(const struct vanity_channel *ch, void **first, uint32_t max) {
  vanity_arch_sched();
  struct vanity_ring *r = ch->ring;
  if (!r->info.in_place_sends) {
    __atomic_store_n(&r->info.in_place_sends, 1u, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* before any word written in place */
  }
  uint32_t head = r->producer.head;
  uint32_t room = vanity__room(ch, head, max);
  uint32_t to_wrap = ch->slots - (head & (ch->slots - 1));
  uint32_t n = max < room ? max : room;
  *first = vanity__slot(ch, head);
  return n < to_wrap ? n : to_wrap;
}

VANITY_HOT void vanity_send_commit(const struct vanity_channel *ch, uint32_t n) {
  if (n) vanity__publish(ch, ch->ring->producer.head, n, 0);
}

VANITY_HOT uint32_t vanity_recv_peek(const struct vanity_channel *ch, const void **first, uint32_t max) {
  vanity_arch_sched();
  uint32_t tail = ch->ring->consumer.tail;
  uint32_t avail = vanity__available(ch, tail, max);
  uint32_t to_wrap = ch->slots - (tail & (ch->slots - 1));
  uint32_t n = max < avail ? max : avail;
  *first = vanity__slot(ch, tail);
  return n < to_wrap ? n : to_wrap;
}

VANITY_HOT void vanity_recv_release(const struct vanity_channel *ch, uint32_t n) {
  if (n) vanity__release(ch, ch->ring->consumer.tail, n);
}

VANITY_HOT int vanity_try_send(const struct vanity_channel *ch, const void *msg) { return vanity_try_send_batch(ch, msg, 1) == 1; }
VANITY_HOT int vanity_try_recv(const struct vanity_channel *ch, void *msg) { return vanity_try_recv_batch(ch, msg, 1) == 1; }

/* How long a side that just announced it is waiting sleeps before it may
 * sleep without limit: long enough for any index store already in flight on
 * the other core to become visible (nanoseconds), so no wake-up is lost. */
#define VANITY_RACE_WAIT_NS 1000000ull

/* Can the waiting side go on? A sender needs a slot handed back; a
 * receiver a message: while it spins it watches the slot at `tail` (the
 * producer's line is left alone), and it checks `head` before it sleeps. */
VANITY_HOT int vanity__ready(const struct vanity_channel *ch, int sending, int spinning) {
  struct vanity_ring *r = ch->ring;
  if (sending) return ch->slots - (r->producer.head - __atomic_load_n(&r->info.released, __ATOMIC_ACQUIRE)) > 0;
  if (spinning) {
    uint64_t first = __atomic_load_n((const uint64_t *)vanity__slot(ch, r->consumer.tail), __ATOMIC_ACQUIRE);
    if (vanity__marks_trusted(ch) && __atomic_load_n(&r->info.escapes, __ATOMIC_ACQUIRE) == r->consumer.escapes_seen)
      return first != VANITY_RING_FREE_MARK;
  }
  uint32_t used = __atomic_load_n(&r->producer.head, __ATOMIC_ACQUIRE) - r->consumer.tail;
  if (used - 1 < ch->slots) return 1;
  if (used + ch->slots > 2 * ch->slots) { /* `head` more than a ring away: the caller returns */
    vanity__peer_error(&r->consumer.peer_errors);
    return 1;
  }
  return 0;
}

/* A blocking call's wait: what woke it is kept for the caller's next
 * vanity_wait (the wake may have been for another channel). */
static inline int64_t vanity__block_wait(uint64_t timeout_ns) {
  int64_t woke = vanity__wait(timeout_ns);
  if (woke > 0) VANITY_ARCH_STATUS->woke_kept |= (uint64_t)woke;
  return woke;
}

/* Waits until the ring has room (sending) or a message: relax a little, then
 * set the waiting flag on the other side's line, check again, sleep briefly,
 * check again, and only then sleep until notified. Returns early on any
 * wake-up; callers retry. */
static inline void vanity__block(const struct vanity_channel *ch, uint32_t *waiting, int sending) {
  for (int i = 0; i < VANITY_ARCH_SPINS; i++) {
    vanity_arch_relax();
    if (vanity__ready(ch, sending, 1)) return;
  }
  __atomic_store_n(waiting, 1u, __ATOMIC_SEQ_CST);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  if (vanity__ready(ch, sending, 0)) return;
  if (vanity__block_wait(VANITY_RACE_WAIT_NS) != 0) return; /* woken: retry */
  if (vanity__ready(ch, sending, 0) || !__atomic_load_n(waiting, __ATOMIC_ACQUIRE)) return;
  vanity__block_wait(ch->notify ? 0 : VANITY_RACE_WAIT_NS);
}

/* Blocking forms: return once every message is sent / at least one
 * received, or early when the call finds a protocol error (see
 * vanity__peer_error): vanity_send_batch returns how many it sent,
 * vanity_send and vanity_recv 1 or 0, vanity_recv_batch how many arrived
 * (0 only on an error). The error count is read once per call. */
VANITY_HOT uint32_t vanity_send_batch(const struct vanity_channel *ch, const void *msgs, uint32_t count) {
  uint32_t errors = ch->ring->producer.peer_errors, sent = 0;
  while (count) {
    uint32_t n = vanity_try_send_batch(ch, msgs, count);
    msgs = (const uint8_t *)msgs + (size_t)n * ch->msg_size;
    count -= n;
    sent += n;
    if (!count) break;
    if (ch->ring->producer.peer_errors != errors) break;
    vanity__block(ch, &ch->ring->consumer.producer_waiting, 1);
  }
  return sent;
}
/* One message: its own loop, so that the message's size is a constant in
 * the copy and the compiler can store a message built in a local variable
 * straight into the slot (through vanity_send_batch's loop it could not). */
VANITY_HOT int vanity_send(const struct vanity_channel *ch, const void *msg) {
  uint32_t errors = ch->ring->producer.peer_errors;
  while (!vanity_try_send(ch, msg)) {
    if (ch->ring->producer.peer_errors != errors) return 0;
    vanity__block(ch, &ch->ring->consumer.producer_waiting, 1);
  }
  return 1;
}

VANITY_HOT uint32_t vanity_recv_batch(const struct vanity_channel *ch, void *msgs, uint32_t max) {
  uint32_t errors = ch->ring->consumer.peer_errors;
  for (;;) {
    uint32_t n = vanity_try_recv_batch(ch, msgs, max);
    if (n || ch->ring->consumer.peer_errors != errors) return n;
    vanity__block(ch, &ch->ring->producer.consumer_waiting, 0);
  }
}
VANITY_HOT int vanity_recv(const struct vanity_channel *ch, void *msg) {
  uint32_t errors = ch->ring->consumer.peer_errors;
  while (!vanity_try_recv(ch, msg)) {
    if (ch->ring->consumer.peer_errors != errors) return 0;
    vanity__block(ch, &ch->ring->producer.consumer_waiting, 0);
  }
  return 1;
}

/* Protocol errors this side's library has found in the peer's indices so
 * far (vanity__peer_error). Kept in this side's own line of the ring; a
 * hostile peer can reset it, never make this side loop or leave the ring. */
static inline uint32_t vanity_channel_peer_errors(const struct vanity_channel *ch) {
  const struct vanity_ring *r = ch->ring;
  return __atomic_load_n(ch->direction == VANITY_DIR_SEND ? &r->producer.peer_errors : &r->consumer.peer_errors, __ATOMIC_ACQUIRE);
}

/* The channel's generation: bumped by the kernel each time an endpoint
 * restarts (docs/abi.md, "Restarts"). */
static inline uint32_t vanity_channel_generation(const struct vanity_channel *ch) {
  return __atomic_load_n(&ch->ring->info.generation, __ATOMIC_ACQUIRE);
}

#endif
