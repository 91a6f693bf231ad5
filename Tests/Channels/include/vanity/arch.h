/* The channel library between two host threads: notify and wait are a futex
 * (the same mechanism the simulator's kernel uses), so the test exercises the
 * library's waiting protocol, not a spin. */
#ifndef VANITY_ARCH_H
#define VANITY_ARCH_H
#include <stdint.h>

int64_t ring_test_syscall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2);
static inline int64_t vanity_arch_syscall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2) {
  return ring_test_syscall(nr, a0, a1, a2);
}
static inline void vanity_arch_relax(void) { __builtin_ia32_pause(); }
static inline void vanity_arch_pause(void) { __builtin_ia32_pause(); }
static inline void vanity_arch_signal(void) {}
/* A scheduling point (only the simulator's deterministic mode uses it). */
static inline void vanity_arch_sched(void) {}
static inline uint64_t vanity_arch_cycles(void) { return __builtin_readcyclecounter(); }

#define VANITY_ARCH_SPINS 64
extern __thread struct vanity_shard_status ring_test_status; /* one per thread, like one per shard */
#define VANITY_ARCH_STATUS (&ring_test_status)
#endif
