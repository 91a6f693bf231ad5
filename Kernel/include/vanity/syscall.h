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
  VANITY_SYS_WAIT = 3,     /* (uint64_t timeout_ns, 0 = forever; uint64_t ack: interrupt bits of the wake word to
                              acknowledge first, as irq-ack does, 0 for none) -> the wake word (VANITY_WAKE_*), 0 on
                              timeout; VANITY_E_INVALID (no wait) if ack names an interrupt the caller lacks */
  VANITY_SYS_IRQ_ACK = 4,  /* (uint64_t irq) -> 0; the irq must be granted to the caller */
  VANITY_SYS_TIME = 5,     /* () -> nanoseconds since boot; cap "time" */
  VANITY_SYS_YIELD = 6,    /* () -> 0; lets the core idle briefly */
  VANITY_SYS_EXIT = 7,     /* (uint64_t status) -> does not return; the shard stops */
  VANITY_SYS_SHUTDOWN = 8, /* (uint64_t status) -> does not return; cap "shutdown": stops the system */
  VANITY_SYS_GENERATION = 9, /* (uint64_t shard) -> how many times that shard has been (re)started */
  VANITY_SYS_CONTROL = 10,   /* (uint64_t shard, uint64_t action: enum vanity_control) -> 0 (posted); cap "restart", and
                                the shard must be in the caller's reach (docs/kernel.md, "Supervisors that act") */
  VANITY_SYS_FAULT_RECORD = 11, /* (uint64_t shard, struct vanity_fault_record *out, uint64_t size) -> bytes written
                                   (at most sizeof the record); the shard must be the caller or in its reach */
  VANITY_SYS_COUNT = 12,
};

enum vanity_error {
  VANITY_OK = 0,
  VANITY_E_DENIED = -1,  /* the caller lacks the capability, or the object is not its own */
  VANITY_E_INVALID = -2, /* an argument is out of range (a channel or irq that does not exist, a bad pointer) */
  VANITY_E_NOSYS = -3,   /* no such system call */
  VANITY_E_BUSY = -4,    /* VANITY_SYS_CONTROL: an earlier request for that shard is still pending; ask again */
  VANITY_E_STATE = -5,   /* VANITY_SYS_CONTROL: the shard is not in a state the action applies to (release: not held) */
};

/* VANITY_SYS_CONTROL's actions: what a supervisor may do to a shard in its
 * reach (the same requests the debug link's restart, hold and release make). */
enum vanity_control {
  VANITY_CONTROL_QUERY = 0,   /* post nothing: 0 when no request for it is pending (the last one is carried out, its
                                 log line written), VANITY_E_BUSY while one is */
  VANITY_CONTROL_RESTART = 1, /* start it again from its pristine image, a new generation, whatever its state */
  VANITY_CONTROL_HOLD = 2,    /* stop it (a held shard stays held, also across a reload) until released or restarted */
  VANITY_CONTROL_RELEASE = 3, /* a held shard starts again, a new generation */
};

/* Fault kinds: a fault record's `kind`, the FAULT line's kind= and what a
 * platform passes to kernel_fault (<vanity/kernel.h>). */
enum vanity_fault {
  VANITY_FAULT_DATA = 1,        /* data abort / page fault: an access outside the layout */
  VANITY_FAULT_INSTRUCTION = 2, /* instruction fetch outside the shard's text */
  VANITY_FAULT_UNDEFINED = 3,   /* undefined instruction */
  VANITY_FAULT_TRAP = 4,        /* a Swift trap (brk / ud2 / unimp) */
  VANITY_FAULT_ALIGNMENT = 5,
  VANITY_FAULT_STACK = 6,       /* stack overflow into the guard page */
  VANITY_FAULT_WATCHDOG = 7,    /* no sign of life within watchdog-ms */
  VANITY_FAULT_OTHER = 8,
};

/* A fault kind's name: the FAULT line's kind=, the debug tools' and
 * `vanity-build dump`'s (the one spelling). */
static inline const char *vanity_fault_name(uint32_t kind) {
  switch (kind) {
  case VANITY_FAULT_DATA: return "data-abort";
  case VANITY_FAULT_INSTRUCTION: return "instruction-abort";
  case VANITY_FAULT_UNDEFINED: return "undefined-instruction";
  case VANITY_FAULT_TRAP: return "trap";
  case VANITY_FAULT_ALIGNMENT: return "alignment";
  case VANITY_FAULT_STACK: return "stack-overflow";
  case VANITY_FAULT_WATCHDOG: return "watchdog";
  default: return "fault";
  }
}

/* A shard's fault record (VANITY_SYS_FAULT_RECORD): its last fault and how
 * many it has had since boot. All zero for a shard that never faulted. */
struct vanity_fault_record {
  uint32_t kind;       /* enum vanity_fault of the last fault; 0: none yet */
  uint32_t generation; /* the generation that faulted (VANITY_SYS_GENERATION's count then) */
  uint64_t pc;         /* where it faulted */
  uint64_t address;    /* the address it touched (a data fault; else the platform's best value, often the pc or 0) */
  uint64_t time_ns;    /* when, in nanoseconds since boot */
  uint32_t faults;     /* faults since boot, this one included */
  uint32_t reserved;
};
_Static_assert(sizeof(struct vanity_fault_record) == 40, "the fault record is 40 bytes on every platform");

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
