/* Kernel path cost, counted in instructions by callgrind (repeatable on a
 * noisy machine). Links the real Kernel/src with a do-nothing platform and
 * the demo's generated system table for `sim`, then calls kernel_syscall:
 *   denied  - `time` from a shard without the "time" capability (the check)
 *   notify  - `notify` on a channel the caller is an endpoint of
 * and, linked with the shared-core test system's table instead ("shared"):
 *   wake    - `notify` waking a shard that waits on a shared core (the
 *             waker's side: the wake word, the kick)
 *   switch  - that core's return to its running shard finding the woken
 *             one of higher priority: the scheduler's decision and
 *             bookkeeping up to platform_switch (a stub here: the boards'
 *             own instructions are counted from their code)
 * Run by Benchmarks/kernel-path.sh under valgrind --tool=callgrind. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"
#include <vanity/kernel.h>
#include <vanity/platform.h>
#include <vanity/syscall.h>

static uint32_t core = 1;
void platform_console_putc(char c) { (void)c; }
uint64_t platform_time_ns(void) { return 0; }
int platform_build_space(const struct vanity_shard_desc *s) { (void)s; return 0; }
void platform_start_core(uint32_t c, const struct vanity_shard_desc *s) { (void)c; (void)s; }
void platform_stop_core(uint32_t c) { (void)c; }
void platform_kick_core(uint32_t c) { (void)c; }
void platform_idle(uint64_t d) { (void)d; }
void platform_irq_route(uint32_t i, uint32_t c) { (void)i; (void)c; }
void platform_irq_unmask(uint32_t i) { (void)i; }
void platform_irq_mask(uint32_t i) { (void)i; }
void platform_irq_reset(uint32_t i) { (void)i; }
void platform_shutdown(uint32_t s) { exit((int)s); }
uint32_t platform_core_id(void) { return core; }
uint32_t platform_debug_read(uint8_t *b, uint32_t m) { (void)b; (void)m; return 0; }
void platform_debug_write(const uint8_t *b, uint32_t n) { (void)b; (void)n; }
void platform_code_loaded(const struct vanity_shard_desc *s, const uint8_t *e, uint64_t n) { (void)s; (void)e; (void)n; }
void platform_switch(uint32_t from, uint32_t to, int fresh) { (void)from; (void)to; (void)fresh; }
void platform_timer_set(uint64_t d) { (void)d; }
const uint8_t vanity_reload_key[32];

__attribute__((noinline)) int64_t denied_call(void) { return kernel_syscall(VANITY_SYS_TIME, 0, 0, 0); }
__attribute__((noinline)) int64_t notify_call(void) { return kernel_syscall(VANITY_SYS_NOTIFY, 0, 0, 0); }

/* shared-core (Tests/Fixtures/systems/shared-core): contexts 1 hi and 4 lo
 * share core 1; 2 is the client on core 2, whose channel 0 (ping) wakes hi. */
enum { HI = 1, CLIENT = 2, LO = 4 };
__attribute__((noinline)) int64_t wake_call(void) { return kernel_syscall(VANITY_SYS_NOTIFY, 0, 0, 0); }
__attribute__((noinline)) void switch_call(void) { kernel_user_return(0); }

static int shared(int n) {
  struct shard_state *hi = shard_on_core(HI), *lo = shard_on_core(LO);
  if (!hi || !lo || !kstate.cpu_scheduled[1]) return 3;
  int64_t woke = 0;
  uint32_t switched = 0;
  for (int i = 0; i < n; i++) {
    /* hi waits on core 1 while lo runs there. */
    kstate.sched[HI].state = SCHED_BLOCKED;
    kstate.sched[LO].state = SCHED_RUNNING;
    kstate.cpu_current[1] = LO;
    core = 2;
    woke += wake_call();
    core = 1;
    switch_call();
    switched += kstate.cpu_current[1] == HI && kstate.sched[HI].state == SCHED_RUNNING && kstate.sched[LO].state == SCHED_READY;
  }
  printf("wake %lld switched %u\n", (long long)woke, switched);
  return !(woke == 0 && switched == (uint32_t)n);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  if (mmap((void *)(uintptr_t)vanity_system.ram_base, vanity_system.ram_size, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == MAP_FAILED) return 2;
  core = 0;
  kernel_init();
  if (argc > 2 && !strcmp(argv[2], "shared")) return shared(n);
  core = 1; /* the producer: endpoint of channel 0, no "time" capability */
  int64_t a = 0, b = 0;
  for (int i = 0; i < n; i++) a += denied_call();
  for (int i = 0; i < n; i++) b += notify_call();
  printf("denied %lld notify %lld\n", (long long)a, (long long)b);
  return !(a == -(int64_t)n && b == 0);
}
