/* Channels: ring initialisation, notifications and generations. The data
 * path (reading and writing slots) never enters the kernel; see ring.h. */
#include "internal.h"

static struct vanity_ring *ring_of(const struct vanity_channel_desc *c) {
  return (struct vanity_ring *)(uintptr_t)c->phys;
}

void channels_init(void) {
  const struct vanity_system *sys = kstate.sys;
  for (uint32_t i = 0; i < sys->channel_count; i++) {
    const struct vanity_channel_desc *c = &sys->channels[i];
    struct vanity_ring *r = ring_of(c);
    memset(r, 0, VANITY_RING_HEADER_SIZE);
    r->info.msg_size = c->msg_size;
    r->info.slots = c->slots;
    r->info.generation = 0;
    __atomic_store_n(&r->info.magic, VANITY_RING_MAGIC, __ATOMIC_RELEASE);
  }
}

void shard_wake(struct shard_state *s, uint32_t bits) {
  __atomic_fetch_or(&s->wake, bits, __ATOMIC_ACQ_REL);
  if (s->core != VANITY_NO_CORE && s->core != platform_core_id()) platform_kick_core(s->core);
}

/* Wakes the other endpoint of `channel`. Only an endpoint may notify. */
int64_t channel_notify(struct shard_state *caller, uint64_t channel) {
  const struct vanity_system *sys = kstate.sys;
  if (channel >= sys->channel_count) return VANITY_E_INVALID;
  const struct vanity_channel_desc *c = &sys->channels[channel];
  uint16_t me = caller->desc->id;
  if (c->from != me && c->to != me) return VANITY_E_DENIED;
  uint16_t peer = c->from == me ? c->to : c->from;
  shard_wake(&kstate.shards[peer], VANITY_WAKE_CHANNEL);
  return VANITY_OK;
}

/* After a shard restarts: every ring it is an endpoint of is reset to empty
 * and its generation bumped, so the peer can tell (docs/abi.md, "Restarts"). */
static void endpoint_restarted(uint32_t shard, int keep_messages) {
  const struct vanity_system *sys = kstate.sys;
  for (uint32_t i = 0; i < sys->channel_count; i++) {
    const struct vanity_channel_desc *c = &sys->channels[i];
    if (c->from != shard && c->to != shard) continue;
    struct vanity_ring *r = ring_of(c);
    /* The restarted side starts from the other side's index: a restarted
     * reader skips what it never saw, a restarted writer continues after
     * the last message the reader may still consume. */
    if (c->to == shard && !keep_messages) {
      uint32_t head = __atomic_load_n(&r->producer.head, __ATOMIC_ACQUIRE);
      r->consumer.cached_head = head;
      __atomic_store_n(&r->consumer.tail, head, __ATOMIC_RELEASE);
    }
    r->producer.consumer_waiting = 0;
    r->consumer.producer_waiting = 0;
    __atomic_fetch_add(&r->info.generation, 1u, __ATOMIC_ACQ_REL);
    uint16_t peer = c->from == shard ? c->to : c->from;
    shard_wake(&kstate.shards[peer], VANITY_WAKE_CHANNEL);
  }
}

void channels_bump_generation(uint32_t shard) { endpoint_restarted(shard, 0); }

/* A reload swaps code at a quiescent point: the rings keep every message
 * (a reloaded reader continues at its last released index, so messages it
 * had peeked but not released are delivered again; a reloaded writer's
 * uncommitted reservations are simply never published). */
void channels_reloaded(uint32_t shard) { endpoint_restarted(shard, 1); }
