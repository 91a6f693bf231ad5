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

/* The table walk every board port shares: `levels` levels of 512 entries
 * (3: 1 GiB, 2 MiB, 4 KiB, as aarch64 with 39-bit addresses and riscv64
 * Sv39; 4: a 512 GiB level above, as x86_64), 4 KiB pages and 2 MiB blocks.
 * Each port says how its entries are encoded; the walk is the same. */
struct vanity_pte_format {
  unsigned levels;
  uint64_t valid;                                /* the bit every valid entry has */
  int (*is_table)(uint64_t e);                   /* valid and pointing at a next-level table */
  uint64_t *(*table)(uint64_t e);                /* that table */
  uint64_t (*table_entry)(const uint64_t *t);    /* an entry pointing at table t */
  uint64_t (*leaf)(uint64_t pa, uint64_t bits, int page); /* a 4 KiB page, or a block */
  uint64_t (*leaf_pa)(uint64_t e);               /* where a valid leaf points */
  uint64_t (*leaf_bits)(uint64_t e);             /* its permission and attribute bits, for leaf() */
};

/* The address bits an entry at `level` (0: the root's) translates. */
static inline unsigned vanity_table_shift(const struct vanity_pte_format *f, unsigned level) {
  return 12 + 9 * (f->levels - 1 - level);
}

/* The table under entry `e` at `level`. A block there is split into a table
 * of smaller leaves with the same bits. 0 when the pool is out of pages. */
static inline uint64_t *vanity_table_descend(struct vanity_table_pool *s, const struct vanity_pte_format *f, uint64_t *e,
                                             unsigned level) {
  if (f->is_table(*e)) return f->table(*e);
  uint64_t *t = vanity_table_alloc(s);
  if (!t) return 0;
  if (*e & f->valid) {
    uint64_t child = 1ull << vanity_table_shift(f, level + 1);
    uint64_t base = f->leaf_pa(*e) & ~(child * 512 - 1);
    for (unsigned i = 0; i < 512; i++) t[i] = f->leaf(base + i * child, f->leaf_bits(*e), level + 2 == f->levels);
  }
  *e = f->table_entry(t);
  return t;
}

/* Maps [va, va+size) to pa with entry `bits` (0 unmaps), with 2 MiB blocks
 * where both addresses are aligned. 0, or -1 when the pool is out of pages. */
static inline int vanity_table_map(struct vanity_table_pool *s, const struct vanity_pte_format *f, uint64_t va, uint64_t pa,
                                   uint64_t size, uint64_t bits) {
  const uint64_t block = 1ull << 21, page = 1ull << 12;
  for (uint64_t end = va + size; va < end;) {
    uint64_t *table = s->root;
    unsigned level = 0;
    for (; level + 2 < f->levels; level++) { /* down to the table of 2 MiB entries */
      table = vanity_table_descend(s, f, &table[(va >> vanity_table_shift(f, level)) & 511], level);
      if (!table) return -1;
    }
    uint64_t *e = &table[(va >> 21) & 511];
    if (((va | pa) & (block - 1)) == 0 && end - va >= block && bits && !f->is_table(*e)) {
      *e = f->leaf(pa, bits, 0);
      va += block;
      pa += block;
      continue;
    }
    uint64_t *last = vanity_table_descend(s, f, e, level);
    if (!last) return -1;
    last[(va >> 12) & 511] = bits ? f->leaf(pa, bits, 1) : 0;
    va += page;
    pa += page;
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
