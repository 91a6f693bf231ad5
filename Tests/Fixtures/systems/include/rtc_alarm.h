/* The RTC alarms the interrupt fixtures use (hostile's irq, wake's waiter,
 * watchdog's alarm), one place for each board's registers: the PL031 on
 * aarch64-virt (and the simulator's RTC, which has no interrupt), the
 * Goldfish RTC on riscv64-virt, HPET timer 0 on x86_64-pc. Include it after
 * <vanity_shard.h>: the device's compatible macros choose the board. */
#ifndef VANITY_FIXTURE_RTC_ALARM_H
#define VANITY_FIXTURE_RTC_ALARM_H

#include <vanity/vanity.h>

#if defined(VANITY_DEVICE_RTC_COMPAT_INTEL_HPET)
/* The HPET's 64-bit main counter, read as two halves. */
static inline uint64_t hpet_now(uintptr_t hpet) {
  uint32_t hi, lo;
  do {
    hi = vanity_mmio_read32(hpet + 0xf4);
    lo = vanity_mmio_read32(hpet + 0xf0);
  } while (hi != vanity_mmio_read32(hpet + 0xf4));
  return ((uint64_t)hi << 32) | lo;
}
#endif

/* The alarm 1-2 s ahead, its interrupt enabled. */
static inline void rtc_alarm_arm(uintptr_t rtc) {
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
static inline void rtc_alarm_quiet(uintptr_t rtc) {
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

#endif
