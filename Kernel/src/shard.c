/* Shards: start, faults and supervision. A shard runs alone on its cores;
 * everything here runs on one of them, except watchdog detection (kernel
 * core), which only asks a shard's core to fault it. A shard on several
 * cores is stopped by one of them (the stopper), which parks the others
 * first (shard_gather) and releases them at the next start. */
#include "internal.h"

const char *fault_name(uint32_t kind) { return vanity_fault_name(kind); }

static const char *policy_name(uint32_t kind) {
  switch (kind) {
  case VANITY_POLICY_RESTART: return "restart";
  case VANITY_POLICY_HOLD: return "hold";
  case VANITY_POLICY_ABORT: return "abort";
  case VANITY_POLICY_PROPAGATE: return "propagate";
  default: return "?";
  }
}

/* Resets data+bss from the pristine image and clears the stacks and heap. */
static void shard_reset_memory(struct shard_state *s) {
  if (s->data && s->image) memcpy((void *)(uintptr_t)s->data->virt, (const void *)(uintptr_t)s->image->virt, s->data->size);
  for (uint32_t i = 0; i < s->desc->region_count; i++) {
    const struct vanity_region *r = &s->desc->regions[i];
    if (r->kind == VANITY_REGION_STACK) memset((void *)(uintptr_t)r->virt, 0, r->size);
  }
  if (s->heap) memset((void *)(uintptr_t)s->heap->virt, 0, s->heap->size);
}

/* How often a stopper kicks the cores it waits for again: a core that was
 * just released may have taken the first kick before it re-entered the shard. */
#define GATHER_KICK_NS 1000000ull

void shard_gather(struct shard_state *s) {
  uint32_t me = kernel_context();
  /* Another core stops the shard: park; resumed (shard_ungather), try again. */
  while (atomic_load32(&s->stopper) != me + 1u && !atomic_cas32(&s->stopper, 0u, me + 1u)) shard_park(s);
  uint64_t others = s->cores & ~(1ull << me);
  while ((__atomic_load_n(&s->parked, __ATOMIC_ACQUIRE) & others) != others) {
    shard_kick(s);
    kernel_idle(platform_time_ns() + GATHER_KICK_NS);
  }
}

void shard_park(struct shard_state *s) {
  uint32_t me = kernel_context();
  uint32_t epoch = atomic_load32(&s->start_epoch), resume = atomic_load32(&s->resume_epoch);
  uint32_t waiting = kstate.waiting[me];
  kstate.waiting[me] = 0;
  __atomic_fetch_or(&s->parked, 1ull << me, __ATOMIC_ACQ_REL);
  uint32_t st = atomic_load32(&s->stopper);
  if (st) kernel_kick(st - 1u);
  for (;;) {
    if (atomic_load32(&s->start_epoch) != epoch) { /* started again: from _start */
      platform_start_core(me, s->desc);
      for (;;) {
      }
    }
    if (atomic_load32(&s->resume_epoch) != resume) break; /* not stopped after all: on where it was */
    kernel_idle(0);
  }
  kstate.waiting[me] = waiting;
}

void shard_ungather(struct shard_state *s) {
  __atomic_store_n(&s->parked, 0ull, __ATOMIC_RELEASE);
  atomic_store32(&s->stopper, 0);
  __atomic_fetch_add(&s->resume_epoch, 1u, __ATOMIC_ACQ_REL);
  shard_kick(s);
}

void shard_reload_here(struct shard_state *s) {
  uint32_t c = atomic_load32(&s->control);
  if (c != CONTROL_RELOAD && c != CONTROL_RELOAD_FORCE) return;
  shard_gather(s);
  if (!reload_take(s)) { /* called off meanwhile: the other cores go on */
    shard_ungather(s);
    return;
  }
  shard_reset_memory(s);
  channels_reloaded(s->desc->id);
  /* An operator's hold outlasts a reload: the new code starts on release.
   * (Only shard_stop_here's loop reaches here with the hold set; back to it.) */
  int held = (int)s->operator_hold;
  reload_finish(s, !held);
  if (held) {
    atomic_store32(&s->run_state, VANITY_SHARD_HELD);
    return;
  }
  shard_start(s);
}

/* Enters the shard on the calling core (its own). Every start (boot,
 * restart, release, reload) finds each of its interrupt lines unmasked and
 * nothing pending from an earlier run, whether that run acknowledged its
 * last interrupt or not (a line is masked from its firing to the ack). */
void shard_start(struct shard_state *s) {
  for (uint32_t i = 0; i < s->desc->irq_count; i++) platform_irq_reset(s->desc->irqs[i]);
  s->generation++;
  s->started_ns = platform_time_ns();
  for (uint64_t left = s->cores; left; left &= left - 1u) {
    uint32_t c = (uint32_t)__builtin_ctzll(left);
    kstate.last_beat_ns[c] = context_clock(c, s->started_ns);
    kstate.last_beat[c] = s->data ? shard_status(s, c)->heartbeat : 0;
  }
  atomic_store32(&s->fault_request, 0);
  atomic_store32(&s->run_state, VANITY_SHARD_RUNNING);
  /* The parked cores enter too. */
  __atomic_store_n(&s->parked, 0ull, __ATOMIC_RELEASE);
  atomic_store32(&s->stopper, 0);
  __atomic_fetch_add(&s->start_epoch, 1u, __ATOMIC_ACQ_REL);
  shard_kick(s);
  platform_start_core(kernel_context(), s->desc);
  for (;;) {
  }
}

void control_done(const char *what, struct shard_state *s) {
  if (!what) {
  } else if (!s->taken_from || s->taken_from > kstate.sys->shard_count) kprintf("kernel: %s %s (debug link)\n", what, s->desc->name);
  else kprintf("kernel: %s %s (asked by %s)\n", what, s->desc->name, kstate.shards[s->taken_from - 1].desc->name);
  atomic_store32(&s->control, CONTROL_NONE);
}

/* Stops the shard for good on its core: the core idles from now on. A
 * request made before it got here (a supervisor woken by its fault may ask
 * at once) is taken before the first idle. */
void shard_stop_here(struct shard_state *s) {
  shard_gather(s);
  atomic_store32(&s->run_state, VANITY_SHARD_HELD);
  platform_stop_core(kernel_context());
  for (;;) {
    shard_reload_here(s); /* a held shard is quiescent */
    uint32_t c = control_peek(s);
    if (c == CONTROL_RELEASE || c == CONTROL_RESTART) {
      if (!s->taken_from) kprintf("kernel: %s released\n", s->desc->name);
      control_done(!s->taken_from ? 0 : c == CONTROL_RESTART ? "restarting" : "releasing", s);
      s->operator_hold = 0;
      shard_restart(s);
    }
    if (c == CONTROL_HOLD) { /* held already: now it stays held across a reload too */
      s->operator_hold = 1;
      control_done("holding", s);
    }
    kernel_idle(0);
  }
}

/* Starts the shard again from its pristine image with a new generation
 * (an operator's restart or release: no policy, no restart count). */
void shard_restart(struct shard_state *s) {
  shard_gather(s);
  platform_stop_core(kernel_context());
  shard_reset_memory(s);
  channels_bump_generation(s->desc->id);
  shard_start(s);
}

void system_stop(uint32_t status) {
  if (__atomic_exchange_n(&kstate.stopping, 1u, __ATOMIC_ACQ_REL)) {
    for (;;) platform_idle(0);
  }
  kstate.exit_status = status;
  uint64_t total_entries = 0;
  for (uint32_t c = 0; c < kstate.sys->context_count && c < VANITY_MAX_CORES; c++) total_entries += kstate.entries[c];
  kprintf("kernel: system stopping with status %u after %lu ms; kernel entries on all cores: %lu\n", status,
          platform_time_ns() / 1000000ull, total_entries);
  uint64_t now = platform_time_ns();
  for (uint32_t i = 0; i < kstate.sys->shard_count; i++) {
    struct shard_state *s = &kstate.shards[i];
    uint64_t entries = 0;
    uint32_t busy = 0, n = 0;
    for (uint64_t left = s->cores; left; left &= left - 1u) {
      uint32_t c = (uint32_t)__builtin_ctzll(left);
      entries += kstate.entries[c];
      busy += core_busy_percent(cpu_of(c), now);
      n++;
    }
    uint32_t cpu = cpu_of(s->core);
    if (kstate.cpu_scheduled[cpu]) {
      const struct vanity_context *ctx = &kstate.sys->contexts[s->core];
      const struct sched_context *k = &kstate.sched[s->core];
      kprintf("kernel:   %s: generation %u, %u restart(s), %lu syscall(s), %lu denied, kernel entries on core %u: %lu, ran %u%% "
              "of the time at priority %u (core %u busy %u%%, %lu switches), throttled %u time(s)\n",
              s->desc->name, s->generation, s->restarts, s->syscalls, s->denied, cpu, entries,
              now ? (uint32_t)(k->run_ns / (now / 100u ? now / 100u : 1u)) : 0, ctx->priority, cpu, busy, kstate.switches[cpu],
              k->throttles);
    } else if (n <= 1)
      kprintf("kernel:   %s: generation %u, %u restart(s), %lu syscall(s), %lu denied, kernel entries on core %u: %lu, busy %u%%\n",
              s->desc->name, s->generation, s->restarts, s->syscalls, s->denied, cpu, entries, busy);
    else
      kprintf("kernel:   %s: generation %u, %u restart(s), %lu syscall(s), %lu denied, kernel entries on its %u cores from "
              "core %u: %lu, busy %u%% on average\n",
              s->desc->name, s->generation, s->restarts, s->syscalls, s->denied, n, cpu, entries, busy / n);
  }
  platform_shutdown(status);
}

/* The shard on the calling core faulted: report it in one line and apply
 * its supervisor policy. Runs on the shard's core. */
void shard_fault(struct shard_state *s, uint32_t kind, uint64_t pc, uint64_t address) {
  const struct vanity_policy *p = &s->desc->policy;
  /* Once the system stops, a shard that ends (the simulator kills every
   * shard's process as it shuts down) has not faulted: nothing to report. */
  if (atomic_load32(&kstate.stopping)) {
    for (;;) platform_idle(0);
  }
  shard_gather(s);
  s->fault = (struct vanity_fault_record){.kind = kind, .generation = s->generation, .pc = pc, .address = address,
                                           .time_ns = platform_time_ns(), .faults = s->fault.faults + 1};
  __atomic_thread_fence(__ATOMIC_RELEASE); /* the record before the supervisor's wake */
  kprintf("kernel: FAULT shard=%s kind=%s pc=0x%lx addr=0x%lx generation=%u policy=%s\n", s->desc->name,
          fault_name(kind), pc, address, s->generation, policy_name(p->kind));
  if (s->cores & (s->cores - 1u))
    kprintf("kernel: %s faulted on core %u (its core index %u of %u); its other cores are stopped\n", s->desc->name,
            cpu_of(kernel_context()), vanity_shard_core_index(s->desc, kernel_context()), vanity_shard_core_count(s->desc));
  atomic_store32(&s->run_state, VANITY_SHARD_RESTARTING);
  platform_stop_core(kernel_context());
  switch (p->kind) {
  case VANITY_POLICY_RESTART:
    if (s->restarts >= p->max_restarts) {
      kprintf("kernel: %s reached max-restarts (%u); holding it\n", s->desc->name, p->max_restarts);
      shard_stop_here(s);
    }
    {
      /* A crash loop may not run more often than min-run-ms. */
      uint64_t earliest = s->started_ns + (uint64_t)p->min_run_ms * 1000000ull;
      while (platform_time_ns() < earliest) kernel_idle(earliest);
    }
    s->restarts++;
    shard_reset_memory(s);
    channels_bump_generation(s->desc->id);
    kprintf("kernel: restarting %s (restart %u of %u)\n", s->desc->name, s->restarts, p->max_restarts);
    shard_start(s);
  case VANITY_POLICY_ABORT:
    kprintf("kernel: %s has policy abort; stopping the system\n", s->desc->name);
    system_stop(100u + kind);
  case VANITY_POLICY_PROPAGATE:
    if (p->propagate_to != VANITY_NO_SHARD && p->propagate_to < kstate.sys->shard_count) {
      kprintf("kernel: %s is held; telling its supervisor %s\n", s->desc->name, kstate.shards[p->propagate_to].desc->name);
      shard_wake(&kstate.shards[p->propagate_to], VANITY_WAKE_SUPERVISED);
    }
    shard_stop_here(s);
  case VANITY_POLICY_HOLD:
  default:
    kprintf("kernel: holding %s\n", s->desc->name);
    shard_stop_here(s);
  }
}
