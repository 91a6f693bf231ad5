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

#include "../../../include/rtc_alarm.h"

int main(void) {
  if (vanity_device_rtc.irq == VANITY_NO_IRQ) {
    vanity_printf("irq: the RTC has no interrupt here\n");
    done();
  }
  uintptr_t rtc = vanity_device_rtc.base;
  int64_t gen = vanity_generation(VANITY_SHARD_ID);
  rtc_alarm_arm(rtc);
  int64_t bits = vanity_wait(4000000000ull);
  rtc_alarm_quiet(rtc);
  vanity_printf("irq: generation %ld woken with bits 0x%lx\n", gen, bits);
  if (gen == 1) __builtin_trap(); /* no vanity_irq_ack */
  done();
  return 0;
}
