/* Shards sharing a core: a fixed-priority preemptive scheduler per core.
 *
 * The kernel runs execution contexts (system_table.h): one per core, plus
 * one for each further shard on a shared core. A core none of whose
 * contexts is `scheduled` runs its one context and never comes here: today's
 * zero-kernel steady state. On a scheduled core this file picks which context
 * runs: the highest priority that is ready; among equals, the one ready
 * longest, each for at most SLICE_NS while another of its priority waits;
 * a context with a budget runs at most `budget_us` in each `period_us` and is
 * throttled for the rest of the period. The timer is armed only for what can
 * change that choice (a slice, a budget, a higher-priority sleeper's
 * deadline, a replenishment); nothing ticks on a core whose context runs
 * alone.
 *
 * Each context has its own kernel stack, so every place that waits in the
 * kernel (a wait system call, a held shard, a restart delay) simply calls
 * kernel_idle: on a scheduled core that blocks the context (sched_idle) and
 * runs another. A kick (kernel_kick) makes a blocked context ready again.
 * Preemption happens when the kernel is about to return to a shard
 * (kernel_user_return: after a system call or an interrupt), so kernel code
 * never runs interleaved on one core. Only the core itself touches its
 * contexts' state, except `pending`, which any core may set. */
#include "internal.h"

static void sched_idle(uint64_t deadline_ns);

/* A context that shares its priority with another ready one runs this long. */
#define SLICE_NS 5000000ull

static inline int scheduled(uint32_t cpu) { return cpu < VANITY_MAX_CORES && kstate.cpu_scheduled[cpu]; }

void sched_init(void) {
  const struct vanity_system *sys = kstate.sys;
  for (uint32_t c = 0; c < VANITY_MAX_CORES; c++) {
    kstate.cpu_current[c] = c;
    kstate.context_cpu[c] = (uint8_t)c;
  }
  for (uint32_t x = 0; x < sys->context_count && x < VANITY_MAX_CORES; x++) {
    const struct vanity_context *ctx = &sys->contexts[x];
    struct sched_context *k = &kstate.sched[x];
    k->state = SCHED_READY; /* not yet started: it starts when first picked */
    k->priority = ctx->priority;
    k->budget_ns = (uint64_t)ctx->budget_us * 1000u;
    k->period_ns = (uint64_t)ctx->period_us * 1000u;
    if (!k->period_ns) k->budget_ns = 0;
    if (ctx->cpu >= VANITY_MAX_CORES) continue;
    kstate.context_cpu[x] = (uint8_t)ctx->cpu;
    kstate.cpu_contexts[ctx->cpu] |= 1ull << x;
    if (ctx->scheduled) kstate.cpu_scheduled[ctx->cpu] = 1;
  }
  /* Each core's contexts by priority, highest first (in context order
   * among equals): the scheduler looks no further than the first
   * priority with a ready context. */
  uint32_t n = 0;
  for (uint32_t cpu = 0; cpu < VANITY_MAX_CORES; cpu++) {
    kstate.order_first[cpu] = (uint8_t)n;
    for (uint64_t left = kstate.cpu_contexts[cpu]; left; left &= left - 1u) {
      uint32_t x = (uint32_t)__builtin_ctzll(left), i = n++;
      for (; i > kstate.order_first[cpu] && kstate.sched[kstate.order[i - 1]].priority < kstate.sched[x].priority; i--)
        kstate.order[i] = kstate.order[i - 1];
      kstate.order[i] = (uint8_t)x;
    }
    kstate.order_count[cpu] = (uint8_t)(n - kstate.order_first[cpu]);
  }
}

/* The end of `k`'s current period (a throttled context runs again then). */
static inline uint64_t period_end(const struct sched_context *k) { return k->period_start + k->period_ns; }

/* Starts a new period once the current one is over (and ends a throttle). */
static void replenish(struct sched_context *k, uint64_t now) {
  if (!k->budget_ns) return;
  if (!k->period_start) k->period_start = now;
  if (now - k->period_start < k->period_ns) return;
  k->period_start = now - (now - k->period_start) % k->period_ns;
  k->used_ns = 0;
  if (k->state == SCHED_THROTTLED) {
    k->state = SCHED_READY;
    k->ready_since = now;
  }
}

/* When the choice on `cpu` can next change while `x` runs (0: only by a
 * kick): its budget's end, its slice's end if an equal waits, a sleeper's
 * deadline or a replenishment that would preempt it. */
static uint64_t next_event(uint32_t cpu, uint32_t x, uint64_t now) {
  const struct sched_context *me = &kstate.sched[x];
  uint64_t t = 0;
#define EARLIER(v) do { uint64_t v_ = (v); if (v_ && (!t || v_ < t)) t = v_; } while (0)
  if (me->budget_ns) EARLIER(me->used_ns < me->budget_ns ? now + (me->budget_ns - me->used_ns) : now);
  const uint8_t *order = &kstate.order[kstate.order_first[cpu]];
  for (uint32_t i = 0, n = kstate.order_count[cpu]; i < n; i++) {
    const struct sched_context *k = &kstate.sched[order[i]];
    if (k->priority < me->priority) break; /* lower ones never preempt it */
    if (order[i] == x) continue;
    if (k->state == SCHED_READY) /* its equal waits (a higher one would run) */
      EARLIER(now + (me->slice_used < SLICE_NS ? SLICE_NS - me->slice_used : 0));
    else if (k->state == SCHED_BLOCKED) EARLIER(k->deadline);
    else if (k->state == SCHED_THROTTLED) EARLIER(period_end(k));
  }
#undef EARLIER
  return t;
}

/* The context's run time changes: context_clock, on another core, reads
 * run_ns, ran_from and state only as a whole (a sequence count). */
static inline void clock_change(struct sched_context *k) {
  __atomic_store_n(&k->clock_seq, k->clock_seq + 1u, __ATOMIC_RELAXED);
  __atomic_thread_fence(__ATOMIC_RELEASE);
}
static inline void clock_changed(struct sched_context *k) { __atomic_store_n(&k->clock_seq, k->clock_seq + 1u, __ATOMIC_RELEASE); }

/* Spends the time `k` ran since it was last counted against its budget;
 * throttles it once the budget is spent. */
static void charge(struct sched_context *k, uint64_t now) {
  replenish(k, now);
  clock_change(k);
  if (k->ran_from && now > k->ran_from) {
    k->used_ns += now - k->ran_from;
    k->run_ns += now - k->ran_from;
    k->slice_used += now - k->ran_from;
  }
  k->ran_from = now;
  clock_changed(k);
  if (k->budget_ns && k->used_ns >= k->budget_ns) {
    k->state = SCHED_THROTTLED;
    k->throttles++;
  }
}

/* Runs whatever should run on the calling core, idling while nothing is
 * ready; returns once the calling context (whose state the caller set) is
 * picked again. One pass, highest priority first, brings the contexts up to
 * date (kicked or timed-out sleepers become ready, periods roll over) until
 * one is ready; among its equals the one ready longest runs. Lower ones are
 * brought up to date when they could run. */
static void schedule(uint32_t cpu) {
  uint32_t me = kstate.cpu_current[cpu];
  for (;;) {
    uint64_t now = platform_time_ns(), wake = 0;
    uint32_t next = VANITY_NO_CORE;
    const uint8_t *order = &kstate.order[kstate.order_first[cpu]];
    for (uint32_t i = 0, n = kstate.order_count[cpu]; i < n; i++) {
      uint32_t x = order[i];
      struct sched_context *k = &kstate.sched[x];
      if (next != VANITY_NO_CORE && k->priority < kstate.sched[next].priority) break; /* the rest cannot win */
      if (k->state == SCHED_BLOCKED) {
        if ((k->pending && __atomic_exchange_n(&k->pending, 0u, __ATOMIC_ACQ_REL)) || (k->deadline && k->deadline <= now)) {
          k->state = SCHED_READY;
          k->ready_since = now;
        } else {
          if (k->deadline && (!wake || k->deadline < wake)) wake = k->deadline;
          continue;
        }
      } else if (k->state == SCHED_THROTTLED) {
        replenish(k, now);
        if (k->state == SCHED_THROTTLED) {
          if (!wake || period_end(k) < wake) wake = period_end(k);
          continue;
        }
      }
      if (next == VANITY_NO_CORE || k->priority > kstate.sched[next].priority ||
          (k->priority == kstate.sched[next].priority && k->ready_since < kstate.sched[next].ready_since))
        next = x;
    }
    if (next == VANITY_NO_CORE) {
      cpu_idle(cpu, wake);
      continue;
    }
    struct sched_context *n = &kstate.sched[next];
    clock_change(n);
    n->state = SCHED_RUNNING;
    n->ran_from = now;
    clock_changed(n);
    platform_timer_set(next_event(cpu, next, now));
    if (next == me) return;
    if (kstate.sched[me].state == SCHED_RUNNING) kstate.sched[me].state = SCHED_READY; /* preempted */
    int fresh = !n->started;
    n->started = 1;
    kstate.switches[cpu]++;
    kstate.cpu_current[cpu] = next;
    platform_switch(me, next, fresh);
    /* Switched back to: the switcher picked us and set everything up. */
    return;
  }
}

static void sched_idle(uint64_t deadline_ns) {
  uint32_t cpu = platform_core_id(), me = kstate.cpu_current[cpu];
  struct sched_context *k = &kstate.sched[me];
  if (__atomic_exchange_n(&k->pending, 0u, __ATOMIC_ACQ_REL)) return;
  charge(k, platform_time_ns());
  if (k->state == SCHED_RUNNING) k->state = SCHED_BLOCKED;
  k->slice_used = 0; /* a new slice when it wakes */
  k->deadline = deadline_ns;
  schedule(cpu);
}

void kernel_idle(uint64_t deadline_ns) {
  uint32_t cpu = platform_core_id();
  if (scheduled(cpu)) sched_idle(deadline_ns);
  else cpu_idle(cpu, deadline_ns);
}

void sched_preempt(void) {
  uint32_t cpu = platform_core_id();
  if (!scheduled(cpu)) return;
  uint32_t me = kstate.cpu_current[cpu];
  struct sched_context *k = &kstate.sched[me];
  uint64_t now = platform_time_ns();
  charge(k, now); /* may throttle it */
  if (k->state == SCHED_RUNNING && k->slice_used >= SLICE_NS) {
    k->ready_since = now; /* behind its equals; a new slice if it keeps the core */
    k->slice_used = 0;
  }
  schedule(cpu);
}

uint64_t context_clock(uint32_t context, uint64_t now) {
  if (context >= VANITY_MAX_CORES || !scheduled(cpu_of(context))) return now;
  const struct sched_context *k = &kstate.sched[context];
  /* Read from another core, as one whole (the sequence count): a run time
   * charged but its start not yet moved on, or a context marked running
   * with the start of its last turn, would count time twice or time it did
   * not run. A writer stalled midway (an emulator's vCPU descheduled) gets
   * a bounded number of tries; then the time charged so far stands. */
  for (uint32_t tries = 0; tries < 1000u; tries++) {
    uint32_t seq = __atomic_load_n(&k->clock_seq, __ATOMIC_ACQUIRE);
    uint64_t ran = __atomic_load_n(&k->run_ns, __ATOMIC_RELAXED), from = __atomic_load_n(&k->ran_from, __ATOMIC_RELAXED);
    uint32_t state = __atomic_load_n(&k->state, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if ((seq & 1u) || seq != __atomic_load_n(&k->clock_seq, __ATOMIC_RELAXED)) continue;
    if (state == SCHED_RUNNING && from && from < now) ran += now - from;
    return ran;
  }
  return __atomic_load_n(&k->run_ns, __ATOMIC_RELAXED);
}

uint64_t context_idle_ns(uint32_t context, uint64_t now) {
  if (context >= VANITY_MAX_CORES || !scheduled(cpu_of(context))) return core_idle_ns(cpu_of(context), now);
  uint64_t ran = context_clock(context, now);
  return ran < now ? now - ran : 0;
}

void kernel_kick(uint32_t context) { kernel_kick_from(context, platform_core_id()); }

void sched_start(uint32_t cpu) {
  /* On a scheduled core the highest priority starts first; this core's own
   * context starts when it is picked. */
  if (!scheduled(cpu)) return;
  kstate.sched[cpu].started = 1;
  kstate.sched[cpu].state = SCHED_READY;
  schedule(cpu);
}
