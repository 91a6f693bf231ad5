// Channel benchmark (not a test): one producer thread and one consumer
// thread, pinned to two different cores, move 64-byte messages through
//   - Vanity's ring and channel library (<vanity/vanity.h>), one message at a
//     time and in batches of 32;
//   - boost::lockfree::spsc_queue, the reference, in the same run;
// plus the physical floor: a ping-pong on one shared cache line between the
// two cores (what one index hand-off costs). Run: make bench-channels.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <pthread.h>
#include <sched.h>
#include <thread>
#include <vector>

#include <boost/lockfree/spsc_queue.hpp>

extern "C" {
#include <vanity/vanity.h>
}

__thread struct vanity_shard_status ring_test_status;
struct vanity_shard_status vanity_status;
// Never waits in this benchmark: both sides spin.
extern "C" int64_t ring_test_syscall(uint64_t, uint64_t, uint64_t, uint64_t) { return 0; }

struct Msg {
  uint64_t w[8];
};

static void pin(int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

static double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

static const uint64_t N = 20000000;

static vanity_channel make_ring(uint32_t slots) {
  size_t bytes = VANITY_RING_HEADER_SIZE + 64ull * slots;
  auto *r = static_cast<vanity_ring *>(aligned_alloc(4096, (bytes + 4095) / 4096 * 4096));
  memset(r, 0, bytes);
  r->info.msg_size = 64;
  r->info.slots = slots;
  vanity_channel ch = {r, 0, VANITY_DIR_SEND, 1, 0, 64, slots};
  return ch;
}

static double vanity_rate(uint32_t batch) {
  vanity_channel shared = make_ring(1024);
  std::atomic<uint64_t> sum{0};
  auto t = std::chrono::steady_clock::now();
  std::thread consumer([&] {
    pin(1);
    const vanity_channel ch = shared; // each side keeps its own handle, as a shard does
    std::vector<Msg> buf(batch);
    uint64_t got = 0, s = 0;
    while (got < N) {
      uint32_t n = batch == 1 ? (uint32_t)vanity_try_recv(&ch, buf.data()) : vanity_try_recv_batch(&ch, buf.data(), batch);
      for (uint32_t i = 0; i < n; i++) s += buf[i].w[0] + (buf[i].w[7] - buf[i].w[0]);
      got += n;
    }
    sum = s;
  });
  pin(0);
  const vanity_channel ch = shared;
  std::vector<Msg> buf(batch);
  uint64_t sent = 0;
  while (sent < N) {
    uint32_t want = (uint32_t)std::min<uint64_t>(batch, N - sent);
    for (uint32_t i = 0; i < want; i++)
      for (int k = 0; k < 8; k++) buf[i].w[k] = sent + i;
    uint32_t n = batch == 1 ? (uint32_t)vanity_try_send(&ch, buf.data()) : vanity_try_send_batch(&ch, buf.data(), want);
    sent += n;
  }
  consumer.join();
  double secs = seconds_since(t);
  if (sum != N * (N - 1) / 2) std::fprintf(stderr, "vanity: checksum mismatch\n");
  free(shared.ring);
  return N / secs;
}

static double boost_rate() {
  boost::lockfree::spsc_queue<Msg, boost::lockfree::capacity<1024>> q;
  std::atomic<uint64_t> sum{0};
  auto t = std::chrono::steady_clock::now();
  std::thread consumer([&] {
    pin(1);
    Msg m;
    uint64_t got = 0, s = 0;
    while (got < N)
      if (q.pop(m)) {
        s += m.w[0] + (m.w[7] - m.w[0]);
        got++;
      }
    sum = s;
  });
  pin(0);
  Msg m{};
  for (uint64_t i = 0; i < N;) {
    for (int k = 0; k < 8; k++) m.w[k] = i;
    if (q.push(m)) i++;
  }
  consumer.join();
  double secs = seconds_since(t);
  if (sum != N * (N - 1) / 2) std::fprintf(stderr, "boost: checksum mismatch\n");
  return N / secs;
}

// Zero-copy batches: messages are built and read in the ring itself.
static double vanity_zero_copy_rate(uint32_t batch) {
  vanity_channel shared = make_ring(1024);
  std::atomic<uint64_t> sum{0};
  auto t = std::chrono::steady_clock::now();
  std::thread consumer([&] {
    pin(1);
    const vanity_channel ch = shared;
    uint64_t got = 0, s = 0;
    while (got < N) {
      const void *first;
      uint32_t n = vanity_recv_peek(&ch, &first, batch);
      const Msg *m = static_cast<const Msg *>(first);
      for (uint32_t i = 0; i < n; i++) s += m[i].w[0] + (m[i].w[7] - m[i].w[0]);
      vanity_recv_release(&ch, n);
      got += n;
    }
    sum = s;
  });
  pin(0);
  const vanity_channel ch = shared;
  uint64_t sent = 0;
  while (sent < N) {
    void *first;
    uint32_t n = vanity_send_reserve(&ch, &first, (uint32_t)std::min<uint64_t>(batch, N - sent));
    Msg *m = static_cast<Msg *>(first);
    for (uint32_t i = 0; i < n; i++)
      for (int k = 0; k < 8; k++) m[i].w[k] = sent + i;
    vanity_send_commit(&ch, n);
    sent += n;
  }
  consumer.join();
  double secs = seconds_since(t);
  if (sum != N * (N - 1) / 2) std::fprintf(stderr, "vanity zero-copy: checksum mismatch\n");
  free(shared.ring);
  return N / secs;
}

// The physical limit for one message at a time: each 64-byte message is one
// cache line carrying its own sequence number, the consumer spins on that
// line, and no shared index exists at all (FastForward-style). Nothing can
// hand over single messages between the cores faster than this.
static double line_stream_rate() {
  const uint32_t slots = 1024;
  Msg *ring = static_cast<Msg *>(aligned_alloc(4096, sizeof(Msg) * slots));
  memset(ring, 0, sizeof(Msg) * slots);
  auto t = std::chrono::steady_clock::now();
  std::thread consumer([&] {
    pin(1);
    uint64_t s = 0;
    for (uint64_t i = 1; i <= N; i++) {
      volatile uint64_t *w = &ring[i & (slots - 1)].w[0];
      while (__atomic_load_n(w, __ATOMIC_ACQUIRE) != i) {
      }
      s += ring[i & (slots - 1)].w[7];
      __atomic_store_n(&ring[i & (slots - 1)].w[1], i, __ATOMIC_RELEASE); // hand the slot back
    }
    (void)s;
  });
  pin(0);
  for (uint64_t i = 1; i <= N; i++) {
    Msg *m = &ring[i & (slots - 1)];
    if (i > slots)
      while (__atomic_load_n(&m->w[1], __ATOMIC_ACQUIRE) != i - slots) {
      }
    for (int k = 2; k < 8; k++) m->w[k] = i;
    __atomic_store_n(&m->w[0], i, __ATOMIC_RELEASE);
  }
  consumer.join();
  double secs = seconds_since(t);
  free(ring);
  return N / secs;
}

// Round trip of one cache line between the two cores.
static double line_round_trip_ns() {
  alignas(64) static std::atomic<uint64_t> line{0};
  const uint64_t rounds = 2000000;
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

// Latency: one message there and one back through two Vanity rings.
static double vanity_round_trip_ns() {
  vanity_channel there0 = make_ring(64), back0 = make_ring(64);
  const uint64_t rounds = 1000000;
  std::thread echo([&] {
    pin(1);
    const vanity_channel there = there0, back = back0;
    Msg m;
    for (uint64_t i = 0; i < rounds; i++) {
      while (!vanity_try_recv(&there, &m)) {
      }
      while (!vanity_try_send(&back, &m)) {
      }
    }
  });
  pin(0);
  const vanity_channel there = there0, back = back0;
  Msg m{};
  auto t = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < rounds; i++) {
    m.w[0] = i;
    while (!vanity_try_send(&there, &m)) {
    }
    while (!vanity_try_recv(&back, &m)) {
    }
  }
  double secs = seconds_since(t);
  echo.join();
  free(there0.ring);
  free(back0.ring);
  return secs / rounds * 1e9;
}

int main() {
  double rt = line_round_trip_ns();
  double stream = line_stream_rate();
  double b = boost_rate();
  double one = vanity_rate(1);
  double batch = vanity_rate(32);
  double zero = vanity_zero_copy_rate(32);
  double lat = vanity_round_trip_ns();
  std::printf("channel-bench: 64-byte messages, producer on cpu 0, consumer on cpu 1, %llu messages per run\n",
              (unsigned long long)N);
  std::printf("  floor: one cache line round trip between the cores   %.0f ns\n", rt);
  std::printf("  floor: one line per message, no indices (FastForward) %.2f M msg/s\n", stream / 1e6);
  std::printf("  reference: boost::lockfree::spsc_queue (1024)         %.2f M msg/s\n", b / 1e6);
  std::printf("  vanity, one message at a time (1024 slots)            %.2f M msg/s  (%.1fx boost, %.0f%% of the floor)\n", one / 1e6, one / b, 100 * one / stream);
  std::printf("  vanity, batches of 32                                 %.2f M msg/s  (%.1fx boost)\n", batch / 1e6, batch / b);
  std::printf("  vanity, zero-copy batches of 32 (reserve/commit)     %.2f M msg/s  (%.1fx boost)\n", zero / 1e6, zero / b);
  std::printf("  vanity round trip (one message there and back)        %.0f ns  (%.1fx the cache-line floor)\n", lat, lat / rt);
  return 0;
}
