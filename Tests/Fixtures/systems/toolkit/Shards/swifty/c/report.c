#include <vanity/vanity.h>

#include <checksum/checksum.h>

#include "report.h"

uint32_t swifty_check(uint32_t value) { return checksum(&value, sizeof value); }

void swifty_report(uint32_t value, uint32_t check, uint32_t fromSwift, uint32_t fromC, uint32_t magic) {
  int ok = check == fromSwift && check == fromC;
  vanity_printf("swifty: %u arrived, checksum %x %s from Swift and from C, magic %u\n", value, check,
                ok ? "matches" : "DIFFERS", magic);
}
