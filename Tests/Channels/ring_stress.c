/* Channel stress test: one producer thread and one consumer thread move
 * sequence-numbered messages through a ring built exactly as the kernel
 * builds it, using the shards' channel library (<vanity/vanity.h>). Checks:
 * no loss, duplication or reordering (including across index wrap-around),
 * full and empty edge cases, single and batch operations.
 *   ring_stress [messages]   (default 10^7) */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vanity/vanity.h>

__thread struct vanity_shard_status ring_test_status;
struct vanity_shard_status vanity_status[VANITY_SHARD_CORE_COUNT];

/* One wake word per side: [0] producer, [1] consumer. */
static volatile uint32_t wake[2];
static __thread int side;
static uint64_t notifies, waits;

int64_t ring_test_syscall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2) {
  (void)a0; (void)a1; (void)a2;
  if (nr == VANITY_SYS_NOTIFY) {
    __atomic_fetch_add(&notifies, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&wake[!side], 1u, __ATOMIC_RELEASE);
    syscall(SYS_futex, &wake[!side], FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    return 0;
  }
  if (nr == VANITY_SYS_WAIT) {
    __atomic_fetch_add(&waits, 1, __ATOMIC_RELAXED);
    struct timespec ts = {0, a0 ? (long)a0 : 0};
    if (!__atomic_exchange_n(&wake[side], 0u, __ATOMIC_ACQ_REL))
      syscall(SYS_futex, &wake[side], FUTEX_WAIT_PRIVATE, 0, a0 ? &ts : NULL, NULL, 0);
    return __atomic_exchange_n(&wake[side], 0u, __ATOMIC_ACQ_REL) ? VANITY_WAKE_CHANNEL : 0; /* 0: timed out */
  }
  return VANITY_E_NOSYS;
}

static int failures;
#define CHECK(cond, ...)                                                                                               \
  do {                                                                                                                 \
    if (!(cond)) {                                                                                                     \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                                             \
      fprintf(stderr, __VA_ARGS__);                                                                                    \
      fputc('\n', stderr);                                                                                             \
      failures++;                                                                                                      \
    }                                                                                                                  \
  } while (0)

static struct vanity_channel make_ring(uint32_t msg_size, uint32_t slots, uint32_t start_index) {
  size_t bytes = VANITY_RING_HEADER_SIZE + (size_t)msg_size * slots;
  struct vanity_ring *r = aligned_alloc(4096, (bytes + 4095) / 4096 * 4096);
  memset(r, 0, bytes);
  vanity_ring_init(r, msg_size, slots, start_index); /* start near 2^32 to cross the wrap early */
  struct vanity_channel ch = {r, 0, VANITY_DIR_SEND, 1, 1, msg_size, slots, 0};
  return ch;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return (uint32_t)*s;
}

struct run {
  struct vanity_channel ch;
  uint64_t count;
  int in_place;
  uint64_t bad;
};

/* Word k of message `seq`. Every 97th message starts with the free mark, so
 * the receiver must find it by `head` (ring.h, "Free marks"). */
static uint64_t word(uint64_t seq, uint32_t k) {
  if (k == 0) return seq % 97 == 0 ? VANITY_RING_FREE_MARK : seq;
  return seq * 31 + k;
}

static void fill(uint64_t *m, uint32_t words, uint64_t seq) {
  for (uint32_t i = 0; i < words; i++) m[i] = word(seq, i);
}

static void *producer(void *arg) {
  struct run *r = arg;
  side = 0;
  uint32_t words = r->ch.msg_size / 8;
  uint64_t *buf = malloc((size_t)r->ch.msg_size * 64);
  uint64_t s = 0x1234, seq = 1;
  while (seq <= r->count) {
    uint32_t n = rnd(&s) % 3 == 0 ? 1 : 1 + rnd(&s) % 64;
    if (seq + n - 1 > r->count) n = (uint32_t)(r->count - seq + 1);
    for (uint32_t i = 0; i < n; i++) fill(buf + (size_t)i * words, words, seq + i);
    if (r->in_place && rnd(&s) % 4 == 0) { /* zero-copy: build the messages in the ring */
      uint32_t done = 0;
      while (done < n) {
        void *first;
        uint32_t got = vanity_send_reserve(&r->ch, &first, n - done);
        for (uint32_t i = 0; i < got; i++) fill((uint64_t *)first + (size_t)i * words, words, seq + done + i);
        vanity_send_commit(&r->ch, got);
        done += got;
        if (done < n && !got) vanity__block(&r->ch, &r->ch.ring->consumer.producer_waiting, 1);
      }
    } else if (n == 1 && rnd(&s) % 2) {
      while (!vanity_try_send(&r->ch, buf)) vanity__block(&r->ch, &r->ch.ring->consumer.producer_waiting, 1);
    } else {
      vanity_send_batch(&r->ch, buf, n);
    }
    seq += n;
  }
  free(buf);
  return NULL;
}

static void *consumer(void *arg) {
  struct run *r = arg;
  side = 1;
  uint32_t words = r->ch.msg_size / 8;
  uint64_t *buf = malloc((size_t)r->ch.msg_size * 64);
  uint64_t s = 0x5678, expected = 1;
  while (expected <= r->count) {
    uint32_t n;
    const uint64_t *src = buf;
    int peeked = rnd(&s) % 4 == 0;
    if (peeked) { /* zero-copy: read the messages in the ring */
      const void *first;
      while ((n = vanity_recv_peek(&r->ch, &first, 1 + rnd(&s) % 64)) == 0)
        vanity__block(&r->ch, &r->ch.ring->producer.consumer_waiting, 0);
      src = first;
    } else {
      n = vanity_recv_batch(&r->ch, buf, 1 + rnd(&s) % 64);
    }
    for (uint32_t i = 0; i < n; i++, expected++) {
      const uint64_t *m = src + (size_t)i * words;
      int ok = 1;
      for (uint32_t k = 0; k < words && ok; k++) ok = m[k] == word(expected, k);
      if (!ok && r->bad++ < 5) fprintf(stderr, "FAIL: expected message %llu, got one starting %llx\n", (unsigned long long)expected,
                                       (unsigned long long)m[0]);
    }
    if (peeked) vanity_recv_release(&r->ch, n);
  }
  /* Nothing extra may follow. */
  uint64_t extra[512];
  if (vanity_try_recv(&r->ch, extra)) r->bad++;
  free(buf);
  return NULL;
}

/* `in_place`: the producer also builds messages in the ring, so from its
 * first reservation on the consumer goes by `head`; otherwise it copies
 * only and the consumer finds messages by their slots' marks. */
static void stream(uint32_t msg_size, uint32_t slots, uint32_t start, uint64_t count, int in_place) {
  struct run r = {make_ring(msg_size, slots, start), count, in_place, 0};
  pthread_t p, c;
  pthread_create(&c, NULL, consumer, &r);
  pthread_create(&p, NULL, producer, &r);
  pthread_join(p, NULL);
  pthread_join(c, NULL);
  CHECK(r.bad == 0, "%llu bad messages (msg %u, slots %u)", (unsigned long long)r.bad, msg_size, slots);
  CHECK(vanity_pending(&r.ch) == 0, "ring not empty at the end");
  CHECK(!r.ch.ring->info.in_place_sends == !in_place, "in_place_sends is %u", r.ch.ring->info.in_place_sends);
  printf("ring_stress: %llu messages of %u bytes through %u slots (start index 0x%x, %s): ok\n", (unsigned long long)count,
         msg_size, slots, start, in_place ? "copied and built in place" : "copied, found by marks");
  free(r.ch.ring);
}

static void edges(void) {
  struct vanity_channel ch = make_ring(8, 4, 0xfffffffeu);
  uint64_t m[8] = {0}, got[8];
  CHECK(!vanity_try_recv(&ch, got), "empty ring gave a message");
  CHECK(vanity_try_recv_batch(&ch, got, 8) == 0, "empty ring gave a batch");
  for (uint64_t i = 0; i < 4; i++) {
    m[0] = i;
    CHECK(vanity_try_send(&ch, m), "could not send %llu into a ring with room", (unsigned long long)i);
  }
  CHECK(!vanity_try_send(&ch, m), "full ring accepted a message");
  CHECK(vanity_try_send_batch(&ch, m, 3) == 0, "full ring accepted a batch");
  CHECK(vanity_pending(&ch) == 4, "pending %u, not 4", vanity_pending(&ch));
  CHECK(vanity_try_recv_batch(&ch, got, 8) == 4, "batch receive did not drain the ring");
  for (uint64_t i = 0; i < 4; i++) CHECK(got[i] == i, "slot %llu holds %llu", (unsigned long long)i, (unsigned long long)got[i]);
  uint64_t many[6] = {10, 11, 12, 13, 14, 15};
  CHECK(vanity_try_send_batch(&ch, many, 6) == 4, "a batch larger than the room must send what fits");
  CHECK(vanity_try_recv_batch(&ch, got, 2) == 2 && got[0] == 10 && got[1] == 11, "partial batch receive");
  CHECK(vanity_try_send_batch(&ch, many + 4, 2) == 2, "the rest of the batch after room appeared");
  CHECK(vanity_try_recv_batch(&ch, got, 8) == 4 && got[0] == 12 && got[3] == 15, "order across the wrap");
  /* A message that starts with the free mark is found by head, one at a
   * time too; one that is not there yet is not found by a stale mark. */
  m[0] = VANITY_RING_FREE_MARK;
  CHECK(vanity_try_send(&ch, m), "could not send a message starting with the free mark");
  CHECK(vanity_try_recv(&ch, got) && got[0] == VANITY_RING_FREE_MARK, "a message starting with the free mark was not delivered");
  CHECK(!vanity_try_recv(&ch, got), "an empty ring gave a message after a marked one");
  m[0] = 42;
  CHECK(vanity_try_send(&ch, m) && vanity_try_recv(&ch, got) && got[0] == 42, "one message after the marked one");
  /* A complete message is found by its slot's mark alone, before `head`
   * says it is there (a sender between writing and publishing). */
  uint32_t head = ch.ring->producer.head;
  m[0] = 43;
  vanity__copy_in(vanity__slot(&ch, head), m, 8);
  CHECK(vanity_try_recv(&ch, got) && got[0] == 43, "a message was not found by its mark");
  CHECK(vanity_pending(&ch) == 0, "the receiver ahead of head must see nothing pending, not %u", vanity_pending(&ch));
  __atomic_store_n(&ch.ring->producer.head, head + 1, __ATOMIC_RELEASE);
  CHECK(!vanity_try_recv(&ch, got), "a message found by its mark was delivered twice");
  CHECK(vanity_pending(&ch) == 0, "pending %u after draining", vanity_pending(&ch));
  printf("ring_stress: full/empty/partial-batch edges across the index wrap, escapes, marks: ok\n");
  free(ch.ring);
}

/* Slots go back to the sender in groups of VANITY_RING_HAND_BACK, at once
 * when the receiver finds the ring empty, and at once when the sender
 * waits for room. */
static void hand_back(void) {
  const uint32_t slots = 128, k = VANITY_RING_HAND_BACK;
  struct vanity_channel ch = make_ring(8, slots, 0xffffffc0u);
  uint64_t m[1] = {0}, got[1];
  CHECK(vanity_ring_hand_back(slots) == k && vanity_ring_hand_back(8) == 2 && vanity_ring_hand_back(2) == 1,
        "hand-back group sizes %u %u %u", vanity_ring_hand_back(slots), vanity_ring_hand_back(8), vanity_ring_hand_back(2));
  for (uint32_t i = 0; i < slots; i++) CHECK(vanity_try_send(&ch, m), "could not fill the ring");
  for (uint32_t i = 0; i + 1 < k; i++) CHECK(vanity_try_recv(&ch, got), "could not receive");
  CHECK(!vanity_try_send(&ch, m), "slots went back before a group was complete");
  CHECK(vanity_try_recv(&ch, got), "could not receive");
  for (uint32_t i = 0; i < k; i++) CHECK(vanity_try_send(&ch, m), "a complete group did not go back (%u)", i);
  CHECK(!vanity_try_send(&ch, m), "more than a group went back");
  CHECK(vanity_try_recv(&ch, got), "could not receive");
  __atomic_store_n(&ch.ring->consumer.producer_waiting, 1u, __ATOMIC_RELEASE); /* as vanity__block sets it */
  CHECK(vanity_try_recv(&ch, got), "could not receive");
  CHECK(vanity_try_send(&ch, m) && vanity_try_send(&ch, m) && !vanity_try_send(&ch, m),
        "slots did not go back at once to a waiting sender");
  CHECK(!ch.ring->consumer.producer_waiting, "the waiting flag was not taken");
  while (vanity_try_recv(&ch, got)) {
  }
  for (uint32_t i = 0; i < slots; i++) CHECK(vanity_try_send(&ch, m), "an emptied ring did not hand every slot back (%u)", i);
  printf("ring_stress: slots handed back in groups of %u, at once when empty or when the sender waits: ok\n", k);
  free(ch.ring);
}

int main(int argc, char **argv) {
  uint64_t total = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000ull;
  (void)rng_state;
  edges();
  hand_back();
  for (int in_place = 0; in_place <= 1; in_place++) {
    stream(8, 2, 0, total / 200, in_place);                  /* the smallest ring: constant full/empty */
    stream(64, 256, 0xffff0000u, total / 4, in_place);       /* the demo's shape, crossing 2^32 */
    stream(8, 65536, 0xfffffff0u, total / 2 - total / 4 - total / 200 + in_place * (total % 2), in_place); /* the largest ring */
  }
  printf("ring_stress: %llu messages in all, %llu notifies, %llu waits, %d failure(s)\n", (unsigned long long)total,
         (unsigned long long)notifies, (unsigned long long)waits, failures);
  return failures ? 1 : 0;
}
