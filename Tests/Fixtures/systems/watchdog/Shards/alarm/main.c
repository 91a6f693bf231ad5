#include <vanity_shard.h>
#include <vanity/vanity.h>
/* PL031: data (seconds), match, interrupt mask set/clear, interrupt clear. */
#define RTCDR 0x00u
#define RTCMR 0x04u
#define RTCIMSC 0x10u
#define RTCICR 0x1cu
int main(void) {
  uintptr_t rtc = vanity_device_rtc.base;
  uint32_t now = vanity_mmio_read32(rtc + RTCDR);
  vanity_mmio_write32(rtc + RTCMR, now + 2);
  vanity_mmio_write32(rtc + RTCIMSC, 1);
  vanity_printf("alarm: waiting for interrupt %u\n", vanity_device_rtc.irq);
  int64_t bits = vanity_wait(0);
  vanity_mmio_write32(rtc + RTCIMSC, 0);
  vanity_mmio_write32(rtc + RTCICR, 1);
  vanity_printf("alarm: woken with bits %ld, rtc %u -> %u, ack -> %ld\n", bits, now, vanity_mmio_read32(rtc + RTCDR),
                vanity_irq_ack(vanity_device_rtc.irq));
  return 0;
}
