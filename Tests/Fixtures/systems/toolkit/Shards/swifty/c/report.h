/* The Swift shard's C helper, found through its "include" folder. */
#ifndef SWIFTY_REPORT_H
#define SWIFTY_REPORT_H

#include <stdint.h>

/* The value's checksum, computed in C with the shared library. */
uint32_t swifty_check(uint32_t value);
/* Prints what arrived (Embedded Swift logs only static text). */
void swifty_report(uint32_t value, uint32_t check, uint32_t fromSwift, uint32_t fromC, uint32_t magic);

#endif
