#include "../../../fuzz/Shards/peer/main.c"
