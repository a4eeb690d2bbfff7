/* Internal state of the memory hierarchy, shared by memsys.c (construction,
 * DRAM, the public per-access entry points and streams) and memsys_coh.c
 * (private caches, the coherence directory, LLC fills and evictions, DMA). */
#ifndef VIOSIM_MEMSYS_INTERNAL_H
#define VIOSIM_MEMSYS_INTERNAL_H

#include "viosim/memsys.h"

/* DRAM bandwidth is tracked in windows of 100 ns over a horizon of 4096 windows
 * (~410 us); see vio__ms_dram_transfer. */
#define VIO__DRAM_WINDOW_PS (100 * VIO_PS_PER_NS)
#define VIO__DRAM_WINDOWS 4096u

typedef struct vio__ms_sample vio__ms_sample;

struct vio_memsys {
    vio_memsys_config cfg;
    vio_cache **l1, **l2; /* per core; l2 entries NULL when disabled */
    vio_cache *llc;
    /* Non-inclusive LLC: the snoop filter that tracks every line held in a private
     * cache (sharer mask and modified state). NULL when the LLC is inclusive: its
     * own lines carry that state, and inclusion guarantees every private line has one. */
    vio_cache *sf;
    uint32_t io_mask;    /* DDIO allocation ways: the top io_ways of the LLC */
    uint32_t reuse_mask; /* second I/O region (io_reuse_ways below the io ways), or 0 */
    /* Intel CAT: per core, the LLC ways its fills may allocate into (its class of
     * service's capacity bitmask); VIO_CACHE_ALL_WAYS unless vio_memsys_set_cat. */
    uint32_t *cat_mask;
    vio_ps l1_ps, l2_ps, llc_ps, c2c_ps, dram_ps, dram_line_ps;
    uint64_t dram_window_lines;
    uint64_t dram_used[VIO__DRAM_WINDOWS];
    uint64_t dram_window_id[VIO__DRAM_WINDOWS];
    vio_memsys_stats st;
    uint64_t *core_reads; /* [core][level] */
    uint64_t accesses;
    /* DRAM transfers made, and those whose queueing delay entered an access's
     * latency (count and sum): the sampled mode separates an outcome's fixed
     * latency from its queueing, which a replay takes afresh. */
    uint64_t dram_xfers, dram_waits;
    vio_ps dram_wait_ps;
    int multi; /* the current access is one line of a multi-line buffer (a sampled-mode class key) */
    struct vio__ms_sample *smp; /* set sampling (memsys_sample.c); NULL: exact */
};

/* One line over the DRAM channels at `now`: returns its queueing delay. */
vio_ps vio__ms_dram_transfer(vio_memsys *ms, vio_ps now);

/* n transfers at `now` in a row (as n calls of vio__ms_dram_transfer): the sum of
 * their delays; *last (if not NULL): the last one's, the largest. */
vio_ps vio__ms_dram_transfers(vio_memsys *ms, vio_ps now, uint64_t n, vio_ps *last);

/* vio__ms_dram_transfer for a transfer whose delay the access waits for (a read). */
vio_ps vio__ms_dram_wait(vio_memsys *ms, vio_ps now);

/* The per-line primitives below are the exact model (vio__msx_*, memsys_coh.c);
 * vio__ms_* dispatch to the sampled mode (vio__smp_*, memsys_sample.c) when it is on. */

/* A core's load (write = 0) or read-for-ownership (write = 1) of one line, through
 * its private caches, the directory and the LLC. Returns the latency; *served says
 * which level answered. A write leaves the line modified in the core's L1, every
 * other copy invalidated. */
vio_ps vio__msx_core_access(vio_memsys *ms, uint32_t core, uint64_t line, int write, vio_ps now,
                           enum vio_level *served);
/* A full-line store by `core` that allocates in the LLC only (no RFO, no private copy). */
vio_ps vio__msx_core_write_llc(vio_memsys *ms, uint32_t core, uint64_t line, vio_ps now);
/* A read by the I/O agent (page walker): LLC, then DRAM. */
vio_ps vio__msx_io_read(vio_memsys *ms, uint64_t line, vio_ps now);
/* A device's non-allocating read of one line (PCIeRdCur); *hit: served by the LLC
 * or a core's cache. */
vio_ps vio__msx_dev_read(vio_memsys *ms, uint64_t line, vio_ps now, int *hit);
/* An inbound device write of `bytes` (1..64) of one line. */
void vio__msx_dma_line(vio_memsys *ms, enum vio_dma_target target, uint64_t line, uint32_t bytes, vio_ps now);
/* CLDEMOTE by `core`: `line` leaves the core's private caches for the LLC, as an
 * eviction would (modified data written back into the LLC, the directory updated).
 * Returns 0, doing nothing, when the core does not hold the line. */
int vio__msx_demote(vio_memsys *ms, uint32_t core, uint64_t line, vio_ps now);
/* A full-line non-temporal store (write combining): every cached copy, private or
 * in the LLC, is invalidated and the line is written to DRAM. Returns how long it
 * holds its write-combining buffer: until the memory controller takes it. */
vio_ps vio__msx_core_write_nt(vio_memsys *ms, uint64_t line, vio_ps now);


/* Set sampling (memsys_sample.c). */
int vio__smp_create(vio_memsys *ms, vio_err *err);
void vio__smp_destroy(struct vio__ms_sample *smp);
vio_ps vio__smp_core_access(vio_memsys *ms, uint32_t core, uint64_t line, int write, vio_ps now,
                            enum vio_level *served);
vio_ps vio__smp_core_write_llc(vio_memsys *ms, uint32_t core, uint64_t line, vio_ps now);
vio_ps vio__smp_io_read(vio_memsys *ms, uint64_t line, vio_ps now);
vio_ps vio__smp_dev_read(vio_memsys *ms, uint64_t line, vio_ps now, int *hit);
void vio__smp_dma_line(vio_memsys *ms, enum vio_dma_target target, uint64_t line, uint32_t bytes, vio_ps now);
int vio__smp_demote(vio_memsys *ms, uint32_t core, uint64_t line, vio_ps now);
vio_ps vio__smp_core_write_nt(vio_memsys *ms, uint64_t line, vio_ps now);
/* Whole buffers, lines [first, last] (sampled mode only): a stream's latency sum and
 * maximum; a device read's maximum and *hits; a device write of [addr, addr + bytes). */
void vio__smp_stream(vio_memsys *ms, uint32_t core, enum vio_stream_op op, uint64_t first, uint64_t last, vio_ps now,
                     vio_ps *sum, vio_ps *max);
vio_ps vio__smp_dev_read_lines(vio_memsys *ms, uint64_t first, uint64_t last, vio_ps now, uint32_t *hits);
void vio__smp_dma_write(vio_memsys *ms, enum vio_dma_target target, uint64_t addr, uint32_t bytes, vio_ps now);
/* Is `line` simulated exactly (in a sampled LLC set, or named exact)? Is LLC set `set` sampled? */
int vio__smp_line_sampled(vio_memsys *ms, uint64_t line);
int vio__smp_set_sampled(const vio_memsys *ms, uint32_t set);

static inline vio_ps vio__ms_core_access(vio_memsys *ms, uint32_t core, uint64_t line, int write, vio_ps now,
                                         enum vio_level *served)
{
    return ms->smp ? vio__smp_core_access(ms, core, line, write, now, served)
                   : vio__msx_core_access(ms, core, line, write, now, served);
}
static inline vio_ps vio__ms_core_write_llc(vio_memsys *ms, uint32_t core, uint64_t line, vio_ps now)
{
    return ms->smp ? vio__smp_core_write_llc(ms, core, line, now) : vio__msx_core_write_llc(ms, core, line, now);
}
static inline vio_ps vio__ms_io_read(vio_memsys *ms, uint64_t line, vio_ps now)
{
    return ms->smp ? vio__smp_io_read(ms, line, now) : vio__msx_io_read(ms, line, now);
}
static inline vio_ps vio__ms_dev_read(vio_memsys *ms, uint64_t line, vio_ps now, int *hit)
{
    return ms->smp ? vio__smp_dev_read(ms, line, now, hit) : vio__msx_dev_read(ms, line, now, hit);
}
static inline void vio__ms_dma_line(vio_memsys *ms, enum vio_dma_target target, uint64_t line, uint32_t bytes,
                                    vio_ps now)
{
    if (ms->smp)
        vio__smp_dma_line(ms, target, line, bytes, now);
    else
        vio__msx_dma_line(ms, target, line, bytes, now);
}
static inline int vio__ms_demote(vio_memsys *ms, uint32_t core, uint64_t line, vio_ps now)
{
    return ms->smp ? vio__smp_demote(ms, core, line, now) : vio__msx_demote(ms, core, line, now);
}
static inline vio_ps vio__ms_core_write_nt(vio_memsys *ms, uint64_t line, vio_ps now)
{
    return ms->smp ? vio__smp_core_write_nt(ms, line, now) : vio__msx_core_write_nt(ms, line, now);
}

#endif
