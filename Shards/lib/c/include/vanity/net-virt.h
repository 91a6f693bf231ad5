/* What the two network virtualisers (Shards/net-virt-rx, Shards/net-virt-tx)
 * share: their clients' table, built from the shard's defines, and their
 * idle loop. Protocol and region: <vanity/net.h>; design: docs/io.md,
 * "Virtualisers".
 *
 * Defines (the manifest's `defines` of the virtualiser shard):
 *   VIRT_CLIENTS=N          how many clients (1 to VANITY_NET_CLIENTS_MAX)
 *   VIRT_IP_<i>="a.b.c.d"   client i's IPv4 address (virt-rx only)
 * Client i's channels are rx-<i> and rx-free-<i> (virt-rx), tx-<i> and
 * tx-done-<i> (virt-tx). */
#ifndef VANITY_NET_VIRT_H
#define VANITY_NET_VIRT_H

#include <vanity/net.h>
#include <vanity/vanity.h>

#ifndef VIRT_CLIENTS
#error "a network virtualiser needs VIRT_CLIENTS=N in its shard's defines"
#endif
#if VIRT_CLIENTS < 1 || VIRT_CLIENTS > 8
#error "VIRT_CLIENTS is from 1 to 8 (VANITY_NET_CLIENTS_MAX)"
#endif

/* VIRT_CLIENT_TABLE(F) expands F(0), F(1), … F(VIRT_CLIENTS - 1). */
#define VIRT_CLIENT_1(F) F(0)
#define VIRT_CLIENT_2(F) VIRT_CLIENT_1(F) F(1)
#define VIRT_CLIENT_3(F) VIRT_CLIENT_2(F) F(2)
#define VIRT_CLIENT_4(F) VIRT_CLIENT_3(F) F(3)
#define VIRT_CLIENT_5(F) VIRT_CLIENT_4(F) F(4)
#define VIRT_CLIENT_6(F) VIRT_CLIENT_5(F) F(5)
#define VIRT_CLIENT_7(F) VIRT_CLIENT_6(F) F(6)
#define VIRT_CLIENT_8(F) VIRT_CLIENT_7(F) F(7)
#define VIRT_CAT_(a, b) a##b
#define VIRT_CAT(a, b) VIRT_CAT_(a, b)
#define VIRT_CLIENT_TABLE(F) VIRT_CAT(VIRT_CLIENT_, VIRT_CLIENTS)(F)

#define VIRT_NONE 0xffu /* no client: an owner table's empty entry */

/* The driver's info page, valid (its magic set); its generation, or 0. */
static inline uint32_t virt_driver_generation(const void *region) {
  const struct vanity_net_info *info = (const struct vanity_net_info *)region;
  if (__atomic_load_n(&info->magic, __ATOMIC_ACQUIRE) != VANITY_NET_INFO_MAGIC) return 0;
  return __atomic_load_n(&info->generation, __ATOMIC_RELAXED);
}

/* Bumps a virtualiser's generation (never to 0) and returns it. */
static inline uint32_t virt_bump(uint32_t *generation) {
  uint32_t g = __atomic_load_n(generation, __ATOMIC_RELAXED) + 1;
  if (!g) g = 1;
  __atomic_store_n(generation, g, __ATOMIC_SEQ_CST);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  return g;
}

#define VIRT_SLEEP_NS 100000000ull /* the longest sleep: a driver restart is noticed within it */

/* A virtualiser's sync with the driver (<vanity/net.h>): the driver
 * generation synced with, the marker's cookie, whether the marker is still
 * to send and its answer awaited. */
struct virt_sync {
  uint32_t generation, cookie;
  int send, wait;
  uint64_t syncs;
};

/* Whether the shard's net-buffers region is big enough for <vanity/net.h>
 * (said on the console when it is not). */
static inline int virt_region_fits(const char *who, uint64_t size) {
  if (size >= VANITY_NET_REGION_SIZE) return 1;
  vanity_printf("%s: the region net-buffers has %lu bytes, vanity/net.h needs %u\n", who, (unsigned long)size, VANITY_NET_REGION_SIZE);
  return 0;
}

/* Answers a client's SYNC (the caller has flushed what came before it):
 * the marker with its cookie on `to`; clears `ack` when it was sent. */
static inline void virt_answer(int *ack, uint32_t cookie, const struct vanity_channel *to) {
  struct vanity_net_desc d = {.flags = VANITY_NET_F_SYNC, .cookie = cookie};
  if (vanity_try_send(to, &d)) *ack = 0;
}

/* Starts a sync when the driver (re)started since the last one. */
static inline void virt_sync_check(const void *region, struct virt_sync *drv) {
  uint32_t generation = virt_driver_generation(region);
  if (generation && generation != drv->generation) {
    drv->generation = generation;
    drv->cookie++;
    drv->send = drv->wait = 1;
    drv->syncs++;
  }
}

/* Whether the answer on the driver's channel ends the sync. */
static inline int virt_sync_answered(struct virt_sync *drv, const struct vanity_net_desc *d) {
  if (drv->wait && !drv->send && d->cookie == drv->cookie) {
    drv->wait = 0;
    return 1;
  }
  return 0;
}

/* Whether a counter line is due: `count` moved since the last one, and
 * that was at least 5 s ago (the first after traffic comes at once). */
static inline int virt_report_due(uint64_t count) {
  static uint64_t last_count, last_ns;
  if (count == last_count) return 0;
  uint64_t now = (uint64_t)vanity_time_ns();
  if (last_ns && now - last_ns < 5000000000ull) return 0;
  last_ns = now;
  last_count = count;
  return 1;
}

/* The idle end of a virtualiser's loop, once it has found no work for a
 * while and armed its receiving rings with nothing there: a short sleep
 * while the driver syncs or starts; else a short one that traffic usually
 * ends, then the counters, then one bounded so that a driver restart is
 * noticed (the kernel wakes us at it, possibly before the driver's info
 * page says so). */
static inline void virt_sleep(const void *region, const struct virt_sync *drv, const struct vanity_channel *from_driver, void (*report)(void)) {
  if (drv->wait || !virt_driver_generation(region)) {
    vanity_wait(VANITY_RACE_WAIT_NS);
    return;
  }
  if (vanity_wait(VANITY_RACE_WAIT_NS) || vanity_pending(from_driver)) return;
  report();
  vanity_wait(VIRT_SLEEP_NS);
}

#endif
