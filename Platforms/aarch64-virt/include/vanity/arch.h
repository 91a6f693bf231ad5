/* aarch64: how a shard enters the kernel and waits cheaply. Included by the
 * user libraries (Shards/lib) when building for this platform. */
#ifndef VANITY_ARCH_H
#define VANITY_ARCH_H

#include <stdint.h>

static inline int64_t vanity_arch_syscall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2) {
  register uint64_t x8 __asm__("x8") = nr;
  register uint64_t x0 __asm__("x0") = a0;
  register uint64_t x1 __asm__("x1") = a1;
  register uint64_t x2 __asm__("x2") = a2;
  __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return (int64_t)x0;
}

/* Waits for an event from another core (SEV) or a short while. */
static inline void vanity_arch_relax(void) { __asm__ volatile("wfe" ::: "memory"); }

/* A short pause in a polling loop; never sleeps (WFE may). */
static inline void vanity_arch_pause(void) { __asm__ volatile("yield" ::: "memory"); }

/* Wakes cores waiting in vanity_arch_relax (a hint: correctness never
 * depends on it, so no barrier). */
static inline void vanity_arch_signal(void) { __asm__ volatile("sev" ::: "memory"); }

/* How many times a waiting shard relaxes before it asks the kernel to sleep.
 * QEMU's TCG spins on WFE, so keep it short (docs/abi.md, "Waiting"). */
/* A scheduling point (only the simulator's deterministic mode uses it). */
static inline void vanity_arch_sched(void) {}

/* The core's cycle counter (PMCCNTR_EL0: the kernel starts it and opens
 * it to EL0 on every core, PMUSERENR_EL0.CR). */
static inline uint64_t vanity_arch_cycles(void) {
  uint64_t v;
  __asm__ volatile("mrs %0, pmccntr_el0" : "=r"(v));
  return v;
}

#define VANITY_ARCH_SPINS 32

#endif
