#include <vanity_shard.h>
#include <vanity/vanity.h>
/* Takes one report from each of the fourteen workers (worker n on core n),
 * then lets every core idle for IDLE_NS and stops the system: its report
 * shows each core's busy time. */
#define WORKERS 14
#define IDLE_NS 1000000000ll
static const struct vanity_channel *const reports[WORKERS] = {
    &vanity_channel_r01, &vanity_channel_r02, &vanity_channel_r03, &vanity_channel_r04, &vanity_channel_r05,
    &vanity_channel_r06, &vanity_channel_r07, &vanity_channel_r08, &vanity_channel_r09, &vanity_channel_r10,
    &vanity_channel_r11, &vanity_channel_r12, &vanity_channel_r13, &vanity_channel_r14,
};
int main(void) {
  uint32_t wrong = 0;
  for (uint32_t i = 0; i < WORKERS; i++) {
    uint64_t core = 0;
    vanity_recv(reports[i], &core);
    if (core != i + 1) {
      vanity_printf("boss: worker %u reports core %lu\n", i + 1, core);
      wrong++;
    }
  }
  vanity_printf("boss: %u workers reported, on cores 1-%u; %u wrong; boss on core %u\n", WORKERS, WORKERS, wrong,
                VANITY_SHARD_CORE);
  int64_t until = vanity_time_ns() + IDLE_NS;
  for (int64_t now = vanity_time_ns(); now < until; now = vanity_time_ns()) vanity_wait((uint64_t)(until - now));
  vanity_printf("boss: stopping\n");
  vanity_shutdown(wrong ? 1 : 0);
  return 0;
}
