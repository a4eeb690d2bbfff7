/* A set-associative cache with 64-byte lines and a registered replacement
 * policy (repl.h: lru, random, plru, srrip).
 *
 * The cache knows only tags, per-line flags and a sharer mask; timing and the
 * hierarchy (L1 -> LLC -> DRAM, coherence) live in memsys.h. An allocation
 * way-mask lets a class of fills be confined to some ways: that is how DDIO
 * works (inbound PCIe writes allocate only into IIO_LLC_WAYS, 2 of 11 ways by
 * default on Skylake-SP), and how Intel CAT partitions an LLC. */
#ifndef VIOSIM_CACHE_H
#define VIOSIM_CACHE_H

#include "viosim/stats.h"
#include "viosim/repl.h"
#include "viosim/viosim.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VIO_LINE_BYTES 64u
#define VIO_CACHE_MAX_WAYS 32u
#define VIO_CACHE_MAX_SETS (1u << 24) /* 16M sets: the set index is kept in 32 bits */
#define VIO_CACHE_ALL_WAYS 0xffffffffu

/* Access classes for the per-class counters. */
enum vio_access_class {
    VIO_CLS_CPU_READ = 0,  /* a core reading (descriptor, payload) */
    VIO_CLS_CPU_WRITE,     /* a core writing (copy destination) */
    VIO_CLS_DMA_WRITE,     /* an inbound device write (DMA, DDIO) */
    VIO_CLS_WALK,          /* an IOMMU page-walk read */
    VIO_CLS_DEV_READ,      /* a device's non-allocating read (PCIeRdCur: TX payload, descriptor) */
    VIO_CLS_COUNT
};

/* Per-line flags the hierarchy keeps with a tag. */
enum vio_line_flag {
    VIO_LINE_DIRTY = 1u << 0,      /* must be written back on eviction */
    VIO_LINE_DMA_UNREAD = 1u << 1, /* written by DMA and not yet read by any core */
    VIO_LINE_COPY_UNREAD = 1u << 2, /* written into the LLC by a host copy, not yet read */
    VIO_LINE_INNER_MODIFIED = 1u << 3, /* modified in a core's private cache (the sharer) */
};

/* How a line address selects its set. */
enum vio_cache_index {
    VIO_CACHE_INDEX_MODULO = 0, /* the low address bits (line mod sets): L1/L2, VIPT-indexed */
    /* A hash of the whole line address: Intel's LLC spreads lines over slices and
     * sets with an undocumented XOR hash of many address bits (Maurice et al.,
     * "Reverse engineering Intel last-level cache complex addressing using
     * performance counters", RAID 2015); without one, buffers at large power-of-two
     * strides (one ring per queue, 2 MiB apart) would all fall into the same sets.
     * Modelled as an XOR fold of every index-width group of higher bits. */
    VIO_CACHE_INDEX_HASH,
    /* Skylake-SP with 18 slices as measured (McCalpin, "Mapping Addresses to
     * L3/CHA Slices in Intel Processors", TACC TR-2021-03, 2021): the slice from
     * the measured base sequence and permutation masks, the set within the slice
     * from the low line-address bits. Needs sets = 18 x a power of two. */
    VIO_CACHE_INDEX_SKX18,
    VIO_CACHE_INDEX_COUNT
};
/* Registered by name in vio_axis_cache_index (viosim/strategy.h). */

typedef struct vio_cache_config {
    uint64_t size_bytes; /* total capacity; must be ways * sets * 64 */
    uint32_t ways;       /* associativity, 1..32 */
    enum vio_cache_index index;
    enum vio_repl_kind repl; /* replacement policy (0 = lru) */
    uint64_t seed, stream;   /* the policy's random stream (random replacement) */
} vio_cache_config;

/* What an insertion pushed out, so the caller can write back, back-invalidate
 * inner caches, or count an unread DMA line lost ("leaky DMA"). */
typedef struct vio_cache_victim {
    int valid;        /* 0: the fill used an empty way */
    uint64_t line;    /* line address (byte address / 64) */
    uint32_t flags;   /* vio_line_flag bits it had */
    uint64_t sharers; /* sharer mask it had */
} vio_cache_victim;

typedef struct vio_cache vio_cache;

int vio_cache_create(const vio_cache_config *cfg, vio_cache **out, vio_err *err);
/* Bytes vio_cache_create allocates for `cfg` (a valid geometry), for resource estimates. */
uint64_t vio_cache_footprint(const vio_cache_config *cfg);
void vio_cache_destroy(vio_cache *c);

uint32_t vio_cache_ways(const vio_cache *c);
uint32_t vio_cache_sets(const vio_cache *c);
/* Set index of a line address; exposed so tests can build conflict sets. */
uint32_t vio_cache_set_of(const vio_cache *c, uint64_t line);

/* Slot handle of a resident line, or -1. Does not change replacement state. */
int64_t vio_cache_find(const vio_cache *c, uint64_t line);
/* A hit on a resident slot: the policy updates its state (lru: most recent). */
void vio_cache_touch(vio_cache *c, int64_t slot);
/* Fill `line` into an empty way of `way_mask`, else into the policy's victim
 * among `way_mask`. The line must not be resident. Returns its slot; `victim` says what
 * was evicted. A mask with no way inside the associativity is treated as all ways. */
int64_t vio_cache_insert(vio_cache *c, uint64_t line, uint32_t way_mask, uint32_t flags,
                         vio_cache_victim *victim);
/* Remove a line if resident; returns 1 and fills `removed` (may be NULL) if it was. */
int vio_cache_invalidate(vio_cache *c, uint64_t line, vio_cache_victim *removed);

uint32_t vio_cache_flags(const vio_cache *c, int64_t slot);
void vio_cache_set_flags(vio_cache *c, int64_t slot, uint32_t flags);
uint64_t vio_cache_sharers(const vio_cache *c, int64_t slot);
void vio_cache_set_sharers(vio_cache *c, int64_t slot, uint64_t sharers);
/* Way of a slot (for tests of way masks). */
uint32_t vio_cache_way_of(const vio_cache *c, int64_t slot);

/* Per-class hit/miss counters, bumped by the hierarchy where the access occurs. */
void vio_cache_count(vio_cache *c, enum vio_access_class cls, int hit);
uint64_t vio_cache_hits(const vio_cache *c, enum vio_access_class cls);
uint64_t vio_cache_misses(const vio_cache *c, enum vio_access_class cls);
uint64_t vio_cache_evictions(const vio_cache *c);
/* The name of an access class in statistics: cpu_read, cpu_write, dma_write, walk. */
const char *vio_access_class_name(enum vio_access_class cls);
/* Zero the per-class hit and miss counters and the evictions, keeping the contents. */
void vio_cache_reset_stats(vio_cache *c);
/* Register the per-class counters of the classes in `classes` (bit k: class k)
 * as PREFIX.<class>.{hits,misses}, and PREFIX.evictions (viosim/stats.h). */
int vio_cache_register_stats(const vio_cache *c, vio_stats *st, const char *prefix, unsigned classes, vio_err *err);

#ifdef __cplusplus
}
#endif
#endif
