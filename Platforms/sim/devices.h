/* The simulator's device models (Platforms/sim/virtio_*.c): what
 * platform.c and the models share. Not a kernel header: the kernel
 * (Kernel/src) knows nothing of devices; platform.c routes a shard's
 * register accesses here and the models raise interrupt lines through
 * sim_irq_set, which feeds the kernel's ordinary kernel_irq path.
 *
 * The addresses and lines are those of Platforms/sim/board.dts (checked by
 * PlatformTests.simDeviceModelsMatchItsDeviceTree). */
#ifndef SIM_DEVICES_H
#define SIM_DEVICES_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <vanity/system_table.h>

#define SIM_NET_BASE 0x0a000000ull /* /virtio_mmio@a000000, device-table `net` */
#define SIM_NET_IRQ 16u
#define SIM_BLK_BASE 0x0a001000ull /* /virtio_mmio@a001000, device-table `block` */
#define SIM_BLK_IRQ 17u
#define SIM_VIRTIO_SIZE 0x200ull   /* the transport's registers and config space */
#define SIM_IRQ_LINES 64u

/* ------------------------------------------------------------ the transport */

#define SIM_VQ_MAX 256u   /* QueueNumMax of every queue */
#define SIM_VQS 2u
#define SIM_CHAIN_MAX 64u /* buffers in one descriptor chain */

struct sim_vq {
  uint32_t num, ready;
  uint64_t desc, avail, used;
  uint16_t last_avail, used_idx;
};

struct sim_virtio {
  const char *name;
  uint64_t base;
  uint32_t irq;
  uint32_t device_id; /* 0: nothing attached (the transport is there, empty) */
  uint64_t features;  /* offered */
  uint32_t queues;
  /* Transport state. */
  uint32_t status, dev_features_sel, drv_features_sel, queue_sel, int_status;
  uint64_t driver_features;
  struct sim_vq q[SIM_VQS];
  /* The model. */
  uint64_t (*config_read)(struct sim_virtio *, uint32_t off, uint32_t width);
  void (*notify)(struct sim_virtio *, uint32_t queue);
  void (*reset)(struct sim_virtio *);
};

/* One descriptor chain, its buffers translated into the kernel process's
 * view of the simulated RAM (bounds-checked). `bad`: a descriptor index,
 * address or length the driver got wrong; the model answers it with an
 * error (or uses nothing of it), never touches memory outside the RAM. */
struct sim_seg {
  uint8_t *p;
  uint32_t len;
  int write; /* device-writable */
};
struct sim_chain {
  uint16_t head;
  uint32_t n;
  int bad;
  struct sim_seg seg[SIM_CHAIN_MAX];
};

/* The next chain the driver made available on queue `qi`: 1, or 0 when none. */
int sim_vq_pop(struct sim_virtio *d, uint32_t qi, struct sim_chain *c);
/* Whether the driver made a chain available (without taking it). */
int sim_vq_has_avail(struct sim_virtio *d, uint32_t qi);
/* Returns chain `head` to the driver with `len` bytes written into it. */
void sim_vq_push(struct sim_virtio *d, uint32_t qi, uint16_t head, uint32_t len);
/* After pushing: raises the used-buffer interrupt unless the driver said
 * VIRTQ_AVAIL_F_NO_INTERRUPT. */
void sim_vq_interrupt(struct sim_virtio *d, uint32_t qi);
/* Whether the driver has set DRIVER_OK (and not reset since). */
int sim_virtio_live(const struct sim_virtio *d);

/* `len` bytes of simulated RAM at physical address `phys`, or NULL when any
 * of it lies outside the RAM. */
void *sim_dma(uint64_t phys, uint64_t len);

/* ------------------------------------------------------------ platform.c */

/* An interrupt line's level (a level-triggered line): high delivers it to
 * the kernel (kernel_irq) unless masked; unmasking a line still high
 * delivers it again. Call with the device lock held or from the core that
 * owns the device (any thread: delivery is atomic). */
void sim_irq_set(uint32_t irq, int level);
/* Deterministic mode with `--inject loss`: whether to drop this frame
 * (`what`: "rx" or "tx", for the trace). Always 0 otherwise. */
int sim_inject_loss(const char *what);
/* --inject garble: 0, or random bits choosing how to damage a copy of a
 * received frame (virtio_net.c), delivered before the frame itself. */
uint64_t sim_inject_garble(const char *what);
/* Whether the run is in deterministic mode. */
int sim_deterministic(void);
void sim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ------------------------------------------------------------ the models */

/* Sets up the models whose transports some shard is granted (the
 * environment names their backends: VANITY_SIM_DISK, VANITY_SIM_FORWARD).
 * 0, or -1 after saying why on stderr. */
int sim_devices_init(const struct vanity_system *sys);
/* Whether `phys` lies in a modelled transport (not shared memory). */
int sim_device_modelled(uint64_t phys);
/* A shard's register access, at the shard's address `addr` (translated
 * through its device regions): the value read. `flags`: the width in bytes,
 * with VANITY_SIM_MMIO_WRITE for a write of `value`. An address that is no
 * granted transport's reads all ones and ignores writes. */
uint64_t sim_devices_mmio(const struct vanity_shard_desc *shard, uint64_t addr, uint64_t value, uint32_t flags);
/* Whether a device takes input from outside (the network): then a
 * deterministic run polls it (sim_devices_poll) instead of declaring a
 * deadlock when every core idles. */
int sim_devices_external(void);
/* Deterministic mode: handles the outside world's input, waiting up to
 * `timeout_ns` of real time for some; whether anything arrived. */
int sim_devices_poll(uint64_t timeout_ns);

/* Held while a model runs: a register access, the network's input. */
extern pthread_mutex_t sim_dev_lock;

/* virtio_blk.c, virtio_net.c */
int sim_blk_init(struct sim_virtio *d, const char *disk);
int sim_net_init(struct sim_virtio *d, const char *forwards, int threaded);
int sim_net_poll(uint64_t timeout_ns);

#endif
