#include <vanity_shard.h>
#include <vanity/vanity.h>
/* Arms the RTC's alarm two seconds ahead and waits for its interrupt. */
#include "../../../include/rtc_alarm.h"
int main(void) {
  uintptr_t rtc = vanity_device_rtc.base;
#if defined(VANITY_DEVICE_RTC_COMPAT_GOOGLE_GOLDFISH_RTC)
  uint64_t lo = vanity_mmio_read32(rtc + 0x00), hi = vanity_mmio_read32(rtc + 0x04);
  uint64_t now_ns = (hi << 32) | lo, at = now_ns + 2000000000ull;
  uint32_t now = (uint32_t)(now_ns / 1000000000ull);
  vanity_mmio_write32(rtc + 0x10, 1);                  /* IRQ_ENABLED */
  vanity_mmio_write32(rtc + 0x0c, (uint32_t)(at >> 32)); /* ALARM_HIGH */
  vanity_mmio_write32(rtc + 0x08, (uint32_t)at);        /* ALARM_LOW: arms it */
#elif defined(VANITY_DEVICE_RTC_COMPAT_INTEL_HPET)
  /* HPET (x86_64-pc): the main counter runs from the epoch (the kernel sets
   * it); timer 0, one-shot and edge-triggered, fires on I/O APIC pin 2 in
   * legacy replacement mode. Comparator first, then the interrupt enable. */
  uint64_t hz = 1000000000000000ull / vanity_mmio_read32(rtc + 0x04);
  uint64_t ticks = hpet_now(rtc), at = ticks + 2 * hz;
  uint32_t now = (uint32_t)(ticks / hz);
  vanity_mmio_write32(rtc + 0x108, (uint32_t)at);         /* T0 comparator */
  vanity_mmio_write32(rtc + 0x10c, (uint32_t)(at >> 32));
  vanity_mmio_write32(rtc + 0x100, 1u << 2);              /* T0 configuration: interrupt enable */
#else
  /* PL031: data (seconds), match, interrupt mask set/clear, interrupt clear. */
  uint32_t now = vanity_mmio_read32(rtc + 0x00);
  vanity_mmio_write32(rtc + 0x04, now + 2);
  vanity_mmio_write32(rtc + 0x10, 1);
#endif
  vanity_printf("alarm: waiting for interrupt %u\n", vanity_device_rtc.irq);
  int64_t bits = vanity_wait(0);
#if defined(VANITY_DEVICE_RTC_COMPAT_GOOGLE_GOLDFISH_RTC)
  vanity_mmio_write32(rtc + 0x1c, 1); /* CLEAR_INTERRUPT */
  uint64_t lo2 = vanity_mmio_read32(rtc + 0x00), hi2 = vanity_mmio_read32(rtc + 0x04);
  uint32_t later = (uint32_t)(((hi2 << 32) | lo2) / 1000000000ull);
#elif defined(VANITY_DEVICE_RTC_COMPAT_INTEL_HPET)
  vanity_mmio_write32(rtc + 0x100, 0); /* T0 interrupt off */
  uint32_t later = (uint32_t)(hpet_now(rtc) / hz);
#else
  vanity_mmio_write32(rtc + 0x10, 0);
  vanity_mmio_write32(rtc + 0x1c, 1);
  uint32_t later = vanity_mmio_read32(rtc + 0x00);
#endif
  vanity_printf("alarm: woken with bits 0x%lx, rtc %u -> %u, ack -> %ld\n", bits, now, later, vanity_irq_ack(vanity_device_rtc.irq));
  return 0;
}
