/* System calls. Every call is counted and checked against the caller's
 * capabilities and endpoints; a denied call returns VANITY_E_DENIED, is
 * counted, and changes nothing. */
#include "internal.h"

#define LOG_MAX 512u

/* [addr, addr+len) lies inside one readable region of the shard. */
static int readable(const struct vanity_shard_desc *d, uint64_t addr, uint64_t len) {
  if (len == 0) return 1;
  if (addr + len < addr) return 0;
  for (uint32_t i = 0; i < d->region_count; i++) {
    const struct vanity_region *r = &d->regions[i];
    if (!(r->perms & VANITY_PERM_R) || (r->perms & VANITY_PERM_DEVICE)) continue;
    if (addr >= r->virt && addr + len <= r->virt + r->size) return 1;
  }
  return 0;
}

/* [addr, addr+len) lies inside one writable region of the shard (not a device). */
static int writable(const struct vanity_shard_desc *d, uint64_t addr, uint64_t len) {
  if (addr + len < addr) return 0;
  for (uint32_t i = 0; i < d->region_count; i++) {
    const struct vanity_region *r = &d->regions[i];
    if (!(r->perms & VANITY_PERM_W) || (r->perms & VANITY_PERM_DEVICE)) continue;
    if (addr >= r->virt && addr + len <= r->virt + r->size) return 1;
  }
  return 0;
}

static int owns_irq(const struct vanity_shard_desc *d, uint64_t irq) {
  for (uint32_t i = 0; i < d->irq_count; i++)
    if (d->irqs[i] == irq) return 1;
  return 0;
}

static int64_t denied(struct shard_state *s) {
  __atomic_fetch_add(&s->denied, 1u, __ATOMIC_RELAXED);
  return VANITY_E_DENIED;
}

/* The deadline `timeout_ns` from now (0: none). It saturates: a timeout
 * that would pass 2^64 ns since boot never expires, as 0 does. */
static uint64_t deadline_after(uint64_t timeout_ns) {
  uint64_t now = platform_time_ns();
  return timeout_ns && timeout_ns <= ~0ull - now ? now + timeout_ns : 0;
}

/* Acknowledges (unmasks) the caller's interrupts named by `bits`, interrupt
 * bits of the wake word: bit i its interrupt i, the field's last bit that
 * one and every higher one. Nothing is acknowledged unless all are its own. */
static int64_t ack_irqs(const struct vanity_shard_desc *d, uint64_t bits) {
  if (bits & ~VANITY_WAKE_IRQS) return VANITY_E_INVALID;
  uint64_t field = bits >> VANITY_WAKE_IRQ_SHIFT, last = 1ull << (VANITY_WAKE_IRQ_BITS - 1);
  if (field && 64 - (uint32_t)__builtin_clzll(field) > d->irq_count) return VANITY_E_INVALID;
  for (uint32_t i = 0; i < d->irq_count; i++)
    if (field >> i & 1u || (i >= VANITY_WAKE_IRQ_BITS - 1 && field & last)) platform_irq_unmask(d->irqs[i]);
  return VANITY_OK;
}

static int64_t sys_wait(struct shard_state *s, uint32_t core, uint64_t timeout_ns, uint64_t ack) {
  if (ack) {
    int64_t r = ack_irqs(s->desc, ack);
    if (r) return r;
  }
  uint64_t deadline = deadline_after(timeout_ns);
  atomic_store32(&s->run_state, VANITY_SHARD_WAITING);
  kstate.waiting[core] = 1;
  int64_t r = 0;
  for (;;) {
    shard_stop_point(s, core); /* another of its cores stops the shard */
    shard_reload_here(s); /* waiting is the quiescent point: a pending reload happens here */
    uint32_t c = atomic_load32(&s->control);
    uint64_t bits = __atomic_exchange_n(&kstate.wake[core], 0ull, __ATOMIC_ACQ_REL);
    if (bits || atomic_load32(&s->fault_request) || c) {
      r = (int64_t)bits; /* bit 63 is never set (syscall.h) */
      break;
    }
    if (deadline && platform_time_ns() >= deadline) break;
    kernel_idle(deadline);
  }
  kstate.waiting[core] = 0;
  atomic_store32(&s->run_state, VANITY_SHARD_RUNNING);
  return r;
}

/* Is shard `target` in the caller's reach (system_table.h)? */
static int in_reach(const struct vanity_shard_desc *d, uint64_t target) {
  return target < 64 && (d->reach >> target & 1u);
}

/* A supervisor's restart, hold or release of a shard in its reach: the
 * debug link's path (the request is carried out on the target's own core,
 * which clears it then: VANITY_CONTROL_QUERY asks whether it has). */
static int64_t sys_control(struct shard_state *s, uint64_t target, uint64_t action) {
  const struct vanity_shard_desc *d = s->desc;
  if (target >= kstate.sys->shard_count || action > VANITY_CONTROL_RELEASE) return VANITY_E_INVALID;
  if (!(d->caps & VANITY_CAP_RESTART) || !in_reach(d, target)) return denied(s);
  struct shard_state *t = &kstate.shards[target];
  if (action == VANITY_CONTROL_QUERY) return atomic_load32(&t->control) ? VANITY_E_BUSY : VANITY_OK;
  if (action == VANITY_CONTROL_RELEASE && atomic_load32(&t->run_state) != VANITY_SHARD_HELD) return VANITY_E_STATE;
  if (!atomic_cas32(&t->control, CONTROL_NONE, (uint32_t)action | CONTROL_FROM(d->id))) return VANITY_E_BUSY;
  shard_kick(t);
  return VANITY_OK;
}

/* Copies a shard's fault record (its own, or one in its reach) to `out`. */
static int64_t sys_fault_record(struct shard_state *s, uint64_t target, uint64_t out, uint64_t size) {
  const struct vanity_shard_desc *d = s->desc;
  if (target >= kstate.sys->shard_count) return VANITY_E_INVALID;
  if (target != d->id && !in_reach(d, target)) return denied(s);
  uint64_t n = size < sizeof(struct vanity_fault_record) ? size : sizeof(struct vanity_fault_record);
  if (n == 0 || !writable(d, out, n)) return VANITY_E_INVALID;
  struct vanity_fault_record r = kstate.shards[target].fault;
  memcpy((void *)(uintptr_t)out, &r, (size_t)n);
  return (int64_t)n;
}

/* The system call entry: counts it, finds the caller from the core and
 * dispatches. Every path checks the caller's rights before acting. */
int64_t kernel_syscall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2) {
  uint32_t core = kernel_context();
  struct shard_state *s = shard_on_core(core);
  if (!s) return VANITY_E_INVALID;
  kstate.entries[core]++;
  const struct vanity_shard_desc *d = s->desc;
  __atomic_fetch_add(&s->syscalls, 1u, __ATOMIC_RELAXED); /* a shard's cores count together */
  switch (nr) {
  case VANITY_SYS_LOG:
    if (!(d->caps & VANITY_CAP_LOG)) return denied(s);
    if (a1 > LOG_MAX || !readable(d, a0, a1)) return VANITY_E_INVALID;
    klog_shard(d->name, &s->log, (const char *)(uintptr_t)a0, (size_t)a1);
    return (int64_t)a1;
  case VANITY_SYS_NOTIFY: {
    int64_t r = channel_notify(s, a0);
    if (r == VANITY_E_DENIED) denied(s);
    return r;
  }
  case VANITY_SYS_WAIT: return sys_wait(s, core, a0, a1);
  case VANITY_SYS_IRQ_ACK:
    if (!owns_irq(d, a0)) return denied(s);
    platform_irq_unmask((uint32_t)a0);
    return VANITY_OK;
  case VANITY_SYS_TIME:
    if (!(d->caps & VANITY_CAP_TIME)) return denied(s);
    return (int64_t)platform_time_ns();
  case VANITY_SYS_YIELD: kernel_idle(platform_time_ns() + 100000ull); return VANITY_OK;
  case VANITY_SYS_EXIT:
    kprintf("kernel: %s exited with status %lu\n", d->name, a0);
    shard_stop_here(s);
  case VANITY_SYS_SHUTDOWN:
    if (!(d->caps & VANITY_CAP_SHUTDOWN)) return denied(s);
    kprintf("kernel: %s asks for shutdown with status %lu\n", d->name, a0);
    system_stop((uint32_t)a0);
  case VANITY_SYS_GENERATION:
    if (a0 >= kstate.sys->shard_count) return VANITY_E_INVALID;
    return kstate.shards[a0].generation;
  case VANITY_SYS_CONTROL: return sys_control(s, a0, a1);
  case VANITY_SYS_FAULT_RECORD: return sys_fault_record(s, a0, a1, a2);
  default: return VANITY_E_NOSYS;
  }
}
