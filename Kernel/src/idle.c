/* Idle time per core: every wait in the kernel goes through kernel_idle
 * (sched.c), which on a core of its own calls cpu_idle here: the time
 * platform_idle took is the core's idle time (the debug link's STATS, the
 * shutdown report; docs/kernel.md, Counting). A shared core idles in its
 * scheduler, through cpu_idle too. A leaf: it calls only the platform. */
#include "internal.h"

void cpu_idle(uint32_t core, uint64_t deadline_ns) {
  if (core >= VANITY_MAX_CORES) {
    platform_idle(deadline_ns);
    return;
  }
  uint64_t t0 = platform_time_ns();
  __atomic_store_n(&kstate.idle_since[core], t0 ? t0 : 1u, __ATOMIC_RELEASE);
  platform_idle(deadline_ns);
  /* Cleared before the spell is added: a reader in between counts it short, never twice. */
  __atomic_store_n(&kstate.idle_since[core], 0u, __ATOMIC_RELEASE);
  kstate.idle_ns[core] += platform_time_ns() - t0;
}

uint64_t core_idle_ns(uint32_t core, uint64_t now) {
  if (core >= VANITY_MAX_CORES) return 0;
  uint64_t since = __atomic_load_n(&kstate.idle_since[core], __ATOMIC_ACQUIRE);
  uint64_t idle = kstate.idle_ns[core] + (since && since < now ? now - since : 0);
  return idle < now ? idle : now;
}

uint32_t core_busy_percent(uint32_t core, uint64_t now) {
  uint64_t idle = core_idle_ns(core, now);
  return now ? (uint32_t)((now - idle) / (now / 100u ? now / 100u : 1u)) : 0;
}

void kernel_idle_from_boot(uint32_t core) {
  if (core < VANITY_MAX_CORES) __atomic_store_n(&kstate.idle_since[core], 1u, __ATOMIC_RELEASE);
}

void kernel_idle_end(uint32_t core) {
  if (core >= VANITY_MAX_CORES) return;
  uint64_t since = __atomic_exchange_n(&kstate.idle_since[core], 0u, __ATOMIC_ACQ_REL);
  uint64_t now = platform_time_ns();
  if (since && since < now) kstate.idle_ns[core] += now - since;
}
