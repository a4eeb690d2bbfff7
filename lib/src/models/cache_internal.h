/* Internal helpers of the cache model for the hierarchy (memsys). */
#ifndef VIOSIM_CACHE_INTERNAL_H
#define VIOSIM_CACHE_INTERNAL_H

#include "viosim/cache.h"

/* Let `c` use the set-index memo of `from` when both index the same way (same set
 * count and index function: the snoop filter and the LLC), so a line's hashed set,
 * computed for one, serves the other. Returns 1 if shared, 0 if the geometries
 * differ (then `c` keeps its own). `from` must outlive `c`. */
int vio__cache_share_index(vio_cache *c, const vio_cache *from);

/* The cache's counters as one index space, for the sampled mode's replays
 * (memsys_sample.c): k < VIO_CLS_COUNT: hits of class k; k < 2 * VIO_CLS_COUNT:
 * misses of class k - VIO_CLS_COUNT; k == 2 * VIO_CLS_COUNT: evictions. */
#define VIO__CACHE_COUNTERS (2u * VIO_CLS_COUNT + 1u)
uint64_t *vio__cache_counter(vio_cache *c, unsigned k);

#endif
