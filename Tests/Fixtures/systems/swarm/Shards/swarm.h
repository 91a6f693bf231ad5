#ifndef SWARM_H
#define SWARM_H
#include <vanity/vanity.h>
#define SWARM_MESSAGES 600u
struct swarm_msg {
  uint64_t seq;
  uint64_t check;
};
static inline uint64_t swarm_check(uint64_t seq) { return seq * 0x9e3779b97f4a7c15ull; }
#endif
