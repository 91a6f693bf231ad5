/* Hot reload of one shard: the image format and what its HMAC covers. The
 * single definition shared by the kernel (Kernel/src/reload.c) and the host
 * tools (vanity-build reload builds images with it). docs/debug-protocol.md
 * describes the whole exchange.
 *
 * A reload image (little endian) is a header, `segment_count` segment
 * descriptors, then the segments' bytes at the offsets the descriptors give.
 * On a board each segment is a loadable piece of the shard's linked ELF
 * (text, rodata, data): the kernel copies it to its address, which must lie
 * inside the shard's region of the same kind, and zeroes the rest of that
 * region. In the hosted simulator, where shards are host executables, the
 * image has one segment of kind VANITY_RELOAD_HOST_EXECUTABLE: the whole
 * executable file. vanity_system.image_format says which a platform takes. */
#ifndef VANITY_RELOAD_H
#define VANITY_RELOAD_H

#include <stdint.h>

#define VANITY_RELOAD_MAGIC 0x444c5256u /* "VRLD" */
#define VANITY_RELOAD_VERSION 1u
#define VANITY_RELOAD_MAX_SEGMENTS 8u

/* What kind of image a platform's shards are (vanity_system.image_format). */
enum vanity_image_format {
  VANITY_IMAGE_SEGMENTS = 1,        /* boards: segments loaded at their addresses */
  VANITY_IMAGE_HOST_EXECUTABLE = 2, /* the simulator: one host executable */
};

enum vanity_reload_segment_kind {
  VANITY_RELOAD_TEXT = 1,   /* goes into the shard's text region */
  VANITY_RELOAD_RODATA = 2, /* rodata region */
  VANITY_RELOAD_DATA = 3,   /* data region (data + bss): becomes the pristine data image */
  VANITY_RELOAD_HOST_EXECUTABLE = 4,
};

struct vanity_reload_header {
  uint32_t magic;         /* VANITY_RELOAD_MAGIC */
  uint16_t version;       /* VANITY_RELOAD_VERSION */
  uint16_t segment_count; /* 1..VANITY_RELOAD_MAX_SEGMENTS */
};

struct vanity_reload_segment {
  uint32_t kind;   /* enum vanity_reload_segment_kind */
  uint32_t offset; /* of its bytes in the image */
  uint64_t addr;   /* where it goes (0 for a host executable) */
  uint64_t size;   /* bytes in the image; the rest of the region is zeroed */
};

/* The HMAC-SHA256 under the build's reload key covers this message: the
 * build id, the shard id, the image's size and SHA-256, the running boot's
 * id (from HELLO) and a version (so an image can be sent only to the build,
 * boot and shard it was signed for, and a recorded transfer replayed after
 * a newer reload or a reboot is refused). */
struct vanity_reload_signed {
  uint8_t build_id[32];
  uint16_t shard;
  uint16_t reserved; /* 0 */
  uint32_t size;
  uint8_t digest[32];
  uint64_t boot_id; /* vanity_debug_hello_reply.boot_id of the running system */
  uint64_t version; /* above every version this shard accepted in this boot */
};

/* RELOAD_BEGIN's payload. */
struct vanity_reload_begin {
  struct vanity_reload_signed signed_part;
  uint8_t hmac[32];
};

/* RELOAD_COMMIT's payload (optional: an empty payload means flags 0). */
enum vanity_reload_flags {
  VANITY_RELOAD_FORCE = 1u << 0, /* swap at the next kernel entry even if the shard is not waiting */
};

/* RELOAD_COMMIT's reply. */
struct vanity_reload_verdict {
  uint32_t generation;   /* the shard's new generation */
  uint32_t verify_us;    /* checking digest and HMAC */
  uint32_t quiesce_us;   /* from commit until the shard's core stopped it */
  uint32_t swap_us;      /* from commit until the new code started (or was ready, if held) */
  uint32_t held;         /* 1: the operator holds the shard; the new code starts on release */
  uint32_t reserved;
};

_Static_assert(sizeof(struct vanity_reload_header) == 8, "reload header");
_Static_assert(sizeof(struct vanity_reload_segment) == 24, "reload segment");
_Static_assert(sizeof(struct vanity_reload_signed) == 88, "signed part");
_Static_assert(sizeof(struct vanity_reload_begin) == 120, "begin payload");
_Static_assert(sizeof(struct vanity_reload_verdict) == 24, "verdict");

#endif
