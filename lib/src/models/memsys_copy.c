/* The copy engines of copy.h on top of the memory hierarchy: each one is a
 * sequence of the hierarchy's own line operations (memsys_coh.c), so where a
 * copied line ends up is decided by the coherence model, not assumed here. */
#include "viosim/copy.h"

#include "models/memsys_internal.h"

#include <stddef.h>
#include <stdlib.h>

struct vio_copier {
    vio_copier_config cfg;
    vio_memsys *ms;
    vio_ps cldemote_ps, submit_ps, desc_ps, dma_latency_ps, irq_ps;
    vio_ps engine_free; /* the engine serves descriptors in order: when it can start the next */
    vio_copier_stats st;
};

int vio_copier_create(const vio_copier_config *cfg, vio_memsys *ms, vio_copier **out, vio_err *err)
{
    *out = NULL;
    if (!ms || cfg->freq_mhz == 0)
        return vio_err_set(err, VIO_EINVAL, "copier: needs a memory system and a core clock");
    if (cfg->dma_bandwidth_mbps == 0)
        return vio_err_set(err, VIO_EINVAL, "copier: the copy engine's bandwidth must be above 0");
    vio_copier *c = calloc(1, sizeof *c);
    if (!c)
        return vio_err_set(err, VIO_ENOMEM, "copier: out of memory");
    c->cfg = *cfg;
    c->ms = ms;
    c->cldemote_ps = vio_cycles_to_ps(cfg->cldemote_cycles, cfg->freq_mhz);
    c->submit_ps = vio_cycles_to_ps(cfg->dma_submit_cycles, cfg->freq_mhz);
    c->desc_ps = vio_cycles_to_ps(cfg->dma_desc_cycles, cfg->freq_mhz);
    c->irq_ps = vio_cycles_to_ps(cfg->dma_irq_cycles, cfg->freq_mhz);
    c->dma_latency_ps = (vio_ps)cfg->dma_latency_ns * VIO_PS_PER_NS;
    *out = c;
    return VIO_OK;
}

void vio_copier_destroy(vio_copier *c) { free(c); }

void vio_copier_get_stats(const vio_copier *c, vio_copier_stats *out) { *out = c->st; }
void vio_copier_reset_stats(vio_copier *c) { c->st = (vio_copier_stats){0}; }

int vio_copier_register_stats(const vio_copier *c, vio_stats *st, const char *prefix, vio_err *err)
{
    static const struct {
        const char *name, *help;
        size_t off;
    } counters[] = {
        {"descriptors", "copies the copy engine served", offsetof(vio_copier_stats, dma_descriptors)},
        {"lines", "lines the copy engine wrote (device writes, also in memsys.dma)", offsetof(vio_copier_stats, dma_lines)},
        {"llc_write_hits", "of them, writes that found the line in the LLC", offsetof(vio_copier_stats, dma_llc_hits)},
        {"doorbells", "submissions (one per copy, or one per burst with poll-async)", offsetof(vio_copier_stats, dma_doorbells)},
        {"batched_descriptors", "descriptors submitted in batches of two or more", offsetof(vio_copier_stats, dma_batched)},
    };
    int rc = VIO_OK;
    for (size_t i = 0; rc == VIO_OK && i < sizeof counters / sizeof counters[0]; i++)
        rc = vio_stats_counter(st, (const uint64_t *)((const char *)&c->st + counters[i].off), counters[i].help, err,
                               "%s.engine.%s", prefix, counters[i].name);
    return rc;
}

/* Up to `mlp` lines in flight (fill buffers, which are also the write-combining
 * buffers): a run of lines costs its slowest line or its serial sum over mlp. */
static vio_ps overlapped(const vio_memsys *ms, vio_ps sum, vio_ps max)
{
    vio_ps o = (sum + ms->cfg.mlp - 1) / ms->cfg.mlp;
    return o > max ? o : max;
}

static uint64_t first_line(uint64_t addr) { return addr / VIO_LINE_BYTES; }
static uint64_t last_line(uint64_t addr, uint32_t bytes) { return (addr + bytes - 1) / VIO_LINE_BYTES; }

/* Ordinary stores, then CLDEMOTE of every line written. */
static vio_ps store_demote(vio_copier *c, uint32_t core, uint64_t dst, uint32_t bytes, vio_ps now)
{
    vio_memsys *ms = c->ms;
    vio_ps sum = 0, max = 0;
    ms->multi = first_line(dst) != last_line(dst, bytes);
    for (uint64_t l = first_line(dst); l <= last_line(dst, bytes); l++) {
        enum vio_level lvl;
        vio_ps lat = vio__ms_core_access(ms, core, l, 1, now, &lvl) + c->cldemote_ps;
        if (vio__ms_demote(ms, core, l, now)) {
            c->st.lines_demoted++;
            /* The copy sits in the LLC unread, like the ideal store's (counted if evicted so). */
            int64_t s = vio_cache_find(ms->llc, l);
            if (s >= 0)
                vio_cache_set_flags(ms->llc, s, vio_cache_flags(ms->llc, s) | VIO_LINE_COPY_UNREAD);
        }
        sum += lat;
        if (lat > max)
            max = lat;
    }
    return overlapped(ms, sum, max);
}

/* Non-temporal stores of every line (a partial head or tail line is still sent
 * whole: the copies here are of line-aligned buffers). */
static vio_ps store_nt(vio_copier *c, uint64_t dst, uint32_t bytes, vio_ps now)
{
    vio_memsys *ms = c->ms;
    vio_ps sum = 0, max = 0;
    ms->multi = first_line(dst) != last_line(dst, bytes);
    for (uint64_t l = first_line(dst); l <= last_line(dst, bytes); l++) {
        vio_ps lat = vio__ms_core_write_nt(ms, l, now);
        c->st.nt_lines++;
        sum += lat;
        if (lat > max)
            max = lat;
    }
    return overlapped(ms, sum, max);
}

/* The engine serves one submission of n descriptors once it has finished
 * streaming the previous one (one queue, in order). Per submission it pays its
 * fixed latency once (descriptor fetch, translation, the completion-record
 * write); each copy streams after the one before, its source read as a device
 * reads it. Returns when the submission's completion record is written. */
static vio_ps engine_serve(vio_copier *c, const vio_dma_desc *d, uint32_t n, vio_ps submitted)
{
    vio_memsys *ms = c->ms;
    vio_ps start = c->engine_free > submitted ? c->engine_free : submitted;
    vio_ps t = start, read = 0;
    for (uint32_t i = 0; i < n; i++) {
        c->st.dma_queue_ps += start - submitted;
        /* Reads overlap in the engine: the data starts flowing after the slowest one. */
        /* The engine reads its source as a device does (vio_memsys_dev_read, the
         * sampled mode's whole-buffer replay included): from a core's cache by a
         * snoop, from the LLC, else from DRAM without allocating. */
        vio_ps lat = vio_memsys_dev_read(ms, d[i].src, d[i].bytes, t, NULL);
        read = lat > read ? lat : read;
        t += vio_bytes_to_ps(d[i].bytes, c->cfg.dma_bandwidth_mbps);
        /* The engine's writes are device writes: with DDIO they update the line in the
         * LLC or allocate it in the I/O ways, invalidating every private copy. */
        /* The memory system counts every device write alike; the engine keeps its
         * own share, so the NIC's can be told apart (results dma.* vs copy.*). */
        uint64_t hits = ms->st.dma_llc_hits, pl = ms->st.dma_partial_lines, ph = ms->st.dma_partial_llc_hits;
        vio_memsys_dma_write(ms, c->cfg.dma_target, d[i].dst, d[i].bytes, t + c->dma_latency_ps + read);
        c->st.dma_llc_hits += ms->st.dma_llc_hits - hits;
        c->st.dma_partial_lines += ms->st.dma_partial_lines - pl;
        c->st.dma_partial_llc_hits += ms->st.dma_partial_llc_hits - ph;
        c->st.dma_descriptors++;
        c->st.dma_lines += last_line(d[i].dst, d[i].bytes) - first_line(d[i].dst) + 1;
    }
    c->engine_free = t;
    c->st.dma_doorbells++;
    if (n > 1)
        c->st.dma_batched += n;
    return t + c->dma_latency_ps + read;
}

static void dma_copy(vio_copier *c, uint64_t src, uint64_t dst, uint32_t bytes, vio_ps now, vio_copy_cost *out)
{
    vio_memsys *ms = c->ms;
    /* The core writes the descriptor and rings the doorbell (one MOVDIR64B of
     * the descriptor itself to the portal). */
    vio_dma_desc d = {src, dst, bytes};
    vio_ps complete = engine_serve(c, &d, 1, now + c->submit_ps);
    if (c->cfg.dma_completion == VIO_DMA_POLL) {
        /* Spin until the completion record is written, then read it: a line the
         * engine has just written into the LLC. */
        out->done = complete + ms->llc_ps;
        out->core = out->done - now;
        out->debt = 0;
    } else {
        /* Interrupt (poll-async callers use vio_copier_submit; a lone copy here is
         * an interrupt-mode copy). */
        out->core = c->submit_ps;
        out->done = complete + c->irq_ps;
        out->debt = c->irq_ps;
    }
}

vio_ps vio_copier_submit(vio_copier *c, uint32_t core, const vio_dma_desc *d, uint32_t n, vio_ps now, vio_ps *done)
{
    (void)core; /* the descriptors are written by this core; their cost is a parameter */
    *done = now;
    if (n == 0)
        return 0;
    c->st.copies[VIO_ENGINE_DMA] += n;
    if (c->ms->cfg.ideal)
        return 0;
    /* A burst of one is submitted as the work descriptor itself; a larger one
     * writes its work descriptors into memory and submits one batch descriptor. */
    vio_ps cost = c->submit_ps + (n > 1 ? (vio_ps)n * c->desc_ps : 0);
    *done = engine_serve(c, d, n, now + cost);
    return cost;
}

vio_ps vio_copier_poll_cost(const vio_copier *c) { return c->ms->cfg.ideal ? 0 : c->ms->llc_ps; }

void vio_copier_copy(vio_copier *c, enum vio_copy_engine e, uint32_t core, uint64_t src, uint64_t dst,
                     uint32_t bytes, vio_ps now, vio_copy_cost *out)
{
    vio_memsys *ms = c->ms;
    out->core = out->debt = 0;
    out->done = now;
    if (bytes == 0 || e >= VIO_ENGINE_COUNT)
        return;
    c->st.copies[e]++;
    if (ms->cfg.ideal) /* ideal memory: every access is free, the engine's too */
        return;
    if (e == VIO_ENGINE_DMA) {
        dma_copy(c, src, dst, bytes, now, out);
        return;
    }
    /* The CPU engines: memcpy's loads of the source, then its stores. */
    vio_ps t = vio_memsys_stream(ms, core, VIO_STREAM_READ, src, bytes, now);
    switch (e) {
    case VIO_ENGINE_CPU:
        t += vio_memsys_stream(ms, core, VIO_STREAM_WRITE, dst, bytes, now + t);
        break;
    case VIO_ENGINE_CPU_CLDEMOTE:
        t += store_demote(c, core, dst, bytes, now + t);
        break;
    case VIO_ENGINE_CPU_NT:
        t += store_nt(c, dst, bytes, now + t);
        break;
    default: /* VIO_ENGINE_IDEAL */
        t += vio_memsys_stream(ms, core, VIO_STREAM_WRITE_LLC, dst, bytes, now + t);
        break;
    }
    out->core = t;
    out->done = now + t;
}

vio_ps vio_copier_store(vio_copier *c, enum vio_copy_engine e, uint32_t core, uint64_t dst, uint32_t bytes,
                        vio_ps now)
{
    vio_memsys *ms = c->ms;
    if (bytes == 0 || ms->cfg.ideal)
        return 0;
    switch (e) {
    case VIO_ENGINE_CPU_CLDEMOTE:
        return store_demote(c, core, dst, bytes, now);
    case VIO_ENGINE_IDEAL:
        return vio_memsys_stream(ms, core, VIO_STREAM_WRITE_LLC, dst, bytes, now);
    default:
        /* cpu, dma-engine, and cpu-nt too: a 16 B non-temporal store would be a
         * partial write-combining flush, which software avoids for descriptors. */
        return vio_memsys_stream(ms, core, VIO_STREAM_WRITE, dst, bytes, now);
    }
}
