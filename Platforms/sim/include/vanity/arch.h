/* The hosted simulator: a shard is a host process; a system call is a
 * request in its mailbox (shared memory) answered by its core's thread in the
 * kernel process, with futexes for both directions. */
#ifndef VANITY_ARCH_H
#define VANITY_ARCH_H

#include <stdint.h>
#include <vanity/sim.h>

int64_t vanity_sim_syscall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2);

static inline int64_t vanity_arch_syscall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2) {
  return vanity_sim_syscall(nr, a0, a1, a2);
}

/* Deterministic mode (vanity-build run --seed): every channel operation is
 * a scheduling point where the simulator's seeded scheduler picks who runs. */
extern int vanity_sim_deterministic;
static inline void vanity_arch_sched(void) {
  if (vanity_sim_deterministic) vanity_sim_syscall(VANITY_SIM_SYS_SCHED, 0, 0, 0);
}

/* Device registers. A device the simulator models (virtio-mmio) is not
 * memory: each access is a request to the kernel process, whose device
 * model answers it synchronously, as a register does. Other device pages
 * (the RTC) are shared memory, read directly. (Platforms/sim/shard/shard.c) */
#define VANITY_ARCH_MMIO 1
uint64_t vanity_sim_mmio_read(uintptr_t addr, uint32_t width);
void vanity_sim_mmio_write(uintptr_t addr, uint64_t value, uint32_t width);
static inline uint64_t vanity_arch_mmio_read(uintptr_t addr, uint32_t width) { return vanity_sim_mmio_read(addr, width); }
static inline void vanity_arch_mmio_write(uintptr_t addr, uint64_t value, uint32_t width) { vanity_sim_mmio_write(addr, value, width); }

static inline void vanity_arch_relax(void) { __builtin_ia32_pause(); }
/* A short pause in a polling loop; never sleeps. A shard here shares the
 * host's cores with the other shards and the kernel process, whose device
 * models it may be polling for: every VANITY_SIM_PAUSE_YIELD-th pause of a
 * thread gives its host core to whoever else is ready (sched_yield, which
 * returns at once when nobody is), as a hypervisor's pause-loop exiting
 * does for a spinning virtual CPU (Platforms/sim/shard/shard.c). */
void vanity_sim_pause(void);
static inline void vanity_arch_pause(void) { vanity_sim_pause(); }
static inline void vanity_arch_signal(void) {}
/* The host's counter (x86-64: the time-stamp counter; the shard is a host
 * process, so this is the host core's, wherever the host runs it). */
static inline uint64_t vanity_arch_cycles(void) { return __builtin_readcyclecounter(); }


#define VANITY_ARCH_SPINS 64

/* The status block is at the base of the shard's data region (shared with
 * the kernel process); the shard's own C data lives in its host process. */
#define VANITY_ARCH_STATUS_BASE ((struct vanity_shard_status *)(uintptr_t)VANITY_SHARD_DATA_BASE)

#endif
