/* What the shared-core shards agree on. */
#include <stdint.h>

enum { ID_CLIENT = 0, ID_HI = 1, ID_HOG = 2, ID_LO = 3, ID_FPA = 4, ID_FPB = 5, ID_TICK = 6, ID_MUTE = 7 };

/* On the board region: each spinner's progress. */
struct board {
  volatile uint64_t lo_count;   /* lo, both generations */
  volatile uint64_t hog_count;  /* hog: rounds of sums, each checked */
  volatile uint64_t hog_wrong;  /* hog: sums that came out wrong */
  volatile uint32_t lo_generation;
  uint32_t pad;
  volatile uint64_t fp_rounds[2]; /* fpa, fpb (Shards/fp/main.swift: at byte 32) */
  volatile uint64_t fp_wrong[2];  /* (at byte 48) */
  volatile uint64_t tick_count;   /* tick: system calls made */
  volatile uint64_t mute_count;   /* mute, both generations */
  volatile uint32_t mute_generation;
};

struct ping {
  uint64_t seq, sent_ns;
};
struct pong {
  uint64_t seq, sent_ns;
  uint32_t disturbed; /* lo or hog made progress while hi spun */
  uint32_t pad;
};

#define PINGS 40u
#define SPIN_NS 20000000ull /* hi's work per ping: longer than a 5 ms slice */
#define LO_FAULT_AT 200000ull /* lo's first generation faults at this count */
