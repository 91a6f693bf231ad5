/* The simulator's shard runtime, the host side of every shard executable
 * built for `sim`: maps the shard's regions of the shared RAM at their layout
 * addresses (its stack guard reserved inaccessible), confines the process,
 * turns system calls into mailbox requests, reports a crash (signal, faulting
 * pc and address) before dying, and enters the shard on its layout stack, as
 * a board does: the same bytes of stack above the same guard page, so an
 * overflow faults at the same place. A shard on several cores runs a thread
 * per core, each with its own mailbox and layout stack. The shard itself is one object built
 * like a board's shard (against the shards' C library, not this host's),
 * exporting only vanity_shard_entry. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#include <vanity/sim.h>
#include <vanity/syscall.h>

/* Per thread: a shard on several cores runs a thread per core, each with
 * its own mailbox, runtime stack and layout stack. */
static __thread struct vanity_sim_mailbox *mailbox;
__attribute__((used)) static __thread uintptr_t runtime_stack_top __attribute__((tls_model("local-exec")));
static uintptr_t stack_top, stack_stride, mailbox_base, mailbox_stride;
static unsigned core_count = 1;
int vanity_sim_deterministic;

static long futex(volatile uint32_t *addr, int op, uint32_t val) {
  return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

/* The request itself, on the runtime's own stack (vanity_sim_syscall). */
__attribute__((used)) static int64_t syscall_body(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2) {
  struct vanity_sim_mailbox *m = mailbox;
  if (!m) return VANITY_E_INVALID;
  if (nr == VANITY_SYS_LOG) {
    /* The kernel reads the text from the shard's memory: copy it into the
     * mailbox, which is shared. A bad pointer faults here, in the shard. */
    uint64_t n = a1 > VANITY_SIM_LOG_MAX ? VANITY_SIM_LOG_MAX + 1 : a1;
    /* Copied without trusting the pointer: a bad one is an invalid
     * argument, as on hardware, not a crash. */
    struct iovec local = {m->log, n}, remote = {(void *)(uintptr_t)a0, n};
    int ok = n <= VANITY_SIM_LOG_MAX && (n == 0 || process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)n);
    a0 = ok ? (uint64_t)(uintptr_t)m->log : 0;
    a1 = n;
  }
  m->nr = nr;
  m->a0 = a0;
  m->a1 = a1;
  m->a2 = a2;
  __atomic_store_n(&m->state, 1u, __ATOMIC_RELEASE);
  __atomic_store_n(&m->kick, 1u, __ATOMIC_RELEASE);
  futex(&m->kick, FUTEX_WAKE, 1);
  while (__atomic_load_n(&m->state, __ATOMIC_ACQUIRE) != 2u) futex(&m->state, FUTEX_WAIT, 1u);
  int64_t r = m->result;
  __atomic_store_n(&m->state, 0u, __ATOMIC_RELEASE);
  return r;
}

/* A board's system call takes nothing from the shard's stack (the kernel has
 * its own); here the call's return address is all it takes: the runtime's
 * work (and the host C library's) runs on this stack instead. */
#define RUNTIME_STACK_SIZE 16384
#define MAX_THREADS 64
__attribute__((aligned(16))) static char runtime_stacks[MAX_THREADS][RUNTIME_STACK_SIZE];

__attribute__((naked)) int64_t vanity_sim_syscall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2) {
  __asm__("mov %rsp, %rax\n\t"
          "mov %fs:runtime_stack_top@tpoff, %rsp\n\t"
          "push %rax\n\t"
          "sub $8, %rsp\n\t"
          "call syscall_body\n\t"
          "mov 8(%rsp), %rsp\n\t"
          "ret");
}

/* The device ranges the kernel process models (VANITY_SIM_MMIO): not
 * mapped here; every access is a request, answered by the device model as a
 * register is. Any other device address is a shared page (the RTC). */
#define MMIO_RANGES 8
static struct {
  uintptr_t base, size;
} mmio_ranges[MMIO_RANGES];
static unsigned mmio_count;

static int modelled(uintptr_t addr) {
  for (unsigned i = 0; i < mmio_count; i++)
    if (addr - mmio_ranges[i].base < mmio_ranges[i].size) return 1;
  return 0;
}

#ifndef VANITY_SIM_PAUSE_YIELD
#define VANITY_SIM_PAUSE_YIELD 8
#endif
void vanity_sim_pause(void) {
  static __thread uint32_t pauses;
  __builtin_ia32_pause();
  if (++pauses % VANITY_SIM_PAUSE_YIELD == 0) sched_yield();
}

uint64_t vanity_sim_mmio_read(uintptr_t addr, uint32_t width) {
  if (modelled(addr)) return (uint64_t)vanity_sim_syscall(VANITY_SIM_SYS_MMIO, addr, 0, width);
  switch (width) {
  case 1: return *(volatile uint8_t *)addr;
  case 2: return *(volatile uint16_t *)addr;
  case 8: return *(volatile uint64_t *)addr;
  default: return *(volatile uint32_t *)addr;
  }
}

void vanity_sim_mmio_write(uintptr_t addr, uint64_t value, uint32_t width) {
  if (modelled(addr)) {
    vanity_sim_syscall(VANITY_SIM_SYS_MMIO, addr, value, width | VANITY_SIM_MMIO_WRITE);
    return;
  }
  switch (width) {
  case 1: *(volatile uint8_t *)addr = (uint8_t)value; break;
  case 2: *(volatile uint16_t *)addr = (uint16_t)value; break;
  case 8: *(volatile uint64_t *)addr = value; break;
  default: *(volatile uint32_t *)addr = (uint32_t)value; break;
  }
}

static void on_fault(int sig, siginfo_t *info, void *ctx) {
  ucontext_t *uc = ctx;
  uint64_t pc = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
  if (mailbox) {
    const unsigned char *ip = (const unsigned char *)(uintptr_t)pc;
    mailbox->fault_is_trap = sig == SIGTRAP || (sig == SIGILL && ip[0] == 0x0f && ip[1] == 0x0b);
    /* A stack overflow is an access to the guard page below the stack: the
     * kernel tells it from the address, as on a board. */
    mailbox->fault_pc = pc;
    mailbox->fault_addr = (uint64_t)(uintptr_t)info->si_addr;
    __atomic_store_n(&mailbox->fault_signal, (uint32_t)sig, __ATOMIC_RELEASE);
    /* The shard's first core sees the process end: wake it now. */
    struct vanity_sim_mailbox *first = (struct vanity_sim_mailbox *)mailbox_base;
    __atomic_store_n(&first->kick, 1u, __ATOMIC_RELEASE);
    futex(&first->kick, FUTEX_WAKE, 1);
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

/* The simulator's boundary: once its regions are mapped, a shard process may
 * make only the host system calls a shard's runtime needs (memory, futexes,
 * signals to itself, writes to the descriptors it was given, time). Opening
 * files (the kernel's executable, /proc/<kernel>/fd/<RAM>, the reload key),
 * sockets, new processes, other processes' memory and signals to anyone but
 * itself fail with EPERM. */
static void confine(void) {
  static const int allowed[] = {
      SYS_read, SYS_write, SYS_readv, SYS_writev, SYS_close, SYS_fstat, SYS_newfstatat, SYS_lseek,
      SYS_mmap, SYS_munmap, SYS_mprotect, SYS_mremap, SYS_madvise, SYS_brk, SYS_rt_sigaction,
      SYS_rt_sigprocmask, SYS_rt_sigreturn, SYS_sigaltstack, SYS_futex, SYS_getpid, SYS_gettid,
      SYS_clock_gettime, SYS_clock_nanosleep, SYS_nanosleep, SYS_gettimeofday, SYS_sched_yield,
      SYS_exit, SYS_exit_group, SYS_getrandom, SYS_restart_syscall, SYS_set_robust_list, SYS_rseq,
  };
  /* Allowed only with the caller's own pid as the first argument. */
  static const int self_only[] = {SYS_process_vm_readv, SYS_kill, SYS_tgkill};
  enum { N = sizeof allowed / sizeof allowed[0], S = sizeof self_only / sizeof self_only[0] };
  struct sock_filter f[8 + N + S + 8];
  unsigned n = 0;
  uint32_t pid = (uint32_t)getpid();
#define OP(code, k, jt, jf) f[n++] = (struct sock_filter)BPF_JUMP(code, k, jt, jf)
  OP(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
  OP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
  OP(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
  OP(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
  /* An allowed call jumps to the final ALLOW, a self-only one to the pid check. */
  for (unsigned i = 0; i < N; i++) OP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)allowed[i], (uint8_t)(N - i + S + 6), 0);
  for (unsigned i = 0; i < S; i++) OP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)self_only[i], (uint8_t)(S - i), 0);
  OP(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM, 0, 0);
  /* pid check: low word the caller's pid, high word zero. */
  OP(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]), 0, 0);
  OP(BPF_JMP | BPF_JEQ | BPF_K, pid, 1, 0);
  OP(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM, 0, 0);
  OP(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]) + 4, 0, 0);
  OP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0);
  OP(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM, 0, 0);
  OP(BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
#undef OP
  struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};
  /* TSYNC: the filter covers every thread of the process (a shard on
   * several cores has one each). */
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0) {
    fprintf(stderr, "shard: cannot confine this process (seccomp): %s\n", strerror(errno));
    exit(2);
  }
}

/* Core k's thread state: its mailbox, runtime stack and (the fault
 * handler runs there: a shard whose stack overflowed has none) signal stack. */
static void thread_setup(unsigned k) {
  static char altstacks[MAX_THREADS][64 * 1024];
  mailbox = (struct vanity_sim_mailbox *)(mailbox_base + k * mailbox_stride);
  runtime_stack_top = (uintptr_t)runtime_stacks[k] + RUNTIME_STACK_SIZE;
  stack_t ss = {.ss_sp = altstacks[k], .ss_size = sizeof altstacks[k]};
  sigaltstack(&ss, NULL);
}

static volatile uint32_t threads_go;

/* Enters the shard on core k's layout stack (see main). */
__attribute__((noreturn)) static void enter(uintptr_t top);

static void *core_thread(void *arg) {
  unsigned k = (unsigned)(uintptr_t)arg;
  thread_setup(k);
  while (!__atomic_load_n(&threads_go, __ATOMIC_ACQUIRE)) futex(&threads_go, FUTEX_WAIT_PRIVATE, 0u);
  enter(stack_top + k * stack_stride);
}

static uint64_t hex_field(const char **p) {
  char *end;
  uint64_t v = strtoull(*p, &end, 16);
  *p = *end ? end + 1 : end;
  return v;
}

__attribute__((constructor)) static void vanity_sim_start(void) {
  const char *maps = getenv(VANITY_SIM_ENV_MAPS);
  const char *ram = getenv(VANITY_SIM_ENV_RAM_FD);
  const char *dev = getenv(VANITY_SIM_ENV_DEV_FD);
  const char *mb = getenv(VANITY_SIM_ENV_MAILBOX);
  const char *top = getenv(VANITY_SIM_ENV_STACK_TOP);
  if (!maps || !ram || !mb || !top) {
    fprintf(stderr, "this is a Vanity shard for the simulator; start it with `vanity-build run --platform sim`\n");
    exit(2);
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  /* The kernel may have ended between starting this process and the line
   * above (a shard restarted as the system stopped): then no signal will
   * come, and this process would wait on its mailbox forever. */
  const char *kernel = getenv(VANITY_SIM_ENV_KERNEL_PID);
  if (kernel && getppid() != (pid_t)atoi(kernel)) _exit(2);
  int ram_fd = atoi(ram), dev_fd = dev ? atoi(dev) : -1, ram_ro_fd = -1;
  /* "addr,size,prot,offset,what;": the RAM, the device page or a guard. */
  for (const char *p = maps; *p;) {
    uint64_t addr = hex_field(&p), size = hex_field(&p), prot = hex_field(&p), offset = hex_field(&p), which = hex_field(&p);
    int fd = which == VANITY_SIM_MAP_DEVICE ? dev_fd : ram_fd;
    /* A read-only mapping of the RAM (a shared region mapped "r") comes
     * from a read-only descriptor, so mprotect cannot make it writable. */
    if (which == VANITY_SIM_MAP_RAM && !(prot & PROT_WRITE)) {
      if (ram_ro_fd < 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", ram_fd);
        ram_ro_fd = open(path, O_RDONLY | O_CLOEXEC);
      }
      fd = ram_ro_fd;
    }
    void *at = which == VANITY_SIM_MAP_GUARD
                   ? mmap((void *)(uintptr_t)addr, size, PROT_NONE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0)
                   : mmap((void *)(uintptr_t)addr, size, (int)prot, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, (off_t)offset);
    if (at != (void *)(uintptr_t)addr) {
      fprintf(stderr, "shard: cannot map 0x%llx (%s)\n", (unsigned long long)addr, strerror(errno));
      exit(2);
    }
  }
  close(ram_fd);
  if (ram_ro_fd >= 0) close(ram_ro_fd);
  if (dev_fd >= 0) close(dev_fd);
  const char *mmio = getenv(VANITY_SIM_ENV_MMIO);
  for (const char *p = mmio ? mmio : ""; *p && mmio_count < MMIO_RANGES;) {
    mmio_ranges[mmio_count].base = (uintptr_t)hex_field(&p);
    mmio_ranges[mmio_count].size = (uintptr_t)hex_field(&p);
    mmio_count++;
  }
  mailbox_base = (uintptr_t)strtoull(mb, NULL, 16);
  stack_top = (uintptr_t)strtoull(top, NULL, 16);
  const char *cores = getenv(VANITY_SIM_ENV_CORES), *stride = getenv(VANITY_SIM_ENV_STACK_STRIDE),
             *mstride = getenv(VANITY_SIM_ENV_MAILBOX_STRIDE);
  core_count = cores ? (unsigned)atoi(cores) : 1u;
  stack_stride = stride ? (uintptr_t)strtoull(stride, NULL, 16) : 0;
  mailbox_stride = mstride ? (uintptr_t)strtoull(mstride, NULL, 16) : 0;
  if (core_count < 1 || core_count > MAX_THREADS || (core_count > 1 && (!stack_stride || !mailbox_stride))) {
    fprintf(stderr, "shard: bad core count or strides (%s)\n", cores ? cores : "");
    exit(2);
  }
  vanity_sim_deterministic = getenv(VANITY_SIM_ENV_DETERMINISTIC) != NULL;
  thread_setup(0);
  struct sigaction sa = {.sa_sigaction = on_fault, .sa_flags = SA_SIGINFO | SA_ONSTACK};
  int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT};
  for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);
  /* The other cores' threads, started before the process is confined
   * (which covers them too) and held until it is. */
  for (unsigned k = 1; k < core_count; k++) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    if (pthread_create(&t, &attr, core_thread, (void *)(uintptr_t)k) != 0) {
      fprintf(stderr, "shard: cannot start the thread of core %u\n", k);
      exit(2);
    }
    pthread_attr_destroy(&attr);
  }
  /* Benchmarks/echo-work.py runs shards under callgrind, which must open its
   * output file when the process ends: only that benchmark sets this. */
  if (!getenv("VANITY_BENCH_UNCONFINED")) confine();
  __atomic_store_n(&threads_go, 1u, __ATOMIC_RELEASE);
  futex(&threads_go, FUTEX_WAKE_PRIVATE, 0x7fffffff);
}

void vanity_shard_entry(void) __attribute__((noreturn));

/* The shard runs on its layout stack (mapped from the shared RAM above its
 * unmapped guard), not on this process's, entered as on x86_64-pc: the
 * kernel leaves the stack pointer at the top, and _start (Shards/lib/c/
 * start.c: a frame pointer pushed, then a call) enters vanity_shard_entry;
 * here the same two pushes, so the shard's frames lie at the same offsets
 * below the top. The host stack is never returned to. */
static void enter(uintptr_t top) {
  __asm__ volatile("mov %0, %%rsp\n\t"
                   "xor %%ebp, %%ebp\n\t"
                   "push %%rbp\n\t"
                   "mov %%rsp, %%rbp\n\t"
                   "call *%1\n\t"
                   "ud2"
                   :
                   : "r"(top & ~(uintptr_t)15), "r"(vanity_shard_entry)
                   : "memory");
  __builtin_unreachable();
}

int main(void) { enter(stack_top); }
