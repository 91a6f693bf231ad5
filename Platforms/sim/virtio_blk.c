/* The simulator's virtio-blk device (virtio 1.x, 5.2), behind a host file
 * (the manifest's [run] disk, VANITY_SIM_DISK): one queue; read, write and
 * flush, each done synchronously when the driver kicks the queue, with
 * pread, pwrite and fdatasync. Offers VERSION_1, FLUSH and BLK_SIZE (512);
 * a file it may only read is offered RO. A request the driver got wrong (a
 * bad descriptor, a header or status buffer of the wrong size or
 * direction, a length not a whole number of sectors, sectors past the end)
 * is answered with VIRTIO_BLK_S_IOERR, or dropped when it has no status
 * byte to answer in. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices.h"

enum { T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8 };
enum { S_OK = 0, S_IOERR = 1, S_UNSUPP = 2 };
#define F_RO (1ull << 5)
#define F_BLK_SIZE (1ull << 6)
#define F_FLUSH (1ull << 9)
#define F_VERSION_1 (1ull << 32)

static int disk_fd = -1;
static uint64_t capacity; /* sectors */
static int readonly;

static uint64_t blk_config(struct sim_virtio *d, uint32_t off, uint32_t width) {
  (void)d;
  uint8_t config[24] = {0};
  memcpy(config, &capacity, 8);            /* capacity */
  uint32_t blk_size = 512;
  memcpy(config + 20, &blk_size, 4);       /* blk_size */
  uint64_t v = 0;
  if (off < sizeof config && width <= sizeof config - off) memcpy(&v, config + off, width);
  return v;
}

/* One request; the bytes written into the chain (data read and the status). */
static uint32_t blk_request(struct sim_chain *c) {
  struct sim_seg *status = c->n >= 2 ? &c->seg[c->n - 1] : NULL;
  if (!status || !status->write || status->len < 1 || !status->p) return 0; /* nowhere to answer */
  struct sim_seg *hdr = &c->seg[0];
  uint8_t st = S_OK;
  uint32_t written = 1;
  if (c->bad || hdr->write || hdr->len < 16) {
    *status->p = S_IOERR;
    return 1;
  }
  uint32_t type;
  uint64_t sector;
  memcpy(&type, hdr->p, 4);
  memcpy(&sector, hdr->p + 8, 8);
  if (type == T_IN || type == T_OUT) {
    uint64_t bytes = 0;
    for (uint32_t i = 1; i + 1 < c->n; i++) {
      bytes += c->seg[i].len;
      if (c->seg[i].write != (type == T_IN)) st = S_IOERR;
    }
    if (bytes % 512 || sector > capacity || bytes / 512 > capacity - sector) st = S_IOERR;
    if (type == T_OUT && readonly) st = S_IOERR;
    off_t at = (off_t)(sector * 512);
    for (uint32_t i = 1; st == S_OK && i + 1 < c->n; i++) {
      struct sim_seg *s = &c->seg[i];
      ssize_t n = type == T_IN ? pread(disk_fd, s->p, s->len, at) : pwrite(disk_fd, s->p, s->len, at);
      if (n != (ssize_t)s->len) st = S_IOERR;
      at += s->len;
      if (type == T_IN) written += s->len;
    }
  } else if (type == T_FLUSH) {
    if (fdatasync(disk_fd) != 0) st = S_IOERR;
  } else {
    st = S_UNSUPP;
  }
  *status->p = st;
  return st == S_OK ? written : 1;
}

static void blk_notify(struct sim_virtio *d, uint32_t queue) {
  if (queue != 0) return;
  struct sim_chain c;
  int any = 0;
  while (sim_vq_pop(d, 0, &c)) {
    sim_vq_push(d, 0, c.head, blk_request(&c));
    any = 1;
  }
  if (any) sim_vq_interrupt(d, 0);
}

int sim_blk_init(struct sim_virtio *d, const char *disk) {
  disk_fd = open(disk, O_RDWR | O_CLOEXEC);
  if (disk_fd < 0 && (errno == EACCES || errno == EROFS)) {
    disk_fd = open(disk, O_RDONLY | O_CLOEXEC);
    readonly = 1;
  }
  struct stat st;
  if (disk_fd < 0 || fstat(disk_fd, &st) != 0) {
    fprintf(stderr, "sim: cannot open the disk %s: %s\n", disk, strerror(errno));
    return -1;
  }
  capacity = (uint64_t)st.st_size / 512;
  d->device_id = 2;
  d->features = F_VERSION_1 | F_FLUSH | F_BLK_SIZE | (readonly ? F_RO : 0);
  d->queues = 1;
  d->config_read = blk_config;
  d->notify = blk_notify;
  return 0;
}
