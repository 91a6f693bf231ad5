#define MIN_RUN_NS 2500000000ll /* the RTC alarm needs up to 2 s */
#include "../common.h"
int main(void) { return tally_main(&vanity_channel_ticks); }
