/* The memory hierarchy: a private L1 (and optional L2) per core, one shared
 * LLC, inclusive or non-inclusive with a snoop filter, and DRAM with a latency
 * and a bandwidth. Plain C, no engine: callers pass the current time and get
 * back the latency of the access in picoseconds.
 *
 * Coherence (MESI-like, per line): a private cache line is clean or modified;
 * the directory (the LLC's own line when the LLC is inclusive, the snoop filter
 * when it is not) keeps the mask of cores holding it and whether one holds it
 * modified. Every fill handles its victim: a line leaving a core's private
 * caches clears its sharer bit and, when modified, is written back to the next
 * level; an LLC eviction (inclusive) or a snoop-filter eviction (non-inclusive)
 * back-invalidates the private copies, and their dirty data goes on down.
 * So a load is a cross-core transfer (HITM) only while another core really holds
 * the line modified. The L2, when enabled, is inclusive of the L1.
 * Sharers are a 64-bit mask of (core mod 64); with more than 64 cores an aliased
 * bit costs only a few extra look-ups, never a wrong hit. */
#ifndef VIOSIM_MEMSYS_H
#define VIOSIM_MEMSYS_H

#include "viosim/cache.h"
#include "viosim/time.h"
#include "viosim/viosim.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where a load was served. VIO_LVL_REMOTE: the line was modified in another
 * core's private cache and came by a cache-to-cache transfer (a snoop "HITM"),
 * which costs more than an LLC hit; this is what a guest pays to read a buffer
 * the host has just written with ordinary stores. */
enum vio_level { VIO_LVL_L1 = 0, VIO_LVL_L2, VIO_LVL_LLC, VIO_LVL_REMOTE, VIO_LVL_DRAM, VIO_LVL_COUNT };

typedef struct vio_memsys_config {
    uint32_t cores;
    uint32_t freq_mhz;
    vio_cache_config l1;
    uint32_t l1_hit_cycles;
    int l2_enabled;
    vio_cache_config l2;
    uint32_t l2_hit_cycles;
    vio_cache_config llc;
    uint32_t llc_hit_cycles;
    uint32_t c2c_cycles;      /* load of a line modified in another core's private cache */
    uint32_t io_ways;         /* DDIO allocates only into the top io_ways ways */
    uint32_t dram_latency_ns;
    uint64_t dram_bandwidth_mbps;
    uint32_t mlp;             /* misses a core overlaps in a streaming copy */
    int ideal;                /* every access costs 0 and leaves no state: the "caches off" reduced model */
    uint64_t seed;            /* seeds each cache's replacement stream (random policy) */
    /* 0: inclusive LLC (every private line is in the LLC; fills go to both).
     * 1: non-inclusive, as Skylake-SP: fills from DRAM go to the private caches only,
     * the LLC receives their victims, and a snoop filter of sf_ways x (LLC sets)
     * entries tracks private contents; its evictions back-invalidate. */
    int non_inclusive;
    uint32_t sf_ways;
    /* A second fixed I/O region: io_reuse_ways ways just below the DDIO ways. A
     * device write to a line that a core has pulled out of the I/O ways (found in a
     * private cache, or in an ordinary LLC way) places it there instead of updating
     * it wherever it is. 0: off (write update in place, wherever the line is). */
    uint32_t io_reuse_ways;
    /* Set sampling (memsys_sample.c): 0 or 1 = exact; N (a power of two, 2..4096) =
     * only the lines of a fixed, hashed 1-in-N subset of the LLC sets are simulated,
     * through private caches scaled down N-fold (same ways, fewer sets); an access to
     * any other line replays the outcome of a recent simulated access of its class. */
    uint32_t sample_sets;
} vio_memsys_config;

/* How an inbound device write reaches memory. */
enum vio_dma_target {
    VIO_DMA_TO_DRAM = 0, /* write to DRAM; invalidate cached copies */
    VIO_DMA_TO_LLC_DDIO, /* update in place on an LLC hit, else allocate in io ways */
};

/* What a streamed operation over a buffer does with each line. */
enum vio_stream_op {
    VIO_STREAM_READ = 0,  /* core loads: fills L1 (and LLC) */
    VIO_STREAM_WRITE,     /* core stores: read-for-ownership, fills L1, marks dirty */
    VIO_STREAM_WRITE_LLC, /* core stores that allocate in the LLC, not in L1: the
                             US11412059 host copy "to the last level cache" (on
                             Intel: non-temporal stores + CLDEMOTE) */
};

typedef struct vio_memsys vio_memsys;

int vio_memsys_create(const vio_memsys_config *cfg, vio_memsys **out, vio_err *err);
void vio_memsys_destroy(vio_memsys *ms);

/* One line: latency of a load by `core` at time `now`; *served says which level answered. */
vio_ps vio_memsys_read(vio_memsys *ms, uint32_t core, uint64_t addr, vio_ps now, enum vio_level *served);
/* A contiguous buffer [addr, addr+bytes) streamed by `core`: latency of the whole
 * operation, with up to `mlp` misses overlapped (hardware prefetch and fill buffers). */
vio_ps vio_memsys_stream(vio_memsys *ms, uint32_t core, enum vio_stream_op op, uint64_t addr, uint32_t bytes,
                         vio_ps now);
/* Intel Cache Allocation Technology: the LLC ways `core`'s fills may allocate
 * into (the capacity bitmask of its class of service; bit w = way w; 0 = all).
 * It applies to every LLC allocation a core's request causes: an inclusive LLC's
 * fill from DRAM, a victim of the core's private caches entering a non-inclusive
 * LLC, a snooped line written down, a store to the LLC. Hits anywhere are still
 * hits (CAT restricts allocation, not lookup); device writes keep the DDIO ways.
 * VIO_EINVAL unless the mask is one contiguous run within the LLC's ways, as
 * Intel requires (SDM vol. 3B, 17.19). */
int vio_memsys_set_cat(vio_memsys *ms, uint32_t core, uint32_t way_mask, vio_err *err);
/* A read by the I/O agent (the IOMMU's page walker): looked up in the LLC, filled
 * from DRAM on a miss; no core's private cache is involved. Returns its latency. */
vio_ps vio_memsys_io_read(vio_memsys *ms, uint64_t addr, vio_ps now);
/* A device's read of [addr, addr+bytes) (PCIeRdCur: a NIC reading a TX payload or
 * descriptor). It does NOT allocate: a line in the LLC is served there, a line a
 * core holds (the directory says so) is snooped out of that core's cache, and any
 * other line comes from DRAM without filling any cache, since DDIO allocates only on
 * device writes (Farshin et al., USENIX ATC 2020, sec. 2; Intel DDIO technology
 * brief). "Read current" takes a snapshot: no coherence state changes (a modified
 * owner stays the owner) and no replacement state is touched. The lines of one
 * request are looked up in parallel: returns the slowest line's latency; *hit_lines
 * (if not NULL) counts the lines served by the LLC or a core's cache. Contrast
 * vio_memsys_io_read, which fills the LLC (an IOMMU page walk's read). */
vio_ps vio_memsys_dev_read(vio_memsys *ms, uint64_t addr, uint32_t bytes, vio_ps now, uint32_t *hit_lines);
/* Inbound DMA of [addr, addr+bytes): no core latency; updates caches and counters.
 * A line only partly covered (a 16 B descriptor write-back) is merged into the
 * line's current data: where no cache holds it, the I/O agent reads it from DRAM
 * first (counted in dram_reads), as a partial write cannot be a full-line ItoM. */
void vio_memsys_dma_write(vio_memsys *ms, enum vio_dma_target target, uint64_t addr, uint32_t bytes, vio_ps now);

typedef struct vio_memsys_stats {
    uint64_t l1_hits, l1_misses, l2_hits, l2_misses, llc_hits, llc_misses;
    uint64_t c2c_transfers; /* LLC hits whose data came from another core's cache */
    uint64_t dram_reads, dram_writes;
    uint64_t dma_lines, dma_llc_hits;   /* DDIO write hits: line already in the LLC */
    uint64_t dma_unread_evictions;      /* DMA lines evicted before any core read them */
    uint64_t llc_copy_unread_evictions; /* host-copied LLC lines evicted before being read */
    uint64_t back_invalidations;        /* private copies removed to keep the directory exact */
    uint64_t inner_writebacks;          /* modified lines written back from a private cache */
    uint64_t sf_back_invalidations;     /* ... of them, caused by a snoop-filter eviction */
    uint64_t dma_partial_lines;         /* device writes covering part of a line (merged, not overwritten) */
    uint64_t dma_reuse_allocs;          /* device writes placed in the second I/O region */
    uint64_t dev_read_lines;            /* lines read by devices (vio_memsys_dev_read) */
    uint64_t dev_read_llc_hits;         /* ... served by the LLC (ddio-bench's PCIeRdCur hits) */
    uint64_t dev_read_snoops;           /* ... served by a core's private cache (snoop) */
    uint64_t dma_partial_llc_hits;      /* partial-line device writes that found the line in the LLC: with
                                         * dma_partial_lines, what tells full-line writes (PCIe ItoM, the
                                         * ones pcm-pcie's ItoM hit rate counts) from the others */
} vio_memsys_stats;

void vio_memsys_get_stats(const vio_memsys *ms, vio_memsys_stats *out);
/* Zero every counter (stats and per-core reads), keeping the caches' contents: the
 * end of a warm-up. */
void vio_memsys_reset_stats(vio_memsys *ms);
/* Reads by one core, by the level that served them (guest hit rates per level). */
uint64_t vio_memsys_core_reads(const vio_memsys *ms, uint32_t core, enum vio_level level);
/* The shared LLC, read-only (tests inspect which ways lines sit in); NULL with ideal memory. */
const vio_cache *vio_memsys_llc(const vio_memsys *ms);
/* Total line accesses modelled (benchmarks: cache accesses per second). */
uint64_t vio_memsys_accesses(const vio_memsys *ms);
/* Set sampling: the N of "1 in N LLC sets simulated", 0 in exact mode; the accesses
 * simulated (in sampled sets, or before their class had an outcome to replay) and
 * the accesses whose outcome was replayed. */
typedef struct vio_memsys_sampling {
    uint32_t one_in;
    uint64_t simulated, replayed, bootstrap; /* bootstrap: simulated although not in a sampled set */
} vio_memsys_sampling;
void vio_memsys_get_sampling(const vio_memsys *ms, vio_memsys_sampling *out);
/* Sampled mode: simulate every line of [addr, addr + bytes) whatever its set: for a
 * few singular lines that many accesses share and no other line stands for (a
 * vCPU's interrupt-state line). Does nothing in exact mode. VIO_EINVAL beyond
 * VIO_MEMSYS_EXACT_RANGES ranges. */
#define VIO_MEMSYS_EXACT_RANGES 8u
int vio_memsys_sample_exact(vio_memsys *ms, uint64_t addr, uint64_t bytes, vio_err *err);
/* The sampled mode's outcome classes tell address regions of 2^VIO_MEMSYS_REGION_SHIFT
 * bytes apart (the datapath gives each kind of structure its own: rings, buffers,
 * interrupt lines), as their lines behave differently. */
#define VIO_MEMSYS_REGION_SHIFT 43u
#define VIO_MEMSYS_REGIONS 16u
/* Register the hierarchy's statistics under PREFIX (viosim/stats.h): the LLC's
 * and the snoop filter's per-class counters (PREFIX.llc, PREFIX.snoop_filter),
 * the L1 (and L2) of each of the `ncores` listed cores (PREFIX.l1.core<N>), the
 * coherence and DMA counters (PREFIX.coherence.*, PREFIX.dma.*). With ideal
 * memory there are no caches: only the counters. */
int vio_memsys_register_stats(const vio_memsys *ms, vio_stats *st, const char *prefix, const uint32_t *cores,
                              uint32_t ncores, vio_err *err);

#ifdef __cplusplus
}
#endif
#endif
