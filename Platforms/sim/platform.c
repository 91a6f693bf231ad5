/* The hosted simulator's kernel side: the very same Kernel/ library in a
 * host process. Simulated RAM is a shared memory file mapped at the
 * platform's RAM base; each core is a host thread; each shard is a host
 * process that maps only its own regions and its channel rings, so a wild
 * pointer in a shard cannot reach anything else. System calls arrive through
 * the shard's mailbox (a region of its own, so that the shard's whole stack
 * region is its stack); waits and wake-ups are futexes; a shard's crash is a
 * fault of that shard, handled by its policy. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vanity/kernel.h>
#include <vanity/platform.h>
#include <vanity/sim.h>
#include <vanity/syscall.h>
#include <vanity/system_table.h>

#include "devices.h"

#define SERVICE_POLL_NS 10000000ull /* how often a core thread checks on its shard process */

extern char **environ;

static int ram_fd = -1, dev_fd = -1;
static uint64_t dev_base, dev_size;
static const char **shard_paths;
static uint32_t shard_path_count;
static struct timespec boot;

struct core {
  pthread_t thread;
  int started;
  volatile uint32_t own_kick;          /* core 0 and cores without a shard */
  volatile uint32_t *kick;             /* futex word that wakes this core */
  const struct vanity_shard_desc *shard;
  struct vanity_sim_mailbox *mailbox;
  volatile pid_t pid;                  /* the shard's process, 0 when none */
  jmp_buf service;
  /* Deterministic mode. */
  int det_state;                       /* DET_RUNNABLE or DET_BLOCKED once started */
  uint64_t det_deadline;               /* blocked until this virtual time (0: until kicked) */
  volatile uint32_t det_turn;          /* futex: 1 while this core holds the token */
  int det_kick;                        /* a kick arrived since the core last idled */
  int stopped;                         /* the shard's process is SIGSTOPped */
  int answering;                       /* in a system call of its shard (answer) */
  /* A shared core: only the context holding the core runs (its thread and
   * its shard's process); platform_switch hands the core on. */
  volatile uint32_t baton;             /* futex: 1 once switched to */
};

static struct core cores[VANITY_MAX_CORES];
static int debug_listen = -1, debug_client = -1; /* the debug link's socket (below) */
static __thread uint32_t this_core; /* the thread's execution context (a core's own: the core's number) */
/* Per physical core: the context that holds it, and the scheduler's timer. */
static volatile uint32_t holder[VANITY_MAX_CORES];
static volatile uint64_t cpu_timer[VANITY_MAX_CORES];

static long futex(volatile uint32_t *addr, int op, uint32_t val, const struct timespec *timeout) {
  return syscall(SYS_futex, addr, op, val, timeout, NULL, 0);
}

/* ---------------------------------------------------------------- deterministic mode
 *
 * With a seed, exactly one core runs at a time: a core thread, and while it
 * holds the token, its shard's process. At every scheduling point (every
 * system call and every channel operation of a shard, every idle of a core)
 * the holder gives the token to the scheduler, which picks the next runnable
 * core with a PRNG seeded from the seed. Time is virtual (1 µs per step; an
 * all-idle system jumps to the next deadline), so the same seed gives the
 * same run and the same trace. Injected faults come from the same PRNG. */

enum { DET_OFF = 0, DET_RUNNABLE = 1, DET_BLOCKED = 2 };
enum { INJECT_KILL = 1, INJECT_TRAP = 2, INJECT_DELAY = 4, INJECT_DROP = 8, INJECT_LOSS = 16, INJECT_GARBLE = 32 };
#define DET_STEP_NS 1000ull
#define DET_PREEMPT_REAL_NS 20000000ll /* a shard silent this long (real time) is stopped and descheduled */
#define DET_SPIN_NS 1000000ull /* the virtual time such a shard is deemed to have run */

static int det;
static int net_external; /* a device takes input from outside (sim_devices_external) */
static uint64_t real_ns(void);
static uint64_t det_seed, det_rng, det_vtime, det_step;
static uint32_t det_inject, det_rate;
static FILE *det_trace;

static uint64_t det_random(void) { /* splitmix64 */
  uint64_t z = (det_rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static int det_chance(void) { return det_rate && det_random() % 10000 < det_rate; }

static void det_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void det_log(const char *fmt, ...) {
  if (!det_trace) return;
  va_list ap;
  va_start(ap, fmt);
  fprintf(det_trace, "%llu ", (unsigned long long)det_step);
  vfprintf(det_trace, fmt, ap);
  va_end(ap);
}

static void det_wait_turn(struct core *c) {
  while (!__atomic_load_n(&c->det_turn, __ATOMIC_ACQUIRE)) futex(&c->det_turn, FUTEX_WAIT_PRIVATE, 0, NULL);
}

/* Gives up the token; returns when the scheduler hands it back. */
static void det_yield(int block, uint64_t deadline);

/* ---------------------------------------------------------------- console, time */

static __thread char line[1024];
static __thread size_t line_len;

void platform_console_putc(char c) {
  line[line_len++] = c;
  if (c == '\n' || line_len == sizeof line) {
    if (det_trace) fwrite(line, 1, line_len, det_trace);
    ssize_t off = 0;
    while (off < (ssize_t)line_len) {
      ssize_t n = write(1, line + off, line_len - (size_t)off);
      if (n <= 0) break;
      off += n;
    }
    line_len = 0;
  }
}

uint64_t platform_time_ns(void) {
  if (det) return det_vtime;
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)(t.tv_sec - boot.tv_sec) * 1000000000ull + (uint64_t)t.tv_nsec - (uint64_t)boot.tv_nsec;
}

static uint32_t cpu_of_context(uint32_t ctx) {
  return ctx < vanity_system.context_count ? vanity_system.contexts[ctx].cpu : ctx;
}

uint32_t platform_core_id(void) { return cpu_of_context(this_core); }

/* ---------------------------------------------------------------- devices */

/* The simulated RTC: a PL031-compatible data register (seconds since the
 * epoch) at offset 0, refreshed whenever a core passes through idle. */
static void devices_tick(void) {
  /* Deterministic mode keeps the RTC virtual too: 2026-01-01 00:00:00 UTC at boot. */
  uint32_t now = det ? (uint32_t)(1767225600ull + det_vtime / 1000000000ull) : (uint32_t)time(NULL);
  if (dev_size) *(volatile uint32_t *)(uintptr_t)dev_base = now;
}

/* Interrupt lines of the device models: level-triggered, as the boards'
 * virtio devices are. A line high and not masked is delivered to the kernel
 * (kernel_irq masks it and wakes the granted shard); the shard's
 * VANITY_SYS_IRQ_ACK (or a VANITY_SYS_WAIT that acknowledges it) unmasks
 * it, and a line still high is delivered again.
 * The core the line is routed to is kicked too, so an interrupt that
 * arrives while that core is deciding to idle is not lost (a board's WFI
 * returns for a pending interrupt). */
static uint8_t irq_level[SIM_IRQ_LINES], irq_masked[SIM_IRQ_LINES], irq_core[SIM_IRQ_LINES];

static void irq_deliver(uint32_t irq) {
  if (!__atomic_load_n(&irq_level[irq], __ATOMIC_ACQUIRE)) return;
  if (__atomic_exchange_n(&irq_masked[irq], 1, __ATOMIC_ACQ_REL)) return;
  if (det) det_log("irq %u\n", irq);
  kernel_irq(irq);
  platform_kick_core(irq_core[irq]);
}

void sim_irq_set(uint32_t irq, int level) {
  if (irq >= SIM_IRQ_LINES) return;
  __atomic_store_n(&irq_level[irq], (uint8_t)(level != 0), __ATOMIC_RELEASE);
  if (level) irq_deliver(irq);
}

void platform_irq_route(uint32_t irq, uint32_t core) {
  if (irq < SIM_IRQ_LINES) irq_core[irq] = (uint8_t)core;
}
void platform_irq_unmask(uint32_t irq) {
  if (irq >= SIM_IRQ_LINES) return;
  __atomic_store_n(&irq_masked[irq], 0, __ATOMIC_RELEASE);
  irq_deliver(irq);
}
void platform_irq_mask(uint32_t irq) {
  if (irq < SIM_IRQ_LINES) __atomic_store_n(&irq_masked[irq], 1, __ATOMIC_RELEASE);
}
void platform_irq_reset(uint32_t irq) { platform_irq_unmask(irq); }

int sim_deterministic(void) { return det; }

int sim_inject_loss(const char *what) {
  if (!det || !(det_inject & INJECT_LOSS) || !det_chance()) return 0;
  det_log("inject loss %s frame\n", what);
  return 1;
}

uint64_t sim_inject_garble(const char *what) {
  if (!det || !(det_inject & INJECT_GARBLE) || !det_chance()) return 0;
  uint64_t r = det_random();
  if (!r) r = 8; /* 0 is "no"; 8 draws the same damage as 0 */
  det_log("inject garble %s frame (%llu)\n", what, (unsigned long long)(r % 8));
  return r;
}

void sim_log(const char *fmt, ...) {
  char text[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  kprintf("%s", text);
}

/* ---------------------------------------------------------------- idle and kicks */

void platform_kick_core(uint32_t cpu) {
  if (cpu >= VANITY_MAX_CORES) return;
  uint32_t core = holder[cpu]; /* a shared core: whichever context holds it */
  if (core >= VANITY_MAX_CORES || !cores[core].kick) return;
  if (det) {
    struct core *t = &cores[core];
    if (t->det_state == DET_BLOCKED && (det_inject & INJECT_DROP) && t->det_deadline && det_chance()) {
      det_log("inject drop-wake core %u\n", core); /* survivable: it wakes at its deadline anyway */
      return;
    }
    t->det_kick = 1;
    if (t->det_state == DET_BLOCKED) {
      if ((det_inject & INJECT_DELAY) && det_chance()) {
        t->det_deadline = det_vtime + (1 + det_random() % 2000) * DET_STEP_NS;
        det_log("inject delay-wake core %u until %llu\n", core, (unsigned long long)t->det_deadline);
      } else {
        t->det_state = DET_RUNNABLE;
      }
    }
    return;
  }
  __atomic_store_n(cores[core].kick, 1u, __ATOMIC_RELEASE);
  futex(cores[core].kick, FUTEX_WAKE, 1, NULL);
}

static void shard_ended(struct core *c, struct vanity_sim_mailbox *m, int status) __attribute__((noreturn));

void platform_idle(uint64_t deadline_ns) {
  struct core *c = &cores[this_core];
  devices_tick();
  /* A shard on several cores: while its first core sleeps in a system
   * call, another of its threads may crash. That core looks at the process
   * at least every SERVICE_POLL_NS (a dying thread also kicks it). */
  if (c->answering && c->shard && (c->shard->core_mask & (c->shard->core_mask - 1u)) && c->pid > 0) {
    int status;
    if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
      c->answering = 0;
      shard_ended(c, c->mailbox, status);
    }
    uint64_t cap = platform_time_ns() + SERVICE_POLL_NS;
    if (!deadline_ns || deadline_ns > cap) deadline_ns = cap;
  }
  if (det) {
    if (c->det_kick) {
      c->det_kick = 0;
      return;
    }
    if (deadline_ns && deadline_ns <= det_vtime) return;
    det_yield(1, deadline_ns);
    c->det_kick = 0;
    return;
  }
  if (__atomic_exchange_n(c->kick, 0u, __ATOMIC_ACQ_REL)) return;
  /* The debug socket raises no interrupt: while it is open the kernel core
   * idles at most 1 ms, so a request waits no longer than that. */
  if (this_core == vanity_system.kernel_core && debug_listen >= 0) {
    uint64_t cap = platform_time_ns() + 1000000ull;
    if (!deadline_ns || deadline_ns > cap) deadline_ns = cap;
  }
  struct timespec ts, *tp = NULL;
  if (deadline_ns) {
    uint64_t now = platform_time_ns();
    if (deadline_ns <= now) return;
    uint64_t d = deadline_ns - now;
    ts.tv_sec = (time_t)(d / 1000000000ull);
    ts.tv_nsec = (long)(d % 1000000000ull);
    tp = &ts;
  }
  futex(c->kick, FUTEX_WAIT, 0u, tp);
  __atomic_store_n(c->kick, 0u, __ATOMIC_RELEASE);
}

static void det_yield(int block, uint64_t deadline) {
  uint32_t me = this_core;
  struct core *c = &cores[me];
  c->det_state = block ? DET_BLOCKED : DET_RUNNABLE;
  c->det_deadline = block ? deadline : 0;
  det_step++;
  det_vtime += DET_STEP_NS;
  /* The outside world (the network) is looked at every 16 steps, and
   * waited for when nothing runs. */
  if (net_external && det_step % 16 == 0) sim_devices_poll(0);
  uint32_t runnable[VANITY_MAX_CORES], n = 0;
  for (;;) {
    uint64_t earliest = 0;
    for (uint32_t i = 0; i < VANITY_MAX_CORES; i++) {
      struct core *k = &cores[i];
      if (k->det_state == DET_BLOCKED && k->det_deadline && k->det_deadline <= det_vtime) k->det_state = DET_RUNNABLE;
      if (k->det_state == DET_RUNNABLE) runnable[n++] = i;
      else if (k->det_state == DET_BLOCKED && k->det_deadline && (!earliest || k->det_deadline < earliest))
        earliest = k->det_deadline;
    }
    if (n) break;
    if (net_external) {
      /* Only the network can wake a core before `earliest`: wait for it in
       * real time, at most until then (virtual time follows real time
       * while the system idles). */
      uint64_t wait = earliest ? earliest - det_vtime : 100000000ull;
      if (wait > 100000000ull) wait = 100000000ull;
      uint64_t t0 = real_ns();
      int input = sim_devices_poll(wait);
      uint64_t spent = real_ns() - t0;
      det_vtime += input ? (spent < wait ? spent : wait) : wait;
      if (earliest && det_vtime > earliest) det_vtime = earliest;
      continue;
    }
    if (!earliest) {
      det_log("deadlock: every core idles without a deadline\n");
      kprintf("sim: deadlock: every core idles with nothing to wake it (seed %llu)\n", (unsigned long long)det_seed);
      platform_shutdown(75);
    }
    det_vtime = earliest; /* nothing runs until then: jump */
  }
  uint32_t next = runnable[det_random() % n];
  det_log("run core %u\n", next);
  if (next == me) return;
  __atomic_store_n(&c->det_turn, 0u, __ATOMIC_RELEASE);
  __atomic_store_n(&cores[next].det_turn, 1u, __ATOMIC_RELEASE);
  futex(&cores[next].det_turn, FUTEX_WAKE_PRIVATE, 1, NULL);
  det_wait_turn(c);
}

/* ---------------------------------------------------------------- shards */

int platform_build_space(const struct vanity_shard_desc *shard) {
  /* The shard's process maps its own regions (see spawn_shard). */
  return shard->id < shard_path_count ? 0 : -1;
}

static const struct vanity_region *region_of(const struct vanity_shard_desc *d, uint32_t kind) {
  for (uint32_t i = 0; i < d->region_count; i++)
    if (d->regions[i].kind == kind) return &d->regions[i];
  return 0;
}

/* A shard on several cores is one process with a thread per core: its
 * first core starts the process and notices its end; every core answers
 * its own mailbox (one page each). */
static struct core *first_of(const struct vanity_shard_desc *d) {
  return &cores[__builtin_ctzll(d->core_mask)];
}

static void reset_mailboxes(const struct vanity_shard_desc *d) {
  for (uint32_t k = 0; k < VANITY_MAX_CORES; k++)
    if (d->core_mask >> k & 1u) memset((void *)cores[k].mailbox, 0, sizeof *cores[k].mailbox);
}

static pid_t spawn_shard(struct core *c) {
  const struct vanity_shard_desc *d = c->shard;
  /* At most 80 characters an entry ("addr,size,prot,offset,what;" in hex). */
  size_t cap = 80 * (size_t)d->region_count + 1, n = 0;
  char *maps = malloc(cap);
  if (!maps) return -1;
  maps[0] = 0;
  char mmio[256] = "", mmio_env[300];
  size_t mmio_n = 0;
  for (uint32_t i = 0; i < d->region_count; i++) {
    const struct vanity_region *r = &d->regions[i];
    /* Code and constants live in the shard's executable; the simulator maps
     * what the kernel and peers share: data (status block), stack (the shard
     * runs on it), heap, mailbox, channel rings, shared regions (read-only
     * where mapped "r") and devices; a guard is reserved
     * inaccessible, so the stack overflows into it as on a board. */
    if (r->kind == VANITY_REGION_TEXT || r->kind == VANITY_REGION_RODATA) continue;
    int prot = ((r->perms & VANITY_PERM_R) ? PROT_READ : 0) | ((r->perms & VANITY_PERM_W) ? PROT_WRITE : 0);
    int device = (r->perms & VANITY_PERM_DEVICE) != 0;
    int what = r->kind == VANITY_REGION_GUARD ? VANITY_SIM_MAP_GUARD : device ? VANITY_SIM_MAP_DEVICE : VANITY_SIM_MAP_RAM;
    uint64_t offset = what == VANITY_SIM_MAP_RAM ? r->phys - vanity_system.ram_base : what == VANITY_SIM_MAP_DEVICE ? r->phys - dev_base : 0;
    if (device && sim_device_modelled(r->phys)) {
      /* A modelled transport is not mapped: the runtime sends its accesses here. */
      mmio_n += (size_t)snprintf(mmio + mmio_n, sizeof mmio - mmio_n, "%llx,%llx;", (unsigned long long)r->virt,
                                 (unsigned long long)r->size);
      continue;
    }
    if (device && (!dev_size || r->phys < dev_base || r->phys + r->size > dev_base + dev_size)) continue;
    n += (size_t)snprintf(maps + n, cap - n, "%llx,%llx,%x,%llx,%x;", (unsigned long long)r->virt,
                          (unsigned long long)r->size, prot, (unsigned long long)offset, what);
    if (n >= cap) {
      free(maps);
      return -1;
    }
  }
  char ram_env[64], dev_env[64], mailbox_env[64], stack_env[64], *maps_env = malloc(strlen(maps) + 32);
  char cores_env[64], stride_env[64], mailbox_stride_env[64];
  snprintf(cores_env, sizeof cores_env, "%s=%u", VANITY_SIM_ENV_CORES, vanity_shard_core_count(d));
  snprintf(stride_env, sizeof stride_env, "%s=%llx", VANITY_SIM_ENV_STACK_STRIDE, (unsigned long long)d->stack_stride);
  snprintf(mailbox_stride_env, sizeof mailbox_stride_env, "%s=%x", VANITY_SIM_ENV_MAILBOX_STRIDE, vanity_system.page_size);
  snprintf(ram_env, sizeof ram_env, "%s=%d", VANITY_SIM_ENV_RAM_FD, ram_fd);
  snprintf(dev_env, sizeof dev_env, "%s=%d", VANITY_SIM_ENV_DEV_FD, dev_fd);
  snprintf(mailbox_env, sizeof mailbox_env, "%s=%llx", VANITY_SIM_ENV_MAILBOX, (unsigned long long)(uintptr_t)c->mailbox);
  snprintf(stack_env, sizeof stack_env, "%s=%llx", VANITY_SIM_ENV_STACK_TOP, (unsigned long long)d->stack_top);
  sprintf(maps_env, "%s=%s", VANITY_SIM_ENV_MAPS, maps);
  snprintf(mmio_env, sizeof mmio_env, "%s=%s", VANITY_SIM_ENV_MMIO, mmio);
  free(maps);
  size_t envc = 0;
  while (environ[envc]) envc++;
  char **env = calloc(envc + 12, sizeof *env); /* 10 of ours at most, the kernel pid, NULL */
  size_t k = 0;
  for (size_t i = 0; i < envc; i++)
    if (strncmp(environ[i], "VANITY_SIM_", 11) != 0) env[k++] = environ[i];
  env[k++] = ram_env;
  env[k++] = dev_env;
  env[k++] = mailbox_env;
  env[k++] = stack_env;
  env[k++] = maps_env;
  env[k++] = mmio_env;
  env[k++] = cores_env;
  env[k++] = stride_env;
  env[k++] = mailbox_stride_env;
  if (det) env[k++] = VANITY_SIM_ENV_DETERMINISTIC "=1";
  char kernel_env[48];
  snprintf(kernel_env, sizeof kernel_env, "%s=%d", VANITY_SIM_ENV_KERNEL_PID, (int)getpid());
  env[k++] = kernel_env;
  env[k] = NULL;
  const char *path = shard_paths[d->id];
  char *argv[] = {(char *)path, NULL};
  pid_t pid = 0;
  int err = posix_spawn(&pid, path, NULL, NULL, argv, env);
  free(env);
  free(maps_env);
  if (err) {
    kprintf("sim: cannot start %s (%s): %s\n", d->name, path, strerror(err));
    return -1;
  }
  return pid;
}

/* A reload's new executable lives in a sealed-off memory file, started by
 * its /proc path from now on (nothing is written to the build folder). */
static int reloaded_fd[VANITY_MAX_CORES];
static char reloaded_path[VANITY_MAX_CORES][64];

void platform_code_loaded(const struct vanity_shard_desc *shard, const uint8_t *executable, uint64_t size) {
  if (!executable || shard->id >= shard_path_count) return;
  int fd = memfd_create(shard->name, MFD_CLOEXEC);
  uint64_t off = 0;
  while (fd >= 0 && off < size) {
    ssize_t n = write(fd, executable + off, size - off);
    if (n <= 0) {
      close(fd);
      fd = -1;
    } else off += (uint64_t)n;
  }
  if (fd < 0) {
    kprintf("sim: cannot hold the reloaded executable of %s: %s\n", shard->name, strerror(errno));
    return;
  }
  fchmod(fd, 0755);
  if (reloaded_fd[shard->id] > 0) close(reloaded_fd[shard->id]);
  reloaded_fd[shard->id] = fd;
  snprintf(reloaded_path[shard->id], sizeof reloaded_path[shard->id], "/proc/%d/fd/%d", (int)getpid(), fd);
  shard_paths[shard->id] = reloaded_path[shard->id];
}

/* Ends the shard's process (all its cores': the kernel has parked the
 * others) and clears every core's mailbox of what it left. */
void platform_stop_core(uint32_t core) {
  if (!cores[core].shard) return;
  struct core *c = first_of(cores[core].shard);
  pid_t pid = c->pid;
  if (pid > 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
  }
  c->pid = 0;
  c->stopped = 0;
  reset_mailboxes(c->shard);
}

static void service(struct core *c) __attribute__((noreturn));
static void service_deterministic(struct core *c) __attribute__((noreturn));

void platform_start_core(uint32_t core, const struct vanity_shard_desc *shard) {
  struct core *c = &cores[core];
  if (core == this_core) {
    /* (Re)start on this core: the shard's first core starts a fresh
     * process (a thread for each of the shard's cores); every core then goes
     * back to serving its mailbox (clean: zero at boot, cleared by
     * platform_stop_core before any restart). */
    if (c == first_of(shard)) {
      pid_t pid = spawn_shard(c);
      c->pid = pid > 0 ? pid : 0;
      if (pid <= 0) kernel_fault(VANITY_FAULT_OTHER, 0, 0);
    }
    c->answering = 0;
    longjmp(c->service, 1);
  }
  (void)shard;
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  if (!c->started) {
    c->started = 1;
    if (det) c->det_state = DET_RUNNABLE;
    extern void *sim_core_thread(void *);
    pthread_create(&c->thread, NULL, sim_core_thread, (void *)(uintptr_t)core);
  }
}

void platform_timer_set(uint64_t deadline_ns) {
  uint32_t cpu = platform_core_id();
  if (cpu < VANITY_MAX_CORES) cpu_timer[cpu] = deadline_ns;
}

static void *sim_context_thread(void *arg);

/* Hands the calling thread's core to context `to`: stops the running
 * shard's process (unless it waits in a system call, which cannot return
 * meanwhile), wakes `to`'s thread (starts it if `fresh`) and sleeps until a
 * switch comes back. */
void platform_switch(uint32_t from, uint32_t to, int fresh) {
  struct core *f = &cores[from], *t = &cores[to];
  if (f->pid > 0 && !f->answering && !f->stopped) {
    /* Stopped for certain before `to` runs (a signal is delivered
     * asynchronously); its death, if that comes first, stays for waitpid. */
    siginfo_t info;
    kill(f->pid, SIGSTOP);
    while (waitid(P_PID, (id_t)f->pid, &info, WSTOPPED | WEXITED | WNOWAIT) != 0 && errno == EINTR) {
    }
    f->stopped = 1;
  }
  holder[cpu_of_context(to)] = to;
  if (det) {
    f->det_state = DET_BLOCKED;
    f->det_deadline = 0;
    t->det_state = DET_RUNNABLE;
  }
  if (fresh) {
    pthread_create(&t->thread, NULL, sim_context_thread, (void *)(uintptr_t)to);
  } else {
    __atomic_store_n(&t->baton, 1u, __ATOMIC_RELEASE);
    futex(&t->baton, FUTEX_WAKE, 1, NULL);
  }
  while (!__atomic_exchange_n(&f->baton, 0u, __ATOMIC_ACQ_REL)) {
    if (det) det_yield(1, 0);
    else futex(&f->baton, FUTEX_WAIT, 0u, NULL);
  }
  if (f->stopped && f->pid > 0 && !det) { /* deterministic mode continues it where it runs the shard */
    kill(f->pid, SIGCONT);
    f->stopped = 0;
  }
}

/* A context started by its core's scheduler (platform_switch, `fresh`). */
static void *sim_context_thread(void *arg) {
  this_core = (uint32_t)(uintptr_t)arg;
  struct core *c = &cores[this_core];
  c->started = 1;
  if (det) det_wait_turn(c);
  if (setjmp(c->service) == 0) kernel_context_start(this_core);
  service(c);
}

void *sim_core_thread(void *arg) {
  this_core = (uint32_t)(uintptr_t)arg;
  struct core *c = &cores[this_core];
  if (det) det_wait_turn(c);
  if (setjmp(c->service) == 0) kernel_secondary_start(this_core);
  service(c);
}

/* A core's life while its shard runs: answer its system calls, notice its
 * death, apply the kernel's pending requests (watchdog). */
/* The shard process on `c` ended with `status`: a crash is a fault of the
 * shard, a normal exit from main is the exit system call. Does not return. */
static void shard_ended(struct core *c, struct vanity_sim_mailbox *m, int status) {
  c->pid = 0;
  /* The fault handler wrote the record into the mailbox of the core whose
   * thread faulted. */
  for (uint32_t k = 0; k < VANITY_MAX_CORES; k++)
    if ((c->shard->core_mask >> k & 1u) && cores[k].mailbox->fault_signal) {
      m = cores[k].mailbox;
      break;
    }
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    uint32_t kind = VANITY_FAULT_OTHER;
    /* kernel_fault calls an access to the stack's guard page a stack overflow. */
    if (sig == SIGSEGV) kind = VANITY_FAULT_DATA;
    else if (sig == SIGBUS) kind = VANITY_FAULT_ALIGNMENT;
    else if (sig == SIGILL) kind = m->fault_is_trap ? VANITY_FAULT_TRAP : VANITY_FAULT_UNDEFINED;
    else if (sig == SIGTRAP) kind = VANITY_FAULT_TRAP;
    if (det) det_log("core %u shard died: signal %d\n", this_core, sig);
    kernel_fault(kind, m->fault_pc, m->fault_addr);
  }
  kernel_syscall(VANITY_SYS_EXIT, WIFEXITED(status) ? (uint64_t)WEXITSTATUS(status) : 1u, 0, 0);
  for (;;) platform_idle(0);
}

static void answer(struct vanity_sim_mailbox *m) {
  int64_t r;
  if (m->nr == VANITY_SIM_SYS_MMIO) { /* a device register: the model answers (not a system call) */
    m->result = (int64_t)sim_devices_mmio(cores[this_core].shard, m->a0, m->a1, (uint32_t)m->a2);
    __atomic_store_n(&m->state, 2u, __ATOMIC_RELEASE);
    futex(&m->state, FUTEX_WAKE, 1, NULL);
    return;
  }
  cores[this_core].answering = 1;
  r = m->nr == VANITY_SIM_SYS_SCHED ? 0 : kernel_syscall(m->nr, m->a0, m->a1, m->a2);
  cores[this_core].answering = 0;
  if (det && m->nr != VANITY_SIM_SYS_SCHED)
    det_log("core %u syscall %llu(%llx, %llx, %llx) = %lld\n", this_core, (unsigned long long)m->nr,
            (unsigned long long)m->a0, (unsigned long long)m->a1, (unsigned long long)m->a2, (long long)r);
  m->result = r;
  __atomic_store_n(&m->state, 2u, __ATOMIC_RELEASE);
  futex(&m->state, FUTEX_WAKE, 1, NULL);
}

/* Deterministic mode: the shard runs alone until its next request (a
 * scheduling point), its death, or a real-time budget (then it is stopped and
 * descheduled). Before each request is answered the scheduler picks who runs;
 * injections happen there too. */
/* A shard's other cores (threads of its first core's process): answer
 * their requests at scheduling points; the first core alone stops the
 * process and sees it end. Without a request for a while, a core gives the
 * token away and takes the kernel's requests (a stop parks it). */
static void service_deterministic_thread(struct core *c) {
  for (;;) {
    struct vanity_sim_mailbox *m = c->mailbox;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (__atomic_load_n(&m->state, __ATOMIC_ACQUIRE) != 1u) {
      struct timespec ts = {0, 2000000}, t1;
      futex(&m->kick, FUTEX_WAIT, 0u, &ts);
      __atomic_store_n(&m->kick, 0u, __ATOMIC_RELEASE);
      clock_gettime(CLOCK_MONOTONIC, &t1);
      if ((t1.tv_sec - t0.tv_sec) * 1000000000ll + (t1.tv_nsec - t0.tv_nsec) > DET_PREEMPT_REAL_NS) {
        det_yield(0, 0);
        kernel_user_return(0);
        t0 = t1;
      }
    }
    det_yield(0, 0); /* the scheduling point */
    answer(m);
    kernel_user_return(0);
  }
}

static void service_deterministic(struct core *c) {
  if (c != first_of(c->shard)) service_deterministic_thread(c);
  for (;;) {
    struct vanity_sim_mailbox *m = c->mailbox;
    pid_t pid = c->pid;
    int status;
    if (pid <= 0) {
      kernel_user_return(0);
      platform_idle(0);
      continue;
    }
    if (c->stopped) {
      kill(pid, SIGCONT);
      c->stopped = 0;
    }
    uint64_t started = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int died = 0;
    while (__atomic_load_n(&m->state, __ATOMIC_ACQUIRE) != 1u) {
      struct timespec ts = {0, 2000000};
      futex(&m->kick, FUTEX_WAIT, 0u, &ts);
      __atomic_store_n(&m->kick, 0u, __ATOMIC_RELEASE);
      if (waitpid(pid, &status, WNOHANG) == pid) {
        died = 1;
        break;
      }
      struct timespec t1;
      clock_gettime(CLOCK_MONOTONIC, &t1);
      started = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000ll + (t1.tv_nsec - t0.tv_nsec));
      if ((int64_t)started > DET_PREEMPT_REAL_NS) break;
    }
    if (died) shard_ended(c, m, status);
    if (__atomic_load_n(&m->state, __ATOMIC_ACQUIRE) != 1u) {
      kill(pid, SIGSTOP);
      c->stopped = 1;
      det_log("core %u preempted (no scheduling point for %lld ms)\n", this_core, DET_PREEMPT_REAL_NS / 1000000);
      /* It ran a while: on a shared core its slice and budget count
       * virtual time, which a spinner would otherwise hardly move. */
      det_vtime += DET_SPIN_NS;
      det_yield(0, 0);
      kernel_user_return(0);
      continue;
    }
    det_yield(0, 0); /* the scheduling point */
    if (c->shard && c->shard->policy.kind == VANITY_POLICY_RESTART && (det_inject & (INJECT_KILL | INJECT_TRAP)) && det_chance()) {
      int trap = (det_inject & INJECT_TRAP) && (!(det_inject & INJECT_KILL) || det_random() % 2);
      det_log("inject %s core %u\n", trap ? "trap" : "kill", this_core);
      kill(pid, trap ? SIGILL : SIGKILL);
      waitpid(pid, &status, 0);
      shard_ended(c, m, status);
    }
    answer(m);
    kernel_user_return(0);
  }
}

/* A core's life while its shard runs: answer its system calls, notice its
 * death, apply the kernel's pending requests (watchdog). */
static void service(struct core *c) {
  if (det) service_deterministic(c);
  for (;;) {
    struct vanity_sim_mailbox *m = c->mailbox;
    if (__atomic_load_n(&m->state, __ATOMIC_ACQUIRE) == 1u) answer(m);
    pid_t pid = c->pid;
    int status;
    if (pid > 0 && waitpid(pid, &status, WNOHANG) == pid) shard_ended(c, m, status);
    kernel_user_return(0);
    if (__atomic_load_n(&m->state, __ATOMIC_ACQUIRE) != 1u) {
      uint64_t until = platform_time_ns() + SERVICE_POLL_NS, timer = cpu_timer[platform_core_id()];
      platform_idle(timer && timer < until ? timer : until); /* the scheduler's timer interrupts the shard */
    }
  }
}

/* ---------------------------------------------------------------- debug link */

/* A Unix-domain socket (VANITY_SIM_DEBUG_SOCKET), one client at a time,
 * others queued. The kernel never waits on it: a client whose reply cannot
 * go out at once (it does not read) is disconnected; a client idle for
 * DEBUG_IDLE_NS while another waits gives way; a new client starts with a
 * clean decoder. */
#define DEBUG_IDLE_NS 2000000000ull
#define DEBUG_BACKLOG 64

static uint64_t debug_active_ns; /* the client's last byte, either way (real time) */

static uint64_t real_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void debug_open(const char *path) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) return;
  strcpy(addr.sun_path, path);
  unlink(path);
  debug_listen = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (debug_listen < 0 || bind(debug_listen, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(debug_listen, DEBUG_BACKLOG) != 0) {
    fprintf(stderr, "sim: cannot open the debug socket %s: %s\n", path, strerror(errno));
    if (debug_listen >= 0) close(debug_listen);
    debug_listen = -1;
  }
}

static void debug_drop_client(void) {
  close(debug_client);
  debug_client = -1;
}

/* Whether another client waits to connect. */
static int debug_someone_waits(void) {
  struct pollfd p = {.fd = debug_listen, .events = POLLIN};
  return poll(&p, 1, 0) > 0;
}

uint32_t platform_debug_read(uint8_t *buf, uint32_t max) {
  if (debug_listen < 0) return 0;
  if (debug_client >= 0 && real_ns() - debug_active_ns > DEBUG_IDLE_NS && debug_someone_waits()) debug_drop_client();
  if (debug_client < 0) {
    debug_client = accept4(debug_listen, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (debug_client < 0) return 0;
    debug_active_ns = real_ns();
    kernel_debug_connected();
  }
  ssize_t n = recv(debug_client, buf, max, MSG_DONTWAIT);
  if (n > 0) {
    debug_active_ns = real_ns();
    return (uint32_t)n;
  }
  if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) debug_drop_client();
  return 0;
}

void platform_debug_write(const uint8_t *buf, uint32_t n) {
  uint32_t off = 0;
  while (debug_client >= 0 && off < n) {
    ssize_t w = send(debug_client, buf + off, n - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w <= 0) {
      debug_drop_client(); /* it does not read (or is gone): never wait for it */
      return;
    }
    off += (uint32_t)w;
    debug_active_ns = real_ns();
  }
}

/* ---------------------------------------------------------------- shutdown and boot */

void platform_shutdown(uint32_t status) {
  for (uint32_t i = 0; i < VANITY_MAX_CORES; i++) {
    pid_t pid = cores[i].pid;
    if (pid > 0) kill(pid, SIGKILL);
  }
  if (line_len) write(1, line, line_len);
  if (det_trace) {
    if (line_len) fwrite(line, 1, line_len, det_trace);
    fprintf(det_trace, "end: status %u, %llu steps, virtual time %llu ns\n", status, (unsigned long long)det_step,
            (unsigned long long)det_vtime);
    fclose(det_trace);
  }
  if (det && status != 0) {
    char line2[160];
    int n = snprintf(line2, sizeof line2, "sim: seed %llu ended with status %u; replay with --seed %llu%s\n",
                     (unsigned long long)det_seed, status, (unsigned long long)det_seed, det_inject ? " (and the same --inject)" : "");
    if (n > 0) write(2, line2, (size_t)n);
  }
  _exit((int)(status & 0xff));
}

int main(int argc, char **argv) {
  clock_gettime(CLOCK_MONOTONIC, &boot);
  /* When the run that started the simulator ends, however it ends, so does
   * the simulator (and every shard, which does the same with us). */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  signal(SIGPIPE, SIG_IGN);
  shard_paths = (const char **)(argv + 1);
  shard_path_count = (uint32_t)(argc - 1);
  if (shard_path_count != vanity_system.shard_count) {
    fprintf(stderr, "usage: %s SHARD-EXECUTABLE... (%u, in manifest order)\n", argv[0], vanity_system.shard_count);
    return 64;
  }
  /* Simulated RAM, shared with every shard process. */
  ram_fd = memfd_create("vanity-ram", 0);
  if (ram_fd < 0 || ftruncate(ram_fd, (off_t)vanity_system.ram_size) != 0 ||
      mmap((void *)(uintptr_t)vanity_system.ram_base, vanity_system.ram_size, PROT_READ | PROT_WRITE,
           MAP_SHARED | MAP_FIXED_NOREPLACE, ram_fd, 0) != (void *)(uintptr_t)vanity_system.ram_base) {
    fprintf(stderr, "sim: cannot map the simulated RAM at 0x%llx: %s\n", (unsigned long long)vanity_system.ram_base,
            strerror(errno));
    return 70;
  }
  /* Simulated devices: one shared page per granted device page, at its address. */
  for (uint32_t i = 0; i < vanity_system.shard_count; i++) {
    const struct vanity_shard_desc *d = &vanity_system.shards[i];
    for (uint32_t k = 0; k < d->region_count; k++) {
      const struct vanity_region *r = &d->regions[k];
      if (!(r->perms & VANITY_PERM_DEVICE) || dev_size || sim_device_modelled(r->phys)) continue;
      dev_base = r->phys;
      dev_size = r->size;
      dev_fd = memfd_create("vanity-devices", 0);
      if (dev_fd < 0 || ftruncate(dev_fd, (off_t)dev_size) != 0 ||
          mmap((void *)(uintptr_t)dev_base, dev_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, dev_fd, 0) !=
              (void *)(uintptr_t)dev_base) {
        fprintf(stderr, "sim: cannot map the simulated devices\n");
        return 70;
      }
    }
  }
  devices_tick();
  for (uint32_t i = 0; i < VANITY_MAX_CORES; i++) {
    cores[i].kick = &cores[i].own_kick;
    holder[i] = i;
  }
  for (uint32_t i = 0; i < vanity_system.shard_count; i++) {
    const struct vanity_shard_desc *d = &vanity_system.shards[i];
    const struct vanity_region *mailbox = region_of(d, VANITY_REGION_MAILBOX);
    uint32_t n = vanity_shard_core_count(d);
    if (!mailbox || n == 0 || sizeof(struct vanity_sim_mailbox) > vanity_system.page_size ||
        mailbox->size < (uint64_t)n * vanity_system.page_size)
      return 70;
    for (uint32_t core = 0; core < VANITY_MAX_CORES; core++) {
      if (!(d->core_mask >> core & 1u)) continue;
      cores[core].shard = d;
      cores[core].mailbox = (struct vanity_sim_mailbox *)(uintptr_t)(mailbox->virt + (uint64_t)vanity_shard_core_index(d, core) *
                                                                                         vanity_system.page_size);
      cores[core].kick = &cores[core].mailbox->kick;
    }
  }
  const char *seed = getenv(VANITY_SIM_ENV_SEED);
  if (seed) {
    det = 1;
    det_seed = strtoull(seed, NULL, 10);
    det_rng = det_seed;
    const char *inject = getenv(VANITY_SIM_ENV_INJECT), *rate = getenv(VANITY_SIM_ENV_RATE), *trace = getenv(VANITY_SIM_ENV_TRACE);
    if (inject) {
      if (strstr(inject, "kill")) det_inject |= INJECT_KILL;
      if (strstr(inject, "trap")) det_inject |= INJECT_TRAP;
      if (strstr(inject, "delay")) det_inject |= INJECT_DELAY;
      if (strstr(inject, "drop")) det_inject |= INJECT_DROP;
      if (strstr(inject, "loss")) det_inject |= INJECT_LOSS;
      if (strstr(inject, "garble")) det_inject |= INJECT_GARBLE;
    }
    det_rate = rate ? (uint32_t)strtoul(rate, NULL, 10) : (det_inject ? 20u : 0u);
    if (trace && !(det_trace = fopen(trace, "w"))) {
      fprintf(stderr, "sim: cannot write the trace %s: %s\n", trace, strerror(errno));
      return 74;
    }
    /* Shard processes inherit this: no address randomisation, so fault
     * addresses in the trace repeat too. */
    personality(ADDR_NO_RANDOMIZE);
    cores[vanity_system.kernel_core].det_state = DET_RUNNABLE;
    cores[vanity_system.kernel_core].det_turn = 1;
    printf("sim: deterministic mode, seed %llu%s%s\n", (unsigned long long)det_seed, inject ? ", injecting " : "", inject ? inject : "");
    fflush(stdout);
  }
  /* The device models (after the seed: a deterministic run polls the
   * network itself instead of a thread of its own). */
  for (uint32_t i = 0; i < SIM_IRQ_LINES; i++) irq_masked[i] = 1;
  if (sim_devices_init(&vanity_system) != 0) return 70;
  net_external = det && sim_devices_external();
  const char *debug_socket = getenv("VANITY_SIM_DEBUG_SOCKET");
  if (debug_socket) debug_open(debug_socket);
  this_core = vanity_system.kernel_core;
  kernel_init();
  kernel_core_loop();
}
