/* Memory hierarchy: construction, DRAM bandwidth, the public entry points and
 * streams. Coherence, fills and device writes are in memsys_coh.c. */
#include "models/memsys_internal.h"
#include "models/cache_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

/* Random-stream ids of the caches' replacement policies (apart from traffic's). */
#define STREAM_L1 0x11000000ull
#define STREAM_L2 0x12000000ull
#define STREAM_LLC 0x13000000ull
#define STREAM_SF 0x14000000ull

/* A cache's capacity with 1/n of its sets (at least one), the same ways. */
static uint64_t scaled(const vio_cache_config *c, uint32_t n)
{
    uint64_t way = (uint64_t)c->ways * VIO_LINE_BYTES;
    if (n <= 1 || c->ways == 0 || c->size_bytes % way != 0)
        return c->size_bytes; /* exact, or a bad geometry vio_cache_create reports */
    uint64_t sets = c->size_bytes / way / n;
    return (sets ? sets : 1) * way;
}

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
    ms->cat_mask = malloc((size_t)cfg->cores * sizeof *ms->cat_mask);
    for (uint32_t c = 0; ms->cat_mask && c < cfg->cores; c++)
        ms->cat_mask[c] = VIO_CACHE_ALL_WAYS;
    int rc = (ms->l1 && ms->l2 && ms->core_reads && ms->cat_mask) ? VIO_OK
                                                   : vio_err_set(err, VIO_ENOMEM, "memsys: out of memory");
    uint32_t n = cfg->sample_sets > 1 ? cfg->sample_sets : 1;
    if (rc == VIO_OK && (n > 4096 || (n & (n - 1)) != 0))
        rc = vio_err_set(err, VIO_EINVAL, "memsys: sample_sets %u must be 0 (exact) or a power of two up to 4096",
                         cfg->sample_sets);
    /* Ideal memory keeps no cache state: nothing to allocate (reduced models start fast). */
    /* Each cache draws its random replacement choices from its own stream. */
    for (uint32_t c = 0; rc == VIO_OK && !cfg->ideal && c < cfg->cores; c++) {
        vio_cache_config l1 = cfg->l1, l2 = cfg->l2;
        l1.seed = l2.seed = cfg->seed;
        /* Sampled: the private caches hold only the sampled lines, 1 in n of all, so
         * they are n times smaller in sets with the same ways: each set sees the
         * pressure a full-size set sees (the scaled-down cache of set sampling). */
        l1.size_bytes = scaled(&l1, n);
        l2.size_bytes = scaled(&l2, n);
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
    if (rc == VIO_OK && !cfg->ideal && cfg->non_inclusive) {
        /* The snoop filter has the LLC's sets and index (one per slice on Skylake-SP). */
        vio_cache_config sf = cfg->llc;
        sf.ways = cfg->sf_ways;
        sf.size_bytes = (uint64_t)vio_cache_sets(ms->llc) * cfg->sf_ways * VIO_LINE_BYTES;
        sf.repl = VIO_REPL_LRU;
        sf.seed = cfg->seed;
        sf.stream = STREAM_SF;
        rc = vio_cache_create(&sf, &ms->sf, err);
        if (rc == VIO_OK) /* same sets and index: a line's set, hashed for one, serves both */
            (void)vio__cache_share_index(ms->sf, ms->llc);
    }
    if (rc == VIO_OK && (cfg->io_ways == 0 || cfg->io_ways > cfg->llc.ways))
        rc = vio_err_set(err, VIO_EINVAL, "memsys: io_ways %u must be 1..%u", cfg->io_ways, cfg->llc.ways);
    if (rc == VIO_OK && cfg->io_reuse_ways > cfg->llc.ways - cfg->io_ways)
        rc = vio_err_set(err, VIO_EINVAL, "memsys: io_reuse_ways %u must be at most llc ways - io_ways (%u)",
                         cfg->io_reuse_ways, cfg->llc.ways - cfg->io_ways);
    if (rc == VIO_OK && !cfg->ideal && n > 1)
        rc = vio__smp_create(ms, err);
    if (rc != VIO_OK) {
        vio_memsys_destroy(ms);
        return rc;
    }
    /* IIO_LLC_WAYS selects the highest-numbered ways on Skylake-SP (0x600 = ways 9, 10). */
    for (uint32_t w = cfg->llc.ways - cfg->io_ways; w < cfg->llc.ways; w++)
        ms->io_mask |= 1u << w;
    for (uint32_t w = cfg->llc.ways - cfg->io_ways - cfg->io_reuse_ways; w < cfg->llc.ways - cfg->io_ways; w++)
        ms->reuse_mask |= 1u << w;
    ms->l1_ps = vio_cycles_to_ps(cfg->l1_hit_cycles, cfg->freq_mhz);
    ms->l2_ps = vio_cycles_to_ps(cfg->l2_hit_cycles, cfg->freq_mhz);
    ms->llc_ps = vio_cycles_to_ps(cfg->llc_hit_cycles, cfg->freq_mhz);
    ms->c2c_ps = vio_cycles_to_ps(cfg->c2c_cycles > cfg->llc_hit_cycles ? cfg->c2c_cycles : cfg->llc_hit_cycles,
                                  cfg->freq_mhz);
    ms->dram_ps = (vio_ps)cfg->dram_latency_ns * VIO_PS_PER_NS;
    ms->dram_line_ps = vio_bytes_to_ps(VIO_LINE_BYTES, cfg->dram_bandwidth_mbps);
    ms->dram_window_lines = VIO__DRAM_WINDOW_PS / (ms->dram_line_ps ? ms->dram_line_ps : 1);
    if (ms->dram_window_lines == 0)
        ms->dram_window_lines = 1;
    for (uint32_t i = 0; i < VIO__DRAM_WINDOWS; i++)
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
    vio_cache_destroy(ms->sf);
    vio__smp_destroy(ms->smp);
    free(ms->core_reads);
    free(ms->cat_mask);
    free(ms);
}

int vio_memsys_set_cat(vio_memsys *ms, uint32_t core, uint32_t way_mask, vio_err *err)
{
    uint32_t ways = ms->cfg.llc.ways;
    uint32_t all = ways >= 32 ? VIO_CACHE_ALL_WAYS : (1u << ways) - 1u;
    if (core >= ms->cfg.cores)
        return vio_err_set(err, VIO_EINVAL, "memsys: CAT: core %u of %u", core, ms->cfg.cores);
    if (way_mask == 0) {
        ms->cat_mask[core] = VIO_CACHE_ALL_WAYS;
        return VIO_OK;
    }
    /* Intel SDM vol. 3B, 17.19.4.2: a capacity bitmask must be a contiguous run of
     * set bits within the LLC's ways (CPUID.10H:EAX). */
    uint32_t low = way_mask & -way_mask;
    if ((way_mask & ~all) != 0 || ((way_mask + low) & way_mask) != 0)
        return vio_err_set(err, VIO_EINVAL, "memsys: CAT: way mask 0x%x must be one contiguous run of bits within "
                           "the LLC's %u ways", way_mask, ways);
    ms->cat_mask[core] = way_mask;
    return VIO_OK;
}

/* One line over the DRAM channels at time `now`: it takes a slot in the first
 * window from now on with bandwidth left, and waits until that window opens if it
 * is a later one. Returns the queueing delay (0 while bandwidth suffices).
 * Requests reach the memory model slightly out of time order (a host batch issues
 * its accesses at its start), so a single "next free" time would make an early
 * request queue behind a later one and feed back on itself; a window only
 * competes with requests in the same 100 ns. */
vio_ps vio__ms_dram_transfer(vio_memsys *ms, vio_ps now)
{
    ms->dram_xfers++;
    uint64_t w = now / VIO__DRAM_WINDOW_PS;
    for (uint32_t tries = 0; tries < VIO__DRAM_WINDOWS; tries++, w++) {
        uint32_t slot = (uint32_t)(w % VIO__DRAM_WINDOWS);
        if (ms->dram_window_id[slot] != w) {
            if (ms->dram_window_id[slot] != UINT64_MAX && ms->dram_window_id[slot] > w)
                return 0; /* older than the horizon: no longer tracked */
            ms->dram_window_id[slot] = w;
            ms->dram_used[slot] = 0;
        }
        if (ms->dram_used[slot] < ms->dram_window_lines) {
            ms->dram_used[slot]++;
            vio_ps start = w * VIO__DRAM_WINDOW_PS;
            return start > now ? start - now : 0;
        }
    }
    return (vio_ps)VIO__DRAM_WINDOWS * VIO__DRAM_WINDOW_PS; /* saturated for the whole horizon */
}

vio_ps vio__ms_dram_transfers(vio_memsys *ms, vio_ps now, uint64_t n, vio_ps *last)
{
    /* What n calls of vio__ms_dram_transfer at `now` give, window by window: each
     * call scans from now's window to the first with room, so the n calls fill the
     * windows in order, and one that meets a slot past the horizon finds it again. */
    ms->dram_xfers += n;
    vio_ps sum = 0, d = 0;
    uint64_t w = now / VIO__DRAM_WINDOW_PS;
    for (uint32_t tries = 0; n > 0 && tries < VIO__DRAM_WINDOWS; tries++, w++) {
        uint32_t slot = (uint32_t)(w % VIO__DRAM_WINDOWS);
        if (ms->dram_window_id[slot] != w) {
            if (ms->dram_window_id[slot] != UINT64_MAX && ms->dram_window_id[slot] > w) {
                d = 0; /* older than the horizon: every remaining call returns 0 */
                n = 0;
                break;
            }
            ms->dram_window_id[slot] = w;
            ms->dram_used[slot] = 0;
        }
        if (ms->dram_used[slot] < ms->dram_window_lines) {
            uint64_t take = ms->dram_window_lines - ms->dram_used[slot];
            take = take < n ? take : n;
            ms->dram_used[slot] += take;
            vio_ps start = w * VIO__DRAM_WINDOW_PS;
            d = start > now ? start - now : 0;
            sum += d * take;
            n -= take;
        }
    }
    if (n > 0) { /* saturated for the whole horizon */
        d = (vio_ps)VIO__DRAM_WINDOWS * VIO__DRAM_WINDOW_PS;
        sum += d * n;
    }
    if (last)
        *last = d;
    return sum;
}

vio_ps vio__ms_dram_wait(vio_memsys *ms, vio_ps now)
{
    vio_ps d = vio__ms_dram_transfer(ms, now);
    ms->dram_waits++;
    ms->dram_wait_ps += d;
    return d;
}

vio_ps vio_memsys_read(vio_memsys *ms, uint32_t core, uint64_t addr, vio_ps now, enum vio_level *served)
{
    if (ms->cfg.ideal) {
        if (served)
            *served = VIO_LVL_L1;
        return 0;
    }
    enum vio_level lvl;
    ms->multi = 0;
    vio_ps lat = vio__ms_core_access(ms, core, addr / VIO_LINE_BYTES, 0, now, &lvl);
    ms->core_reads[(size_t)core * VIO_LVL_COUNT + lvl]++;
    if (served)
        *served = lvl;
    return lat;
}

vio_ps vio_memsys_stream(vio_memsys *ms, uint32_t core, enum vio_stream_op op, uint64_t addr, uint32_t bytes,
                         vio_ps now)
{
    if (bytes == 0 || ms->cfg.ideal)
        return 0;
    uint64_t first = addr / VIO_LINE_BYTES, last = (addr + bytes - 1) / VIO_LINE_BYTES;
    vio_ps sum = 0, max = 0;
    ms->multi = first != last;
    if (ms->smp) { /* sampled: the buffer's lines at once (memsys_sample_run.c) */
        vio__smp_stream(ms, core, op, first, last, now, &sum, &max);
        first = last + 1; /* none left for the exact model's loop */
    }
    for (uint64_t line = first; line <= last; line++) {
        vio_ps lat;
        enum vio_level lvl;
        if (op == VIO_STREAM_READ) {
            lat = vio__ms_core_access(ms, core, line, 0, now, &lvl);
            ms->core_reads[(size_t)core * VIO_LVL_COUNT + lvl]++;
        } else if (op == VIO_STREAM_WRITE) {
            lat = vio__ms_core_access(ms, core, line, 1, now, &lvl);
        } else {
            lat = vio__ms_core_write_llc(ms, core, line, now);
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
    ms->multi = 0;
    return ms->cfg.ideal ? 0 : vio__ms_io_read(ms, addr / VIO_LINE_BYTES, now);
}

vio_ps vio_memsys_dev_read(vio_memsys *ms, uint64_t addr, uint32_t bytes, vio_ps now, uint32_t *hit_lines)
{
    if (hit_lines)
        *hit_lines = 0;
    if (bytes == 0)
        return 0;
    uint64_t first = addr / VIO_LINE_BYTES, last = (addr + bytes - 1) / VIO_LINE_BYTES;
    vio_ps max = 0;
    uint32_t hits = 0;
    ms->multi = first != last;
    if (ms->smp) { /* sampled: the buffer's lines at once (memsys_sample_run.c) */
        max = vio__smp_dev_read_lines(ms, first, last, now, &hits);
        first = last + 1;
    }
    for (uint64_t line = first; line <= last; line++) {
        int hit = 0;
        vio_ps lat = ms->cfg.ideal ? 0 : vio__ms_dev_read(ms, line, now, &hit);
        if (ms->cfg.ideal) { /* ideal memory: every line is there, at no cost */
            ms->st.dev_read_lines++;
            ms->st.dev_read_llc_hits++;
            hit = 1;
        }
        hits += (uint32_t)hit;
        if (lat > max)
            max = lat;
    }
    if (hit_lines)
        *hit_lines = hits;
    return max;
}

void vio_memsys_dma_write(vio_memsys *ms, enum vio_dma_target target, uint64_t addr, uint32_t bytes, vio_ps now)
{
    if (bytes == 0 || ms->cfg.ideal)
        return;
    uint64_t end = addr + bytes;
    ms->multi = addr / VIO_LINE_BYTES != (end - 1) / VIO_LINE_BYTES;
    if (ms->smp) { /* sampled: the buffer's lines at once (memsys_sample_run.c) */
        vio__smp_dma_write(ms, target, addr, bytes, now);
        return;
    }
    for (uint64_t a = addr; a < end;) {
        uint64_t line = a / VIO_LINE_BYTES, next = (line + 1) * VIO_LINE_BYTES;
        uint64_t stop = next < end ? next : end;
        vio__ms_dma_line(ms, target, line, (uint32_t)(stop - a), now);
        a = stop;
    }
}

void vio_memsys_get_stats(const vio_memsys *ms, vio_memsys_stats *out) { *out = ms->st; }

void vio_memsys_reset_stats(vio_memsys *ms)
{
    ms->st = (vio_memsys_stats){0};
    for (size_t i = 0; i < (size_t)ms->cfg.cores * VIO_LVL_COUNT; i++)
        ms->core_reads[i] = 0;
    for (uint32_t c = 0; ms->l1 && c < ms->cfg.cores; c++) {
        if (ms->l1[c])
            vio_cache_reset_stats(ms->l1[c]);
        if (ms->l2 && ms->l2[c])
            vio_cache_reset_stats(ms->l2[c]);
    }
    if (ms->llc)
        vio_cache_reset_stats(ms->llc);
    if (ms->sf)
        vio_cache_reset_stats(ms->sf);
}

uint64_t vio_memsys_core_reads(const vio_memsys *ms, uint32_t core, enum vio_level level)
{
    return ms->core_reads[(size_t)core * VIO_LVL_COUNT + level];
}

uint64_t vio_memsys_accesses(const vio_memsys *ms) { return ms->accesses; }

/* A core's private caches see only its own loads and stores. */
#define CORE_CLASSES ((1u << VIO_CLS_CPU_READ) | (1u << VIO_CLS_CPU_WRITE))

int vio_memsys_register_stats(const vio_memsys *ms, vio_stats *st, const char *prefix, const uint32_t *cores,
                              uint32_t ncores, vio_err *err)
{
    static const struct {
        const char *name, *help;
        size_t off;
    } counters[] = {
        {"coherence.c2c_transfers", "LLC hits whose data came from another core's modified copy (HITM)",
         offsetof(vio_memsys_stats, c2c_transfers)},
        {"coherence.back_invalidations", "private copies removed to keep the directory exact",
         offsetof(vio_memsys_stats, back_invalidations)},
        {"coherence.sf_back_invalidations", "... of them, caused by a snoop-filter eviction",
         offsetof(vio_memsys_stats, sf_back_invalidations)},
        {"coherence.inner_writebacks", "modified lines written back from a private cache",
         offsetof(vio_memsys_stats, inner_writebacks)},
        {"dma.llc_hits", "device line writes that found the line in the LLC",
         offsetof(vio_memsys_stats, dma_llc_hits)},
        {"dma.partial_lines", "device writes covering part of a line (merged, not overwritten)",
         offsetof(vio_memsys_stats, dma_partial_lines)},
        {"dma.partial_llc_hits", "... of them, writes that found the line in the LLC",
         offsetof(vio_memsys_stats, dma_partial_llc_hits)},
        {"dma.reuse_allocs", "device writes placed in the second I/O region (io_reuse_ways)",
         offsetof(vio_memsys_stats, dma_reuse_allocs)},
        {"dma.device_read_lines", "lines read by devices (PCIeRdCur, non-allocating)",
         offsetof(vio_memsys_stats, dev_read_lines)},
        {"dma.device_read_llc_hits", "... served by the LLC", offsetof(vio_memsys_stats, dev_read_llc_hits)},
        {"dma.device_read_snoops", "... served by a core's private cache", offsetof(vio_memsys_stats, dev_read_snoops)},
    };
    int rc = VIO_OK;
    for (size_t i = 0; rc == VIO_OK && i < sizeof counters / sizeof counters[0]; i++)
        rc = vio_stats_counter(st, (const uint64_t *)((const char *)&ms->st + counters[i].off), counters[i].help,
                               err, "%s.%s", prefix, counters[i].name);
    char name[96];
    if (rc == VIO_OK && ms->llc) {
        snprintf(name, sizeof name, "%s.llc", prefix);
        rc = vio_cache_register_stats(ms->llc, st, name, (1u << VIO_CLS_COUNT) - 1, err); /* every class looks it up */
    }
    if (rc == VIO_OK && ms->sf) {
        snprintf(name, sizeof name, "%s.snoop_filter", prefix);
        rc = vio_cache_register_stats(ms->sf, st, name, 0, err); /* its lookups are not counted by class */
    }
    for (uint32_t i = 0; rc == VIO_OK && ms->l1 && i < ncores; i++) {
        if (cores[i] >= ms->cfg.cores)
            return vio_err_set(err, VIO_EINVAL, "memsys: stats for core %u of %u", cores[i], ms->cfg.cores);
        if (ms->l1[cores[i]]) {
            snprintf(name, sizeof name, "%s.l1.core%u", prefix, cores[i]);
            rc = vio_cache_register_stats(ms->l1[cores[i]], st, name, CORE_CLASSES, err);
        }
        if (rc == VIO_OK && ms->l2 && ms->l2[cores[i]]) {
            snprintf(name, sizeof name, "%s.l2.core%u", prefix, cores[i]);
            rc = vio_cache_register_stats(ms->l2[cores[i]], st, name, CORE_CLASSES, err);
        }
    }
    return rc;
}

const vio_cache *vio_memsys_llc(const vio_memsys *ms) { return ms->llc; }
