/* Boot, the kernel core's loop and the entry points platforms call. */
#include "internal.h"

struct kernel_state kstate;

static const struct vanity_region *find_region(const struct vanity_shard_desc *d, uint32_t kind) {
  for (uint32_t i = 0; i < d->region_count; i++)
    if (d->regions[i].kind == kind) return &d->regions[i];
  return 0;
}

static uint32_t first_core(uint64_t mask) {
  for (uint32_t c = 0; c < 64; c++)
    if (mask & (1ull << c)) return c;
  return VANITY_NO_CORE;
}

/* The image region is found by address (the table records it per shard). */
static const struct vanity_region *find_kernel_region(uint64_t virt) {
  const struct vanity_system *sys = kstate.sys;
  for (uint32_t i = 0; i < sys->kernel_region_count; i++)
    if (sys->kernel_regions[i].virt == virt) return &sys->kernel_regions[i];
  return 0;
}

void kernel_init(void) {
  const struct vanity_system *sys = &vanity_system;
  kstate.sys = sys;
  kprintf("kernel: vanity booting system \"%s\" on %s: %u shard(s), %u channel(s), %u core(s)\n", sys->name,
          sys->platform, sys->shard_count, sys->channel_count, sys->cpu_count);
  if (sys->shard_count > VANITY_MAX_SHARDS || sys->cpu_count > VANITY_MAX_CORES) {
    kprintf("kernel: the system table is larger than this kernel supports\n");
    platform_shutdown(2);
  }
  if (sys->context_count > VANITY_MAX_CORES || sys->context_count < sys->cpu_count) {
    kprintf("kernel: the system table has %u execution contexts; this kernel supports %u\n", sys->context_count, VANITY_MAX_CORES);
    platform_shutdown(2);
  }
  sched_init();
  for (uint32_t c = 0; c < VANITY_MAX_CORES; c++) kstate.core_shard[c] = VANITY_NO_SHARD;
  for (uint32_t i = 0; i < sys->shard_count; i++) {
    const struct vanity_shard_desc *d = &sys->shards[i];
    struct shard_state *s = &kstate.shards[i];
    s->desc = d;
    s->core = first_core(d->core_mask);
    s->cores = VANITY_MAX_CORES >= 64 ? d->core_mask : d->core_mask & ((1ull << VANITY_MAX_CORES) - 1u);
    s->data = find_region(d, VANITY_REGION_DATA);
    s->stack = find_region(d, VANITY_REGION_STACK);
    s->heap = find_region(d, VANITY_REGION_HEAP);
    s->image = find_kernel_region(d->data_image);
    for (uint64_t left = s->cores; left; left &= left - 1u) {
      uint32_t c = (uint32_t)__builtin_ctzll(left);
      kstate.core_shard[c] = i;
      if (cpu_of(c) != platform_core_id()) kernel_idle_from_boot(cpu_of(c));
    }
  }
  channels_init();
  for (uint32_t i = 0; i < sys->shard_count; i++) {
    int r = platform_build_space(&sys->shards[i]);
    if (r != 0) {
      kprintf("kernel: cannot build the address space of %s (%d)\n", sys->shards[i].name, r);
      platform_shutdown(2);
    }
  }
  /* Pristine copies for restarts, taken before anything runs. */
  for (uint32_t i = 0; i < sys->shard_count; i++) {
    struct shard_state *s = &kstate.shards[i];
    if (s->data && s->image && s->image->size >= s->data->size)
      memcpy((void *)(uintptr_t)s->image->virt, (const void *)(uintptr_t)s->data->virt, s->data->size);
    else s->image = 0;
  }
  for (uint32_t i = 0; i < sys->irq_count; i++) platform_irq_route(sys->irqs[i].irq, sys->irqs[i].core);
  for (uint32_t i = 0; i < sys->shard_count; i++) {
    struct shard_state *s = &kstate.shards[i];
    for (uint64_t left = s->cores; left; left &= left - 1u) {
      uint32_t c = (uint32_t)__builtin_ctzll(left);
      const struct vanity_context *ctx = &sys->contexts[c];
      if (c != s->core) kprintf("kernel: starting %s on core %u too (its core index %u)\n", s->desc->name, c, vanity_shard_core_index(s->desc, c));
      else if (!kstate.cpu_scheduled[ctx->cpu]) kprintf("kernel: starting %s on core %u\n", s->desc->name, ctx->cpu);
      else if (ctx->budget_us)
        kprintf("kernel: starting %s on core %u (priority %u, budget %u us every %u us)\n", s->desc->name, ctx->cpu,
                ctx->priority, ctx->budget_us, ctx->period_us);
      else kprintf("kernel: starting %s on core %u (priority %u)\n", s->desc->name, ctx->cpu, ctx->priority);
      /* A core's own context starts the core; its scheduler starts the others. */
      if (c < sys->cpu_count) platform_start_core(c, s->desc);
    }
  }
}

void kernel_context_start(uint32_t context) {
  struct shard_state *s = shard_on_core(context);
  if (!s) {
    for (;;) kernel_idle(0);
  }
  /* The first core starts the shard; its other cores enter it once it has
   * (or park, if it is already being stopped). */
  if (context == s->core) shard_start(s);
  while (!atomic_load32(&s->start_epoch)) kernel_idle(platform_time_ns() + 1000000ull);
  shard_stop_point(s, context);
  platform_start_core(context, s->desc);
  for (;;) {
  }
}

void kernel_secondary_start(uint32_t cpu) {
  kernel_idle_end(cpu);
  sched_start(cpu); /* a shared core: returns when this core's own context is picked */
  kernel_context_start(cpu);
}

/* Each core of a watched shard must beat (its own status block) or wait
 * within the limit; the first that does not has the shard faulted. */
static void check_watchdogs(uint64_t now) {
  for (uint32_t i = 0; i < kstate.sys->shard_count; i++) {
    struct shard_state *s = &kstate.shards[i];
    if (!s->desc->watchdog_ms || !s->data) continue;
    uint32_t st = atomic_load32(&s->run_state);
    for (uint64_t left = s->cores; left; left &= left - 1u) {
      uint32_t c = (uint32_t)__builtin_ctzll(left);
      uint64_t beat = atomic_load64(&shard_status(s, c)->heartbeat), clock = context_clock(c, now);
      if ((st != VANITY_SHARD_RUNNING && st != VANITY_SHARD_WAITING) || atomic_load32(&s->stopper) ||
          atomic_load32(&kstate.waiting[c]) || beat != kstate.last_beat[c]) {
        kstate.last_beat[c] = beat;
        kstate.last_beat_ns[c] = clock;
        continue;
      }
      uint64_t silent = clock > kstate.last_beat_ns[c] ? clock - kstate.last_beat_ns[c] : 0;
      if (silent < (uint64_t)s->desc->watchdog_ms * 1000000ull || atomic_load32(&s->fault_request)) continue;
      if (s->cores & (s->cores - 1u))
        kprintf("kernel: watchdog: %s silent for %lu ms (limit %u ms) on core %u\n", s->desc->name, silent / 1000000u,
                s->desc->watchdog_ms, cpu_of(c));
      else kprintf("kernel: watchdog: %s silent for %lu ms (limit %u ms)\n", s->desc->name, silent / 1000000u, s->desc->watchdog_ms);
      atomic_store32(&s->fault_request, VANITY_FAULT_WATCHDOG);
      kstate.last_beat_ns[c] = clock; /* one fault per silence: another needs as long again */
      kernel_kick(c);
    }
  }
}

void kernel_core_loop(void) {
  kprintf("kernel: all shards started (%lu us after boot); kernel core watching\n", platform_time_ns() / 1000u);
  uint64_t last_traffic = 0;
  for (;;) {
    uint64_t now = platform_time_ns();
    check_watchdogs(now);
    if (debug_poll()) last_traffic = now;
    /* While the link is busy or a reload is under way it is polled every
     * LINK_POLL_NS (short idles, not a spin: an emulator's device thread
     * needs the gaps); otherwise once a tick. */
    int busy = last_traffic && now - last_traffic < LINK_BUSY_NS;
    kernel_idle(now + (busy ? LINK_POLL_NS : KERNEL_TICK_NS));
  }
}

static struct shard_state *current(void) {
  uint32_t core = kernel_context();
  if (core < VANITY_MAX_CORES) kstate.entries[core]++;
  return shard_on_core(core);
}

void kernel_fault(uint32_t kind, uint64_t pc, uint64_t address) {
  struct shard_state *s = current();
  if (!s) {
    kprintf("kernel: PANIC: fault %s in the kernel at pc=0x%lx addr=0x%lx\n", fault_name(kind), pc, address);
    platform_shutdown(3);
  }
  /* A data abort just below a stack is a stack overflow into its guard page
   * (the simulator reports a shard's death on its first core: any of its
   * stacks counts). */
  for (uint32_t k = 0; s->stack && kind == VANITY_FAULT_DATA && k < vanity_shard_core_count(s->desc); k++) {
    uint64_t base = s->stack->virt + k * s->desc->stack_stride;
    if (address < base && address >= base - kstate.sys->page_size) kind = VANITY_FAULT_STACK;
  }
  shard_fault(s, kind, pc, address);
}

void kernel_irq(uint32_t irq) {
  uint32_t core = kernel_context();
  if (core < VANITY_MAX_CORES) kstate.entries[core]++;
  for (uint32_t i = 0; i < kstate.sys->irq_count; i++) {
    const struct vanity_irq_grant *g = &kstate.sys->irqs[i];
    if (g->irq != irq) continue;
    /* Level-triggered devices stay asserted until the shard services them:
     * mask the line until the shard acknowledges it (VANITY_SYS_IRQ_ACK). */
    platform_irq_mask(irq);
    shard_wake(&kstate.shards[g->shard], VANITY_WAKE_IRQ | vanity_wake_irq_bit(g->index));
    return;
  }
}

void kernel_user_return(uint64_t pc) {
  sched_preempt(); /* a shared core: something more urgent runs first */
  uint32_t core = kernel_context();
  struct shard_state *s = shard_on_core(core);
  if (!s) return;
  shard_stop_point(s, core); /* another of its cores stops the shard */
  /* A forced reload happens here; a plain one waits for the shard to wait
   * (syscall.c). */
  if (atomic_load32(&s->control) == CONTROL_RELOAD_FORCE) shard_reload_here(s);
  uint32_t c = control_peek(s);
  if (c == CONTROL_RESTART) {
    control_done("restarting", s);
    shard_restart(s);
  }
  if (c == CONTROL_RELEASE) control_done(0, s); /* it runs: nothing to release */
  if (c == CONTROL_HOLD) {
    s->operator_hold = 1;
    control_done("holding", s);
    shard_stop_here(s);
  }
  uint32_t req = __atomic_exchange_n(&s->fault_request, 0u, __ATOMIC_ACQ_REL);
  if (req) shard_fault(s, req, pc, 0);
}
