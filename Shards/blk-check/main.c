/* blk-check: a client of the block driver (Shards/blk-virtio) that checks
 * what it writes comes back, measures the throughput, and that bad
 * requests are refused (docs/io.md).
 *
 * Disk layout it uses: sector 0 holds a header naming the run that wrote
 * the pattern; the pattern covers BLK_CHECK_BYTES from byte 4096. Each run
 * numbers itself one past the header it finds, so its pattern differs from
 * the last run's:
 *
 *   1. a valid header: read the last run's pattern back and check it (what
 *      the disk kept across runs);
 *   2. write a scratch pattern in 4 KiB requests, read it back, check;
 *   3. write this run's pattern in 64 KiB requests, flush, read back, check;
 *   4. write the header, flush (the header is written only after the
 *      pattern is durable: a header means a complete pattern);
 *   5. send bad requests and check each gets its error status;
 *
 * then "blk-check: wrote N bytes, read back N, 0 wrong" and
 * vanity_shutdown(0), or vanity_shutdown(1) on any mismatch or error.
 *
 * A restart of the driver (its rings' generation moves) loses the requests
 * it had not answered: the client waits until the driver runs again, takes
 * the answers already sent, and sends the rest again (reads and writes are
 * idempotent; a buffer's data stays in the shared region). An answered
 * write was completed by the device, so the restart loses none.
 *
 * The pattern is a 64-bit word per 8 bytes of disk (little-endian), a mix
 * of the word's index and the run number: blk_check_word below, computed
 * the same way by Tests/VanityTests/BlockTests.swift. */
#include <vanity/blk.h>
#include <vanity/vanity.h>

#include <string.h>

#ifndef BLK_CHECK_BYTES
#define BLK_CHECK_BYTES (4u << 20)
#endif
#define PATTERN_START 4096u /* bytes: after the header's block */
#define HEADER_MAGIC 0x314b48434b4c4256ull /* "VBLKCHK1" */
#define SMALL 4096u
#define LARGE 65536u
#define SCRATCH (1ull << 63) /* run bit of the 4 KiB pass's pattern */
_Static_assert(BLK_CHECK_BYTES % LARGE == 0 && BLK_CHECK_BYTES > 0, "BLK_CHECK_BYTES is a multiple of 64 KiB");

struct header {
  uint64_t magic, run, bytes, check;
};

static inline uint64_t blk_check_word(uint64_t run, uint64_t index) {
  uint64_t x = index * 0x9e3779b97f4a7c15ull + run * 0xd1b54a32d192ed03ull + 1;
  x ^= x >> 31;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 29;
  return x;
}

static uint64_t header_check(const struct header *h) { return blk_check_word(h->run, h->magic ^ h->bytes); }

static uint8_t *region;
static const struct vanity_blk_info *info;
static uint64_t cookies;
static int failed;

static void fail(const char *what) {
  vanity_printf("blk-check: FAILED: %s\n", what);
  failed = 1;
}

/* ------------------------------------------------------------ the driver */

static uint32_t ring_generation; /* blk-req's generation when the driver last started */
static uint32_t driver_restarts;

static uint32_t driver_generation; /* the driver's generation when it last started (0: none yet) */

/* Waits until the driver's info is valid and from a start after the last
 * one seen (the region outlives the driver: a dead one's info stays valid
 * until the new one clears it); 0 if that never happens (1 minute). */
static int driver_ready(void) {
  for (int i = 0; __atomic_load_n(&info->magic, __ATOMIC_ACQUIRE) != VANITY_BLK_INFO_MAGIC ||
                  __atomic_load_n(&info->generation, __ATOMIC_ACQUIRE) == driver_generation;
       i++) {
    if (i == 5000) vanity_printf("blk-check: still waiting for the block driver\n");
    if (i == 60000) return 0;
    vanity_wait(1000000);
  }
  driver_generation = __atomic_load_n(&info->generation, __ATOMIC_ACQUIRE);
  return 1;
}

/* Has the driver restarted since it last started? Then waits for it to
 * run again and returns 1 (0 and a FAILED line if it never does). */
static int driver_restarted(void) {
  uint32_t g = vanity_channel_generation(&vanity_channel_blk_req);
  if (g == ring_generation) return 0;
  ring_generation = g;
  driver_restarts++;
  if (!driver_ready()) fail("the block driver never came back after a restart");
  return 1;
}

/* Answers on blk-resp, waiting for at least one; 0 when the driver has
 * restarted meanwhile (what it had not answered never will be). */
static uint32_t await_answers(struct vanity_blk_req *resp, uint32_t max) {
  const struct vanity_channel *ch = &vanity_channel_blk_resp;
  for (uint32_t spins = 0, sleeps = 0;;) {
    uint32_t got = vanity_try_recv_batch(ch, resp, max);
    if (got) return got;
    if (vanity_channel_generation(&vanity_channel_blk_req) != ring_generation) return 0;
    if (spins++ < VANITY_ARCH_SPINS) {
      vanity_arch_relax();
      continue;
    }
    /* The waiting flag, so the driver notifies; a restart wakes us too. */
    __atomic_store_n(&ch->ring->producer.consumer_waiting, 1u, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (vanity_pending(ch)) continue;
    vanity_wait(sleeps++ ? 0 : 1000000); /* the first bounded: a notify may be in flight */
  }
}

/* ------------------------------------------------------------ transfers */

struct pass {
  uint64_t bytes, wrong, ns, errors;
};

/* The driver's generation to tag a request with (vanity/blk.h). */
static uint32_t tag(void) { return __atomic_load_n(&info->generation, __ATOMIC_ACQUIRE); }

/* Reads or writes [PATTERN_START, PATTERN_START + BLK_CHECK_BYTES) in
 * requests of `size` bytes with as many in flight as fit, writing or
 * checking the pattern of `run`. Across a restart of the driver it sends
 * again every request tagged for an earlier start that was not answered. */
static struct pass transfer(uint32_t op, uint32_t size, uint64_t run) {
  struct pass p = {0};
  uint32_t depth = info->in_flight;
  if (depth > vanity_channel_blk_resp.slots) depth = vanity_channel_blk_resp.slots;
  if (depth > vanity_channel_blk_req.slots) depth = vanity_channel_blk_req.slots;
  if (depth > info->data_size / size) depth = info->data_size / size;
  if (depth > 128) depth = 128;
  static uint64_t at[128];                  /* each buffer's disk byte, or ~0 when free */
  static uint64_t cookie_of[128];           /* the cookie of its request's last sending */
  static uint32_t tag_of[128], resent[128]; /* that sending's tag; sent more than once */
  uint32_t free_list[128], free_count = 0;
  for (uint32_t b = 0; b < depth; b++) {
    free_list[free_count++] = depth - 1 - b;
    at[b] = ~0ull;
  }
  uint64_t next = 0, outstanding = 0;
  int resend = 0; /* the driver restarted: send the unanswered requests again */
  int64_t start = vanity_time_ns();
  while (next < BLK_CHECK_BYTES || outstanding) {
    struct vanity_blk_req reqs[32];
    uint32_t n = 0;
    while (!resend && next < BLK_CHECK_BYTES && free_count && n < 32) {
      uint32_t b = free_list[--free_count];
      uint32_t offset = VANITY_BLK_DATA + b * size;
      uint64_t disk = PATTERN_START + next;
      if (op == VANITY_BLK_WRITE) {
        uint64_t *w = (uint64_t *)(region + offset);
        for (uint32_t i = 0; i < size / 8; i++) w[i] = blk_check_word(run, disk / 8 + i);
      }
      at[b] = disk;
      cookie_of[b] = (++cookies << 8) | b;
      tag_of[b] = tag();
      resent[b] = 0;
      reqs[n++] = (struct vanity_blk_req){.op = op, .count = size / VANITY_BLK_SECTOR, .sector = disk / VANITY_BLK_SECTOR,
                                          .offset = offset, .status = tag_of[b], .cookie = cookie_of[b]};
      next += size;
    }
    if (n) {
      if (vanity_send_batch(&vanity_channel_blk_req, reqs, n) != n) {
        fail("the request channel broke");
        return p;
      }
      outstanding += n;
    }
    struct vanity_blk_req resp[32];
    uint32_t got;
    if (resend || (free_count && next < BLK_CHECK_BYTES)) {
      got = vanity_try_recv_batch(&vanity_channel_blk_resp, resp, 32);
    } else {
      got = await_answers(resp, 32);
    }
    if (!got && driver_restarted()) {
      if (failed) return p;
      resend = 1; /* once the old driver's last answers are taken */
      got = vanity_try_recv_batch(&vanity_channel_blk_resp, resp, 32);
    }
    if (!got && resend) {
      /* Requests tagged for the new start reached it; the rest did not. */
      uint32_t again = 0, now = tag();
      for (uint32_t b = 0; b < depth; b++) {
        if (at[b] == ~0ull || tag_of[b] == now) continue;
        cookie_of[b] = (++cookies << 8) | b;
        tag_of[b] = now;
        resent[b] = 1;
        struct vanity_blk_req q = {.op = op, .count = size / VANITY_BLK_SECTOR, .sector = at[b] / VANITY_BLK_SECTOR,
                                   .offset = VANITY_BLK_DATA + b * size, .status = now, .cookie = cookie_of[b]};
        if (!vanity_send(&vanity_channel_blk_req, &q)) {
          fail("the request channel broke");
          return p;
        }
        again++;
      }
      resend = 0;
      vanity_printf("blk-check: the block driver restarted (generation %u): sent again the %u %s request(s) it had not answered\n",
                    now, again, op == VANITY_BLK_READ ? "read" : "write");
      continue;
    }
    for (uint32_t i = 0; i < got; i++) {
      uint32_t b = (uint32_t)(resp[i].cookie & 0xff);
      if (b < depth && at[b] != ~0ull && resent[b] && resp[i].cookie != cookie_of[b]) continue; /* an earlier sending's */
      if (b >= depth || at[b] == ~0ull || resp[i].op != op || resp[i].cookie != cookie_of[b]) {
        p.errors++;
        continue;
      }
      if (resp[i].status == VANITY_BLK_E_RESTARTED) { /* it reached a driver that restarted since: again */
        resend = 1;
        continue;
      }
      if (resp[i].status != VANITY_BLK_OK) {
        vanity_printf("blk-check: %s of sector %lu: %s\n", op == VANITY_BLK_READ ? "read" : "write", resp[i].sector,
                      vanity_blk_status_name(resp[i].status));
        p.errors++;
      } else if (op == VANITY_BLK_READ) {
        const uint64_t *w = (const uint64_t *)(region + VANITY_BLK_DATA + b * size);
        for (uint32_t k = 0; k < size / 8; k++) {
          uint64_t want = blk_check_word(run, at[b] / 8 + k);
          if (w[k] != want)
            for (int j = 0; j < 8; j++) p.wrong += ((w[k] >> (8 * j)) & 0xff) != ((want >> (8 * j)) & 0xff);
        }
      }
      if (resp[i].status == VANITY_BLK_OK) p.bytes += size;
      at[b] = ~0ull;
      free_list[free_count++] = b;
      outstanding--;
    }
  }
  p.ns = (uint64_t)(vanity_time_ns() - start);
  return p;
}

/* One request, waited for: its answer's status. Sent again, as transfer's
 * are, when the driver restarts before it answers. */
static uint32_t one(struct vanity_blk_req r) {
  r.cookie = ++cookies << 8 | 0xff;
  r.status = tag();
  if (!vanity_send(&vanity_channel_blk_req, &r)) return 0xffffffffu;
  for (;;) {
    struct vanity_blk_req a;
    int again = 0;
    if (await_answers(&a, 1) || (driver_restarted() && !failed && vanity_try_recv(&vanity_channel_blk_resp, &a))) {
      if (a.cookie != r.cookie) continue; /* an earlier sending's answer */
      if (a.status != VANITY_BLK_E_RESTARTED) return a.status;
      again = 1;
    } else if (failed) {
      return 0xfffffffdu;
    } else {
      again = r.status != tag(); /* it reached the new start if it was tagged for it */
    }
    if (!again) continue;
    r.cookie = ++cookies << 8 | 0xff;
    r.status = tag();
    if (!vanity_send(&vanity_channel_blk_req, &r)) return 0xffffffffu;
    vanity_printf("blk-check: the block driver restarted (generation %u): sent again the request it had not answered\n", r.status);
  }
}

/* MiB/s with one decimal, as two numbers: bytes * 10^7 / us / 2^20 tenths. */
static void rate(uint64_t bytes, uint64_t ns, uint64_t *whole, uint64_t *tenths) {
  uint64_t us = ns / 1000 ? ns / 1000 : 1;
  uint64_t t = bytes * 10000000ull / us / 1048576ull;
  *whole = t / 10;
  *tenths = t % 10;
}

static uint64_t total_written, total_read, total_wrong;

static void report_pass(const char *what, uint32_t size, const struct pass *w, const struct pass *r) {
  uint64_t ww, wt, rw, rt;
  rate(w->bytes, w->ns, &ww, &wt);
  rate(r->bytes, r->ns, &rw, &rt);
  vanity_printf("blk-check: %s, %u KiB requests: wrote %lu bytes in %lu ms (%lu.%lu MiB/s), read back %lu in %lu ms (%lu.%lu MiB/s), %lu "
                "wrong\n",
                what, size / 1024, w->bytes, w->ns / 1000000, ww, wt, r->bytes, r->ns / 1000000, rw, rt, r->wrong);
  total_written += w->bytes;
  total_read += r->bytes;
  total_wrong += r->wrong;
  if (w->errors || r->errors) fail("requests of the pass failed");
  if (w->bytes != BLK_CHECK_BYTES || r->bytes != BLK_CHECK_BYTES || r->wrong) fail("the pass did not read back what it wrote");
}

static int flush(void) {
  uint32_t s = one((struct vanity_blk_req){.op = VANITY_BLK_FLUSH});
  if (s != VANITY_BLK_OK) vanity_printf("blk-check: flush: %s (%u)\n", vanity_blk_status_name(s), s);
  return s == VANITY_BLK_OK;
}

int main(void) {
  region = vanity_region_blk_buffers.base;
  info = (const struct vanity_blk_info *)region;
  ring_generation = vanity_channel_generation(&vanity_channel_blk_req);
  if (!driver_ready()) {
    vanity_printf("blk-check: FAILED: the block driver never started\n");
    vanity_shutdown(1);
    return 1;
  }
  /* A driver that restarted before it first answered cost nothing. */
  ring_generation = vanity_channel_generation(&vanity_channel_blk_req);
  uint64_t capacity = info->capacity;
  vanity_printf("blk-check: disk of %lu sectors (%lu KiB), block size %u, %s; checking %u bytes from byte %u\n", capacity, capacity / 2,
                info->block_size, info->flags & VANITY_BLK_INFO_FLUSH ? "flush" : "no flush", BLK_CHECK_BYTES, PATTERN_START);
  if (capacity * VANITY_BLK_SECTOR < PATTERN_START + (uint64_t)BLK_CHECK_BYTES || info->max_sectors < LARGE / VANITY_BLK_SECTOR ||
      info->data_size < LARGE) {
    vanity_printf("blk-check: FAILED: the disk or the region is too small (max %u sectors per request, %u bytes of buffers)\n",
                  info->max_sectors, info->data_size);
    vanity_shutdown(1);
    return 1;
  }

  /* 1. What an earlier run left. */
  uint8_t *hbuf = region + VANITY_BLK_DATA;
  uint64_t run = 1;
  if (one((struct vanity_blk_req){.op = VANITY_BLK_READ, .count = 1, .sector = 0, .offset = VANITY_BLK_DATA}) != VANITY_BLK_OK) {
    fail("cannot read the header");
  } else {
    struct header h;
    memcpy(&h, hbuf, sizeof h);
    if (h.magic == HEADER_MAGIC && h.check == header_check(&h) && h.bytes == BLK_CHECK_BYTES) {
      struct pass p = transfer(VANITY_BLK_READ, LARGE, h.run);
      vanity_printf("blk-check: found the pattern of run %lu: read back %lu bytes, %lu wrong\n", h.run, p.bytes, p.wrong);
      if (p.errors || p.wrong || p.bytes != BLK_CHECK_BYTES) fail("the disk did not keep the last run's pattern");
      total_read += p.bytes;
      total_wrong += p.wrong;
      run = h.run + 1;
    } else {
      vanity_printf("blk-check: no earlier pattern on the disk; this is run 1\n");
    }
  }

  /* 2. A scratch pattern in 4 KiB requests. */
  struct pass w = transfer(VANITY_BLK_WRITE, SMALL, run | SCRATCH);
  struct pass r = transfer(VANITY_BLK_READ, SMALL, run | SCRATCH);
  report_pass("scratch pattern", SMALL, &w, &r);

  /* 3. This run's pattern in 64 KiB requests, durable before the read. */
  w = transfer(VANITY_BLK_WRITE, LARGE, run);
  int64_t f0 = vanity_time_ns();
  if (!flush()) fail("the flush after the pattern failed");
  int64_t flush_ns = vanity_time_ns() - f0;
  r = transfer(VANITY_BLK_READ, LARGE, run);
  report_pass("run pattern", LARGE, &w, &r);
  vanity_printf("blk-check: the flush took %lu us\n", (uint64_t)flush_ns / 1000);

  /* 4. The header, once the pattern is on the disk. */
  memset(hbuf, 0, SMALL);
  struct header h = {.magic = HEADER_MAGIC, .run = run, .bytes = BLK_CHECK_BYTES};
  h.check = header_check(&h);
  memcpy(hbuf, &h, sizeof h);
  if (one((struct vanity_blk_req){.op = VANITY_BLK_WRITE, .count = SMALL / VANITY_BLK_SECTOR, .sector = 0, .offset = VANITY_BLK_DATA}) !=
          VANITY_BLK_OK ||
      !flush())
    fail("writing the header failed");
  total_written += SMALL;

  /* 5. Bad requests: each answered with its error, none reaching the disk. */
  uint64_t size = vanity_region_blk_buffers.size;
  uint32_t max = info->max_sectors;
  struct {
    const char *what;
    struct vanity_blk_req r;
    uint32_t want;
  } bad[] = {
      {"a read at the disk's end", {.op = VANITY_BLK_READ, .count = 1, .sector = capacity, .offset = VANITY_BLK_DATA}, VANITY_BLK_E_RANGE},
      {"a read across the disk's end", {.op = VANITY_BLK_READ, .count = 2, .sector = capacity - 1, .offset = VANITY_BLK_DATA}, VANITY_BLK_E_RANGE},
      {"a write at sector 2^64-2", {.op = VANITY_BLK_WRITE, .count = 8, .sector = ~0ull - 1, .offset = VANITY_BLK_DATA}, VANITY_BLK_E_RANGE},
      {"a read into a buffer past the region's end", {.op = VANITY_BLK_READ, .count = 1, .sector = 8, .offset = (uint32_t)size - 256}, VANITY_BLK_E_INVALID},
      {"a read over the info page", {.op = VANITY_BLK_READ, .count = 1, .sector = 8, .offset = 0}, VANITY_BLK_E_INVALID},
      {"a write from the driver's virtqueue", {.op = VANITY_BLK_WRITE, .count = 8, .sector = 8, .offset = VANITY_BLK_DRIVER_AREA}, VANITY_BLK_E_INVALID},
      {"a write from offset 2^32-512", {.op = VANITY_BLK_WRITE, .count = 1, .sector = 8, .offset = 0xfffffe00u}, VANITY_BLK_E_INVALID},
      {"an unknown operation", {.op = 7, .count = 1, .sector = 8, .offset = VANITY_BLK_DATA}, VANITY_BLK_E_INVALID},
      {"a read of no sectors", {.op = VANITY_BLK_READ, .count = 0, .sector = 8, .offset = VANITY_BLK_DATA}, VANITY_BLK_E_INVALID},
      {"a read of too many sectors", {.op = VANITY_BLK_READ, .count = max + 1, .sector = 8, .offset = VANITY_BLK_DATA}, VANITY_BLK_E_INVALID},
  };
  uint32_t refused = 0, nbad = sizeof bad / sizeof bad[0];
  for (uint32_t i = 0; i < nbad; i++) {
    uint32_t s = one(bad[i].r);
    if (s == bad[i].want) {
      refused++;
    } else {
      vanity_printf("blk-check: %s was answered %s (%u), not %s\n", bad[i].what, vanity_blk_status_name(s), s,
                    vanity_blk_status_name(bad[i].want));
      failed = 1;
    }
  }
  vanity_printf("blk-check: %u of %u bad requests refused with the right status\n", refused, nbad);
  /* The driver still works after them. */
  if (one((struct vanity_blk_req){.op = VANITY_BLK_READ, .count = 1, .sector = 0, .offset = VANITY_BLK_DATA}) != VANITY_BLK_OK ||
      memcmp(hbuf, &h, sizeof h) != 0)
    fail("the header did not read back after the bad requests");

  vanity_printf("blk-check: wrote %lu bytes, read back %lu, %lu wrong\n", total_written, total_read, total_wrong);
  if (failed || total_wrong) {
    vanity_printf("blk-check: FAILED (run %lu)\n", run);
    vanity_shutdown(1);
    return 1;
  }
  vanity_printf("blk-check: run %lu done: the disk holds its pattern\n", run);
  vanity_shutdown(0);
  return 0;
}
