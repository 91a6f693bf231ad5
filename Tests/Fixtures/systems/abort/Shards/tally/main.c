#include "../common.h"
int main(void) { return tally_main(&vanity_channel_ticks); }
