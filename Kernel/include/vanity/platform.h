/* The kernel library's contract with a platform.
 *
 * A platform (Platforms/<name>/) owns the machine: boot code, exception
 * vectors, the MMU, the interrupt controller, the timer and the console. It
 * calls the kernel's entry points (kernel.h) and provides the hooks below. The
 * kernel never touches hardware itself. */
#ifndef VANITY_PLATFORM_H
#define VANITY_PLATFORM_H

#include <stdint.h>
#include "system_table.h"

/* Console: one byte to the kernel log device. */
void platform_console_putc(char c);

/* Nanoseconds since boot, from the platform's monotonic counter. */
uint64_t platform_time_ns(void);

/* Builds the address space of shard `id` from its regions (called once per
 * shard at boot, before any shard starts). Returns 0 or a negative error. */
int platform_build_space(const struct vanity_shard_desc *shard);

/* Starts execution context `core` (system_table.h) running shard `shard` at
 * EL0/U-mode/ring 3 from its entry point with a fresh stack: called by the
 * context itself (a restart: it re-enters user mode on its own kernel
 * stack, from the top), or at boot for a core's own context (the platform
 * wakes that core, which calls kernel_secondary_start). */
void platform_start_core(uint32_t core, const struct vanity_shard_desc *shard);

/* The shard on `core` has faulted or must stop: it runs no further code of
 * its current start (hardware: already true in the fault handler; hosted:
 * the shard's process is killed). Called on `core` before its policy applies. */
void platform_stop_core(uint32_t core);

/* Hot reload: the new code of `shard` is in place (the kernel core wrote
 * its segments through the kernel's view of RAM) and the shard is about to
 * start again; called on the shard's own core. Boards make the core's
 * instruction fetch see the new text (cache maintenance). The simulator,
 * whose shards are host executables, receives the new executable here
 * (`executable`, `size`; NULL and 0 on boards) and starts it from now on. */
void platform_code_loaded(const struct vanity_shard_desc *shard, const uint8_t *executable, uint64_t size);

/* Shards sharing a core (docs/kernel.md): switches the calling core from
 * execution context `from` to context `to` (system_table.h): its kernel
 * stack, address space and the shard's FP/SIMD registers. Returns when a
 * later switch comes back to `from`. A `fresh` context has not run yet: it
 * starts on its own kernel stack in kernel_context_start(to). */
void platform_switch(uint32_t from, uint32_t to, int fresh);

/* Interrupts the calling core at `deadline_ns` (0: never), whether it runs
 * the kernel or a shard then (the interrupt reaches kernel_user_return):
 * the scheduler's timer. platform_idle may use the same timer. */
void platform_timer_set(uint64_t deadline_ns);

/* Wakes `core` if it is idle in platform_idle (an inter-processor interrupt). */
void platform_kick_core(uint32_t core);

/* Idles the calling core until an interrupt or `deadline_ns` (0: none). */
void platform_idle(uint64_t deadline_ns);

/* Enables / acknowledges an interrupt line routed to `core`. */
void platform_irq_route(uint32_t irq, uint32_t core);
void platform_irq_unmask(uint32_t irq);
void platform_irq_mask(uint32_t irq);
/* A shard owning `irq` (re)starts: forget whatever the line had pending
 * for its previous run and unmask it. A device still asserting a level
 * interrupt raises it again: that is the device's state, for the shard. */
void platform_irq_reset(uint32_t irq);

/* Stops the whole machine; `status` becomes the emulator's exit status. */
void platform_shutdown(uint32_t status) __attribute__((noreturn));

/* The debug link (docs/debug-protocol.md): non-blocking byte transport.
 * read returns how many bytes it stored (0: none now); write sends all.
 * A platform without a link returns 0 and drops writes. */
uint32_t platform_debug_read(uint8_t *buf, uint32_t max);
void platform_debug_write(const uint8_t *buf, uint32_t n);

/* The calling core's number (the physical core; the kernel knows which of
 * its contexts runs there). platform_kick_core, platform_irq_route and
 * kernel_secondary_start take physical cores too; platform_start_core,
 * platform_stop_core and platform_switch take contexts. */
uint32_t platform_core_id(void);

#endif
