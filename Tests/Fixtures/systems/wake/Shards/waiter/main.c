#include <vanity_shard.h>
#include <vanity/vanity.h>
/* Asks the poker for messages on its channels and logs what each wait
 * reports; then takes the RTC alarm's interrupt twice, the second time
 * acknowledged by the wait itself (PL031 on aarch64-virt,
 * Goldfish on riscv64-virt, HPET timer 0 on x86_64-pc; the simulator's RTC
 * has no interrupt). */
static void ask(uint64_t cmd) { vanity_send(&vanity_channel_go, &cmd); }

static void report(const char *what, int64_t w) {
  uint64_t woke = (uint64_t)w;
  vanity_printf("waiter: %s -> 0x%lx: left %d/%d right %d/%d go %d rtc %d/%d kinds %d%d%d\n", what, woke,
                (woke & VANITY_WOKE_CHANNEL_LEFT) != 0, vanity_woke_channel(woke, &vanity_channel_left),
                (woke & VANITY_WOKE_CHANNEL_RIGHT) != 0, vanity_woke_channel(woke, &vanity_channel_right),
                vanity_woke_channel(woke, &vanity_channel_go), (woke & VANITY_WOKE_IRQ_RTC) != 0,
                vanity_woke_device(woke, &vanity_device_rtc), (woke & VANITY_WAKE_CHANNEL) != 0, (woke & VANITY_WAKE_IRQ) != 0,
                (woke & VANITY_WAKE_SUPERVISED) != 0);
}

#include "../../../include/rtc_alarm.h"

int main(void) {
  uint64_t m;
  vanity_printf("waiter: indices go %u left %u right %u swdone %u (system ids %u %u %u %u), rtc %u\n",
                vanity_channel_go.wake_index, vanity_channel_left.wake_index, vanity_channel_right.wake_index,
                vanity_channel_swdone.wake_index, vanity_channel_go.id, vanity_channel_left.id, vanity_channel_right.id,
                vanity_channel_swdone.id, vanity_device_rtc.irq_index);

  ask(1);
  report("left", vanity_wait(0));
  vanity_recv(&vanity_channel_left, &m);

  ask(2);
  report("right", vanity_wait(0));
  vanity_recv(&vanity_channel_right, &m);

  /* A blocking receive on right: the wakes it takes are kept for the wait. */
  ask(3);
  vanity_recv(&vanity_channel_right, &m);
  report("both", vanity_wait(0));
  vanity_recv(&vanity_channel_left, &m);

  if (vanity_device_rtc.irq == VANITY_NO_IRQ) {
    vanity_printf("waiter: the RTC has no interrupt here\n");
  } else {
    rtc_alarm_arm(vanity_device_rtc.base);
    /* The poker's library may still notify right for the last message (the
     * receive above set its waiting flag): such a late wake is passed over. */
    int64_t w;
    do w = vanity_wait(0);
    while (!(w & VANITY_WAKE_IRQ));
    rtc_alarm_quiet(vanity_device_rtc.base);
    report("rtc", w);
    /* Acknowledging in the wait what is not its own: refused, no wait. */
    vanity_printf("waiter: acknowledging another's interrupt -> %ld, a channel -> %ld\n",
                  vanity_wait_ack(1, VANITY_WAKE_IRQ_BIT(1)), vanity_wait_ack(1, VANITY_WAKE_CHANNEL_BIT(0)));
    /* The alarm again: the kernel masked the line when it fired, and the
     * wait acknowledges it first (10 s at most: without the acknowledgement
     * it would time out). */
    rtc_alarm_arm(vanity_device_rtc.base);
    uint64_t ack = (uint64_t)w & VANITY_WAKE_IRQS;
    do {
      w = vanity_wait_ack(10000000000ull, ack);
      ack = 0;
    } while (w > 0 && !(w & VANITY_WAKE_IRQ));
    rtc_alarm_quiet(vanity_device_rtc.base);
    report("rtc again", w);
    vanity_printf("waiter: ack -> %ld\n", vanity_irq_ack(vanity_device_rtc.irq));
  }

  ask(4);
  vanity_recv(&vanity_channel_swdone, &m);
  vanity_printf("waiter: done\n");
  vanity_shutdown(0);
  return 0;
}
