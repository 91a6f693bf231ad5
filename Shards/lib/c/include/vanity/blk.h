/* Block requests between shards: the one definition shared by the block
 * driver (Shards/blk-virtio) and its clients (Shards/blk-check); design and
 * semantics in docs/io.md.
 *
 * Data never travels through channels. It lives in one shared DMA region
 * ([regions.<name>] with dma = true, mapped read-write into the driver and
 * the client); two channels carry `struct vanity_blk_req`, 32 bytes:
 *
 *   client --blk-req--> driver   requests: read, write, flush
 *   driver --blk-resp-> client   the same descriptors back, `status` set
 *
 * Every request is answered exactly once, in the order the device completes
 * them (not necessarily the order they were sent): `cookie` is the client's
 * to match them. A client keeps at most as many requests outstanding as the
 * response channel has slots (the driver takes no more than that either:
 * what it has taken it can always answer).
 *
 * Region layout (offsets from the region's start):
 *
 *   0                      struct vanity_blk_info (the driver writes it)
 *   VANITY_BLK_DRIVER_AREA the driver's private area: virtqueue, headers
 *   VANITY_BLK_DATA        the client's buffers, to the region's end
 *
 * A restart of the driver loses the requests it had taken and not
 * answered, and those still in blk-req when it stopped (the kernel skips a
 * restarted reader past them); it answers none of them. A client that may
 * see a restart tags each request with the driver's generation it saw
 * (`status`, 0: untagged): a restarted driver answers a request tagged with
 * an earlier generation VANITY_BLK_E_RESTARTED without doing it, so a
 * request sent across the restart is never done twice. The client sends
 * again what was not answered (Shards/blk-check, docs/io.md).
 *
 * A request's buffer [offset, offset + count * 512) must lie wholly inside
 * the data area; the driver checks that, the operation, and the sector
 * range against the disk's capacity, and answers anything else with an
 * error status, never touching the device for it. */
#ifndef VANITY_BLK_H
#define VANITY_BLK_H

#include <stdint.h>

/* ------------------------------------------------------------ requests */

struct vanity_blk_req {
  uint32_t op;     /* VANITY_BLK_READ, _WRITE, _FLUSH */
  uint32_t count;  /* sectors of VANITY_BLK_SECTOR bytes (read, write) */
  uint64_t sector; /* first sector on the disk (read, write) */
  uint32_t offset; /* the buffer, from the region's start (read, write) */
  uint32_t status; /* the answer: VANITY_BLK_OK or an error. In a request: 0, or the
                      driver's generation (vanity_blk_info) the client sends it to */
  uint64_t cookie; /* the client's tag, returned unchanged */
};
#define VANITY_BLK_REQ_SIZE 32u
_Static_assert(sizeof(struct vanity_blk_req) == VANITY_BLK_REQ_SIZE, "vanity_blk_req is one 32-byte message");

enum {
  VANITY_BLK_READ = 0,  /* disk → buffer */
  VANITY_BLK_WRITE = 1, /* buffer → disk */
  VANITY_BLK_FLUSH = 2, /* every write answered before the flush was sent is durable when it is answered */
};

enum {
  VANITY_BLK_OK = 0,
  VANITY_BLK_E_IO = 1,       /* the device reported an I/O error */
  VANITY_BLK_E_UNSUPP = 2,   /* the device does not support the operation */
  VANITY_BLK_E_INVALID = 3,  /* unknown op, no sectors, too many, or a buffer outside the data area */
  VANITY_BLK_E_RANGE = 4,    /* sectors past the disk's end */
  VANITY_BLK_E_READONLY = 5, /* a write to a read-only disk */
  VANITY_BLK_E_RESTARTED = 6, /* the request named an earlier start of the driver: not done, send it again */
};

#define VANITY_BLK_SECTOR 512u

/* ------------------------------------------------------------ the region */

#define VANITY_BLK_DRIVER_AREA 0x1000u      /* after the info page */
#define VANITY_BLK_DRIVER_AREA_SIZE 0xf000u /* 60 KiB */
#define VANITY_BLK_DATA 0x10000u            /* the client's buffers from here on */

/* What the driver tells its clients, at the region's start. It clears
 * `magic` when it starts and sets it (release) once the device runs and the
 * fields are valid. */
struct vanity_blk_info {
  uint32_t magic;        /* VANITY_BLK_INFO_MAGIC once valid */
  uint32_t generation;   /* bumped at each start of the driver */
  uint64_t capacity;     /* sectors of VANITY_BLK_SECTOR bytes */
  uint32_t block_size;   /* the device's preferred (logical block) size in bytes; 512 if it says none */
  uint32_t max_sectors;  /* the most sectors one request may move */
  uint32_t data_offset;  /* VANITY_BLK_DATA */
  uint32_t data_size;    /* bytes of the data area: the region's size - VANITY_BLK_DATA */
  uint32_t queue;        /* the device queue's size (information) */
  uint32_t in_flight;    /* requests the driver keeps in the device at once */
  uint32_t flags;        /* VANITY_BLK_INFO_* */
  uint32_t reserved;
};
#define VANITY_BLK_INFO_MAGIC 0x424c4b31u /* "BLK1" */
#define VANITY_BLK_INFO_FLUSH 1u          /* the device has a volatile cache and flushes it (VIRTIO_BLK_F_FLUSH) */
#define VANITY_BLK_INFO_READONLY 2u       /* writes are refused (VANITY_BLK_E_READONLY) */

/* Is the buffer of `count` sectors at `offset` wholly inside the data area
 * of a region of `region_size` bytes? (64-bit arithmetic: no overflow.) */
static inline int vanity_blk_buffer_ok(uint32_t offset, uint32_t count, uint64_t region_size) {
  uint64_t end = (uint64_t)offset + (uint64_t)count * VANITY_BLK_SECTOR;
  return offset >= VANITY_BLK_DATA && end <= region_size;
}

/* Are sectors [sector, sector + count) on a disk of `capacity` sectors? */
static inline int vanity_blk_range_ok(uint64_t sector, uint32_t count, uint64_t capacity) {
  return sector <= capacity && count <= capacity - sector;
}

/* A status's name, for logs. */
static inline const char *vanity_blk_status_name(uint32_t status) {
  switch (status) {
  case VANITY_BLK_OK: return "ok";
  case VANITY_BLK_E_IO: return "i/o error";
  case VANITY_BLK_E_UNSUPP: return "unsupported";
  case VANITY_BLK_E_INVALID: return "invalid";
  case VANITY_BLK_E_RANGE: return "out of range";
  case VANITY_BLK_E_READONLY: return "read-only";
  case VANITY_BLK_E_RESTARTED: return "sent to an earlier start of the driver";
  default: return "unknown";
  }
}

#endif
