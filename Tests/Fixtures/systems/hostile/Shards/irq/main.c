#include <vanity_shard.h>
#include <vanity/vanity.h>
/* First run: takes the RTC alarm's interrupt, quiets the device, and faults
 * without acknowledging the line (which the kernel masked when it fired).
 * Second run: arms the alarm again; the restart must have unmasked the line.
 * PL031 (aarch64-virt), Goldfish (riscv64-virt), HPET timer 0 (x86_64-pc);
 * the simulator's RTC has no interrupt. */
static void done(void) {
  uint64_t one = 1;
  vanity_send(&vanity_channel_irqdone, &one);
  for (;;) vanity_wait(0);
}

#if defined(VANITY_DEVICE_RTC_COMPAT_INTEL_HPET)
static uint64_t hpet_now(uintptr_t hpet) {
  uint32_t hi, lo;
  do {
    hi = vanity_mmio_read32(hpet + 0xf4);
    lo = vanity_mmio_read32(hpet + 0xf0);
  } while (hi != vanity_mmio_read32(hpet + 0xf4));
  return ((uint64_t)hi << 32) | lo;
}
#endif

/* The alarm 1-2 s ahead, its interrupt enabled. */
static void arm(uintptr_t rtc) {
#if defined(VANITY_DEVICE_RTC_COMPAT_GOOGLE_GOLDFISH_RTC)
  uint64_t lo = vanity_mmio_read32(rtc + 0x00), hi = vanity_mmio_read32(rtc + 0x04);
  uint64_t at = ((hi << 32) | lo) + 1500000000ull;
  vanity_mmio_write32(rtc + 0x10, 1);                    /* IRQ_ENABLED */
  vanity_mmio_write32(rtc + 0x0c, (uint32_t)(at >> 32)); /* ALARM_HIGH */
  vanity_mmio_write32(rtc + 0x08, (uint32_t)at);         /* ALARM_LOW: arms it */
#elif defined(VANITY_DEVICE_RTC_COMPAT_INTEL_HPET)
  uint64_t hz = 1000000000000000ull / vanity_mmio_read32(rtc + 0x04);
  uint64_t at = hpet_now(rtc) + hz + hz / 2;
  vanity_mmio_write32(rtc + 0x108, (uint32_t)at); /* T0 comparator, then its interrupt (edge, one-shot) */
  vanity_mmio_write32(rtc + 0x10c, (uint32_t)(at >> 32));
  vanity_mmio_write32(rtc + 0x100, 1u << 2);
#else
  vanity_mmio_write32(rtc + 0x04, vanity_mmio_read32(rtc + 0x00) + 2); /* match */
  vanity_mmio_write32(rtc + 0x10, 1);                                  /* unmask the alarm */
#endif
}

/* The device stops asserting its interrupt. */
static void quiet(uintptr_t rtc) {
#if defined(VANITY_DEVICE_RTC_COMPAT_GOOGLE_GOLDFISH_RTC)
  vanity_mmio_write32(rtc + 0x10, 0);
  vanity_mmio_write32(rtc + 0x1c, 1); /* CLEAR_INTERRUPT */
#elif defined(VANITY_DEVICE_RTC_COMPAT_INTEL_HPET)
  vanity_mmio_write32(rtc + 0x100, 0);
#else
  vanity_mmio_write32(rtc + 0x10, 0);
  vanity_mmio_write32(rtc + 0x1c, 1);
#endif
}

int main(void) {
  if (vanity_device_rtc.irq == VANITY_NO_IRQ) {
    vanity_printf("irq: the RTC has no interrupt here\n");
    done();
  }
  uintptr_t rtc = vanity_device_rtc.base;
  int64_t gen = vanity_generation(VANITY_SHARD_ID);
  arm(rtc);
  int64_t bits = vanity_wait(4000000000ull);
  quiet(rtc);
  vanity_printf("irq: generation %ld woken with bits 0x%lx\n", gen, bits);
  if (gen == 1) __builtin_trap(); /* no vanity_irq_ack */
  done();
  return 0;
}
