/* Memory hierarchy timing and coherence; see memsys.h for the model. */
#include "viosim/memsys.h"

#include <stdlib.h>

/* DRAM bandwidth is tracked in windows of 100 ns over a horizon of 4096 windows
 * (~410 us). Requests reach the memory model slightly out of time order (a host
 * batch issues its accesses at its start), so a single "next free" time would
 * make an early request queue behind a later one and feed back on itself; a
 * window only competes with requests in the same 100 ns. */
#define DRAM_WINDOW_PS (100 * VIO_PS_PER_NS)
#define DRAM_WINDOWS 4096u

/* Random-stream ids of the caches' replacement policies (apart from traffic's). */
#define STREAM_L1 0x11000000ull
#define STREAM_L2 0x12000000ull
#define STREAM_LLC 0x13000000ull

struct vio_memsys {
    vio_memsys_config cfg;
    vio_cache **l1, **l2; /* per core; l2 entries NULL when disabled */
    vio_cache *llc;
    uint32_t io_mask;      /* DDIO ways: the top io_ways of the LLC */
    vio_ps l1_ps, l2_ps, llc_ps, c2c_ps, dram_ps, dram_line_ps;
    /* DRAM bandwidth as capacity per time window (see dram_transfer). */
    uint64_t dram_window_lines;
    uint64_t dram_used[DRAM_WINDOWS];
    uint64_t dram_window_id[DRAM_WINDOWS];
    vio_memsys_stats st;
    uint64_t *core_reads;  /* [core][level] */
    uint64_t accesses;
};

int vio_memsys_create(const vio_memsys_config *cfg, vio_memsys **out, vio_err *err)
{
    *out = NULL;
    vio_memsys *ms = calloc(1, sizeof *ms);
    if (!ms)
        return vio_err_set(err, VIO_ENOMEM, "memsys: out of memory");
    ms->cfg = *cfg;
    if (ms->cfg.mlp == 0)
        ms->cfg.mlp = 1;
    ms->l1 = calloc(cfg->cores, sizeof *ms->l1);
    ms->l2 = calloc(cfg->cores, sizeof *ms->l2);
    ms->core_reads = calloc((size_t)cfg->cores * VIO_LVL_COUNT, sizeof *ms->core_reads);
    int rc = (ms->l1 && ms->l2 && ms->core_reads) ? VIO_OK
                                                   : vio_err_set(err, VIO_ENOMEM, "memsys: out of memory");
    /* Ideal memory keeps no cache state: nothing to allocate (reduced models start fast). */
    /* Each cache draws its random replacement choices from its own stream. */
    for (uint32_t c = 0; rc == VIO_OK && !cfg->ideal && c < cfg->cores; c++) {
        vio_cache_config l1 = cfg->l1, l2 = cfg->l2;
        l1.seed = l2.seed = cfg->seed;
        l1.stream = STREAM_L1 + c;
        l2.stream = STREAM_L2 + c;
        rc = vio_cache_create(&l1, &ms->l1[c], err);
        if (rc == VIO_OK && cfg->l2_enabled)
            rc = vio_cache_create(&l2, &ms->l2[c], err);
    }
    if (rc == VIO_OK && !cfg->ideal) {
        vio_cache_config llc = cfg->llc;
        llc.seed = cfg->seed;
        llc.stream = STREAM_LLC;
        rc = vio_cache_create(&llc, &ms->llc, err);
    }
    if (rc == VIO_OK && (cfg->io_ways == 0 || cfg->io_ways > cfg->llc.ways))
        rc = vio_err_set(err, VIO_EINVAL, "memsys: io_ways %u must be 1..%u", cfg->io_ways, cfg->llc.ways);
    if (rc != VIO_OK) {
        vio_memsys_destroy(ms);
        return rc;
    }
    /* IIO_LLC_WAYS selects the highest-numbered ways on Skylake-SP (0x600 = ways 9, 10). */
    for (uint32_t w = cfg->llc.ways - cfg->io_ways; w < cfg->llc.ways; w++)
        ms->io_mask |= 1u << w;
    ms->l1_ps = vio_cycles_to_ps(cfg->l1_hit_cycles, cfg->freq_mhz);
    ms->l2_ps = vio_cycles_to_ps(cfg->l2_hit_cycles, cfg->freq_mhz);
    ms->llc_ps = vio_cycles_to_ps(cfg->llc_hit_cycles, cfg->freq_mhz);
    ms->c2c_ps = vio_cycles_to_ps(cfg->c2c_cycles > cfg->llc_hit_cycles ? cfg->c2c_cycles : cfg->llc_hit_cycles,
                                  cfg->freq_mhz);
    ms->dram_ps = (vio_ps)cfg->dram_latency_ns * VIO_PS_PER_NS;
    ms->dram_line_ps = vio_bytes_to_ps(VIO_LINE_BYTES, cfg->dram_bandwidth_mbps);
    ms->dram_window_lines = DRAM_WINDOW_PS / (ms->dram_line_ps ? ms->dram_line_ps : 1);
    if (ms->dram_window_lines == 0)
        ms->dram_window_lines = 1;
    for (uint32_t i = 0; i < DRAM_WINDOWS; i++)
        ms->dram_window_id[i] = UINT64_MAX;
    *out = ms;
    return VIO_OK;
}

void vio_memsys_destroy(vio_memsys *ms)
{
    if (!ms)
        return;
    for (uint32_t c = 0; c < ms->cfg.cores; c++) {
        if (ms->l1)
            vio_cache_destroy(ms->l1[c]);
        if (ms->l2)
            vio_cache_destroy(ms->l2[c]);
    }
    free(ms->l1);
    free(ms->l2);
    vio_cache_destroy(ms->llc);
    free(ms->core_reads);
    free(ms);
}

/* One line over the DRAM channels at time `now`: it takes a slot in the first
 * window from now on with bandwidth left, and waits until that window opens if it
 * is a later one. Returns the queueing delay (0 while bandwidth suffices). */
static vio_ps dram_transfer(vio_memsys *ms, vio_ps now)
{
    uint64_t w = now / DRAM_WINDOW_PS;
    for (uint32_t tries = 0; tries < DRAM_WINDOWS; tries++, w++) {
        uint32_t slot = (uint32_t)(w % DRAM_WINDOWS);
        if (ms->dram_window_id[slot] != w) {
            if (ms->dram_window_id[slot] != UINT64_MAX && ms->dram_window_id[slot] > w)
                return 0; /* older than the horizon: no longer tracked */
            ms->dram_window_id[slot] = w;
            ms->dram_used[slot] = 0;
        }
        if (ms->dram_used[slot] < ms->dram_window_lines) {
            ms->dram_used[slot]++;
            vio_ps start = w * DRAM_WINDOW_PS;
            return start > now ? start - now : 0;
        }
    }
    return (vio_ps)DRAM_WINDOWS * DRAM_WINDOW_PS; /* saturated for the whole horizon */
}

static uint64_t bit_of(uint32_t core) { return 1ULL << (core % 64u); }

/* Drop inner (L1/L2) copies held by the cores in `sharers`, except `keep`. */
static void invalidate_inner(vio_memsys *ms, uint64_t line, uint64_t sharers, uint32_t keep)
{
    while (sharers) {
        unsigned b = (unsigned)__builtin_ctzll(sharers);
        sharers &= sharers - 1;
        for (uint32_t c = b; c < ms->cfg.cores; c += 64u) {
            if (c == keep)
                continue;
            int gone = vio_cache_invalidate(ms->l1[c], line, NULL);
            if (ms->l2[c])
                gone |= vio_cache_invalidate(ms->l2[c], line, NULL);
            ms->st.back_invalidations += (uint64_t)gone;
        }
    }
}

/* Account for a line leaving the LLC: write back, count lost unread data,
 * and keep inclusion by invalidating inner copies. */
static void llc_evicted(vio_memsys *ms, const vio_cache_victim *v, vio_ps now)
{
    if (!v->valid)
        return;
    if (v->flags & VIO_LINE_DIRTY) {
        ms->st.dram_writes++;
        (void)dram_transfer(ms, now);
    }
    if (v->flags & VIO_LINE_DMA_UNREAD)
        ms->st.dma_unread_evictions++;
    if (v->flags & VIO_LINE_COPY_UNREAD)
        ms->st.llc_copy_unread_evictions++;
    invalidate_inner(ms, v->line, v->sharers, UINT32_MAX);
}

static void fill_inner(vio_memsys *ms, uint32_t core, uint64_t line, int into_l2)
{
    if (into_l2 && ms->l2[core])
        vio_cache_insert(ms->l2[core], line, VIO_CACHE_ALL_WAYS, 0, NULL);
    vio_cache_insert(ms->l1[core], line, VIO_CACHE_ALL_WAYS, 0, NULL);
}

/* A core's load or read-for-ownership of one line. Returns its latency; *llc_slot
 * is the line's LLC slot when the LLC was consulted (an inner miss), else -1. */
static vio_ps core_access(vio_memsys *ms, uint32_t core, uint64_t line, enum vio_access_class cls, vio_ps now,
                          enum vio_level *served, int64_t *llc_slot)
{
    *llc_slot = -1;
    ms->accesses++;
    vio_cache *l1 = ms->l1[core];
    int64_t s = vio_cache_find(l1, line);
    vio_cache_count(l1, cls, s >= 0);
    if (s >= 0) {
        vio_cache_touch(l1, s);
        ms->st.l1_hits++;
        *served = VIO_LVL_L1;
        return ms->l1_ps;
    }
    ms->st.l1_misses++;
    vio_cache *l2 = ms->l2[core];
    if (l2) {
        s = vio_cache_find(l2, line);
        vio_cache_count(l2, cls, s >= 0);
        if (s >= 0) {
            vio_cache_touch(l2, s);
            ms->st.l2_hits++;
            fill_inner(ms, core, line, 0);
            *served = VIO_LVL_L2;
            return ms->l2_ps;
        }
        ms->st.l2_misses++;
    }
    vio_ps lat;
    s = vio_cache_find(ms->llc, line);
    vio_cache_count(ms->llc, cls, s >= 0);
    if (s >= 0) {
        vio_cache_touch(ms->llc, s);
        ms->st.llc_hits++;
        *served = VIO_LVL_LLC;
        lat = ms->llc_ps;
        uint32_t f = vio_cache_flags(ms->llc, s);
        if ((f & VIO_LINE_INNER_MODIFIED) && (vio_cache_sharers(ms->llc, s) & ~bit_of(core))) {
            /* Modified in another core's L1/L2: the LLC snoops it out (HITM) and the
             * line is downgraded to shared, its data now current in the LLC. */
            ms->st.c2c_transfers++;
            *served = VIO_LVL_REMOTE;
            lat = ms->c2c_ps;
            vio_cache_set_flags(ms->llc, s, f & ~(uint32_t)VIO_LINE_INNER_MODIFIED);
        }
    } else {
        ms->st.llc_misses++;
        ms->st.dram_reads++;
        vio_cache_victim v;
        lat = ms->llc_ps + ms->dram_ps + dram_transfer(ms, now);
        s = vio_cache_insert(ms->llc, line, VIO_CACHE_ALL_WAYS, 0, &v);
        llc_evicted(ms, &v, now);
        *served = VIO_LVL_DRAM;
    }
    /* A core has now seen the line: it is no longer unread I/O data. */
    uint32_t f = vio_cache_flags(ms->llc, s) & ~(uint32_t)(VIO_LINE_DMA_UNREAD | VIO_LINE_COPY_UNREAD);
    vio_cache_set_flags(ms->llc, s, f);
    vio_cache_set_sharers(ms->llc, s, vio_cache_sharers(ms->llc, s) | bit_of(core));
    fill_inner(ms, core, line, 1);
    *llc_slot = s;
    return lat;
}

vio_ps vio_memsys_read(vio_memsys *ms, uint32_t core, uint64_t addr, vio_ps now, enum vio_level *served)
{
    if (ms->cfg.ideal) {
        if (served)
            *served = VIO_LVL_L1;
        return 0;
    }
    enum vio_level lvl;
    int64_t slot;
    vio_ps lat = core_access(ms, core, addr / VIO_LINE_BYTES, VIO_CLS_CPU_READ, now, &lvl, &slot);
    ms->core_reads[(size_t)core * VIO_LVL_COUNT + lvl]++;
    if (served)
        *served = lvl;
    return lat;
}

/* A store: own the line (RFO through the hierarchy), then invalidate every other copy. */
static vio_ps core_write(vio_memsys *ms, uint32_t core, uint64_t line, vio_ps now)
{
    enum vio_level lvl;
    int64_t s;
    vio_ps lat = core_access(ms, core, line, VIO_CLS_CPU_WRITE, now, &lvl, &s);
    if (s < 0) /* an inner hit: find the line's LLC entry (inclusion keeps it there) */
        s = vio_cache_find(ms->llc, line);
    if (s < 0)
        return lat;
    invalidate_inner(ms, line, vio_cache_sharers(ms->llc, s), core);
    vio_cache_set_sharers(ms->llc, s, bit_of(core));
    vio_cache_set_flags(ms->llc, s, vio_cache_flags(ms->llc, s) | VIO_LINE_DIRTY | VIO_LINE_INNER_MODIFIED);
    return lat;
}

/* A full-line store that allocates in the LLC only (no RFO: the whole line is
 * written), leaving no inner copy anywhere: the next reader hits in the LLC. */
static vio_ps core_write_llc(vio_memsys *ms, uint64_t line, vio_ps now)
{
    ms->accesses++;
    int64_t s = vio_cache_find(ms->llc, line);
    vio_cache_count(ms->llc, VIO_CLS_CPU_WRITE, s >= 0);
    if (s >= 0) {
        ms->st.llc_hits++;
        invalidate_inner(ms, line, vio_cache_sharers(ms->llc, s), UINT32_MAX);
        vio_cache_touch(ms->llc, s);
    } else {
        ms->st.llc_misses++;
        vio_cache_victim v;
        s = vio_cache_insert(ms->llc, line, VIO_CACHE_ALL_WAYS, 0, &v);
        llc_evicted(ms, &v, now);
    }
    vio_cache_set_sharers(ms->llc, s, 0);
    vio_cache_set_flags(ms->llc, s, VIO_LINE_DIRTY | VIO_LINE_COPY_UNREAD);
    return ms->llc_ps;
}

vio_ps vio_memsys_stream(vio_memsys *ms, uint32_t core, enum vio_stream_op op, uint64_t addr, uint32_t bytes,
                         vio_ps now)
{
    if (bytes == 0 || ms->cfg.ideal)
        return 0;
    uint64_t first = addr / VIO_LINE_BYTES, last = (addr + bytes - 1) / VIO_LINE_BYTES;
    vio_ps sum = 0, max = 0;
    for (uint64_t line = first; line <= last; line++) {
        vio_ps lat;
        if (op == VIO_STREAM_READ) {
            enum vio_level lvl;
            int64_t slot;
            lat = core_access(ms, core, line, VIO_CLS_CPU_READ, now, &lvl, &slot);
            ms->core_reads[(size_t)core * VIO_LVL_COUNT + lvl]++;
        } else if (op == VIO_STREAM_WRITE) {
            lat = core_write(ms, core, line, now);
        } else {
            lat = core_write_llc(ms, line, now);
        }
        sum += lat;
        if (lat > max)
            max = lat;
    }
    /* Up to `mlp` misses are in flight at once (line fill buffers + prefetch):
     * the stream costs its slowest line or its serial sum over mlp, whichever is larger. */
    vio_ps overlapped = (sum + ms->cfg.mlp - 1) / ms->cfg.mlp;
    return overlapped > max ? overlapped : max;
}

vio_ps vio_memsys_io_read(vio_memsys *ms, uint64_t addr, vio_ps now)
{
    if (ms->cfg.ideal)
        return 0;
    ms->accesses++;
    uint64_t line = addr / VIO_LINE_BYTES;
    int64_t s = vio_cache_find(ms->llc, line);
    vio_cache_count(ms->llc, VIO_CLS_WALK, s >= 0);
    if (s >= 0) {
        vio_cache_touch(ms->llc, s);
        ms->st.llc_hits++;
        return ms->llc_ps;
    }
    ms->st.llc_misses++;
    ms->st.dram_reads++;
    vio_ps lat = ms->llc_ps + ms->dram_ps + dram_transfer(ms, now);
    vio_cache_victim v;
    vio_cache_insert(ms->llc, line, VIO_CACHE_ALL_WAYS, 0, &v);
    llc_evicted(ms, &v, now);
    return lat;
}

void vio_memsys_dma_write(vio_memsys *ms, enum vio_dma_target target, uint64_t addr, uint32_t bytes, vio_ps now)
{
    if (bytes == 0 || ms->cfg.ideal)
        return;
    uint64_t first = addr / VIO_LINE_BYTES, last = (addr + bytes - 1) / VIO_LINE_BYTES;
    for (uint64_t line = first; line <= last; line++) {
        ms->accesses++;
        ms->st.dma_lines++;
        int64_t s = vio_cache_find(ms->llc, line);
        vio_cache_count(ms->llc, VIO_CLS_DMA_WRITE, s >= 0);
        if (target == VIO_DMA_TO_DRAM) {
            /* Non-DDIO: the write goes to memory and snoops out every cached copy. */
            vio_cache_victim v;
            if (vio_cache_invalidate(ms->llc, line, &v))
                invalidate_inner(ms, line, v.sharers, UINT32_MAX);
            ms->st.dram_writes++;
            (void)dram_transfer(ms, now);
            continue;
        }
        if (s >= 0) {
            /* DDIO write update: the line is already in the LLC, whatever its way. */
            ms->st.dma_llc_hits++;
            invalidate_inner(ms, line, vio_cache_sharers(ms->llc, s), UINT32_MAX);
            vio_cache_touch(ms->llc, s);
        } else {
            /* DDIO write allocate: only into IIO_LLC_WAYS, so a large ring evicts
             * its own unread packets ("leaky DMA"). */
            vio_cache_victim v;
            s = vio_cache_insert(ms->llc, line, ms->io_mask, 0, &v);
            llc_evicted(ms, &v, now);
        }
        vio_cache_set_sharers(ms->llc, s, 0);
        vio_cache_set_flags(ms->llc, s, VIO_LINE_DIRTY | VIO_LINE_DMA_UNREAD);
    }
}

void vio_memsys_get_stats(const vio_memsys *ms, vio_memsys_stats *out) { *out = ms->st; }

uint64_t vio_memsys_core_reads(const vio_memsys *ms, uint32_t core, enum vio_level level)
{
    return ms->core_reads[(size_t)core * VIO_LVL_COUNT + level];
}

uint64_t vio_memsys_accesses(const vio_memsys *ms) { return ms->accesses; }
