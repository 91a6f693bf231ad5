#include <vanity_shard.h>
#include <vanity/vanity.h>
/* Channel 0 ("ticks") belongs to ticker and tally; irq 34 (the RTC) to tally;
 * this shard has only the "log" capability. */
int main(void) {
  vanity_printf("caps: notify foreign channel -> %ld\n", vanity_notify(0));
  vanity_printf("caps: ack foreign irq -> %ld\n", vanity_irq_ack(34));
  vanity_printf("caps: time without the cap -> %ld\n", vanity_time_ns());
  vanity_printf("caps: shutdown without the cap -> %ld\n", vanity_shutdown(7));
  vanity_printf("caps: notify a channel that does not exist -> %ld\n", vanity_notify(99));
  vanity_printf("caps: log from a kernel address -> %ld\n", vanity_log((const char *)0x40200000, 8));
  vanity_printf("caps: unknown system call -> %ld\n", vanity_arch_syscall(77, 0, 0, 0));
  vanity_printf("caps: still running\n");
  return 0;
}
