// Channel benchmark (not a test): one producer thread and one consumer
// thread, pinned to two different cores, move 64-byte messages through
//   - Vanity's channel library (<vanity/vanity.h>, the code the shards run):
//     one message at a time and in batches of 32 and 256, each both copying
//     (vanity_try_send/recv) and in place (reserve/commit, peek/release);
//   - boost::lockfree::spsc_queue, the reference;
//   - the physical floor: a ring with no shared index where each message is
//     one cache line carrying its own sequence number (FastForward-style).
// Every producer writes and every consumer reads all 64 bytes of every
// message, and every consumer checks them.
//
// The VM this runs on is noisy: a busy neighbour changes every figure by up
// to 5x, Boost's too. So the benchmark runs in rounds: in each round every
// contender is measured between two Boost runs and scored by its ratio to
// their mean; it reports the median ratio and the quartiles over the rounds.
// Run: make bench-channels. Results: docs/performance.md.
//
// Built with CHANNEL_BENCH_SIDE=name, this file has no main: it exports the
// contenders as name_count/name_name/name_rate, and ab.cpp links two such
// builds (two versions of the library) to compare them run against run
// (Benchmarks/channel-ab.sh).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <cstring>
#include <string>
#include <pthread.h>
#include <sched.h>
#include <thread>
#include <vector>

#include <boost/lockfree/spsc_queue.hpp>

extern "C" {
#include <vanity/vanity.h>
}
// The library keeps one status block per core now (an array); an older
// side of an A/B comparison declares one block.
#ifdef VANITY_SHARD_CORE_COUNT
#define VANITY_STATUS_BLOCKS [VANITY_SHARD_CORE_COUNT]
#else
#define VANITY_STATUS_BLOCKS
#endif

#ifdef CHANNEL_BENCH_SIDE
extern __thread struct vanity_shard_status ring_test_status;
extern struct vanity_shard_status vanity_status VANITY_STATUS_BLOCKS;
extern uint64_t N; // messages per run
#else
__thread struct vanity_shard_status ring_test_status;
struct vanity_shard_status vanity_status VANITY_STATUS_BLOCKS;
// Never waits in this benchmark: both sides spin on the non-blocking calls.
extern "C" int64_t ring_test_syscall(uint64_t, uint64_t, uint64_t, uint64_t) { return 0; }
uint64_t N = 2000000; // messages per run
#endif

// Cache-line aligned, so Boost's slots are whole lines as Vanity's are (a
// plain 64-byte struct straddles two lines in Boost's storage, which cost
// Boost a quarter of its throughput here).
struct alignas(64) Msg {
  uint64_t w[8];
};

static const uint32_t SLOTS = 1024;

static void pin(int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

static double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

static void fill(Msg *m, uint64_t v) {
  for (int k = 0; k < 8; k++) m->w[k] = v;
}

// Adds the message's index to the checksum; counts a message whose words disagree.
struct Check {
  uint64_t sum = 0, bad = 0;
  void add(const Msg *m) {
    uint64_t x = 0;
    for (int k = 1; k < 8; k++) x |= m->w[k] ^ m->w[0];
    bad += x != 0;
    sum += m->w[0];
  }
  bool ok() const { return bad == 0 && sum == N * (N - 1) / 2; }
};

// Runs `consume` on cpu 1 and `produce` on cpu 0; returns messages per second.
template <class Produce, class Consume> static double run(const char *name, Produce produce, Consume consume) {
  Check result;
  auto t = std::chrono::steady_clock::now();
  std::thread consumer([&] {
    pin(1);
    Check c;
    consume(c);
    result = c;
  });
  pin(0);
  produce();
  consumer.join();
  double secs = seconds_since(t);
  if (!result.ok()) {
    std::fprintf(stderr, "channel-bench: %s delivered wrong messages\n", name);
    std::exit(1);
  }
  return N / secs;
}

static double boost_rate() {
  auto *q = new boost::lockfree::spsc_queue<Msg, boost::lockfree::capacity<SLOTS>>;
  double r = run(
      "boost",
      [&] {
        Msg m;
        for (uint64_t i = 0; i < N;) {
          fill(&m, i);
          if (q->push(m)) i++;
        }
      },
      [&](Check &c) {
        Msg m;
        for (uint64_t got = 0; got < N;)
          if (q->pop(m)) {
            c.add(&m);
            got++;
          }
      });
  delete q;
  return r;
}

// A ring, initialised as the kernel initialises one at boot.
static vanity_ring *make_ring(uint32_t slots) {
  size_t bytes = VANITY_RING_HEADER_SIZE + (size_t)sizeof(Msg) * slots;
  auto *r = static_cast<vanity_ring *>(aligned_alloc(4096, (bytes + 4095) / 4096 * 4096));
  vanity_ring_init(r, sizeof(Msg), slots, 0);
  return r;
}

// A shard's handle on a channel: its generated header declares it `static
// const`, the channel's msg_size and slots constants
// (Sources/VanityCodegen/ShardHeader.swift), so the compiler folds them into
// the inlined channel code. Each side makes its own, as each shard has its
// own.
template <uint32_t Slots> static vanity_channel shard_handle(vanity_ring *r) {
  return {r, 0, VANITY_DIR_SEND, 1, 0, sizeof(Msg), Slots, 0};
}

// One at a time, copying, with the message in a local variable as Boost's
// contender (and a shard) has it. Non-blocking: vanity_try_send /
// vanity_try_recv, retried. Blocking: the calls a shard uses, vanity_send /
// vanity_recv (they spin briefly and would sleep in the kernel if the other
// side stalled; here it never does).
template <bool Blocking> static double vanity_one_rate() {
  vanity_ring *ring = make_ring(SLOTS);
  double r = run(
      Blocking ? "vanity send/recv" : "vanity copy 1",
      [&] {
        const vanity_channel ch = shard_handle<SLOTS>(ring);
        Msg m;
        for (uint64_t sent = 0; sent < N;) {
          fill(&m, sent);
          if (Blocking) vanity_send(&ch, &m);
          else if (!vanity_try_send(&ch, &m)) continue;
          sent++;
        }
      },
      [&](Check &c) {
        const vanity_channel ch = shard_handle<SLOTS>(ring);
        Msg m;
        for (uint64_t got = 0; got < N;) {
          if (Blocking) vanity_recv(&ch, &m);
          else if (!vanity_try_recv(&ch, &m)) continue;
          c.add(&m);
          got++;
        }
      });
  free(ring);
  return r;
}

// Copying batches: vanity_try_send_batch / vanity_try_recv_batch.
static double vanity_copy_rate(uint32_t batch) {
  vanity_ring *ring = make_ring(SLOTS);
  double r = run(
      "vanity copy batch",
      [&] {
        const vanity_channel ch = shard_handle<SLOTS>(ring);
        std::vector<Msg> buf(batch);
        for (uint64_t sent = 0; sent < N;) {
          uint32_t want = (uint32_t)std::min<uint64_t>(batch, N - sent);
          for (uint32_t i = 0; i < want; i++) fill(&buf[i], sent + i);
          sent += vanity_try_send_batch(&ch, buf.data(), want);
        }
      },
      [&](Check &c) {
        const vanity_channel ch = shard_handle<SLOTS>(ring);
        std::vector<Msg> buf(batch);
        for (uint64_t got = 0; got < N;) {
          uint32_t n = vanity_try_recv_batch(&ch, buf.data(), batch);
          for (uint32_t i = 0; i < n; i++) c.add(&buf[i]);
          got += n;
        }
      });
  free(ring);
  return r;
}

// In place: messages are built and read in the ring itself.
static double vanity_in_place_rate(uint32_t batch) {
  vanity_ring *ring = make_ring(SLOTS);
  double r = run(
      batch == 1 ? "vanity in place 1" : "vanity in place batch",
      [&] {
        const vanity_channel ch = shard_handle<SLOTS>(ring);
        for (uint64_t sent = 0; sent < N;) {
          void *first;
          uint32_t n = vanity_send_reserve(&ch, &first, (uint32_t)std::min<uint64_t>(batch, N - sent));
          Msg *m = static_cast<Msg *>(first);
          for (uint32_t i = 0; i < n; i++) fill(&m[i], sent + i);
          vanity_send_commit(&ch, n);
          sent += n;
        }
      },
      [&](Check &c) {
        const vanity_channel ch = shard_handle<SLOTS>(ring);
        for (uint64_t got = 0; got < N;) {
          const void *first;
          uint32_t n = vanity_recv_peek(&ch, &first, batch);
          const Msg *m = static_cast<const Msg *>(first);
          for (uint32_t i = 0; i < n; i++) c.add(&m[i]);
          vanity_recv_release(&ch, n);
          got += n;
        }
      });
  free(ring);
  return r;
}

// The physical floor for handing over single messages: each 64-byte message
// is one cache line, its first word is its sequence number (so the line
// itself says it is ready), the consumer hands the slot back in the same
// line, and no shared index exists at all. Nothing moves single messages
// between the two cores faster than this.
static double line_stream_rate() {
  Msg *ring = static_cast<Msg *>(aligned_alloc(4096, sizeof(Msg) * SLOTS));
  memset(ring, 0, sizeof(Msg) * SLOTS);
  double r = run(
      "floor",
      [&] {
        for (uint64_t i = 1; i <= N; i++) {
          Msg *m = &ring[i & (SLOTS - 1)];
          if (i > SLOTS)
            while (__atomic_load_n(&m->w[1], __ATOMIC_ACQUIRE) != i - SLOTS) {
            }
          for (int k = 2; k < 8; k++) m->w[k] = i - 1;
          __atomic_store_n(&m->w[0], i, __ATOMIC_RELEASE);
        }
      },
      [&](Check &c) {
        for (uint64_t i = 1; i <= N; i++) {
          Msg *m = &ring[i & (SLOTS - 1)];
          while (__atomic_load_n(&m->w[0], __ATOMIC_ACQUIRE) != i) {
          }
          Msg copy = *m;
          copy.w[0] = copy.w[1] = i - 1; // the two control words
          c.add(&copy);
          __atomic_store_n(&m->w[1], i, __ATOMIC_RELEASE); // hand the slot back
        }
      });
  free(ring);
  return r;
}

// Round trip of one cache line between the two cores.
static double line_round_trip_ns() {
  alignas(64) static std::atomic<uint64_t> line{0};
  line = 0;
  const uint64_t rounds = 500000;
  std::thread other([&] {
    pin(1);
    for (uint64_t i = 0; i < rounds; i++) {
      while (line.load(std::memory_order_acquire) != 2 * i + 1) {
      }
      line.store(2 * i + 2, std::memory_order_release);
    }
  });
  pin(0);
  auto t = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < rounds; i++) {
    line.store(2 * i + 1, std::memory_order_release);
    while (line.load(std::memory_order_acquire) != 2 * i + 2) {
    }
  }
  double secs = seconds_since(t);
  other.join();
  return secs / rounds * 1e9;
}

// Latency: one message there and one back through two Vanity rings of 64
// slots. `echo(there, back)` passes one message on (cpu 1); `ping(there,
// back, i)` sends message i and waits for it to come back (cpu 0).
template <class Echo, class Ping> static double round_trip_ns(Echo echo_one, Ping ping) {
  vanity_ring *there_ring = make_ring(64), *back_ring = make_ring(64);
  const uint64_t rounds = 500000;
  std::thread echo([&] {
    pin(1);
    const vanity_channel there = shard_handle<64>(there_ring), back = shard_handle<64>(back_ring);
    for (uint64_t i = 0; i < rounds; i++) echo_one(there, back);
  });
  pin(0);
  const vanity_channel there = shard_handle<64>(there_ring), back = shard_handle<64>(back_ring);
  auto t = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < rounds; i++) ping(there, back, i);
  double secs = seconds_since(t);
  echo.join();
  free(there_ring);
  free(back_ring);
  return secs / rounds * 1e9;
}

// Copying: vanity_try_send / vanity_try_recv.
static double vanity_round_trip_ns() {
  return round_trip_ns(
      [](const vanity_channel &there, const vanity_channel &back) {
        Msg m;
        while (!vanity_try_recv(&there, &m)) {
        }
        while (!vanity_try_send(&back, &m)) {
        }
      },
      [](const vanity_channel &there, const vanity_channel &back, uint64_t i) {
        Msg m;
        fill(&m, i);
        while (!vanity_try_send(&there, &m)) {
        }
        while (!vanity_try_recv(&back, &m)) {
        }
      });
}

// In place: reserve/commit, peek/release.
static double vanity_round_trip_in_place_ns() {
  return round_trip_ns(
      [](const vanity_channel &there, const vanity_channel &back) {
        const void *in;
        void *out;
        while (!vanity_recv_peek(&there, &in, 1)) {
        }
        while (!vanity_send_reserve(&back, &out, 1)) {
        }
        *static_cast<Msg *>(out) = *static_cast<const Msg *>(in);
        vanity_recv_release(&there, 1);
        vanity_send_commit(&back, 1);
      },
      [](const vanity_channel &there, const vanity_channel &back, uint64_t i) {
        void *out;
        const void *in;
        while (!vanity_send_reserve(&there, &out, 1)) {
        }
        fill(static_cast<Msg *>(out), i);
        vanity_send_commit(&there, 1);
        while (!vanity_recv_peek(&back, &in, 1)) {
        }
        vanity_recv_release(&back, 1);
      });
}

struct Contender {
  const char *name;
  double (*rate)();
};

static const Contender contenders[] = {
    {"floor: one line per message, no shared index", line_stream_rate},
    {"vanity, one at a time, non-blocking (try_send/recv)", vanity_one_rate<false>},
    {"vanity, one at a time, blocking (send/recv)", vanity_one_rate<true>},
    {"vanity, one at a time, in place (reserve/peek 1)", [] { return vanity_in_place_rate(1); }},
    {"vanity, batches of 32, copying", [] { return vanity_copy_rate(32); }},
    {"vanity, batches of 32, in place", [] { return vanity_in_place_rate(32); }},
    {"vanity, batches of 256, copying", [] { return vanity_copy_rate(256); }},
    {"vanity, batches of 256, in place", [] { return vanity_in_place_rate(256); }},
};
static const int ncontenders = sizeof contenders / sizeof contenders[0];

#ifdef CHANNEL_BENCH_SIDE
#define SIDE_FN2(side, fn) side##_##fn
#define SIDE_FN(side, fn) SIDE_FN2(side, fn)
extern "C" int SIDE_FN(CHANNEL_BENCH_SIDE, count)() { return ncontenders; }
extern "C" const char *SIDE_FN(CHANNEL_BENCH_SIDE, name)(int i) { return contenders[i].name; }
extern "C" double SIDE_FN(CHANNEL_BENCH_SIDE, rate)(int i) { return contenders[i].rate(); }
extern "C" double SIDE_FN(CHANNEL_BENCH_SIDE, round_trip_ns)() { return vanity_round_trip_ns(); }
#else
static double median(std::vector<double> v, double q = 0.5) {
  std::sort(v.begin(), v.end());
  return v[(size_t)(q * (v.size() - 1) + 0.5)];
}

int main() {
  if (const char *e = getenv("CHANNEL_BENCH_MESSAGES")) N = strtoull(e, nullptr, 10);
  int rounds = getenv("CHANNEL_BENCH_ROUNDS") ? atoi(getenv("CHANNEL_BENCH_ROUNDS")) : 9;
  if (N < 1000 || rounds < 1) {
    std::fprintf(stderr, "channel-bench: CHANNEL_BENCH_MESSAGES must be at least 1000 and CHANNEL_BENCH_ROUNDS at least 1\n");
    return 2;
  }
  std::vector<std::vector<double>> rates(ncontenders), ratios(ncontenders), brackets(ncontenders);
  std::vector<double> boost, rtt, lat, lat_in_place;
  for (int r = 0; r < rounds; r++) {
    rtt.push_back(line_round_trip_ns());
    lat.push_back(vanity_round_trip_ns());
    lat_in_place.push_back(vanity_round_trip_in_place_ns());
    for (int c = 0; c < ncontenders; c++) {
      double b1 = boost_rate(), x = contenders[c].rate(), b2 = boost_rate();
      boost.push_back(b1);
      boost.push_back(b2);
      rates[c].push_back(x);
      ratios[c].push_back(2 * x / (b1 + b2));
      brackets[c].push_back((b1 + b2) / 2);
    }
  }
  std::printf("channel-bench: 64-byte messages, %u slots, producer on cpu 0, consumer on cpu 1;\n", SLOTS);
  std::printf("  %d rounds of %llu messages per run; ratios to Boost measured in the same round: median [quartiles]\n",
              rounds, (unsigned long long)N);
  std::printf("  %-52s %8.1f M msg/s  (median)\n", "reference: boost::lockfree::spsc_queue", median(boost) / 1e6);
  for (int c = 0; c < ncontenders; c++)
    std::printf("  %-52s %8.1f M msg/s  %5.2fx Boost [%.2f-%.2f]\n", contenders[c].name, median(rates[c]) / 1e6,
                median(ratios[c]), median(ratios[c], 0.25), median(ratios[c], 0.75));
  // The VM switches between quiet and busy spells (Boost's rate changing
  // by 3-5x). When a run saw both, report each contender's ratio over the
  // runs of each kind too, split at the geometric middle of Boost's rates.
  double lo = *std::min_element(boost.begin(), boost.end()), hi = *std::max_element(boost.begin(), boost.end());
  if (hi > 2.5 * lo) {
    double split = std::sqrt(lo * hi);
    std::printf("  this run saw quiet and busy spells (Boost %.1f-%.1f M msg/s); ratios by the Boost runs around each:\n",
                lo / 1e6, hi / 1e6);
    for (int c = 0; c < ncontenders; c++) {
      std::vector<double> quiet, busy;
      for (size_t r = 0; r < ratios[c].size(); r++) (brackets[c][r] > split ? quiet : busy).push_back(ratios[c][r]);
      auto cell = [](const std::vector<double> &v) {
        char b[32];
        if (v.empty()) std::snprintf(b, sizeof b, "%12s", "-");
        else std::snprintf(b, sizeof b, "%5.2fx (%zu runs)", median(v), v.size());
        return std::string(b);
      };
      std::printf("  %-52s quiet %s  busy %s\n", contenders[c].name, cell(quiet).c_str(), cell(busy).c_str());
    }
  }
  std::printf("  %-52s %8.0f ns\n", "floor: one cache-line round trip between the cores", median(rtt));
  std::printf("  %-52s %8.0f ns  (%.1fx the cache-line round trip)\n", "vanity round trip, one message there and back",
              median(lat), median(lat) / median(rtt));
  std::printf("  %-52s %8.0f ns  (%.1fx the cache-line round trip)\n", "vanity round trip, in place (reserve/peek)",
              median(lat_in_place), median(lat_in_place) / median(rtt));
  return 0;
}
#endif
