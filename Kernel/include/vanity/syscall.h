/* The system call interface: numbers, arguments, results and error codes.
 * The single definition shared by the kernel, the C and Swift user libraries
 * and docs/abi.md. Arguments travel in the platform's first argument
 * registers, the number in the platform's syscall register (see each
 * platform's include/vanity/arch_syscall.h); the result is one signed 64-bit
 * value: >= 0 success, < 0 one of enum vanity_error. */
#ifndef VANITY_SYSCALL_H
#define VANITY_SYSCALL_H

#include <stdint.h>

enum vanity_syscall {
  VANITY_SYS_LOG = 1,      /* (const char *text, uint64_t len) -> len; cap "log" */
  VANITY_SYS_NOTIFY = 2,   /* (uint64_t channel) -> 0; caller must be an endpoint of the channel */
  VANITY_SYS_WAIT = 3,     /* (uint64_t timeout_ns, 0 = forever) -> the wake word (VANITY_WAKE_*), 0 on timeout */
  VANITY_SYS_IRQ_ACK = 4,  /* (uint64_t irq) -> 0; the irq must be granted to the caller */
  VANITY_SYS_TIME = 5,     /* () -> nanoseconds since boot; cap "time" */
  VANITY_SYS_YIELD = 6,    /* () -> 0; lets the core idle briefly */
  VANITY_SYS_EXIT = 7,     /* (uint64_t status) -> does not return; the shard stops */
  VANITY_SYS_SHUTDOWN = 8, /* (uint64_t status) -> does not return; cap "shutdown": stops the system */
  VANITY_SYS_GENERATION = 9, /* (uint64_t shard) -> how many times that shard has been (re)started */
  VANITY_SYS_COUNT = 10,
};

enum vanity_error {
  VANITY_OK = 0,
  VANITY_E_DENIED = -1,  /* the caller lacks the capability, or the object is not its own */
  VANITY_E_INVALID = -2, /* an argument is out of range (a channel or irq that does not exist, a bad pointer) */
  VANITY_E_NOSYS = -3,   /* no such system call */
};

/* What woke a wait: VANITY_SYS_WAIT's result, one 64-bit word (docs/abi.md,
 * "What woke a wait"). Bit i of the channel field: the caller's own channel
 * i (its position in the caller's channel list: the order of its
 * vanity_channel handles in vanity_shard.h, and of its system-table entry's
 * `channels`). Bit i of the interrupt field: the caller's interrupt i (every
 * line of every device it is granted, in grant order: the shard's `irqs`).
 * An index past a field's last bit sets that last bit: it means "this index
 * or a higher one" (vanity-build warns about such a shard). The kind bits
 * say which kinds of event came; bit 63 is never set, so the result is
 * never mistaken for an error. 0: the wait timed out. Every other fact about
 * the word is derived from these six numbers. */
#define VANITY_WAKE_CHANNEL_SHIFT 0 /* bit of the caller's channel 0 */
#define VANITY_WAKE_CHANNEL_BITS 48 /* channel bits */
#define VANITY_WAKE_IRQ_SHIFT 48    /* bit of the caller's interrupt 0 */
#define VANITY_WAKE_IRQ_BITS 12     /* interrupt bits */
#define VANITY_WAKE_CHANNEL (1ull << 60)    /* a peer notified one of the caller's channels (or restarted) */
#define VANITY_WAKE_IRQ (1ull << 61)        /* one of the caller's interrupts fired */
#define VANITY_WAKE_SUPERVISED (1ull << 62) /* a shard with policy "propagate" naming the caller faulted */

/* The bit of the caller's channel `index` / interrupt `index` (an index
 * past the field shares its last bit). */
#define VANITY_WAKE_CHANNEL_BIT(index)                                                                                 \
  (1ull << (VANITY_WAKE_CHANNEL_SHIFT + ((index) < VANITY_WAKE_CHANNEL_BITS ? (index) : VANITY_WAKE_CHANNEL_BITS - 1)))
#define VANITY_WAKE_IRQ_BIT(index)                                                                                     \
  (1ull << (VANITY_WAKE_IRQ_SHIFT + ((index) < VANITY_WAKE_IRQ_BITS ? (index) : VANITY_WAKE_IRQ_BITS - 1)))
/* The bits of `count` interrupts from `first` (one device's lines); 0 for none. */
#define VANITY_WAKE_IRQ_RANGE(first, count)                                                                            \
  ((count) ? (VANITY_WAKE_IRQ_BIT((first) + (count) - 1) << 1) - VANITY_WAKE_IRQ_BIT(first) : 0ull)
/* Every channel bit, every interrupt bit (spelled out for Swift, which
 * imports only simple macros; checked below). */
#define VANITY_WAKE_CHANNELS 0x0000ffffffffffffull
#define VANITY_WAKE_IRQS 0x0fff000000000000ull

/* The same as functions (what Swift calls: it imports no function-like macro). */
static inline uint64_t vanity_wake_channel_bit(uint32_t index) { return VANITY_WAKE_CHANNEL_BIT(index); }
static inline uint64_t vanity_wake_irq_bit(uint32_t index) { return VANITY_WAKE_IRQ_BIT(index); }
static inline uint64_t vanity_wake_irq_range(uint32_t first, uint32_t count) { return VANITY_WAKE_IRQ_RANGE(first, count); }

_Static_assert(VANITY_WAKE_CHANNEL_SHIFT + VANITY_WAKE_CHANNEL_BITS <= VANITY_WAKE_IRQ_SHIFT, "channel bits end before interrupt bits");
_Static_assert(VANITY_WAKE_IRQ_SHIFT + VANITY_WAKE_IRQ_BITS <= 60, "interrupt bits end before the kind bits");
_Static_assert(((VANITY_WAKE_CHANNELS | VANITY_WAKE_IRQS | VANITY_WAKE_CHANNEL | VANITY_WAKE_IRQ | VANITY_WAKE_SUPERVISED) >> 63) == 0,
               "a wake word is never negative");
_Static_assert(VANITY_WAKE_CHANNELS == (VANITY_WAKE_CHANNEL_BIT(VANITY_WAKE_CHANNEL_BITS - 1) << 1) - VANITY_WAKE_CHANNEL_BIT(0),
               "VANITY_WAKE_CHANNELS is every channel bit");
_Static_assert(VANITY_WAKE_IRQS == VANITY_WAKE_IRQ_RANGE(0, VANITY_WAKE_IRQ_BITS), "VANITY_WAKE_IRQS is every interrupt bit");
_Static_assert((VANITY_WAKE_CHANNELS & VANITY_WAKE_IRQS) == 0, "the fields do not overlap");

/* The first bytes of every shard's data region: written by the shard,
 * read by the kernel core (no kernel entry needed). */
struct vanity_shard_status {
  volatile uint64_t heartbeat; /* bumped by the user library as it makes progress (docs/abi.md) */
  uint64_t woke_kept;          /* the user library's: wakes its blocking calls took, for the next vanity_wait */
  uint64_t reserved[6];
};

#endif
