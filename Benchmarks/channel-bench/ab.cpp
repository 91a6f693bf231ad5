// Compares two versions of the channel library, A and B, run against run
// in one process (Benchmarks/channel-ab.sh builds bench.cpp once per
// version). On this noisy VM two separate benchmark runs a minute apart can
// differ by 5x; here every round measures A, B, B, A back to back, so a
// change of a few percent shows. The floor contender does not use the
// library at all: its B/A is the harness's own noise.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

extern "C" {
#include <vanity/syscall.h>
int64_t ring_test_syscall(uint64_t, uint64_t, uint64_t, uint64_t) { return 0; }
int a_count();
const char *a_name(int);
double a_rate(int), b_rate(int), a_round_trip_ns(), b_round_trip_ns();
}
__thread struct vanity_shard_status ring_test_status;
struct vanity_shard_status vanity_status; /* one block: the size of either side's (an array of one, or one) */
uint64_t N = 2000000;

static double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[(size_t)(q * (v.size() - 1) + 0.5)];
}

static void report(const char *name, const std::vector<double> &a, const std::vector<double> &b, const std::vector<double> &ratio,
                   const char *unit, double scale) {
  std::printf("  %-52s A %7.1f  B %7.1f %-7s B/A %.3f [%.3f-%.3f]\n", name, quantile(a, 0.5) / scale, quantile(b, 0.5) / scale, unit,
              quantile(ratio, 0.5), quantile(ratio, 0.25), quantile(ratio, 0.75));
}

int main() {
  if (const char *e = getenv("CHANNEL_BENCH_MESSAGES")) N = strtoull(e, nullptr, 10);
  int rounds = getenv("CHANNEL_BENCH_ROUNDS") ? atoi(getenv("CHANNEL_BENCH_ROUNDS")) : 9;
  const char *only = getenv("CHANNEL_AB_ONLY");
  if (N < 1000 || rounds < 1) {
    std::fprintf(stderr, "channel-ab: CHANNEL_BENCH_MESSAGES must be at least 1000 and CHANNEL_BENCH_ROUNDS at least 1\n");
    return 2;
  }
  std::printf("channel-ab: %d rounds of A B B A, %llu messages per run; medians, and B/A's median [quartiles]\n", rounds,
              (unsigned long long)N);
  // Both sides are built from the same bench.cpp, so contender i is the
  // same measurement on both.
  for (int i = 0; i < a_count(); i++) {
    if (only && !std::strstr(a_name(i), only)) continue;
    std::vector<double> a, b, ratio;
    for (int r = 0; r < rounds; r++) {
      double a1 = a_rate(i), b1 = b_rate(i), b2 = b_rate(i), a2 = a_rate(i);
      a.push_back((a1 + a2) / 2);
      b.push_back((b1 + b2) / 2);
      ratio.push_back((b1 + b2) / (a1 + a2));
    }
    report(a_name(i), a, b, ratio, "M msg/s", 1e6);
  }
  if (!only || std::strstr("round trip", only)) {
    std::vector<double> a, b, ratio;
    for (int r = 0; r < rounds; r++) {
      double a1 = a_round_trip_ns(), b1 = b_round_trip_ns(), b2 = b_round_trip_ns(), a2 = a_round_trip_ns();
      a.push_back((a1 + a2) / 2);
      b.push_back((b1 + b2) / 2);
      ratio.push_back((b1 + b2) / (a1 + a2));
    }
    report("round trip, one message there and back (time)", a, b, ratio, "ns", 1);
  }
  return 0;
}
