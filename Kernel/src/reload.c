/* Hot reload of one shard (docs/debug-protocol.md, "Reload").
 *
 * The kernel core receives the image over the debug link into the staging
 * region (begin, chunks, commit), checks it (build id and HMAC at begin,
 * size and SHA-256 and the segments' places at commit) and only then asks
 * the shard's core to park the shard at its next quiescent point (waiting in
 * VANITY_SYS_WAIT, or held; anywhere with the force flag). The kernel core
 * loads the new segments while the shard's core waits, then the shard's core
 * resets data, bss and stack and starts the new code with a new generation.
 * Any failure before the park leaves the old shard running untouched. */
#include <vanity/reload.h>
#include <vanity/sha256.h>

#include "internal.h"

/* How long a shard may take to reach its quiescent point before the reload
 * is called off, and how long an open transfer may stall. */
#define QUIESCE_TIMEOUT_NS 2000000000ull
#define TRANSFER_STALL_NS 10000000000ull /* generous: a loaded host may starve the sender for seconds */

static struct {
  const struct vanity_region *staging;
  /* The transfer (begin .. commit). */
  int open;
  uint16_t shard;
  uint32_t size, received;
  uint64_t version;
  uint8_t digest[32];
  uint64_t last_ns;
  /* The committed reload, until its verdict is sent. */
  int committed;
  uint16_t reply_id;
  uint64_t commit_ns, deadline_ns, parked_ns;
  uint32_t verify_us;
  uint32_t new_generation;
  uint32_t held;
} rl;

static struct vanity_reload_verdict verdict;

/* The answers; debug_server.c sends them. */
static int ok(struct reload_reply *out, const uint8_t *payload, uint16_t length) {
  out->error = 0;
  out->payload = payload;
  out->length = length;
  return 1;
}

static int refuse(struct reload_reply *out, uint16_t code, const char *text) {
  out->error = code;
  out->text = text;
  return 1;
}

static uint8_t *staging_bytes(void) { return (uint8_t *)(uintptr_t)rl.staging->virt; }

static const struct vanity_region *staging_region(void) {
  if (!rl.staging)
    for (uint32_t i = 0; i < kstate.sys->kernel_region_count; i++)
      if (kstate.sys->kernel_regions[i].kind == VANITY_REGION_STAGING) rl.staging = &kstate.sys->kernel_regions[i];
  return rl.staging;
}

static const struct vanity_region *shard_region(const struct vanity_shard_desc *d, uint32_t kind) {
  for (uint32_t i = 0; i < d->region_count; i++)
    if (d->regions[i].kind == kind) return &d->regions[i];
  return 0;
}

static uint32_t region_kind_of(uint32_t segment_kind) {
  switch (segment_kind) {
  case VANITY_RELOAD_TEXT: return VANITY_REGION_TEXT;
  case VANITY_RELOAD_RODATA: return VANITY_REGION_RODATA;
  case VANITY_RELOAD_DATA: return VANITY_REGION_DATA;
  default: return 0;
  }
}

static const struct vanity_reload_segment *segments(void) {
  return (const struct vanity_reload_segment *)(staging_bytes() + sizeof(struct vanity_reload_header));
}

/* Checks the staged image's structure and every segment's place; returns a
 * reason, or 0 when it is fine. */
static const char *check_image(const struct vanity_shard_desc *d) {
  const struct vanity_reload_header *h = (const struct vanity_reload_header *)staging_bytes();
  if (rl.size < sizeof *h || h->magic != VANITY_RELOAD_MAGIC) return "not a reload image (bad magic)";
  if (h->version != VANITY_RELOAD_VERSION) return "unsupported reload image version";
  if (h->segment_count == 0 || h->segment_count > VANITY_RELOAD_MAX_SEGMENTS) return "bad segment count";
  uint64_t table_end = sizeof *h + (uint64_t)h->segment_count * sizeof(struct vanity_reload_segment);
  if (table_end > rl.size) return "the segment table runs past the image";
  uint32_t seen = 0;
  for (uint32_t i = 0; i < h->segment_count; i++) {
    const struct vanity_reload_segment *g = &segments()[i];
    if (g->offset < table_end || g->size > rl.size || g->offset > rl.size - g->size) return "a segment's bytes lie outside the image";
    if (kstate.sys->image_format == VANITY_IMAGE_HOST_EXECUTABLE) {
      if (g->kind != VANITY_RELOAD_HOST_EXECUTABLE || h->segment_count != 1)
        return "this platform takes one host executable per image";
      return 0;
    }
    uint32_t rk = region_kind_of(g->kind);
    if (!rk) return "a segment has an unknown kind";
    if (seen & (1u << g->kind)) return "two segments of the same kind";
    seen |= 1u << g->kind;
    const struct vanity_region *r = shard_region(d, rk);
    if (!r) return "the shard has no region for a segment";
    if (g->addr < r->virt || g->size > r->size || g->addr - r->virt > r->size - g->size)
      return "a segment does not fit the shard's region of its kind (the layout changed: rebuild and reboot)";
  }
  if (!(seen & (1u << VANITY_RELOAD_TEXT))) return "the image has no text segment";
  return 0;
}

/* Kernel core, while the shard's core is parked: the new bytes go in place
 * through the kernel's own view of RAM (where every region sits at its
 * physical address). Data becomes the pristine image that the restart
 * copies into the data region. */
static void load_segments(struct shard_state *s) {
  if (kstate.sys->image_format != VANITY_IMAGE_SEGMENTS) return;
  const struct vanity_reload_header *h = (const struct vanity_reload_header *)staging_bytes();
  for (uint32_t i = 0; i < h->segment_count; i++) {
    const struct vanity_reload_segment *g = &segments()[i];
    const struct vanity_region *r = shard_region(s->desc, region_kind_of(g->kind));
    uint8_t *base = (uint8_t *)(uintptr_t)r->phys;
    if (g->kind == VANITY_RELOAD_DATA) {
      if (!s->image) continue;
      base = (uint8_t *)(uintptr_t)s->image->virt;
    }
    memset(base, 0, r->size);
    memcpy(base + (g->addr - r->virt), staging_bytes() + g->offset, g->size);
  }
}

static void close_transfer(void) { rl.open = 0; }

static int begin(const struct vanity_debug_frame *f, struct reload_reply *out) {
  const struct vanity_system *sys = kstate.sys;
  if (rl.committed) return refuse(out, VANITY_DEBUG_E_BUSY, "a reload is being committed");
  if (!staging_region()) return refuse(out, VANITY_DEBUG_E_TOO_LARGE, "this build has no staging area");
  if (f->length != sizeof(struct vanity_reload_begin))
    return refuse(out, VANITY_DEBUG_E_BAD_PAYLOAD, "reload begin expects 120 bytes (struct vanity_reload_begin)");
  struct vanity_reload_begin b;
  memcpy(&b, f->payload, sizeof b);
  const struct vanity_reload_signed *sp = &b.signed_part;
  if (sp->shard >= sys->shard_count) return refuse(out, VANITY_DEBUG_E_NO_SUCH_SHARD, "no such shard");
  if (!vanity_digest_equal(sp->build_id, sys->build_id, 32))
    return refuse(out, VANITY_DEBUG_E_WRONG_BUILD, "the image was built for another build of the system");
  uint8_t mac[32];
  vanity_hmac_sha256(vanity_reload_key, 32, (const uint8_t *)sp, sizeof *sp, mac);
  if (sp->reserved != 0 || !vanity_digest_equal(mac, b.hmac, 32))
    return refuse(out, VANITY_DEBUG_E_BAD_HMAC, "the image is not signed with this build's reload key");
  if (sp->boot_id != kstate.boot_id)
    return refuse(out, VANITY_DEBUG_E_STALE, "the image was signed for another boot of the system (a replay?)");
  if (sp->version <= kstate.shards[sp->shard].reload_version)
    return refuse(out, VANITY_DEBUG_E_STALE, "the image's version is not newer than the shard's running image (a replay?)");
  if (sp->size > rl.staging->size) return refuse(out, VANITY_DEBUG_E_TOO_LARGE, "the image is larger than the staging area");
  if (sp->size < sizeof(struct vanity_reload_header)) return refuse(out, VANITY_DEBUG_E_BAD_IMAGE, "the image is too small");
  /* A new begin replaces a transfer that never finished. */
  rl.open = 1;
  rl.shard = sp->shard;
  rl.size = sp->size;
  rl.version = sp->version;
  rl.received = 0;
  memcpy(rl.digest, sp->digest, 32);
  rl.last_ns = platform_time_ns();
  return ok(out, 0, 0);
}

static int chunk(const struct vanity_debug_frame *f, struct reload_reply *out) {
  if (!rl.open) return refuse(out, VANITY_DEBUG_E_BAD_PAYLOAD, "no reload transfer is open");
  struct vanity_debug_chunk_header h;
  if (f->length < sizeof h) return refuse(out, VANITY_DEBUG_E_BAD_PAYLOAD, "a chunk starts with its offset (4 bytes)");
  memcpy(&h, f->payload, sizeof h);
  uint32_t offset = h.offset, n = f->length - (uint32_t)sizeof h;
  if (offset != rl.received) {
    close_transfer();
    return refuse(out, VANITY_DEBUG_E_TRUNCATED, "a chunk is missing (out of order offset); the transfer is dropped");
  }
  if (n > rl.size - rl.received) {
    close_transfer();
    return refuse(out, VANITY_DEBUG_E_TOO_LARGE, "the chunks run past the image's size; the transfer is dropped");
  }
  memcpy(staging_bytes() + offset, f->payload + sizeof h, n);
  rl.received += n;
  rl.last_ns = platform_time_ns();
  return ok(out, 0, 0);
}

static int commit(const struct vanity_debug_frame *f, struct reload_reply *out) {
  if (!rl.open) return refuse(out, VANITY_DEBUG_E_BAD_PAYLOAD, "no reload transfer is open");
  struct vanity_debug_commit_request req = {0};
  if (f->length >= sizeof req) memcpy(&req, f->payload, sizeof req);
  uint32_t flags = req.flags;
  uint64_t t0 = platform_time_ns();
  close_transfer();
  if (rl.received != rl.size) return refuse(out, VANITY_DEBUG_E_TRUNCATED, "the transfer is incomplete");
  uint8_t digest[32];
  vanity_sha256(staging_bytes(), rl.size, digest);
  if (!vanity_digest_equal(digest, rl.digest, 32))
    return refuse(out, VANITY_DEBUG_E_BAD_DIGEST, "the image's SHA-256 does not match the one it was signed with");
  struct shard_state *s = &kstate.shards[rl.shard];
  const char *why = check_image(s->desc);
  if (why) return refuse(out, VANITY_DEBUG_E_BAD_IMAGE, why);
  uint32_t c = (flags & VANITY_RELOAD_FORCE) ? CONTROL_RELOAD_FORCE : CONTROL_RELOAD;
  atomic_store32(&s->reload_phase, RELOAD_REQUESTED);
  if (!atomic_cas32(&s->control, CONTROL_NONE, c)) {
    atomic_store32(&s->reload_phase, RELOAD_IDLE);
    return refuse(out, VANITY_DEBUG_E_BUSY, "an earlier request for this shard is still pending");
  }
  rl.committed = 1;
  s->reload_version = rl.version; /* from now on only a newer image is accepted */
  rl.reply_id = f->id;
  rl.commit_ns = t0;
  rl.verify_us = (uint32_t)((platform_time_ns() - t0) / 1000u);
  rl.deadline_ns = t0 + QUIESCE_TIMEOUT_NS;
  rl.parked_ns = 0;
  kprintf("kernel: reloading %s (%u bytes, checked)\n", s->desc->name, rl.size);
  shard_kick(s);
  return 0; /* the verdict comes from reload_poll */
}

int reload_request(const struct vanity_debug_frame *f, struct reload_reply *out) {
  out->id = f->id;
  out->type = f->type;
  switch (f->type) {
  case VANITY_DEBUG_RELOAD_BEGIN: return begin(f, out);
  case VANITY_DEBUG_RELOAD_CHUNK: return chunk(f, out);
  default: return commit(f, out);
  }
}

int reload_poll(struct reload_reply *out, int *busy) {
  uint64_t now = platform_time_ns();
  if (rl.open && now - rl.last_ns > TRANSFER_STALL_NS) {
    kprintf("kernel: reload transfer for %s stalled; dropped\n", kstate.shards[rl.shard].desc->name);
    close_transfer();
  }
  *busy = rl.open || rl.committed;
  if (!rl.committed) return 0;
  struct shard_state *s = &kstate.shards[rl.shard];
  out->id = rl.reply_id;
  out->type = VANITY_DEBUG_RELOAD_COMMIT;
  uint32_t phase = atomic_load32(&s->reload_phase);
  if (phase == RELOAD_PARKED) {
    rl.parked_ns = now;
    load_segments(s);
    atomic_store32(&s->reload_phase, RELOAD_LOADED);
    shard_kick(s);
  } else if (phase == RELOAD_IDLE) {
    verdict = (struct vanity_reload_verdict){
        .generation = rl.new_generation,
        .verify_us = rl.verify_us,
        .quiesce_us = (uint32_t)((rl.parked_ns - rl.commit_ns) / 1000u),
        .swap_us = (uint32_t)((now - rl.commit_ns) / 1000u),
        .held = rl.held,
    };
    rl.committed = 0;
    return ok(out, (const uint8_t *)&verdict, sizeof verdict);
  } else if (phase == RELOAD_REQUESTED && now > rl.deadline_ns) {
    uint32_t c = atomic_load32(&s->control);
    if ((c == CONTROL_RELOAD || c == CONTROL_RELOAD_FORCE) && atomic_cas32(&s->control, c, CONTROL_NONE)) {
      atomic_store32(&s->reload_phase, RELOAD_IDLE);
      rl.committed = 0;
      kprintf("kernel: reload of %s called off: it did not wait within 2 s\n", s->desc->name);
      return refuse(out, VANITY_DEBUG_E_NOT_QUIESCENT,
                    "the shard did not reach a quiescent point (waiting) within 2 s; it runs on unchanged (force swaps it wherever it is)");
    }
  }
  return 0;
}

int reload_take(struct shard_state *s) {
  uint32_t c = atomic_load32(&s->control);
  if (c != CONTROL_RELOAD && c != CONTROL_RELOAD_FORCE) return 0;
  if (!atomic_cas32(&s->control, c, CONTROL_NONE)) return 0; /* called off meanwhile */
  platform_stop_core(kernel_context());
  atomic_store32(&s->run_state, VANITY_SHARD_RESTARTING);
  atomic_store32(&s->reload_phase, RELOAD_PARKED);
  kernel_kick(kstate.sys->kernel_core);
  while (atomic_load32(&s->reload_phase) != RELOAD_LOADED) kernel_idle(platform_time_ns() + 50000ull);
  const uint8_t *exe = 0;
  uint64_t exe_size = 0;
  if (kstate.sys->image_format == VANITY_IMAGE_HOST_EXECUTABLE) {
    exe = staging_bytes() + segments()[0].offset;
    exe_size = segments()[0].size;
  }
  platform_code_loaded(s->desc, exe, exe_size);
  memcpy(s->code_digest, rl.digest, sizeof s->code_digest);
  return 1;
}

void reload_finish(struct shard_state *s, int starts) {
  rl.new_generation = starts ? s->generation + 1 : s->generation;
  rl.held = !starts;
  if (starts) kprintf("kernel: %s reloaded; starting generation %u\n", s->desc->name, rl.new_generation);
  else kprintf("kernel: %s reloaded; held until released\n", s->desc->name);
  atomic_store32(&s->reload_phase, RELOAD_IDLE);
  kernel_kick(kstate.sys->kernel_core);
}
