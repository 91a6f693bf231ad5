/* Found through the shard's "include" folder. */
#ifndef COUNTER_H
#define COUNTER_H

#include <stdint.h>

struct value_msg {
  uint32_t value;
  uint32_t check;
  uint64_t reserved;
};

uint32_t series_sum(uint32_t n);
const char *counter_label(void);

#endif
