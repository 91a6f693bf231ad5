/* riscv64: how a shard enters the kernel (ecall from U-mode) and waits. */
#ifndef VANITY_ARCH_H
#define VANITY_ARCH_H

#include <stdint.h>

static inline int64_t vanity_arch_syscall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2) {
  register uint64_t r7 __asm__("a7") = nr;
  register uint64_t r0 __asm__("a0") = a0;
  register uint64_t r1 __asm__("a1") = a1;
  register uint64_t r2 __asm__("a2") = a2;
  __asm__ volatile("ecall" : "+r"(r0) : "r"(r7), "r"(r1), "r"(r2) : "memory");
  return (int64_t)r0;
}

/* RISC-V has no user-mode event wait; a short pause-free spin. */
static inline void vanity_arch_relax(void) { __asm__ volatile("nop" ::: "memory"); }
/* A short pause in a polling loop; never sleeps. */
static inline void vanity_arch_pause(void) { __asm__ volatile("nop" ::: "memory"); }
static inline void vanity_arch_signal(void) { __asm__ volatile("fence rw, rw" ::: "memory"); }

/* A scheduling point (only the simulator's deterministic mode uses it). */
/* The hart's cycle counter (`rdcycle`: the kernel sets scounteren.CY). */
static inline uint64_t vanity_arch_cycles(void) {
  uint64_t v;
  __asm__ volatile("rdcycle %0" : "=r"(v));
  return v;
}

static inline void vanity_arch_sched(void) {}

#define VANITY_ARCH_SPINS 64

#endif
