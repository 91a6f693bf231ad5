/* x86_64-pc: QEMU's q35 PC in long mode. COM1 console and debug link, the
 * local APIC (timer, IPIs), the I/O APIC, the HPET (calibration, and the
 * board's clock device), INIT-SIPI-SIPI to start cores, isa-debug-exit for
 * the exit status, and one 4-level page table per shard. */
#include <stddef.h>
#include <stdint.h>

#include <vanity/kernel.h>
#include <vanity/platform.h>
#include <vanity/system_table.h>
#include <vanity/table_pool.h>

#include "x86.h"

#define COM1 0x3f8
#define DEBUG_EXIT 0xf4 /* isa-debug-exit: QEMU exits with (value << 1) | 1 */
#define LAPIC 0xfee00000ul
#define IOAPIC 0xfec00000ul
#define HPET 0xfed00000ul

#define PAGE 4096ul
/* cpu-limit in platform.toml. xAPIC ids (8 bits) are the core numbers and
 * reach 254; the per-core tables below (GDT, TSS, double-fault stack) of 32
 * cores are what fits the kernel's 128 KiB data budget. */
#define MAX_CORES 32u
_Static_assert(MAX_CORES <= VANITY_MAX_CORES, "a port supports at most VANITY_MAX_CORES cores");

extern char __vanity_stack_top_core0[], __vanity_stack_stride[], __vanity_stack_size[];
extern char ap_trampoline[], ap_trampoline_end[], isr_stubs[], syscall_entry[];
extern const uint64_t boot_gdt[GDT_ENTRIES];
extern volatile uint32_t ap_core, ap_cr3; /* boot.S: the mailbox of the core being started */
extern void arch_enter_user(uint64_t entry, uint64_t user_sp) __attribute__((noreturn));

static inline void mmio_write32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t mmio_read32(uintptr_t a) { return *(volatile uint32_t *)a; }
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
static inline void wrmsr(uint32_t msr, uint64_t v) {
  __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}
static inline uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }

#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_SFMASK 0xc0000084u
#define MSR_GS_BASE 0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u

/* ---------------------------------------------------------------- console */

static void serial_init(void) {
  outb(COM1 + 1, 0x00); /* no UART interrupts: the kernel polls */
  outb(COM1 + 3, 0x80); /* divisor latch */
  outb(COM1 + 0, 0x01); /* 115200 baud */
  outb(COM1 + 1, 0x00);
  outb(COM1 + 3, 0x03); /* 8N1 */
  /* FIFOs on, receive trigger at 14 bytes: QEMU hands the guest as many
   * bytes at a time as the trigger level allows, so a reload's chunks arrive
   * 14 bytes per step instead of one. */
  outb(COM1 + 2, 0xc7);
  outb(COM1 + 4, 0x03); /* DTR, RTS */
}

static void serial_put(uint8_t c) {
  while (!(inb(COM1 + 5) & 0x20)) { /* LSR.THRE: transmit holding register empty */
  }
  outb(COM1, c);
}

void platform_console_putc(char c) {
  if (c == '\n') serial_put('\r');
  serial_put((uint8_t)c);
}

/* ---------------------------------------------------------------- time */

/* The TSC (counting since the machine's reset), calibrated against the HPET
 * at boot: ns = tsc * tsc_mult >> 32. */
static uint64_t tsc_mult, tsc_hz, lapic_hz;

uint64_t platform_time_ns(void) { return (uint64_t)(((unsigned __int128)rdtsc() * tsc_mult) >> 32); }

/* ---------------------------------------------------------------- per-core state */

/* GS points here in the kernel (swapgs on every entry from ring 3). */
struct percpu {
  uint64_t kernel_rsp; /* PERCPU_KERNEL_RSP: the stack syscall_entry switches to */
  uint64_t user_rsp;   /* PERCPU_USER_RSP: scratch for the shard's rsp */
  uint64_t core;
};

struct tss {
  uint32_t reserved0;
  uint64_t rsp[3];
  uint64_t reserved1;
  uint64_t ist[7];
  uint64_t reserved2;
  uint16_t reserved3;
  uint16_t iomap;
} __attribute__((packed));

struct idt_entry {
  uint16_t offset0, selector;
  uint8_t ist, type;
  uint16_t offset1;
  uint32_t offset2, reserved;
};

static struct percpu percpu[MAX_CORES];
static uint64_t gdt[MAX_CORES][GDT_ENTRIES] __attribute__((aligned(16)));
static struct tss tss[MAX_CORES] __attribute__((aligned(16)));
static struct idt_entry idt[256] __attribute__((aligned(16)));
/* Double faults run on their own stack (IST 1): a kernel stack overflow
 * faults again while pushing its frame, and ends here. So do NMIs and
 * machine checks, which nothing in the system raises: both panic. 1 KiB
 * each holds kernel_exception's report. */
static uint8_t df_stack[MAX_CORES][1024] __attribute__((aligned(16)));
static int have_smep;

uint32_t platform_core_id(void) {
  uint32_t c;
  __asm__ volatile("movl %%gs:16, %0" : "=r"(c));
  return c;
}

static uint64_t kernel_stack_top(uint32_t core) {
  return (uint64_t)(uintptr_t)__vanity_stack_top_core0 + core * (uint64_t)(uintptr_t)__vanity_stack_stride;
}

static void idt_init(void) {
  for (unsigned v = 0; v < 256; v++) {
    uint64_t a = (uint64_t)(uintptr_t)isr_stubs + 16u * v;
    idt[v] = (struct idt_entry){
        .offset0 = (uint16_t)a,
        .selector = SEL_KCODE,
        /* Double faults, NMIs and machine checks on the IST stack: they may
         * arrive where rsp cannot be trusted (an overflowed kernel stack, the
         * first instructions of syscall_entry, still on the shard's stack). */
        .ist = v == 2 || v == 8 || v == 18 ? 1 : 0,
        /* Interrupt gates (IF cleared); int3 may be raised from ring 3. */
        .type = v == 3 ? 0xee : 0x8e,
        .offset1 = (uint16_t)(a >> 16),
        .offset2 = (uint32_t)(a >> 32),
    };
  }
}

/* ---------------------------------------------------------------- local APIC */

#define LAPIC_ID 0x020
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3e0
#define LVT_MASKED (1u << 16)
#define ICR_PENDING (1u << 12)
#define ICR_INIT 0x4500u    /* INIT, assert */
#define ICR_STARTUP 0x4600u /* start-up IPI, assert; | vector */

static inline uint32_t lapic_read(uint32_t reg) { return mmio_read32(LAPIC + reg); }
static inline void lapic_write(uint32_t reg, uint32_t v) { mmio_write32(LAPIC + reg, v); }

/* The local APIC's timer counts its bus clock divided by 16, one-shot,
 * stopped (count 0) except while platform_idle waits for a deadline. */
static void lapic_init(void) {
  lapic_write(LAPIC_TPR, 0);
  lapic_write(LAPIC_SVR, 0x100u | VEC_SPURIOUS); /* software enable */
  lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);      /* no legacy 8259 interrupts */
  lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
  lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
  lapic_write(LAPIC_TIMER_DIVIDE, 0x3);
  lapic_write(LAPIC_TIMER_INIT, 0);
  lapic_write(LAPIC_LVT_TIMER, VEC_TIMER);
}

/* APIC ids: QEMU numbers a PC's processors 0..n-1, the boot processor 0;
 * the logical core n is APIC id n (checked as each core starts). */
static void lapic_ipi(uint32_t core, uint32_t icr) {
  while (lapic_read(LAPIC_ICR_LO) & ICR_PENDING) cpu_relax();
  lapic_write(LAPIC_ICR_HI, core << 24);
  lapic_write(LAPIC_ICR_LO, icr);
}

/* ---------------------------------------------------------------- I/O APIC */

#define IOAPIC_VER 0x01
#define IOREDTBL(pin) (0x10u + 2u * (pin))
#define RED_LEVEL (1u << 15)
#define RED_ACTIVE_LOW (1u << 13)

static uint32_t ioapic_pins;
static volatile uint32_t ioapic_lock; /* the select/window register pair is shared by all cores */

static uint32_t ioapic_read(uint32_t reg) {
  mmio_write32(IOAPIC, reg);
  return mmio_read32(IOAPIC + 0x10);
}

static void ioapic_write(uint32_t reg, uint32_t v) {
  mmio_write32(IOAPIC, reg);
  mmio_write32(IOAPIC + 0x10, v);
}

static void ioapic_init(void) {
  ioapic_pins = ((ioapic_read(IOAPIC_VER) >> 16) & 0xff) + 1;
  for (uint32_t p = 0; p < ioapic_pins; p++) ioapic_write(IOREDTBL(p), LVT_MASKED);
}

/* Routes pin `irq` to `core`'s APIC, masked until kernel_secondary_start
 * unmasks it there. ISA pins (0-15) are edge-triggered active high, PCI pins
 * (16-23) level-triggered active low, as on every PC. */
void platform_irq_route(uint32_t irq, uint32_t core) {
  if (irq >= ioapic_pins) return;
  uint32_t low = (VEC_IOAPIC + irq) | LVT_MASKED | (irq >= 16 ? RED_LEVEL | RED_ACTIVE_LOW : 0);
  while (__atomic_exchange_n(&ioapic_lock, 1u, __ATOMIC_ACQUIRE)) cpu_relax();
  ioapic_write(IOREDTBL(irq) + 1, core << 24);
  ioapic_write(IOREDTBL(irq), low);
  __atomic_store_n(&ioapic_lock, 0u, __ATOMIC_RELEASE);
}

static void ioapic_mask(uint32_t irq, int masked) {
  if (irq >= ioapic_pins) return;
  while (__atomic_exchange_n(&ioapic_lock, 1u, __ATOMIC_ACQUIRE)) cpu_relax();
  uint32_t low = ioapic_read(IOREDTBL(irq));
  ioapic_write(IOREDTBL(irq), masked ? low | LVT_MASKED : low & ~LVT_MASKED);
  __atomic_store_n(&ioapic_lock, 0u, __ATOMIC_RELEASE);
}

void platform_irq_unmask(uint32_t irq) { ioapic_mask(irq, 0); }
void platform_irq_mask(uint32_t irq) { ioapic_mask(irq, 1); }
/* An edge that came while the pin was masked is not kept by the I/O APIC;
 * a level pin still asserted raises it again once unmasked. */
void platform_irq_reset(uint32_t irq) { ioapic_mask(irq, 0); }

/* ---------------------------------------------------------------- clocks at boot */

/* The CMOS real-time clock (ports 0x70/0x71): seconds since the epoch. */
static uint8_t cmos(uint8_t reg) {
  outb(0x70, reg);
  return inb(0x71);
}

static unsigned from_bcd(uint8_t v, int binary) { return binary ? v : (v >> 4) * 10u + (v & 15u); }

static uint64_t cmos_epoch_seconds(void) {
  while (cmos(0x0a) & 0x80) cpu_relax(); /* update in progress */
  uint8_t b = cmos(0x0b);
  int binary = b & 4;
  unsigned sec = from_bcd(cmos(0x00), binary), min = from_bcd(cmos(0x02), binary);
  uint8_t h = cmos(0x04);
  unsigned hour = from_bcd(h & 0x7f, binary);
  if (!(b & 2) && (h & 0x80)) hour = (hour % 12) + 12; /* 12-hour mode, PM */
  unsigned day = from_bcd(cmos(0x07), binary), mon = from_bcd(cmos(0x08), binary);
  unsigned year = from_bcd(cmos(0x09), binary), century = from_bcd(cmos(0x32), binary);
  int64_t y = (century >= 19 && century <= 30 ? century : 20) * 100 + year;
  /* Days since 1970-01-01 (Howard Hinnant's days_from_civil). */
  y -= mon <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (mon > 2 ? mon - 3 : mon + 9) + 2) / 5 + day - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = era * 146097 + (int64_t)doe - 719468;
  return (uint64_t)(days * 86400 + hour * 3600 + min * 60 + sec);
}

/* The HPET is the board's clock device (granted as `rtc`): the kernel sets
 * its main counter to the CMOS time since the epoch and starts it with
 * legacy replacement routing (timer 0 on I/O APIC pin 2, the 8254 silenced),
 * so a shard reads wall-clock time from it and can arm timer 0 as an alarm.
 * Until the shards start it is also the reference the TSC and the local
 * APIC timer are calibrated against; the kernel does not touch it after. */
#define HPET_CAP 0x000
#define HPET_CONFIG 0x010
#define HPET_COUNTER 0x0f0
#define HPET_ENABLE 1u
#define HPET_LEGACY 2u

static uint64_t hpet_counter(void) {
  uint32_t hi, lo;
  do {
    hi = mmio_read32(HPET + HPET_COUNTER + 4);
    lo = mmio_read32(HPET + HPET_COUNTER);
  } while (hi != mmio_read32(HPET + HPET_COUNTER + 4));
  return ((uint64_t)hi << 32) | lo;
}

static void no_hpet(const char *why) __attribute__((noreturn));
static void no_hpet(const char *why) {
  kprintf("x86_64-pc: the HPET at 0x%lx %s (QEMU's q35 has one unless -machine hpet=off)\n", HPET, why);
  platform_shutdown(2);
}

static void clocks_init(void) {
  uint64_t period_fs = mmio_read32(HPET + HPET_CAP + 4);
  if (period_fs == 0 || period_fs > 100000000u) no_hpet("is missing"); /* the specification's limit: 100 ns */
  uint64_t hpet_hz = 1000000000000000ull / period_fs;
  uint64_t start = cmos_epoch_seconds() * hpet_hz;
  mmio_write32(HPET + HPET_CONFIG, 0);
  mmio_write32(HPET + HPET_COUNTER, (uint32_t)start);
  mmio_write32(HPET + HPET_COUNTER + 4, (uint32_t)(start >> 32));
  mmio_write32(HPET + HPET_CONFIG, HPET_ENABLE | HPET_LEGACY);

  /* Calibrate over 5 ms of HPET time. */
  uint64_t window = hpet_hz / 200;
  lapic_write(LAPIC_LVT_TIMER, VEC_TIMER | LVT_MASKED);
  lapic_write(LAPIC_TIMER_INIT, 0xffffffffu);
  uint64_t h0 = hpet_counter(), t0 = rdtsc(), h1;
  for (uint64_t spins = 0; (h1 = hpet_counter()) - h0 < window; spins++) {
    if (spins > 100000000ull) no_hpet("does not count");
    cpu_relax();
  }
  uint64_t t1 = rdtsc();
  uint32_t left = lapic_read(LAPIC_TIMER_CURRENT);
  lapic_write(LAPIC_TIMER_INIT, 0);
  lapic_write(LAPIC_LVT_TIMER, VEC_TIMER);
  tsc_hz = (t1 - t0) * hpet_hz / (h1 - h0);
  lapic_hz = (0xffffffffull - left) * hpet_hz / (h1 - h0);
  tsc_mult = (1000000000ull << 32) / tsc_hz;
}

/* ---------------------------------------------------------------- idle and kicks */

void platform_kick_core(uint32_t core) {
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  lapic_ipi(core, VEC_KICK);
}

void platform_stop_core(uint32_t core) { (void)core; } /* the core is in the kernel already */

/* A reload wrote new text through the kernel core. x86 keeps instruction
 * caches coherent with stores, but a core about to run code another core
 * modified must execute a serializing instruction first (cross-modifying
 * code): cpuid. */
void platform_code_loaded(const struct vanity_shard_desc *shard, const uint8_t *executable, uint64_t size) {
  (void)shard;
  (void)executable;
  (void)size;
  uint32_t a = 0, b, c = 0, d;
  __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d)::"memory");
}

/* hlt with interrupts on: `sti` takes effect after the next instruction, so
 * an interrupt that arrives in between still wakes the hlt. The handler runs
 * (platform_trap) and returns behind the hlt, where interrupts go off again. */
void platform_idle(uint64_t deadline_ns) {
  if (deadline_ns) {
    uint64_t now = platform_time_ns(), ns = deadline_ns > now ? deadline_ns - now : 0;
    if (ns > 60000000000ull) ns = 60000000000ull;
    uint64_t ticks = ns * lapic_hz / 1000000000ull;
    lapic_write(LAPIC_TIMER_INIT, ticks == 0 ? 1u : ticks > 0xffffffffull ? 0xffffffffu : (uint32_t)ticks);
  }
  __asm__ volatile("sti\n\thlt\n\tcli" ::: "memory");
  if (deadline_ns) lapic_write(LAPIC_TIMER_INIT, 0);
}

/* ---------------------------------------------------------------- debug link */

/* COM1 carries the console and the debug link (the host separates them by
 * magic and CRC; docs/debug-protocol.md). */
uint32_t platform_debug_read(uint8_t *buf, uint32_t max) {
  uint32_t n = 0;
  while (n < max && (inb(COM1 + 5) & 1u)) buf[n++] = inb(COM1); /* LSR.DR: data ready */
  return n;
}

void platform_debug_write(const uint8_t *buf, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) serial_put(buf[i]);
}

/* ---------------------------------------------------------------- exit */

/* isa-debug-exit makes QEMU exit with (value << 1) | 1. The kernel writes
 * status + 1, so QEMU's own exits (0 after a reset with -no-reboot, such as
 * a triple fault; 1 for its own errors) never read as a status: vanity-build
 * maps ((s + 1) << 1) | 1 back to s. Exit statuses are 8 bits: 0..126. */
void platform_shutdown(uint32_t status) {
  while (!(inb(COM1 + 5) & 0x40)) { /* LSR.TEMT: the last byte is out */
  }
  outl(DEBUG_EXIT, (status > 126 ? 126 : status) + 1);
  for (;;) __asm__ volatile("cli\n\thlt");
}

/* ---------------------------------------------------------------- page tables */

#define PTE_NX (1ull << 63)
#define ADDR_MASK 0x000ffffffffff000ull
#define TABLE_FLAGS (PTE_P | PTE_W | PTE_U) /* the leaf decides */
#define KERNEL_RW (PTE_P | PTE_W | PTE_NX)
#define KERNEL_DEV (KERNEL_RW | PTE_PCD | PTE_PWT)

static struct vanity_table_pool spaces[VANITY_MAX_SPACES];

/* Entry encodings for the shared four-level walk (table_pool.h): PS marks a
 * 2 MiB page in the page directory. */
static int pte_is_table(uint64_t e) { return (e & PTE_P) && !(e & PTE_PS); }
static uint64_t *pte_table(uint64_t e) { return (uint64_t *)(uintptr_t)(e & ADDR_MASK); }
static uint64_t pte_table_entry(const uint64_t *t) { return (uint64_t)(uintptr_t)t | TABLE_FLAGS; }
static uint64_t pte_leaf(uint64_t pa, uint64_t flags, int page) { return pa | flags | PTE_P | (page ? 0 : PTE_PS); }
static uint64_t pte_leaf_pa(uint64_t e) { return e & ADDR_MASK; }
static uint64_t pte_leaf_flags(uint64_t e) { return (e & ~ADDR_MASK) & ~(uint64_t)PTE_PS; }
static const struct vanity_pte_format pte_format = {4, PTE_P, pte_is_table, pte_table, pte_table_entry,
                                                     pte_leaf, pte_leaf_pa, pte_leaf_flags};

/* Maps [va, va+size) to pa with `flags`, or unmaps it (0). */
static int map(struct vanity_table_pool *s, uint64_t va, uint64_t pa, uint64_t size, uint64_t flags) {
  return vanity_table_map(s, &pte_format, va, pa, size, flags);
}

static uint64_t region_flags(const struct vanity_region *r, int user) {
  if (r->kind == VANITY_REGION_GUARD) return 0;
  uint64_t f = PTE_P;
  if (r->perms & VANITY_PERM_W) f |= PTE_W;
  if (!(r->perms & VANITY_PERM_X)) f |= PTE_NX;
  if (r->perms & (VANITY_PERM_DEVICE | VANITY_PERM_UNCACHED)) f |= PTE_PCD | PTE_PWT; /* uncached (UC with the reset PAT) */
  if (user) f |= PTE_U;
  return f;
}

/* What every space maps for the kernel (supervisor only): all RAM read-write
 * and never executable except page 0 (null pointers fault), the kernel's
 * regions with their permissions and its guard pages unmapped, and the two
 * APICs uncached. */
static int map_kernel(struct vanity_table_pool *s) {
  int r = map(s, vanity_system.ram_base, vanity_system.ram_base, vanity_system.ram_size, KERNEL_RW);
  if (!r && vanity_system.ram_base == 0) r = map(s, 0, 0, PAGE, 0);
  if (!r) r = vanity_map_regions(s, vanity_system.kernel_regions, vanity_system.kernel_region_count, 0, map, region_flags);
  if (!r) r = map(s, LAPIC, LAPIC, PAGE, KERNEL_DEV);
  if (!r) r = map(s, IOAPIC, IOAPIC, PAGE, KERNEL_DEV);
  return r;
}

int platform_build_space(const struct vanity_shard_desc *shard) {
  return vanity_build_shard_space(&spaces[1u + shard->id], shard, map_kernel, map, region_flags);
}

/* ---------------------------------------------------------------- cores */

/* The calling core's descriptor tables, per-core block, system-call MSRs and
 * local APIC. */
static void cpu_init(uint32_t core) {
  percpu[core].kernel_rsp = kernel_stack_top(core);
  percpu[core].core = core;
  tss[core].rsp[0] = kernel_stack_top(core);
  tss[core].ist[0] = (uint64_t)(uintptr_t)&df_stack[core][sizeof df_stack[core]];
  tss[core].iomap = sizeof(struct tss); /* no I/O bitmap: no port is reachable from ring 3 */
  for (unsigned i = 0; i < GDT_ENTRIES; i++) gdt[core][i] = boot_gdt[i];
  uint64_t base = (uint64_t)(uintptr_t)&tss[core], limit = sizeof(struct tss) - 1;
  gdt[core][SEL_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) | (((limit >> 16) & 0xf) << 48) |
                           (((base >> 24) & 0xff) << 56);
  gdt[core][SEL_TSS / 8 + 1] = base >> 32;
  struct __attribute__((packed)) {
    uint16_t limit;
    uint64_t base;
  } gdtr = {sizeof gdt[core] - 1, (uint64_t)(uintptr_t)gdt[core]}, idtr = {sizeof idt - 1, (uint64_t)(uintptr_t)idt};
  __asm__ volatile("lgdt %0\n\tlidt %1\n\tltr %w2" ::"m"(gdtr), "m"(idtr), "r"(SEL_TSS) : "memory");
  wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)&percpu[core]);
  wrmsr(MSR_KERNEL_GS_BASE, 0);
  wrmsr(MSR_STAR, ((uint64_t)SEL_KDATA << 48) | ((uint64_t)SEL_KCODE << 32));
  wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)syscall_entry);
  wrmsr(MSR_SFMASK, 0x47700); /* clear TF, IF, DF, IOPL, NT and AC on syscall */
  if (have_smep) {
    uint64_t cr4;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("mov %0, %%cr4" ::"r"(cr4 | CR4_SMEP) : "memory");
  }
  lapic_init();
}

static volatile uint32_t ap_arrived;

/* Starts `core` in its shard's address space: INIT, then a start-up IPI to
 * the trampoline, and a second one if the core has not arrived within
 * 200 us. (The 10 ms pause after INIT of the MultiProcessor Specification
 * is for processors before the Pentium 4, so it is left out.) Then it waits
 * up to 5 s: a real core arrives in microseconds, but an emulated one on a
 * busy host can take over 100 ms, and the next core's start must not begin
 * before this one has read its mailbox (ap_core). A core that never arrives
 * is reported. */
static uint32_t context_cpu(uint32_t context) {
  return context < vanity_system.context_count ? vanity_system.contexts[context].cpu : context;
}

void platform_start_core(uint32_t core, const struct vanity_shard_desc *shard) {
  if (context_cpu(core) == platform_core_id()) arch_enter_user(shard->entry, vanity_shard_stack_top(shard, core));
  if (core >= MAX_CORES) {
    kprintf("x86_64-pc: core %u is beyond this port's %u cores\n", core, MAX_CORES);
    return;
  }
  ap_core = core;
  ap_cr3 = (uint32_t)(uintptr_t)spaces[1u + shard->id].root; /* tables live below 4 GiB */
  __atomic_store_n(&ap_arrived, 0u, __ATOMIC_SEQ_CST);
  lapic_ipi(core, ICR_INIT);
  for (int sipi = 0; sipi < 2 && !__atomic_load_n(&ap_arrived, __ATOMIC_ACQUIRE); sipi++) {
    lapic_ipi(core, ICR_STARTUP | (TRAMPOLINE >> 12));
    uint64_t until = platform_time_ns() + (sipi == 0 ? 200000ull : 5000000000ull);
    while (!__atomic_load_n(&ap_arrived, __ATOMIC_ACQUIRE) && platform_time_ns() < until) cpu_relax();
  }
  if (!__atomic_load_n(&ap_arrived, __ATOMIC_ACQUIRE)) kprintf("x86_64-pc: core %u did not start (INIT-SIPI-SIPI)\n", core);
}

/* ---------------------------------------------------------------- shared cores */

extern void arch_switch(uint64_t *save_rsp, const uint64_t *load_rsp);
extern void arch_switch_fresh(uint64_t *save_rsp, uint64_t stack_top, uint32_t context);

/* A context's kernel stack pointer while another runs on its core
 * (arch_switch pushed the rest there). Its shard's x87/SSE state waits in
 * its own platform_switch frame; a fresh context clears them as it enters
 * its shard. (Shards cannot change their FS and GS bases: CR4.FSGSBASE
 * stays off.) */
static uint64_t switch_rsp[VANITY_MAX_CORES];

void platform_switch(uint32_t from, uint32_t to, int fresh) {
  uint8_t fx[512] __attribute__((aligned(16)));
  uint32_t cpu = platform_core_id(), shard = vanity_system.contexts[to].shard;
  __asm__ volatile("fxsave64 %0" : "=m"(fx));
  /* Traps from ring 3 land on the running context's own kernel stack. */
  percpu[cpu].kernel_rsp = kernel_stack_top(to);
  tss[cpu].rsp[0] = kernel_stack_top(to);
  __asm__ volatile("mov %0, %%cr3" ::"r"((uint64_t)(uintptr_t)spaces[1u + shard].root) : "memory");
  if (fresh) arch_switch_fresh(&switch_rsp[from], kernel_stack_top(to), to);
  else arch_switch(&switch_rsp[from], &switch_rsp[to]);
  /* Back: whoever switched here set the stack and address space. */
  __asm__ volatile("fxrstor64 %0" ::"m"(fx));
}

/* The local APIC timer, one-shot; 0: off. */
void platform_timer_set(uint64_t deadline_ns) {
  if (!deadline_ns) {
    lapic_write(LAPIC_TIMER_INIT, 0);
    return;
  }
  uint64_t now = platform_time_ns(), ns = deadline_ns > now ? deadline_ns - now : 0;
  if (ns > 60000000000ull) ns = 60000000000ull;
  uint64_t ticks = ns * lapic_hz / 1000000000ull;
  lapic_write(LAPIC_TIMER_INIT, ticks == 0 ? 1u : ticks > 0xffffffffull ? 0xffffffffu : (uint32_t)ticks);
}

static void check_apic_id(uint32_t core) {
  uint32_t id = lapic_read(LAPIC_ID) >> 24;
  if (id != core) {
    kprintf("x86_64-pc: core %u has APIC id %u; this port expects them equal\n", core, id);
    platform_shutdown(2);
  }
}

void platform_boot_main(void) {
  serial_init();
  platform_console_putc('\n'); /* after SeaBIOS's "Booting from ROM.." */
  outb(0x21, 0xff); /* mask both 8259 PICs: interrupts come through the APICs */
  outb(0xa1, 0xff);
  if (vanity_system.cpu_count > MAX_CORES) {
    kprintf("x86_64-pc: the system uses %u cores; this port supports %u\n", vanity_system.cpu_count, MAX_CORES);
    platform_shutdown(2);
  }
  struct vanity_table_pool *k = vanity_table_pool_init(&spaces[0], 0);
  if (!k || map_kernel(k) || map(k, HPET, HPET, PAGE, KERNEL_DEV)) {
    kprintf("x86_64-pc: cannot build the kernel's page table\n");
    platform_shutdown(2);
  }
  __asm__ volatile("mov %0, %%cr3" ::"r"((uint64_t)(uintptr_t)k->root) : "memory");
  uint32_t a, b, c, d;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
  if (a >= 7) {
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
    have_smep = (b >> 7) & 1;
  }
  idt_init();
  cpu_init(0);
  check_apic_id(0);
  for (char *src = ap_trampoline, *dst = (char *)TRAMPOLINE; src < ap_trampoline_end;) *dst++ = *src++;
  clocks_init();
  ioapic_init();
  kernel_init();
  kernel_core_loop();
}

void platform_secondary_main(uint32_t core) {
  cpu_init(core);
  check_apic_id(core);
  __atomic_store_n(&ap_arrived, 1u, __ATOMIC_RELEASE);
  kernel_secondary_start(core);
}

/* ---------------------------------------------------------------- traps */

struct frame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector, error;
  uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU (by syscall_entry for system calls) */
};

static uint64_t read_cr2(void) {
  uint64_t v;
  __asm__ volatile("mov %%cr2, %0" : "=r"(v));
  return v;
}

/* An exception in the kernel itself (or an NMI or machine check anywhere):
 * report it and stop with status 3. */
static void kernel_exception(struct frame *f) __attribute__((noreturn));
static void kernel_exception(struct frame *f) {
  uint64_t cr2 = read_cr2();
  uint32_t core = platform_core_id();
  uint64_t guard = kernel_stack_top(core) - (uint64_t)(uintptr_t)__vanity_stack_size - PAGE;
  if (f->vector == 8 || (f->vector == 14 && cr2 >= guard && cr2 < guard + PAGE))
    kprintf("x86_64-pc: PANIC: kernel stack overflow on core %u (exception %lu, rip=0x%lx cr2=0x%lx)\n", core, f->vector,
            f->rip, cr2);
  else
    kprintf("x86_64-pc: PANIC: kernel exception %lu on core %u: error=0x%lx rip=0x%lx cr2=0x%lx\n", f->vector, core,
            f->error, f->rip, cr2);
  platform_shutdown(3);
}

/* An exception in ring 3: the shard's fault, by kind. */
static void user_fault(struct frame *f) __attribute__((noreturn));
static void user_fault(struct frame *f) {
  uint64_t addr = f->rip;
  uint32_t kind;
  switch (f->vector) {
  case 14: /* page fault: the I/D bit of the error code tells fetches from accesses */
    addr = read_cr2();
    kind = (f->error & (1u << 4)) ? VANITY_FAULT_INSTRUCTION : VANITY_FAULT_DATA;
    break;
  case 6: { /* invalid opcode: Swift traps are ud2 (0f 0b) */
    const volatile uint8_t *op = (const volatile uint8_t *)(uintptr_t)f->rip;
    kind = op[0] == 0x0f && op[1] == 0x0b ? VANITY_FAULT_TRAP : VANITY_FAULT_UNDEFINED;
    break;
  }
  case 3: kind = VANITY_FAULT_TRAP; break; /* int3 */
  case 17: kind = VANITY_FAULT_ALIGNMENT; break; /* #AC: the shard set RFLAGS.AC */
  default: kind = VANITY_FAULT_OTHER; break; /* #GP (a privileged instruction, a non-canonical address), #DE, ... */
  }
  kernel_fault(kind, f->rip, addr);
}

void platform_trap(struct frame *f) {
  int from_user = (f->cs & 3) == 3;
  if (f->vector < 32) {
    if (!from_user || f->vector == 2 || f->vector == 18) kernel_exception(f); /* NMI, machine check: not the shard's */
    user_fault(f);
  }
  if (f->vector >= VEC_IOAPIC && f->vector < VEC_IOAPIC + 24) {
    kernel_irq((uint32_t)(f->vector - VEC_IOAPIC)); /* masks the line until the shard's irq-ack */
    lapic_write(LAPIC_EOI, 0);
  } else if (f->vector != VEC_SPURIOUS) {
    lapic_write(LAPIC_EOI, 0); /* timer, kick */
  }
  if (from_user) kernel_user_return(f->rip);
}

void platform_syscall(struct frame *f) {
  f->rax = (uint64_t)kernel_syscall(f->rax, f->rdi, f->rsi, f->rdx);
  kernel_user_return(f->rip);
}
