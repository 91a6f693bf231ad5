/* The kernel core's end of the debug link: decodes frames from the
 * platform's transport and answers them (docs/debug-protocol.md). Runs only
 * on the kernel core, between watchdog checks; never blocks. */
#include <vanity/debug.h>

#include "internal.h"

static struct vanity_debug_decoder decoder;
static struct vanity_debug_frame frame;
static uint8_t wire[VANITY_DEBUG_MAX_FRAME];
static uint8_t reply[VANITY_DEBUG_MAX_PAYLOAD];
static int decoder_ready;

static void send(uint8_t type, uint16_t id, const uint8_t *payload, uint16_t length) {
  size_t n = vanity_debug_encode(type, id, payload, length, wire);
  if (!n) return;
  klog_lock(); /* the link may share the console's line */
  platform_debug_write(wire, (uint32_t)n);
  klog_unlock();
}

static void answer(uint8_t type, uint16_t id, const uint8_t *payload, uint16_t length) {
  send((uint8_t)(type | VANITY_DEBUG_REPLY), id, payload, length);
}

static void error(uint16_t id, uint16_t code, const char *text) {
  struct vanity_debug_error_reply h = {.code = code};
  uint16_t n = sizeof h;
  memcpy(reply, &h, sizeof h);
  for (const char *p = text; *p && n < VANITY_DEBUG_MAX_PAYLOAD; p++) reply[n++] = (uint8_t)*p;
  send(VANITY_DEBUG_ERROR, id, reply, n);
}

static void send_reload(const struct reload_reply *r) {
  if (r->error) error(r->id, r->error, r->text);
  else answer(r->type, r->id, r->payload, r->length);
}

/* A zero-padded text field. */
static void put_str(char *field, const char *s, uint32_t width) {
  uint32_t i = 0;
  for (; s[i] && i < width; i++) field[i] = s[i];
  for (; i < width; i++) field[i] = 0;
}

/* A request's fixed part: what the payload holds, zero past its end (the
 * optional fields of PS, LOGS and COMMIT). */
static void request(void *dst, uint32_t size) {
  memset(dst, 0, size);
  memcpy(dst, frame.payload, frame.length < size ? frame.length : size);
}

/* What READ may copy: a shard's own RAM (data, stack, heap, its channel
 * rings, shared regions), never a device, a guard, code or the kernel's. */
static int readable(const struct vanity_region *r) {
  if (r->perms & VANITY_PERM_DEVICE) return 0;
  switch (r->kind) {
  case VANITY_REGION_DATA:
  case VANITY_REGION_STACK:
  case VANITY_REGION_HEAP:
  case VANITY_REGION_CHANNEL:
  case VANITY_REGION_SHARED: return 1;
  default: return 0;
  }
}

/* READ: bytes of one of a shard's regions, copied through the kernel's view
 * of RAM (every region at its physical address) while the shard runs: a
 * snapshot that a concurrent write may tear. */
static void read_region(uint16_t id) {
  struct vanity_debug_read_request req;
  if (frame.length != sizeof req) return error(id, VANITY_DEBUG_E_BAD_PAYLOAD, "expected shard, region, length and offset (16 bytes)");
  request(&req, sizeof req);
  if (req.shard >= kstate.sys->shard_count) return error(id, VANITY_DEBUG_E_NO_SUCH_SHARD, "no such shard");
  const struct vanity_shard_desc *d = kstate.shards[req.shard].desc;
  if (req.region >= d->region_count) return error(id, VANITY_DEBUG_E_NO_SUCH_REGION, "the shard has no region of that index");
  const struct vanity_region *r = &d->regions[req.region];
  struct vanity_debug_read_reply h = {.virt = r->virt, .size = r->size, .offset = req.offset, .region = req.region,
                                      .regions = (uint16_t)d->region_count, .kind = (uint16_t)r->kind,
                                      .perms = (uint8_t)r->perms, .readable = (uint8_t)readable(r)};
  if (req.length && !h.readable) return error(id, VANITY_DEBUG_E_NOT_READABLE, "the link reads only data, stack, heap, channel and shared regions");
  if (req.offset > r->size) return error(id, VANITY_DEBUG_E_OUT_OF_RANGE, "the offset lies past the region's end");
  uint64_t n = r->size - req.offset;
  if (n > req.length) n = req.length;
  if (n > VANITY_DEBUG_MAX_READ) n = VANITY_DEBUG_MAX_READ;
  h.count = (uint32_t)n;
  memcpy(reply, &h, sizeof h);
  memcpy(reply + sizeof h, (const void *)(uintptr_t)(r->phys + req.offset), (size_t)n);
  answer(frame.type, id, reply, (uint16_t)(sizeof h + n));
}

static void handle(void) {
  const struct vanity_system *sys = kstate.sys;
  uint16_t id = frame.id;
  switch (frame.type) {
  case VANITY_DEBUG_HELLO: {
    struct vanity_debug_hello_reply h;
    memcpy(h.build_id, sys->build_id, sizeof h.build_id);
    put_str(h.system, sys->name, sizeof h.system);
    put_str(h.platform, sys->platform, sizeof h.platform);
    h.shard_count = sys->shard_count;
    h.reserved = 0;
    h.boot_id = kstate.boot_id;
    memcpy(reply, &h, sizeof h);
    return answer(frame.type, id, reply, sizeof h);
  }
  case VANITY_DEBUG_PS: {
    struct vanity_debug_ps_request req;
    request(&req, sizeof req);
    struct vanity_debug_ps_reply h = {.first = req.first, .count = 0, .total = (uint16_t)sys->shard_count};
    uint16_t n = sizeof h;
    for (uint32_t i = req.first; i < sys->shard_count && h.count < VANITY_DEBUG_PS_PER_REPLY; i++, h.count++) {
      struct shard_state *s = &kstate.shards[i];
      struct vanity_debug_ps_record r = {
          .id = (uint16_t)i,
          .state = (uint8_t)atomic_load32(&s->run_state),
          .core = (uint8_t)cpu_of(s->core),
          .restarts = s->restarts,
          .generation = s->generation,
      };
      put_str(r.name, s->desc->name, sizeof r.name);
      memcpy(r.code, s->code_digest, sizeof r.code);
      memcpy(reply + n, &r, sizeof r);
      n = (uint16_t)(n + sizeof r);
    }
    memcpy(reply, &h, sizeof h);
    return answer(frame.type, id, reply, n);
  }
  case VANITY_DEBUG_STATS: {
    struct vanity_debug_stats_request req;
    request(&req, sizeof req);
    /* One record per execution context: a shared core has several. */
    uint32_t cores = sys->context_count < VANITY_MAX_CORES ? sys->context_count : VANITY_MAX_CORES;
    struct vanity_debug_stats_reply h = {.first = req.first, .total = (uint16_t)cores, .now_ns = platform_time_ns()};
    uint16_t n = sizeof h;
    for (uint32_t c = req.first; c < cores && h.count < VANITY_DEBUG_STATS_PER_REPLY; c++, h.count++) {
      uint32_t sid = kstate.core_shard[c];
      struct vanity_debug_core_record r = {
          .core = (uint16_t)cpu_of(c),
          .shard = sid < sys->shard_count ? (uint16_t)sid : (uint16_t)VANITY_DEBUG_NO_SHARD,
          .entries = kstate.entries[c],
          .idle_ns = context_idle_ns(c, h.now_ns),
          .syscalls = sid < sys->shard_count ? kstate.shards[sid].syscalls : 0,
      };
      if (sid < sys->shard_count) r.denied = kstate.shards[sid].denied > 0xffffffffull ? 0xffffffffu : (uint32_t)kstate.shards[sid].denied;
      memcpy(reply + n, &r, sizeof r);
      n = (uint16_t)(n + sizeof r);
    }
    memcpy(reply, &h, sizeof h);
    return answer(frame.type, id, reply, n);
  }
  case VANITY_DEBUG_LOGS: {
    struct vanity_debug_logs_request req;
    request(&req, sizeof req);
    struct vanity_debug_logs_reply h = {0};
    uint32_t n = klog_recent(req.since, reply + sizeof h, VANITY_DEBUG_MAX_PAYLOAD - sizeof h, &h.first, &h.total, &h.dropped);
    memcpy(reply, &h, sizeof h);
    return answer(frame.type, id, reply, (uint16_t)(sizeof h + n));
  }
  case VANITY_DEBUG_READ: return read_region(id);
  case VANITY_DEBUG_FAULT: {
    struct vanity_debug_shard_request req;
    if (frame.length != sizeof req) return error(id, VANITY_DEBUG_E_BAD_PAYLOAD, "expected a shard id (2 bytes)");
    request(&req, sizeof req);
    if (req.shard >= sys->shard_count) return error(id, VANITY_DEBUG_E_NO_SUCH_SHARD, "no such shard");
    struct vanity_fault_record f = kstate.shards[req.shard].fault; /* written on the shard's core: may be torn by a fault under way */
    memcpy(reply, &f, sizeof f);
    return answer(frame.type, id, reply, sizeof f);
  }
  case VANITY_DEBUG_RESTART:
  case VANITY_DEBUG_HOLD:
  case VANITY_DEBUG_RELEASE: {
    struct vanity_debug_shard_request req;
    if (frame.length != sizeof req) return error(id, VANITY_DEBUG_E_BAD_PAYLOAD, "expected a shard id (2 bytes)");
    request(&req, sizeof req);
    if (req.shard >= sys->shard_count) return error(id, VANITY_DEBUG_E_NO_SUCH_SHARD, "no such shard");
    struct shard_state *s = &kstate.shards[req.shard];
    uint32_t held = atomic_load32(&s->run_state) == VANITY_SHARD_HELD;
    if (frame.type == VANITY_DEBUG_RELEASE && !held) return error(id, VANITY_DEBUG_E_BAD_PAYLOAD, "the shard is not held");
    if (frame.type == VANITY_DEBUG_HOLD && held) return error(id, VANITY_DEBUG_E_BAD_PAYLOAD, "the shard is already held");
    uint32_t c = frame.type == VANITY_DEBUG_RESTART ? CONTROL_RESTART : frame.type == VANITY_DEBUG_HOLD ? CONTROL_HOLD : CONTROL_RELEASE;
    if (!atomic_cas32(&s->control, CONTROL_NONE, c))
      return error(id, VANITY_DEBUG_E_BUSY, "an earlier request for this shard is still pending");
    shard_kick(s);
    return answer(frame.type, id, 0, 0);
  }
  case VANITY_DEBUG_RELOAD_BEGIN:
  case VANITY_DEBUG_RELOAD_CHUNK:
  case VANITY_DEBUG_RELOAD_COMMIT: {
    struct reload_reply r;
    if (reload_request(&frame, &r)) send_reload(&r);
    return;
  }
  default: return error(id, VANITY_DEBUG_E_UNKNOWN_TYPE, "unknown request type");
  }
}

void kernel_debug_connected(void) {
  vanity_debug_decoder_init(&decoder);
  decoder_ready = 1;
}

/* This boot's id: the time of the kernel core's first link poll, mixed
 * (splitmix64). Not secret (reloads are signed), only different per boot. */
static uint64_t make_boot_id(uint64_t t) {
  uint64_t z = t + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return (z ^ (z >> 31)) | 1u;
}

int debug_poll(void) {
  static uint64_t last_byte_ns;
  if (!decoder_ready) kernel_debug_connected();
  uint64_t now = platform_time_ns();
  if (!kstate.boot_id) kstate.boot_id = make_boot_id(now);
  uint8_t buf[256];
  uint32_t n, total = 0;
  while (total < LINK_BYTES_PER_PASS && (n = platform_debug_read(buf, sizeof buf)) > 0) {
    total += n;
    for (uint32_t i = 0; i < n; i++)
      if (vanity_debug_feed(&decoder, buf[i], &frame)) handle();
  }
  if (total) last_byte_ns = now;
  /* Nothing came this pass: a frame the line has left half-sent that long is dropped. */
  else if (decoder.fill && now - last_byte_ns > LINK_PARTIAL_FRAME_NS) vanity_debug_decoder_init(&decoder);
  struct reload_reply r;
  int reloading = 0;
  if (reload_poll(&r, &reloading)) send_reload(&r);
  return total > 0 || reloading;
}
