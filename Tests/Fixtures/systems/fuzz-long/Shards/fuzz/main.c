#define CALLS 1000000u
#include "../../../fuzz/Shards/fuzz/main.c"
