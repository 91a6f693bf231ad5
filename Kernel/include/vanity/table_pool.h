/* A helper for platforms: the kernel's translation-table region (the layout's
 * `tables`, between __vanity_tables_start and __vanity_tables_end) carved into
 * one fixed pool of 4 KiB table pages per address space. Architecture-free:
 * each platform writes its own entries into the pages. */
#ifndef VANITY_TABLE_POOL_H
#define VANITY_TABLE_POOL_H

#include <stdint.h>

#include "system_table.h" /* VANITY_TABLE_PAGES_PER_SPACE */

#define VANITY_TABLE_PAGE 4096u

extern char __vanity_tables_start[], __vanity_tables_end[];

struct vanity_table_pool {
  uint64_t *root;  /* the space's top-level table */
  uint64_t *next;  /* next free table page */
  uint64_t *limit;
};

/* A zeroed table page, or 0 when the space's pool is used up. */
static inline uint64_t *vanity_table_alloc(struct vanity_table_pool *p) {
  if (p->next >= p->limit) return 0;
  uint64_t *t = p->next;
  p->next += VANITY_TABLE_PAGE / 8;
  for (unsigned i = 0; i < VANITY_TABLE_PAGE / 8; i++) t[i] = 0;
  return t;
}

/* Space `index` (0: the kernel's own, 1 + shard id: a shard's) with its root
 * table allocated; 0 if the region has no room for it. */
static inline struct vanity_table_pool *vanity_table_pool_init(struct vanity_table_pool *p, unsigned index) {
  uint64_t *base = (uint64_t *)(uintptr_t)(__vanity_tables_start +
                                           (uint64_t)index * VANITY_TABLE_PAGES_PER_SPACE * VANITY_TABLE_PAGE);
  p->next = base;
  p->limit = base + VANITY_TABLE_PAGES_PER_SPACE * VANITY_TABLE_PAGE / 8;
  if ((char *)p->limit > __vanity_tables_end) return 0;
  p->root = vanity_table_alloc(p);
  return p;
}

/* The mapping step every board port shares: each region at its address,
 * with the entry bits the port derives from it (`user`: the shard's view,
 * else the kernel's). `map` and `bits` are the port's own. 0 or the first
 * error. */
typedef int (*vanity_map_fn)(struct vanity_table_pool *s, uint64_t va, uint64_t pa, uint64_t size, uint64_t bits);
typedef uint64_t (*vanity_region_bits_fn)(const struct vanity_region *r, int user);

static inline int vanity_map_regions(struct vanity_table_pool *s, const struct vanity_region *rs, uint32_t n, int user,
                                     vanity_map_fn map, vanity_region_bits_fn bits) {
  for (uint32_t i = 0; i < n; i++) {
    int r = map(s, rs[i].virt, rs[i].phys, rs[i].size, bits(&rs[i], user));
    if (r) return r;
  }
  return 0;
}

/* A shard's address space, the step every board port shares: a fresh pool,
 * the kernel's own mappings (`map_kernel`), then the shard's regions. 0, -1
 * when the pool cannot start, -2 when a mapping fails. */
static inline int vanity_build_shard_space(struct vanity_table_pool *pool, const struct vanity_shard_desc *shard,
                                           int (*map_kernel)(struct vanity_table_pool *s), vanity_map_fn map,
                                           vanity_region_bits_fn bits) {
  struct vanity_table_pool *s = vanity_table_pool_init(pool, 1u + shard->id);
  if (!s) return -1;
  if (map_kernel(s)) return -2;
  return vanity_map_regions(s, shard->regions, shard->region_count, 1, map, bits) ? -2 : 0;
}

#endif
