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
  VANITY_SYS_WAIT = 3,     /* (uint64_t timeout_ns, 0 = forever) -> enum vanity_wake bits, 0 on timeout */
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

/* What woke a wait. */
enum vanity_wake {
  VANITY_WAKE_CHANNEL = 1u << 0, /* a peer notified one of the caller's channels */
  VANITY_WAKE_IRQ = 1u << 1,     /* one of the caller's interrupts fired */
  VANITY_WAKE_SUPERVISED = 1u << 2, /* a shard with policy "propagate" naming the caller faulted */
};

/* The first bytes of every shard's data region: written by the shard,
 * read by the kernel core (no kernel entry needed). */
struct vanity_shard_status {
  volatile uint64_t heartbeat; /* bumped by the user library as it makes progress (docs/abi.md) */
  uint64_t reserved[7];
};

#endif
