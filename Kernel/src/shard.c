/* Shards: start, faults and supervision. A shard runs alone on its core;
 * everything here runs on that core, except watchdog detection (kernel core),
 * which only asks the shard's core to fault it. */
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

/* Resets data+bss from the pristine image and clears stack and heap. */
static void shard_reset_memory(struct shard_state *s) {
  if (s->data && s->image) memcpy((void *)(uintptr_t)s->data->virt, (const void *)(uintptr_t)s->image->virt, s->data->size);
  if (s->stack) memset((void *)(uintptr_t)s->stack->virt, 0, s->stack->size);
  if (s->heap) memset((void *)(uintptr_t)s->heap->virt, 0, s->heap->size);
}

void shard_reload_here(struct shard_state *s) {
  if (!reload_take(s)) return;
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
  s->last_progress_ns = s->started_ns;
  s->last_heartbeat = s->data ? ((struct vanity_shard_status *)(uintptr_t)s->data->virt)->heartbeat : 0;
  atomic_store32(&s->fault_request, 0);
  atomic_store32(&s->run_state, VANITY_SHARD_RUNNING);
  platform_start_core(s->core, s->desc);
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
  atomic_store32(&s->run_state, VANITY_SHARD_HELD);
  platform_stop_core(s->core);
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
    platform_idle(0);
  }
}

/* Starts the shard again from its pristine image with a new generation
 * (an operator's restart or release: no policy, no restart count). */
void shard_restart(struct shard_state *s) {
  platform_stop_core(s->core);
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
  for (uint32_t c = 0; c < kstate.sys->cpu_count && c < VANITY_MAX_CORES; c++) total_entries += kstate.entries[c];
  kprintf("kernel: system stopping with status %u after %lu ms; kernel entries on all cores: %lu\n", status,
          platform_time_ns() / 1000000ull, total_entries);
  for (uint32_t i = 0; i < kstate.sys->shard_count; i++) {
    struct shard_state *s = &kstate.shards[i];
    kprintf("kernel:   %s: generation %u, %u restart(s), %lu syscall(s), %lu denied, kernel entries on core %u: %lu, busy %u%%\n",
            s->desc->name, s->generation, s->restarts, s->syscalls, s->denied, s->core,
            s->core < VANITY_MAX_CORES ? kstate.entries[s->core] : 0, core_busy_percent(s->core, platform_time_ns()));
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
  s->fault = (struct vanity_fault_record){.kind = kind, .generation = s->generation, .pc = pc, .address = address,
                                           .time_ns = platform_time_ns(), .faults = s->fault.faults + 1};
  __atomic_thread_fence(__ATOMIC_RELEASE); /* the record before the supervisor's wake */
  kprintf("kernel: FAULT shard=%s kind=%s pc=0x%lx addr=0x%lx generation=%u policy=%s\n", s->desc->name,
          fault_name(kind), pc, address, s->generation, policy_name(p->kind));
  atomic_store32(&s->run_state, VANITY_SHARD_RESTARTING);
  platform_stop_core(s->core);
  switch (p->kind) {
  case VANITY_POLICY_RESTART:
    if (s->restarts >= p->max_restarts) {
      kprintf("kernel: %s reached max-restarts (%u); holding it\n", s->desc->name, p->max_restarts);
      shard_stop_here(s);
    }
    {
      /* A crash loop may not run more often than min-run-ms. */
      uint64_t earliest = s->started_ns + (uint64_t)p->min_run_ms * 1000000ull;
      while (platform_time_ns() < earliest) platform_idle(earliest);
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
