#include <vanity_shard.h>
#include <vanity/vanity.h>
/* First run: takes the RTC alarm's interrupt, quiets the device, and faults
 * without acknowledging the line (which the kernel masked when it fired).
 * Second run: arms the alarm again; the restart must have unmasked the line.
 * PL031 (aarch64-virt) only; elsewhere it says so and is done. */
static void done(void) {
  uint64_t one = 1;
  vanity_send(&vanity_channel_irqdone, &one);
  for (;;) vanity_wait(0);
}

int main(void) {
#if defined(VANITY_DEVICE_RTC_COMPAT_GOOGLE_GOLDFISH_RTC) || defined(VANITY_DEVICE_RTC_COMPAT_INTEL_HPET)
  vanity_printf("irq: no PL031 here\n");
  done();
#else
  if (vanity_device_rtc.irq == VANITY_NO_IRQ) {
    vanity_printf("irq: the RTC has no interrupt here\n");
    done();
  }
  uintptr_t rtc = vanity_device_rtc.base;
  int64_t gen = vanity_generation(VANITY_SHARD_ID);
  vanity_mmio_write32(rtc + 0x04, vanity_mmio_read32(rtc + 0x00) + 2); /* match: 1-2 s ahead */
  vanity_mmio_write32(rtc + 0x10, 1);                                  /* unmask the alarm */
  int64_t bits = vanity_wait(4000000000ull);
  vanity_mmio_write32(rtc + 0x10, 0); /* the device stops asserting */
  vanity_mmio_write32(rtc + 0x1c, 1);
  vanity_printf("irq: generation %ld woken with bits %ld\n", gen, bits);
  if (gen == 1) __builtin_trap(); /* no vanity_irq_ack */
  done();
#endif
  return 0;
}
