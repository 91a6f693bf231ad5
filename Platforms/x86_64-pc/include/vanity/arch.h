/* x86_64: how a shard enters the kernel (syscall from ring 3) and waits. */
#ifndef VANITY_ARCH_H
#define VANITY_ARCH_H

#include <stdint.h>

static inline int64_t vanity_arch_syscall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2) {
  int64_t ret;
  register uint64_t rdx __asm__("rdx") = a2;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1), "r"(rdx) : "rcx", "r11", "memory");
  return ret;
}

static inline void vanity_arch_relax(void) { __asm__ volatile("pause" ::: "memory"); }
/* A short pause in a polling loop; never sleeps. */
static inline void vanity_arch_pause(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void vanity_arch_signal(void) { __asm__ volatile("" ::: "memory"); }

/* A scheduling point (only the simulator's deterministic mode uses it). */
/* The time-stamp counter (`rdtsc`, open to ring 3: CR4.TSD stays clear).
 * It counts at a constant rate, not the core's actual clock cycles. */
static inline uint64_t vanity_arch_cycles(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}

static inline void vanity_arch_sched(void) {}

#define VANITY_ARCH_SPINS 64

#endif
