/* The hosted simulator's kernel side: the very same Kernel/ library in a
 * host process. Simulated RAM is a shared memory file mapped at the
 * platform's RAM base; each core is a host thread; each shard is a host
 * process that maps only its own regions and its channel rings, so a wild
 * pointer in a shard cannot reach anything else. System calls arrive through
 * the shard's mailbox; waits and wake-ups are futexes; a shard's crash is a
 * fault of that shard, handled by its policy. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vanity/kernel.h>
#include <vanity/platform.h>
#include <vanity/sim.h>
#include <vanity/syscall.h>
#include <vanity/system_table.h>

#define MAX_CORES 64
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
};

static struct core cores[MAX_CORES];
static __thread uint32_t this_core;

static long futex(volatile uint32_t *addr, int op, uint32_t val, const struct timespec *timeout) {
  return syscall(SYS_futex, addr, op, val, timeout, NULL, 0);
}

/* ---------------------------------------------------------------- console, time */

static __thread char line[1024];
static __thread size_t line_len;

void platform_console_putc(char c) {
  line[line_len++] = c;
  if (c == '\n' || line_len == sizeof line) {
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
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)(t.tv_sec - boot.tv_sec) * 1000000000ull + (uint64_t)t.tv_nsec - (uint64_t)boot.tv_nsec;
}

uint32_t platform_core_id(void) { return this_core; }

/* ---------------------------------------------------------------- devices */

/* The simulated RTC: a PL031-compatible data register (seconds since the
 * epoch) at offset 0, refreshed whenever a core passes through idle. */
static void devices_tick(void) {
  if (dev_size) *(volatile uint32_t *)(uintptr_t)dev_base = (uint32_t)time(NULL);
}

void platform_irq_route(uint32_t irq, uint32_t core) { (void)irq; (void)core; }
void platform_irq_unmask(uint32_t irq) { (void)irq; }
void platform_irq_mask(uint32_t irq) { (void)irq; }

/* ---------------------------------------------------------------- idle and kicks */

void platform_kick_core(uint32_t core) {
  if (core >= MAX_CORES || !cores[core].kick) return;
  __atomic_store_n(cores[core].kick, 1u, __ATOMIC_RELEASE);
  futex(cores[core].kick, FUTEX_WAKE, 1, NULL);
}

void platform_idle(uint64_t deadline_ns) {
  struct core *c = &cores[this_core];
  devices_tick();
  if (__atomic_exchange_n(c->kick, 0u, __ATOMIC_ACQ_REL)) return;
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

static pid_t spawn_shard(struct core *c) {
  const struct vanity_shard_desc *d = c->shard;
  char maps[4096];
  size_t n = 0;
  maps[0] = 0;
  for (uint32_t i = 0; i < d->region_count; i++) {
    const struct vanity_region *r = &d->regions[i];
    /* Code and constants live in the shard's executable; the simulator maps
     * what the kernel and peers share: data (status block), stack (mailbox),
     * heap, channel rings and devices. */
    if (r->kind == VANITY_REGION_TEXT || r->kind == VANITY_REGION_RODATA || r->kind == VANITY_REGION_GUARD) continue;
    int prot = ((r->perms & VANITY_PERM_R) ? PROT_READ : 0) | ((r->perms & VANITY_PERM_W) ? PROT_WRITE : 0);
    int device = (r->perms & VANITY_PERM_DEVICE) != 0;
    uint64_t offset = device ? r->phys - dev_base : r->phys - vanity_system.ram_base;
    if (device && (!dev_size || r->phys < dev_base || r->phys + r->size > dev_base + dev_size)) continue;
    n += (size_t)snprintf(maps + n, sizeof maps - n, "%llx,%llx,%x,%llx,%x;", (unsigned long long)r->virt,
                          (unsigned long long)r->size, prot, (unsigned long long)offset, device);
    if (n >= sizeof maps) return -1;
  }
  char ram_env[64], dev_env[64], mailbox_env[64], *maps_env = malloc(strlen(maps) + 32);
  snprintf(ram_env, sizeof ram_env, "%s=%d", VANITY_SIM_ENV_RAM_FD, ram_fd);
  snprintf(dev_env, sizeof dev_env, "%s=%d", VANITY_SIM_ENV_DEV_FD, dev_fd);
  snprintf(mailbox_env, sizeof mailbox_env, "%s=%llx", VANITY_SIM_ENV_MAILBOX, (unsigned long long)(uintptr_t)c->mailbox);
  sprintf(maps_env, "%s=%s", VANITY_SIM_ENV_MAPS, maps);
  size_t envc = 0;
  while (environ[envc]) envc++;
  char **env = calloc(envc + 5, sizeof *env);
  size_t k = 0;
  for (size_t i = 0; i < envc; i++)
    if (strncmp(environ[i], "VANITY_SIM_", 11) != 0) env[k++] = environ[i];
  env[k++] = ram_env;
  env[k++] = dev_env;
  env[k++] = mailbox_env;
  env[k++] = maps_env;
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

void platform_stop_core(uint32_t core) {
  struct core *c = &cores[core];
  pid_t pid = c->pid;
  if (pid > 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
  }
  c->pid = 0;
}

static void service(struct core *c) __attribute__((noreturn));

void platform_start_core(uint32_t core, const struct vanity_shard_desc *shard) {
  struct core *c = &cores[core];
  if (core == this_core) {
    /* (Re)start on this core: a fresh process, then back to serving it. */
    struct vanity_sim_mailbox *m = c->mailbox;
    memset((void *)m, 0, sizeof *m);
    pid_t pid = spawn_shard(c);
    c->pid = pid > 0 ? pid : 0;
    if (pid <= 0) kernel_fault(VANITY_FAULT_OTHER, 0, 0);
    longjmp(c->service, 1);
  }
  (void)shard;
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  if (!c->started) {
    c->started = 1;
    extern void *sim_core_thread(void *);
    pthread_create(&c->thread, NULL, sim_core_thread, (void *)(uintptr_t)core);
  }
}

void *sim_core_thread(void *arg) {
  this_core = (uint32_t)(uintptr_t)arg;
  struct core *c = &cores[this_core];
  if (setjmp(c->service) == 0) kernel_secondary_start(this_core);
  service(c);
}

/* A core's life while its shard runs: answer its system calls, notice its
 * death, apply the kernel's pending requests (watchdog). */
static void service(struct core *c) {
  for (;;) {
    struct vanity_sim_mailbox *m = c->mailbox;
    if (__atomic_load_n(&m->state, __ATOMIC_ACQUIRE) == 1u) {
      int64_t r = kernel_syscall(m->nr, m->a0, m->a1, m->a2);
      m->result = r;
      __atomic_store_n(&m->state, 2u, __ATOMIC_RELEASE);
      futex(&m->state, FUTEX_WAKE, 1, NULL);
    }
    pid_t pid = c->pid;
    int status;
    if (pid > 0 && waitpid(pid, &status, WNOHANG) == pid) {
      c->pid = 0;
      if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        uint32_t kind = VANITY_FAULT_OTHER;
        if (sig == SIGSEGV) kind = m->fault_is_stack ? VANITY_FAULT_STACK : VANITY_FAULT_DATA;
        else if (sig == SIGBUS) kind = VANITY_FAULT_ALIGNMENT;
        else if (sig == SIGILL) kind = m->fault_is_trap ? VANITY_FAULT_TRAP : VANITY_FAULT_UNDEFINED;
        else if (sig == SIGTRAP) kind = VANITY_FAULT_TRAP;
        kernel_fault(kind, m->fault_pc, m->fault_addr);
      }
      /* A normal exit from main is the exit system call. */
      kernel_syscall(VANITY_SYS_EXIT, WIFEXITED(status) ? (uint64_t)WEXITSTATUS(status) : 1u, 0, 0);
    }
    kernel_user_return(0);
    if (__atomic_load_n(&m->state, __ATOMIC_ACQUIRE) != 1u) platform_idle(platform_time_ns() + SERVICE_POLL_NS);
  }
}

/* ---------------------------------------------------------------- shutdown and boot */

void platform_shutdown(uint32_t status) {
  for (uint32_t i = 0; i < MAX_CORES; i++) {
    pid_t pid = cores[i].pid;
    if (pid > 0) kill(pid, SIGKILL);
  }
  if (line_len) write(1, line, line_len);
  _exit((int)(status & 0xff));
}

int main(int argc, char **argv) {
  clock_gettime(CLOCK_MONOTONIC, &boot);
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
      if (!(r->perms & VANITY_PERM_DEVICE) || dev_size) continue;
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
  for (uint32_t i = 0; i < MAX_CORES; i++) cores[i].kick = &cores[i].own_kick;
  for (uint32_t i = 0; i < vanity_system.shard_count; i++) {
    const struct vanity_shard_desc *d = &vanity_system.shards[i];
    const struct vanity_region *stack = region_of(d, VANITY_REGION_STACK);
    uint32_t core = 0;
    while (core < 64 && !(d->core_mask & (1ull << core))) core++;
    if (!stack || core >= MAX_CORES || stack->size < sizeof(struct vanity_sim_mailbox)) return 70;
    cores[core].shard = d;
    cores[core].mailbox = (struct vanity_sim_mailbox *)(uintptr_t)stack->virt;
    cores[core].kick = &cores[core].mailbox->kick;
  }
  this_core = vanity_system.kernel_core;
  kernel_init();
  kernel_core_loop();
}
