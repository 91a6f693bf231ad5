/* riscv64-virt: QEMU's virt board in S-mode under OpenSBI. NS16550 console,
 * PLIC, the SBI timer and IPIs, SBI HSM to start harts, the sifive_test
 * device for the exit status, and one Sv39 page table per shard (ASIDs). */
#include <stddef.h>
#include <stdint.h>

#include <vanity/kernel.h>
#include <vanity/platform.h>
#include <vanity/system_table.h>
#include <vanity/table_pool.h>

#define UART0 0x10000000ul
#define PLIC 0x0c000000ul
#define PLIC_SIZE 0x600000ul
#define SIFIVE_TEST 0x100000ul
#define TIMER_HZ 10000000ull /* timebase-frequency in board.dtb */

#define PAGE 4096ul

extern char __vanity_stack_top_core0[];
extern const uint64_t stack_stride; /* boot.S: __vanity_stack_stride, too far for pc-relative addressing */
extern void arch_enter_user(uint64_t entry, uint64_t user_sp, uint64_t kernel_sp) __attribute__((noreturn));
extern char secondary_entry[];

static inline void mmio_write32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t mmio_read32(uintptr_t a) { return *(volatile uint32_t *)a; }
static inline void mmio_write8(uintptr_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static inline uint8_t mmio_read8(uintptr_t a) { return *(volatile uint8_t *)a; }

#define CSR_READ(name) ({ uint64_t v_; __asm__ volatile("csrr %0, " #name : "=r"(v_)); v_; })
#define CSR_WRITE(name, v) __asm__ volatile("csrw " #name ", %0" ::"r"((uint64_t)(v)) : "memory")
#define CSR_SET(name, v) __asm__ volatile("csrs " #name ", %0" ::"r"((uint64_t)(v)) : "memory")
#define CSR_CLEAR(name, v) __asm__ volatile("csrc " #name ", %0" ::"r"((uint64_t)(v)) : "memory")

#define SIE_SSIE (1ul << 1)
#define SIE_STIE (1ul << 5)
#define SIE_SEIE (1ul << 9)
#define SSTATUS_SUM (1ul << 18)

/* Logical core n runs on hart core_hart[n]; the boot hart is core 0. */
static uint64_t core_hart[VANITY_MAX_CORES];
extern volatile uint64_t hart_start_request[64]; /* boot.S */
#define SBI_ERR_ALREADY_AVAILABLE (-6)
static uint32_t hart_count;

/* ---------------------------------------------------------------- SBI */

struct sbiret {
  long error, value;
};

static struct sbiret sbi(uint64_t ext, uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2) {
  register uint64_t r0 __asm__("a0") = a0;
  register uint64_t r1 __asm__("a1") = a1;
  register uint64_t r2 __asm__("a2") = a2;
  register uint64_t r6 __asm__("a6") = fid;
  register uint64_t r7 __asm__("a7") = ext;
  __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r6), "r"(r7) : "memory");
  return (struct sbiret){(long)r0, (long)r1};
}

#define SBI_TIME 0x54494d45ul
#define SBI_IPI 0x735049ul
#define SBI_HSM 0x48534dul

/* ---------------------------------------------------------------- console, time */

void platform_console_putc(char c) {
  if (c == '\n') platform_console_putc('\r');
  while (!(mmio_read8(UART0 + 5) & (1u << 5))) { /* THR empty */
  }
  mmio_write8(UART0, (uint8_t)c);
}

uint64_t platform_time_ns(void) {
  uint64_t t = CSR_READ(time);
  return (t / TIMER_HZ) * 1000000000ull + (t % TIMER_HZ) * 1000000000ull / TIMER_HZ;
}

static uint64_t ns_to_ticks(uint64_t ns) { return (ns / 1000000000ull) * TIMER_HZ + (ns % 1000000000ull) * TIMER_HZ / 1000000000ull; }

uint32_t platform_core_id(void) {
  uint64_t tp;
  __asm__ volatile("mv %0, tp" : "=r"(tp));
  return (uint32_t)tp;
}

/* ---------------------------------------------------------------- PLIC */

static uintptr_t plic_context(uint32_t core) { return 1 + 2 * core_hart[core]; } /* the hart's S-mode context */

static uint32_t irq_core[1024];

void platform_irq_route(uint32_t irq, uint32_t core) {
  if (irq == 0 || irq >= 1024) return;
  irq_core[irq] = core;
  mmio_write32(PLIC + 4 * irq, 1); /* priority */
}

/* Accept every priority on this hart's S-mode context. Done by each hart
 * itself once running: OpenSBI's hart start-up masks the context again. */
static void plic_hart_init(void) { mmio_write32(PLIC + 0x200000 + 0x1000 * plic_context(platform_core_id()), 0); }

static void plic_enable(uint32_t irq, int on) {
  if (irq == 0 || irq >= 1024) return;
  uintptr_t reg = PLIC + 0x2000 + 0x80 * plic_context(irq_core[irq]) + 4 * (irq / 32);
  uint32_t v = mmio_read32(reg);
  mmio_write32(reg, on ? v | (1u << (irq % 32)) : v & ~(1u << (irq % 32)));
}

void platform_irq_unmask(uint32_t irq) { plic_enable(irq, 1); }
void platform_irq_mask(uint32_t irq) { plic_enable(irq, 0); }
/* The PLIC has no way to clear a pending bit but a claim: the next claim on
 * the shard's hart takes it (a still-asserting device raises it again). */
void platform_irq_reset(uint32_t irq) { plic_enable(irq, 1); }

/* ---------------------------------------------------------------- idle and kicks */

void platform_kick_core(uint32_t core) {
  __asm__ volatile("fence rw, rw" ::: "memory");
  sbi(SBI_IPI, 0, 1ul << core_hart[core], 0, 0);
}

void platform_stop_core(uint32_t core) { (void)core; }

/* A reload wrote new text through the kernel core's data side: this hart's
 * instruction fetch must see it. */
void platform_code_loaded(const struct vanity_shard_desc *shard, const uint8_t *executable, uint64_t size) {
  (void)shard;
  (void)executable;
  (void)size;
  __asm__ volatile("fence.i" ::: "memory");
}

/* Handles whatever is pending on this hart: timer, IPI, external. */
static void drain(void) {
  uint64_t sip = CSR_READ(sip);
  if (sip & SIE_STIE) sbi(SBI_TIME, 0, ~0ull, 0, 0); /* one-shot: off until the next idle */
  if (sip & SIE_SSIE) CSR_CLEAR(sip, SIE_SSIE);
  if (sip & SIE_SEIE) {
    uintptr_t claim = PLIC + 0x200004 + 0x1000 * plic_context(platform_core_id());
    for (uint32_t irq; (irq = mmio_read32(claim)) != 0;) {
      kernel_irq(irq);
      mmio_write32(claim, irq);
    }
  }
}

void platform_idle(uint64_t deadline_ns) {
  if (deadline_ns) sbi(SBI_TIME, 0, ns_to_ticks(deadline_ns), 0, 0);
  __asm__ volatile("wfi" ::: "memory");
  drain();
}

/* ---------------------------------------------------------------- debug link */

/* The board has one UART: debug frames share it with the console (the host
 * separates them by magic and CRC; docs/debug-protocol.md). */
uint32_t platform_debug_read(uint8_t *buf, uint32_t max) {
  uint32_t n = 0;
  while (n < max && (mmio_read8(UART0 + 5) & 1u)) buf[n++] = mmio_read8(UART0); /* LSR.DR: data ready */
  return n;
}

void platform_debug_write(const uint8_t *buf, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    while (!(mmio_read8(UART0 + 5) & (1u << 5))) {
    }
    mmio_write8(UART0, buf[i]);
  }
}

/* ---------------------------------------------------------------- exit */

void platform_shutdown(uint32_t status) {
  mmio_write32(SIFIVE_TEST, status == 0 ? 0x5555u : ((status & 0xffffu) << 16) | 0x3333u);
  for (;;) __asm__ volatile("wfi");
}

/* ---------------------------------------------------------------- Sv39 */

#define PTE_V (1ul << 0)
#define PTE_R (1ul << 1)
#define PTE_W (1ul << 2)
#define PTE_X (1ul << 3)
#define PTE_U (1ul << 4)
#define PTE_G (1ul << 5)
#define PTE_A (1ul << 6)
#define PTE_D (1ul << 7)
#define PTE_LEAF (PTE_R | PTE_W | PTE_X)
/* Svpbmt (the hart is started with it: platform.toml's -cpu): bits 62:61
 * choose the memory type; 1 = NC, normal memory not cached. OpenSBI turns
 * it on for S-mode (menvcfg.PBMTE) when the hart has it. */
#define PTE_PBMT_NC (1ul << 61)
#define PTE_PBMT_MASK (3ul << 61)
#define PTE_PPN_MASK (((1ul << 44) - 1) << 10)
#define KERNEL_RW (PTE_R | PTE_W | PTE_A | PTE_D)


static struct vanity_table_pool spaces[VANITY_MAX_SPACES];
static uint64_t core_satp[VANITY_MAX_CORES];

/* Entry encodings for the shared three-level walk (table_pool.h): Sv39, where a
 * valid entry with none of R, W, X points at the next table. */
static int pte_is_table(uint64_t e) { return (e & PTE_V) && !(e & PTE_LEAF); }
static uint64_t *pte_table(uint64_t e) { return (uint64_t *)(uintptr_t)((e & PTE_PPN_MASK) << 2); }
static uint64_t pte_of(uint64_t pa, uint64_t flags) { return ((pa >> 12) << 10) | flags; }
static uint64_t pte_table_entry(const uint64_t *t) { return pte_of((uint64_t)(uintptr_t)t, PTE_V); }
static uint64_t pte_leaf(uint64_t pa, uint64_t flags, int page) { (void)page; return pte_of(pa, flags | PTE_V); }
static uint64_t pte_leaf_pa(uint64_t e) { return (e & PTE_PPN_MASK) << 2; }
static uint64_t pte_leaf_flags(uint64_t e) { return e & (0x3ff | PTE_PBMT_MASK); }
static const struct vanity_pte_format pte_format = {3, PTE_V, pte_is_table, pte_table, pte_table_entry,
                                                     pte_leaf, pte_leaf_pa, pte_leaf_flags};

static int map(struct vanity_table_pool *s, uint64_t va, uint64_t pa, uint64_t size, uint64_t flags) {
  return vanity_table_map(s, &pte_format, va, pa, size, flags);
}

static uint64_t region_flags(const struct vanity_region *r, int user) {
  if (r->kind == VANITY_REGION_GUARD) return 0;
  uint64_t f = PTE_A | PTE_D;
  if (r->perms & VANITY_PERM_R) f |= PTE_R;
  if (r->perms & VANITY_PERM_W) f |= PTE_W;
  if (r->perms & VANITY_PERM_X) f |= PTE_X;
  if (r->perms & VANITY_PERM_UNCACHED) f |= PTE_PBMT_NC;
  if (user) f |= PTE_U;
  return f;
}

static int map_kernel(struct vanity_table_pool *s) {
  int r = map(s, vanity_system.ram_base, vanity_system.ram_base, vanity_system.ram_size, KERNEL_RW | PTE_G);
  for (uint32_t i = 0; i < vanity_system.kernel_region_count && !r; i++) {
    const struct vanity_region *k = &vanity_system.kernel_regions[i];
    uint64_t f = region_flags(k, 0);
    r = map(s, k->virt, k->phys, k->size, f ? f | PTE_G : 0);
  }
  if (!r) r = map(s, UART0, UART0, PAGE, KERNEL_RW | PTE_G);
  if (!r) r = map(s, SIFIVE_TEST, SIFIVE_TEST, PAGE, KERNEL_RW | PTE_G);
  if (!r) r = map(s, PLIC, PLIC, PLIC_SIZE, KERNEL_RW | PTE_G);
  return r;
}

int platform_build_space(const struct vanity_shard_desc *shard) {
  return vanity_build_shard_space(&spaces[1u + shard->id], shard, map_kernel, map, region_flags);
}

static uint64_t satp_of(uint64_t *root, uint16_t asid) { return (8ull << 60) | ((uint64_t)asid << 44) | ((uint64_t)(uintptr_t)root >> 12); }

static void mmu_on(uint64_t satp) {
  CSR_WRITE(satp, satp);
  __asm__ volatile("sfence.vma zero, zero" ::: "memory");
  CSR_SET(sstatus, SSTATUS_SUM); /* the kernel reads and resets shard memory */
}

/* ---------------------------------------------------------------- cores */

static uint64_t kernel_stack_top(uint32_t core) {
  return (uint64_t)(uintptr_t)__vanity_stack_top_core0 + core * stack_stride - 16;
}

static uint32_t context_cpu(uint32_t context) {
  return context < vanity_system.context_count ? vanity_system.contexts[context].cpu : context;
}

void platform_start_core(uint32_t core, const struct vanity_shard_desc *shard) {
  if (context_cpu(core) == platform_core_id()) arch_enter_user(shard->entry, vanity_shard_stack_top(shard, core), kernel_stack_top(core));
  core_satp[core] = satp_of(spaces[1u + shard->id].root, (uint16_t)(1u + shard->id));
  /* In memory first, for a hart OpenSBI lets through to _start instead of
   * secondary_entry (boot.S, extra_boot_hart): it enters as the core it
   * finds here. Stored before the SBI call, so such a hart finds it. */
  if (core_hart[core] < 64) __atomic_store_n(&hart_start_request[core_hart[core]], (uint64_t)core + 1, __ATOMIC_RELEASE);
  __asm__ volatile("fence rw, rw" ::: "memory");
  struct sbiret r = sbi(SBI_HSM, 0, core_hart[core], (uint64_t)(uintptr_t)secondary_entry, core);
  if (r.error && r.error != SBI_ERR_ALREADY_AVAILABLE)
    kprintf("riscv64-virt: SBI hart_start of core %u (hart %lu) failed (%ld)\n", core, core_hart[core], r.error);
}

/* ---------------------------------------------------------------- shared cores */

extern void arch_switch(uint64_t *save, const uint64_t *load);
extern void arch_switch_fresh(uint64_t *save, uint64_t kernel_sp, uint32_t context);

/* A context's kernel registers while another runs on its core (arch_switch).
 * Shards have no FP registers here (sstatus.FS stays off). */
static uint64_t switch_areas[VANITY_MAX_CORES][14];

void platform_switch(uint32_t from, uint32_t to, int fresh) {
  uint32_t shard = vanity_system.contexts[to].shard;
  CSR_WRITE(satp, satp_of(spaces[1u + shard].root, (uint16_t)(1u + shard)));
  __asm__ volatile("sfence.vma zero, zero" ::: "memory");
  if (fresh) {
    /* Its stack's top holds this core's number, as boot.S leaves it on a
     * core's own stack: a trap from U reloads tp from there. */
    uint64_t sp = kernel_stack_top(to);
    *(volatile uint64_t *)(uintptr_t)(sp + 8) = platform_core_id();
    arch_switch_fresh(switch_areas[from], sp, to);
  } else {
    arch_switch(switch_areas[from], switch_areas[to]);
  }
}

void platform_timer_set(uint64_t deadline_ns) { sbi(SBI_TIME, 0, deadline_ns ? ns_to_ticks(deadline_ns) : ~0ull, 0, 0); }

void platform_boot_main(uint64_t boot_hart) {
  /* The NS16550's FIFOs on (not cleared: a request may already wait in
   * them), receive trigger at 14 bytes: QEMU hands the guest as many bytes
   * at a time as the trigger level allows, so a reload's chunks arrive 14
   * bytes per step instead of one. */
  mmio_write8(UART0 + 2, 0xc1);
  /* Logical cores: the boot hart first, then the other harts in order. */
  uint32_t n = vanity_system.cpu_count < VANITY_MAX_CORES ? vanity_system.cpu_count : VANITY_MAX_CORES;
  core_hart[0] = boot_hart;
  for (uint32_t c = 1, h = 0; c < n; h++)
    if (h != boot_hart) core_hart[c++] = h;
  hart_count = n;
  struct vanity_table_pool *k = vanity_table_pool_init(&spaces[0], 0);
  if (!k || map_kernel(k)) {
    kprintf("riscv64-virt: cannot build the kernel's page table\n");
    platform_shutdown(2);
  }
  mmu_on(satp_of(k->root, 0));
  plic_hart_init();
  CSR_WRITE(sie, SIE_SSIE | SIE_STIE | SIE_SEIE);
  CSR_WRITE(scounteren, 1); /* CY: U-mode may read the cycle counter (vanity_cycles) */
  kernel_init();
  kernel_core_loop();
}

void platform_secondary_main(uint64_t hart, uint32_t core) {
  mmu_on(core_satp[core]);
  if (hart < 64 && __atomic_load_n(&hart_start_request[hart], __ATOMIC_ACQUIRE) == ~0ull)
    kprintf("riscv64-virt: core %u (hart %lu) arrived at _start, not secondary_entry, and entered from its request in memory\n", core, hart);
  plic_hart_init();
  CSR_WRITE(sie, SIE_SSIE | SIE_STIE | SIE_SEIE);
  CSR_WRITE(scounteren, 1); /* CY */
  kernel_secondary_start(core);
}

/* ---------------------------------------------------------------- traps */

struct frame {
  uint64_t x[31]; /* x1..x31 */
  uint64_t sepc;
  uint64_t sstatus;
};

void platform_trap(struct frame *f) {
  uint64_t cause = CSR_READ(scause), tval = CSR_READ(stval);
  int from_user = !(f->sstatus & (1ul << 8));
  if (cause >> 63) {
    drain();
    if (from_user) kernel_user_return(f->sepc);
    return;
  }
  if (!from_user) {
    kprintf("riscv64-virt: PANIC: kernel trap on core %u: scause=0x%lx sepc=0x%lx stval=0x%lx\n", platform_core_id(), cause,
            f->sepc, tval);
    platform_shutdown(3);
  }
  uint32_t kind;
  switch (cause) {
  case 8: /* ecall from U */
    f->sepc += 4;
    f->x[9] = (uint64_t)kernel_syscall(f->x[16], f->x[9], f->x[10], f->x[11]); /* a7; a0, a1, a2 */
    kernel_user_return(f->sepc);
    return;
  case 12: kind = VANITY_FAULT_INSTRUCTION; break;
  case 13:
  case 15:
  case 5:
  case 7:
  case 1: kind = VANITY_FAULT_DATA; break;
  case 4:
  case 6:
  case 0: kind = VANITY_FAULT_ALIGNMENT; break;
  case 3: kind = VANITY_FAULT_TRAP; tval = f->sepc; break;
  case 2: {
    /* Swift traps are `unimp` (csrrw x0, cycle, x0) or c.unimp (0). */
    uint32_t insn = (uint32_t)tval;
    kind = insn == 0xc0001073u || (insn & 0xffffu) == 0 ? VANITY_FAULT_TRAP : VANITY_FAULT_UNDEFINED;
    tval = f->sepc;
    break;
  }
  default: kind = VANITY_FAULT_OTHER; break;
  }
  kernel_fault(kind, f->sepc, tval);
}
