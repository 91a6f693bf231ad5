/* The kernel library's entry points: what a platform calls. */
#ifndef VANITY_KERNEL_H
#define VANITY_KERNEL_H

#include <stdint.h>

#include <vanity/syscall.h> /* enum vanity_fault: the fault kinds kernel_fault takes */

/* Boot core, once, after the platform set up memory and its console.
 * Initialises rings, builds address spaces, starts every shard's core and
 * returns; the boot core then calls kernel_core_loop. */
void kernel_init(void);

/* The kernel core's duties (watchdogs, timed restarts); never returns. */
void kernel_core_loop(void) __attribute__((noreturn));

/* A shard core's first entry into the kernel on its core: starts the shard
 * assigned to it (on a shared core, the scheduler's pick). Never returns. */
void kernel_secondary_start(uint32_t core) __attribute__((noreturn));

/* Where a context that never ran starts (platform_switch's `fresh`). */
void kernel_context_start(uint32_t context) __attribute__((noreturn));

/* System call from the shard running on the calling core. */
int64_t kernel_syscall(uint64_t number, uint64_t a0, uint64_t a1, uint64_t a2);

/* A fault of the shard running on the calling core. Does not return to the
 * faulting code: the platform resumes whatever the kernel scheduled. */
void kernel_fault(uint32_t kind, uint64_t pc, uint64_t address) __attribute__((noreturn));

/* An interrupt line fired on the calling core. */
void kernel_irq(uint32_t irq);

/* A platform whose debug transport knows connections (the simulator's
 * socket) calls this when a new client connects: a frame the last client
 * left half-sent is dropped. Kernel core only. */
void kernel_debug_connected(void);

/* Called by the platform just before it returns to the shard on the calling
 * core (after a system call or an interrupt); `pc` is where the shard
 * resumes. Applies a pending watchdog fault (then does not return). */
void kernel_user_return(uint64_t pc);

/* The kernel's log: formatted output to the console (%s %d %u %x %lu %lx %llu %llx %c %%). */
void kprintf(const char *fmt, ...);

#endif
