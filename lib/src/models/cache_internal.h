/* Internal helpers of the cache model for the hierarchy (memsys). */
#ifndef VIOSIM_CACHE_INTERNAL_H
#define VIOSIM_CACHE_INTERNAL_H

#include "viosim/cache.h"

/* Let `c` use the set-index memo of `from` when both index the same way (same set
 * count and index function: the snoop filter and the LLC), so a line's hashed set,
 * computed for one, serves the other. Returns 1 if shared, 0 if the geometries
 * differ (then `c` keeps its own). `from` must outlive `c`. */
int vio__cache_share_index(vio_cache *c, const vio_cache *from);

#endif
