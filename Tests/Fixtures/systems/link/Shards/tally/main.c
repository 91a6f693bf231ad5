#define MIN_RUN_NS 4000000000ll /* long enough for the test to drive the link */
#include "../common.h"
int main(void) { return tally_main(&vanity_channel_ticks); }
