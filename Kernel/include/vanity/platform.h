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

/* Starts `core` running shard `shard` at EL0/U-mode/ring 3 from its entry
 * point with a fresh stack (the platform wakes the core the first time and
 * re-enters user mode on later restarts). */
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

/* The calling core's number. */
uint32_t platform_core_id(void);

#endif
