/* aarch64-virt: QEMU's virt board at EL1. PL011 console, GICv3, the EL1
 * physical timer, PSCI through HVC, semihosting for the exit status, and one
 * translation table per shard (4 KiB granule, 39-bit addresses, ASIDs). */
#include <stddef.h>
#include <stdint.h>

#include <vanity/kernel.h>
#include <vanity/platform.h>
#include <vanity/system_table.h>
#include <vanity/table_pool.h>

#define UART0 0x09000000ul
/* GICv3 (QEMU -machine virt,gic-version=3): the distributor, then one
 * redistributor per CPU (two 64 KiB frames each, in CPU order); the CPU
 * interface is system registers. */
#define GICD 0x08000000ul
#define GICD_SIZE 0x10000ul
#define GICR 0x080a0000ul
#define GICR_STRIDE 0x20000ul
#define GICR_SGI 0x10000ul /* a redistributor's SGI/PPI frame */

#define SGI_KICK 0u
#define PPI_TIMER 30u /* EL1 physical timer */
#define SPURIOUS 1020u /* 1020-1023: special INTIDs (1023: none pending) */

#define PAGE 4096ul

extern char __vanity_stack_top_core0[], __vanity_stack_stride[];
extern void arch_enter_user(uint64_t entry, uint64_t user_sp, uint64_t kernel_sp) __attribute__((noreturn));
extern char secondary_entry[];

static inline void mmio_write32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t mmio_read32(uintptr_t a) { return *(volatile uint32_t *)a; }

#define SYSREG_READ(name) ({ uint64_t v_; __asm__ volatile("mrs %0, " #name : "=r"(v_)); v_; })
#define SYSREG_WRITE(name, v) __asm__ volatile("msr " #name ", %0" ::"r"((uint64_t)(v)) : "memory")

/* ---------------------------------------------------------------- console */

void platform_console_putc(char c) {
  if (c == '\n') platform_console_putc('\r');
  while (mmio_read32(UART0 + 0x18) & (1u << 5)) { /* TX FIFO full */
  }
  mmio_write32(UART0, (uint32_t)(unsigned char)c);
}

/* ---------------------------------------------------------------- time */

static uint64_t timer_hz;

uint64_t platform_time_ns(void) {
  uint64_t t = SYSREG_READ(cntpct_el0);
  return (t / timer_hz) * 1000000000ull + (t % timer_hz) * 1000000000ull / timer_hz;
}

static uint64_t ns_to_ticks(uint64_t ns) { return (ns / 1000000000ull) * timer_hz + (ns % 1000000000ull) * timer_hz / 1000000000ull; }

/* QEMU's virt board numbers CPUs in clusters of 16 with a GICv3: CPU n has
 * affinity Aff1 = n / 16, Aff0 = n % 16 (its MPIDR, its redistributor's
 * GICR_TYPER and the target of SGIs, SPI routes and PSCI CPU_ON). Logical
 * core n is QEMU's CPU n. */
static uint64_t core_affinity(uint32_t core) { return ((uint64_t)(core / 16u) << 8) | (core % 16u); }

uint32_t platform_core_id(void) {
  uint64_t m = SYSREG_READ(mpidr_el1);
  return (uint32_t)(((m >> 8) & 0xff) * 16u + (m & 0xff));
}

/* ---------------------------------------------------------------- GICv3 */

#define ICC_PMR_EL1 S3_0_C4_C6_0
#define ICC_IAR1_EL1 S3_0_C12_C12_0
#define ICC_EOIR1_EL1 S3_0_C12_C12_1
#define ICC_SGI1R_EL1 S3_0_C12_C11_5
#define ICC_SRE_EL1 S3_0_C12_C12_5
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define SYSREG_READ_(name) SYSREG_READ(name)
#define SYSREG_WRITE_(name, v) SYSREG_WRITE(name, v)

static void gicd_wait(void) {
  while (mmio_read32(GICD) & (1u << 31)) { /* RWP: a register write still in progress */
  }
}

/* Affinity routing on, every SPI in group 1 (non-secure IRQs). Writes
 * EnableGrp1 under both views of GICD_CTLR (one security state: bit 1;
 * the non-secure view: bit 0) and ARE (bit 4). */
static void gic_dist_init(void) {
  mmio_write32(GICD + 0x000, 0);
  gicd_wait();
  uint32_t lines = 32u * ((mmio_read32(GICD + 0x004) & 0x1fu) + 1u);
  for (uint32_t i = 32; i < lines; i += 32) mmio_write32(GICD + 0x080 + i / 8, 0xffffffffu); /* IGROUPR */
  mmio_write32(GICD + 0x000, (1u << 4) | (1u << 1) | (1u << 0));
  gicd_wait();
}

/* This core's redistributor: the one whose GICR_TYPER names its affinity. */
static uintptr_t gicr_here(void) {
  uint32_t aff = (uint32_t)(SYSREG_READ(mpidr_el1) & 0xffffff);
  for (uint32_t i = 0; i < vanity_system.cpu_count; i++) {
    uintptr_t rd = GICR + i * GICR_STRIDE;
    if (mmio_read32(rd + 0x00c) == aff) return rd; /* GICR_TYPER[63:32] */
  }
  return 0;
}

/* The cycle counter, running and readable at EL0 (vanity_cycles): PMCR_EL0
 * E (enable) and LC (64-bit overflow), PMCNTENSET_EL0.C, PMUSERENR_EL0.CR
 * (the cycle counter only; the event counters stay closed). */
static void pmu_cpu_init(void) {
  SYSREG_WRITE(pmcr_el0, SYSREG_READ(pmcr_el0) | (1u << 0) | (1u << 6));
  SYSREG_WRITE(pmcntenset_el0, 1u << 31);
  SYSREG_WRITE(pmuserenr_el0, 1u << 2);
  __asm__ volatile("isb" ::: "memory");
}

static void gic_cpu_init(void) {
  uintptr_t rd = gicr_here();
  if (!rd) {
    kprintf("aarch64-virt: core %u has no redistributor\n", platform_core_id());
    platform_shutdown(2);
  }
  mmio_write32(rd + 0x014, mmio_read32(rd + 0x014) & ~(1u << 1)); /* GICR_WAKER: ProcessorSleep off */
  while (mmio_read32(rd + 0x014) & (1u << 2)) { /* ChildrenAsleep */
  }
  mmio_write32(rd + GICR_SGI + 0x080, 0xffffffffu);                       /* IGROUPR0: group 1 */
  mmio_write32(rd + GICR_SGI + 0x100, (1u << SGI_KICK) | (1u << PPI_TIMER)); /* ISENABLER0 */
  SYSREG_WRITE_(ICC_SRE_EL1, SYSREG_READ_(ICC_SRE_EL1) | 1u);              /* system-register interface */
  __asm__ volatile("isb" ::: "memory");
  SYSREG_WRITE_(ICC_PMR_EL1, 0xff); /* priority mask: everything */
  SYSREG_WRITE_(ICC_IGRPEN1_EL1, 1);
  __asm__ volatile("isb" ::: "memory");
}

void platform_irq_route(uint32_t irq, uint32_t core) {
  if (irq < 32) return;
  volatile uint8_t *prio = (volatile uint8_t *)(GICD + 0x400);
  *(volatile uint64_t *)(GICD + 0x6000 + 8 * irq) = core_affinity(core); /* GICD_IROUTER */
  prio[irq] = 0xa0;
}

void platform_irq_unmask(uint32_t irq) { mmio_write32(GICD + 0x100 + 4 * (irq / 32), 1u << (irq % 32)); }
void platform_irq_mask(uint32_t irq) { mmio_write32(GICD + 0x180 + 4 * (irq / 32), 1u << (irq % 32)); }
void platform_irq_reset(uint32_t irq) {
  if (irq >= 32) mmio_write32(GICD + 0x280 + 4 * (irq / 32), 1u << (irq % 32)); /* GICD_ICPENDR: clear pending */
  platform_irq_unmask(irq);
}

/* The shard's core is in the kernel already (fault or syscall): nothing to stop. */
void platform_stop_core(uint32_t core) { (void)core; }

/* A reload wrote new text through the kernel core's data side: clean it to
 * the point of unification and drop this core's stale instructions. */
void platform_code_loaded(const struct vanity_shard_desc *shard, const uint8_t *executable, uint64_t size) {
  (void)executable;
  (void)size;
  uint64_t ctr;
  __asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
  uint64_t line = 4ull << ((ctr >> 16) & 0xf); /* DminLine: log2 of words */
  for (uint32_t i = 0; i < shard->region_count; i++) {
    const struct vanity_region *r = &shard->regions[i];
    if (!(r->perms & VANITY_PERM_X)) continue;
    for (uint64_t a = r->virt; a < r->virt + r->size; a += line) __asm__ volatile("dc cvau, %0" ::"r"(a) : "memory");
  }
  __asm__ volatile("dsb ish\n\tic iallu\n\tdsb ish\n\tisb" ::: "memory");
}

void platform_kick_core(uint32_t core) {
  __asm__ volatile("dsb ish" ::: "memory");
  uint64_t aff = core_affinity(core);
  SYSREG_WRITE_(ICC_SGI1R_EL1, ((uint64_t)SGI_KICK << 24) | ((aff >> 8) << 16) | (1u << (aff & 0xf)));
  __asm__ volatile("isb" ::: "memory");
}

/* Acknowledges and dispatches every pending interrupt of this core. */
static void gic_drain(void) {
  for (;;) {
    uint64_t iar = SYSREG_READ_(ICC_IAR1_EL1);
    uint32_t irq = (uint32_t)(iar & 0xffffff);
    if (irq >= SPURIOUS) return;
    if (irq == PPI_TIMER) {
      SYSREG_WRITE(cntp_ctl_el0, 0); /* one-shot: off until the next idle */
    } else if (irq >= 32) {
      kernel_irq(irq);
    }
    SYSREG_WRITE_(ICC_EOIR1_EL1, iar);
  }
}

void platform_idle(uint64_t deadline_ns) {
  if (deadline_ns) {
    SYSREG_WRITE(cntp_cval_el0, ns_to_ticks(deadline_ns));
    SYSREG_WRITE(cntp_ctl_el0, 1);
  }
  __asm__ volatile("dsb sy\n\twfi" ::: "memory");
  gic_drain();
}

/* ---------------------------------------------------------------- debug link */

/* The board has one UART: debug frames share it with the console (the host
 * separates them by magic and CRC; docs/debug-protocol.md). */
uint32_t platform_debug_read(uint8_t *buf, uint32_t max) {
  uint32_t n = 0;
  while (n < max && !(mmio_read32(UART0 + 0x18) & (1u << 4))) buf[n++] = (uint8_t)mmio_read32(UART0); /* until RX FIFO empty */
  return n;
}

void platform_debug_write(const uint8_t *buf, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    while (mmio_read32(UART0 + 0x18) & (1u << 5)) {
    }
    mmio_write32(UART0, buf[i]);
  }
}

/* ---------------------------------------------------------------- PSCI / exit */

static int64_t psci(uint64_t fn, uint64_t a, uint64_t b, uint64_t c) {
  register uint64_t x0 __asm__("x0") = fn;
  register uint64_t x1 __asm__("x1") = a;
  register uint64_t x2 __asm__("x2") = b;
  register uint64_t x3 __asm__("x3") = c;
  __asm__ volatile("hvc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x3) : "memory");
  return (int64_t)x0;
}

void platform_shutdown(uint32_t status) {
  /* Semihosting SYS_EXIT with ADP_Stopped_ApplicationExit: QEMU exits with
   * `status` (needs -semihosting). PSCI SYSTEM_OFF if that returns. */
  volatile uint64_t block[2] = {0x20026, status};
  register uint64_t x0 __asm__("x0") = 0x18;
  register uint64_t x1 __asm__("x1") = (uint64_t)(uintptr_t)block;
  __asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
  psci(0x84000008, 0, 0, 0);
  for (;;) __asm__ volatile("wfi");
}

/* ---------------------------------------------------------------- MMU */

#define PTE_VALID (1ull << 0)
#define PTE_TABLE (1ull << 1) /* table at L1/L2, page at L3 */
#define PTE_ATTR(i) ((uint64_t)(i) << 2)
#define PTE_AP_EL0 (1ull << 6)
#define PTE_AP_RO (1ull << 7)
#define PTE_SH_INNER (3ull << 8)
#define PTE_AF (1ull << 10)
#define PTE_NG (1ull << 11)
#define PTE_PXN (1ull << 53)
#define PTE_UXN (1ull << 54)
#define ADDR_MASK 0x0000fffffffff000ull

#define ATTR_NORMAL 0
#define ATTR_DEVICE 1
#define ATTR_UNCACHED 2
#define MAIR_VALUE 0x4404ffull /* attr0 normal write-back, attr1 device-nGnRE, attr2 normal non-cacheable */

#define KERNEL_RW (PTE_ATTR(ATTR_NORMAL) | PTE_SH_INNER | PTE_AF | PTE_PXN | PTE_UXN)
#define KERNEL_RO (KERNEL_RW | PTE_AP_RO)
#define KERNEL_RX (PTE_ATTR(ATTR_NORMAL) | PTE_SH_INNER | PTE_AF | PTE_AP_RO | PTE_UXN)
#define KERNEL_DEV (PTE_ATTR(ATTR_DEVICE) | PTE_AF | PTE_PXN | PTE_UXN)


static struct vanity_table_pool spaces[VANITY_MAX_SPACES];
static uint64_t *core_root[VANITY_MAX_CORES];
static uint16_t core_asid[VANITY_MAX_CORES];

/* Entry encodings for the shared three-level walk (table_pool.h). Bit 1 means
 * "table" at the upper levels and "page" at the last. */
static int pte_is_table(uint64_t e) { return (e & (PTE_VALID | PTE_TABLE)) == (PTE_VALID | PTE_TABLE); }
static uint64_t *pte_table(uint64_t e) { return (uint64_t *)(uintptr_t)(e & ADDR_MASK); }
static uint64_t pte_table_entry(const uint64_t *t) { return (uint64_t)(uintptr_t)t | PTE_VALID | PTE_TABLE; }
static uint64_t pte_leaf(uint64_t pa, uint64_t attrs, int page) { return pa | attrs | PTE_VALID | (page ? PTE_TABLE : 0); }
static uint64_t pte_leaf_pa(uint64_t e) { return e & ADDR_MASK; }
static uint64_t pte_leaf_attrs(uint64_t e) { return e & ~ADDR_MASK & ~PTE_TABLE; }
static const struct vanity_pte_format pte_format = {3, PTE_VALID, pte_is_table, pte_table, pte_table_entry,
                                                     pte_leaf, pte_leaf_pa, pte_leaf_attrs};

static int map(struct vanity_table_pool *s, uint64_t va, uint64_t pa, uint64_t size, uint64_t attrs) {
  return vanity_table_map(s, &pte_format, va, pa, size, attrs);
}

static uint64_t region_attrs(const struct vanity_region *r, int user) {
  if (r->kind == VANITY_REGION_GUARD) return 0;
  if (r->perms & VANITY_PERM_DEVICE) return (user ? PTE_AP_EL0 | PTE_NG : 0) | KERNEL_DEV;
  uint64_t a = PTE_ATTR((r->perms & VANITY_PERM_UNCACHED) ? ATTR_UNCACHED : ATTR_NORMAL) | PTE_SH_INNER | PTE_AF;
  if (!(r->perms & VANITY_PERM_W)) a |= PTE_AP_RO;
  if (user) {
    a |= PTE_AP_EL0 | PTE_NG | PTE_PXN;
    if (!(r->perms & VANITY_PERM_X)) a |= PTE_UXN;
  } else {
    a |= PTE_UXN;
    if (!(r->perms & VANITY_PERM_X)) a |= PTE_PXN;
  }
  return a;
}

/* What every space maps for the kernel (EL1 only): all RAM read-write and
 * never executable, then the kernel's own regions with their permissions,
 * its guard pages unmapped, and the console and interrupt controller. */
static int map_kernel(struct vanity_table_pool *s) {
  int r = map(s, vanity_system.ram_base, vanity_system.ram_base, vanity_system.ram_size, KERNEL_RW);
  if (!r) r = vanity_map_regions(s, vanity_system.kernel_regions, vanity_system.kernel_region_count, 0, map, region_attrs);
  if (!r) r = map(s, UART0, UART0, PAGE, KERNEL_DEV);
  if (!r) r = map(s, GICD, GICD, GICD_SIZE, KERNEL_DEV);
  if (!r) r = map(s, GICR, GICR, vanity_system.cpu_count * GICR_STRIDE, KERNEL_DEV);
  return r;
}

int platform_build_space(const struct vanity_shard_desc *shard) {
  return vanity_build_shard_space(&spaces[1u + shard->id], shard, map_kernel, map, region_attrs);
}

static void mmu_on(uint64_t *root, uint16_t asid) {
  uint64_t tcr = 25ull               /* T0SZ: 39-bit addresses, walks start at level 1 */
                 | (1ull << 8) | (1ull << 10) | (3ull << 12) /* inner/outer write-back, inner shareable */
                 | (1ull << 23)      /* EPD1: no TTBR1 walks */
                 | (2ull << 32);     /* IPS: 40-bit physical */
  SYSREG_WRITE(mair_el1, MAIR_VALUE);
  SYSREG_WRITE(tcr_el1, tcr);
  SYSREG_WRITE(ttbr0_el1, (uint64_t)(uintptr_t)root | ((uint64_t)asid << 48));
  __asm__ volatile("dsb ish\n\ttlbi vmalle1\n\tdsb ish\n\tisb" ::: "memory");
  /* M, C, SA, SA0, I, nTWI, nTWE, WXN, SPAN and the RES1 bits. */
  uint64_t sctlr = 0x30d00800ull | (1u << 0) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 12) | (1u << 16) |
                   (1u << 18) | (1u << 19);
  SYSREG_WRITE(sctlr_el1, sctlr);
  __asm__ volatile("isb" ::: "memory");
}

/* ---------------------------------------------------------------- cores */

static uint64_t kernel_stack_top(uint32_t core) {
  return (uint64_t)(uintptr_t)__vanity_stack_top_core0 + core * (uint64_t)(uintptr_t)__vanity_stack_stride;
}

static uint32_t context_cpu(uint32_t context) {
  return context < vanity_system.context_count ? vanity_system.contexts[context].cpu : context;
}

void platform_start_core(uint32_t core, const struct vanity_shard_desc *shard) {
  if (context_cpu(core) == platform_core_id()) {
    arch_enter_user(shard->entry, vanity_shard_stack_top(shard, core), kernel_stack_top(core));
  }
  core_root[core] = spaces[1u + shard->id].root;
  core_asid[core] = (uint16_t)(1u + shard->id);
  __asm__ volatile("dsb sy" ::: "memory");
  int64_t r = psci(0xc4000003, core_affinity(core), (uint64_t)(uintptr_t)secondary_entry, core);
  if (r != 0) kprintf("aarch64-virt: PSCI CPU_ON core %u failed (%ld)\n", core, r);
}

/* ---------------------------------------------------------------- shared cores */

extern void arch_fp_save(void *area);
extern void arch_fp_load(const void *area);
extern void arch_switch(uint64_t *save, const uint64_t *load);
extern void arch_switch_fresh(uint64_t *save, uint64_t stack_top, uint32_t context);

/* A context's kernel callee-saved registers and sp while another runs on
 * its core (arch_switch). Its shard's FP/SIMD registers and thread pointer
 * wait in its own platform_switch frame. */
static uint64_t switch_callee[VANITY_MAX_CORES][13];

void platform_switch(uint32_t from, uint32_t to, int fresh) {
  uint64_t fp[66] __attribute__((aligned(16))); /* q0..q31, fpcr, fpsr */
  arch_fp_save(fp);
  uint64_t tpidr = SYSREG_READ(tpidr_el0);
  uint32_t shard = vanity_system.contexts[to].shard;
  SYSREG_WRITE(ttbr0_el1, (uint64_t)(uintptr_t)spaces[1u + shard].root | ((uint64_t)(1u + shard) << 48));
  __asm__ volatile("isb" ::: "memory");
  if (fresh) {
    /* Nothing of another shard's registers shows in a fresh context's. */
    static const uint64_t zero[66] __attribute__((aligned(16)));
    arch_fp_load(zero);
    SYSREG_WRITE(tpidr_el0, 0);
    arch_switch_fresh(switch_callee[from], kernel_stack_top(to), to);
  } else {
    arch_switch(switch_callee[from], switch_callee[to]);
  }
  /* Back: whoever switched here set the address space. */
  arch_fp_load(fp);
  SYSREG_WRITE(tpidr_el0, tpidr);
}

void platform_timer_set(uint64_t deadline_ns) {
  if (deadline_ns) SYSREG_WRITE(cntp_cval_el0, ns_to_ticks(deadline_ns));
  SYSREG_WRITE(cntp_ctl_el0, deadline_ns ? 1u : 0u);
  __asm__ volatile("isb" ::: "memory");
}

void platform_boot_main(void) {
  timer_hz = SYSREG_READ(cntfrq_el0);
  /* The PL011 with its FIFOs on (8 bits, FEN): a reload's chunks arrive
   * 16 bytes per poll instead of one. */
  mmio_write32(UART0 + 0x30, 0);
  mmio_write32(UART0 + 0x2c, 0x70);
  mmio_write32(UART0 + 0x30, 0x301); /* UARTEN, TXE, RXE */
  struct vanity_table_pool *k = vanity_table_pool_init(&spaces[0], 0);
  if (!k || map_kernel(k)) {
    kprintf("aarch64-virt: cannot build the kernel's translation table\n");
    platform_shutdown(2);
  }
  mmu_on(k->root, 0);
  gic_dist_init();
  gic_cpu_init();
  pmu_cpu_init();
  kernel_init();
  kernel_core_loop();
}

void platform_secondary_main(uint32_t core) {
  timer_hz = SYSREG_READ(cntfrq_el0);
  mmu_on(core_root[core], core_asid[core]);
  gic_cpu_init();
  pmu_cpu_init();
  kernel_secondary_start(core);
}

/* ---------------------------------------------------------------- exceptions */

struct frame {
  uint64_t x[31];
  uint64_t sp_el0;
  uint64_t elr;
  uint64_t spsr;
};

void platform_el0_sync(struct frame *f) {
  uint64_t esr = SYSREG_READ(esr_el1);
  uint64_t far = SYSREG_READ(far_el1);
  uint32_t ec = (uint32_t)(esr >> 26) & 0x3f;
  uint32_t kind;
  switch (ec) {
  case 0x15: /* SVC from AArch64 */
    f->x[0] = (uint64_t)kernel_syscall(f->x[8], f->x[0], f->x[1], f->x[2]);
    kernel_user_return(f->elr);
    return;
  case 0x24: /* data abort from EL0 */
    kind = (esr & 0x3f) == 0x21 ? VANITY_FAULT_ALIGNMENT : VANITY_FAULT_DATA;
    break;
  case 0x20: kind = VANITY_FAULT_INSTRUCTION; break;
  case 0x3c: kind = VANITY_FAULT_TRAP; far = f->elr; break; /* BRK: Swift traps */
  case 0x22:
  case 0x26: kind = VANITY_FAULT_ALIGNMENT; break;
  case 0x00: kind = VANITY_FAULT_UNDEFINED; far = f->elr; break;
  default: kind = VANITY_FAULT_OTHER; break;
  }
  kernel_fault(kind, f->elr, far);
}

void platform_el0_irq(struct frame *f) {
  gic_drain();
  kernel_user_return(f->elr);
}

void platform_el1_sync(struct frame *f) {
  kprintf("aarch64-virt: PANIC: kernel exception on core %u: esr=0x%lx elr=0x%lx far=0x%lx\n", platform_core_id(),
          SYSREG_READ(esr_el1), f->elr, SYSREG_READ(far_el1));
  platform_shutdown(3);
}

void platform_el1_irq(struct frame *f) {
  (void)f;
  gic_drain();
}
