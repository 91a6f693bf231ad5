/* The simulator's shard runtime, linked into every shard executable built
 * for `sim`: maps the shard's regions of the shared RAM at their layout
 * addresses before main runs, turns system calls into mailbox requests, and
 * reports a crash (signal, faulting pc and address) before dying. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
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

static struct vanity_sim_mailbox *mailbox;
int vanity_sim_deterministic;

static long futex(volatile uint32_t *addr, int op, uint32_t val) {
  return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

int64_t vanity_sim_syscall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2) {
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

static void on_fault(int sig, siginfo_t *info, void *ctx) {
  ucontext_t *uc = ctx;
  uint64_t pc = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
  if (mailbox) {
    const unsigned char *ip = (const unsigned char *)(uintptr_t)pc;
    uint64_t sp = (uint64_t)uc->uc_mcontext.gregs[REG_RSP], addr = (uint64_t)(uintptr_t)info->si_addr;
    mailbox->fault_is_trap = sig == SIGTRAP || (sig == SIGILL && ip[0] == 0x0f && ip[1] == 0x0b);
    mailbox->fault_is_stack = sig == SIGSEGV && addr < sp + 4096 && sp - addr < (1u << 20);
    mailbox->fault_pc = pc;
    mailbox->fault_addr = (uint64_t)(uintptr_t)info->si_addr;
    __atomic_store_n(&mailbox->fault_signal, (uint32_t)sig, __ATOMIC_RELEASE);
  }
  signal(sig, SIG_DFL);
  raise(sig);
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
  if (!maps || !ram || !mb) {
    fprintf(stderr, "this is a Vanity shard for the simulator; start it with `vanity-build run --platform sim`\n");
    exit(2);
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  int ram_fd = atoi(ram), dev_fd = dev ? atoi(dev) : -1;
  /* "addr,size,prot,offset,fd;" with fd 0 = RAM, 1 = devices. */
  for (const char *p = maps; *p;) {
    uint64_t addr = hex_field(&p), size = hex_field(&p), prot = hex_field(&p), offset = hex_field(&p), which = hex_field(&p);
    void *at = mmap((void *)(uintptr_t)addr, size, (int)prot, MAP_SHARED | MAP_FIXED_NOREPLACE, which ? dev_fd : ram_fd,
                    (off_t)offset);
    if (at != (void *)(uintptr_t)addr) {
      fprintf(stderr, "shard: cannot map 0x%llx (%s)\n", (unsigned long long)addr, strerror(errno));
      exit(2);
    }
  }
  close(ram_fd);
  if (dev_fd >= 0) close(dev_fd);
  mailbox = (struct vanity_sim_mailbox *)(uintptr_t)strtoull(mb, NULL, 16);
  vanity_sim_deterministic = getenv(VANITY_SIM_ENV_DETERMINISTIC) != NULL;
  static char altstack[64 * 1024];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
  sigaltstack(&ss, NULL);
  struct sigaction sa = {.sa_sigaction = on_fault, .sa_flags = SA_SIGINFO | SA_ONSTACK};
  int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT};
  for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);
}
