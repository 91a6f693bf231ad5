#include <counter.h>

uint32_t series_sum(uint32_t n) { return n * (n + 1) / 2; }
