#include "../common.h"
int main(void) { return ticker_main(&vanity_channel_ticks); }
