/* The exact memory hierarchy (lib/src/models/memsys_coh.c and memsys.c's streams,
 * on the fast cache's internal calls) against the reference, the hierarchy as it
 * was before issue 14's second round (memsys_ref.inc: every lookup through the
 * public cache calls): two hierarchies built from the same configuration receive
 * the same random stream of operations (core loads and stores of buffers, LLC and
 * non-temporal stores, DDIO and DRAM writes, full and partial, page-walk and device
 * reads, CLDEMOTE), one through the fast path and one through the reference; every
 * answer (latency, serving level, hit count) and every counter must be equal after
 * each operation, and every cache (L1, L2, LLC, snoop filter) must hold the same
 * lines at the same slots with the same flags and sharers. The configurations
 * are small so that every structure evicts all the time: a non-inclusive
 * Skylake-SP-like hierarchy (plru L1, srrip L2, drrip hashed LLC, snoop filter,
 * two I/O regions, CAT), an inclusive one with an L2, the default shape (LRU, no
 * L2), and one with more than 64 cores (sharer bits that alias). */
#include "support.h"
#include "viosim/memsys.h"
#include "viosim/rng.h"

#include "models/memsys_internal.h"

#include "memsys_ref.inc"

#include <stdlib.h>

/* libcheck writes a location record for every ck_assert: the loops below compare
 * millions of values, so they test plainly and call ck_abort_msg on a difference. */
#define SAME(a, b)                                                                                                \
    do {                                                                                                          \
        unsigned long long x_ = (unsigned long long)(a), y_ = (unsigned long long)(b);                            \
        if (x_ != y_)                                                                                             \
            ck_abort_msg("%s:%d: %s = %llu, reference %s = %llu", __FILE__, __LINE__, #a, x_, #b, y_);           \
    } while (0)

static vio_memsys_config skx_like(void)
{
    vio_memsys_config c = {
        .cores = 4, .freq_mhz = 2300,
        .l1 = {.size_bytes = 8 * 8 * 64, .ways = 8, .repl = VIO_REPL_PLRU}, .l1_hit_cycles = 4,
        .l2_enabled = 1, .l2 = {.size_bytes = 16 * 16 * 64, .ways = 16, .repl = VIO_REPL_SRRIP}, .l2_hit_cycles = 14,
        .llc = {.size_bytes = 36 * 11 * 64, .ways = 11, .index = VIO_CACHE_INDEX_HASH, .repl = VIO_REPL_DRRIP},
        .llc_hit_cycles = 50, .c2c_cycles = 116, .io_ways = 2, .io_reuse_ways = 2,
        .dram_latency_ns = 90, .dram_bandwidth_mbps = 20000, .mlp = 4, .seed = 5,
        .non_inclusive = 1, .sf_ways = 12,
    };
    return c;
}

static vio_memsys_config inclusive_l2(void)
{
    vio_memsys_config c = skx_like();
    c.non_inclusive = 0;
    c.sf_ways = 0;
    c.io_reuse_ways = 0;
    c.l2.repl = VIO_REPL_PLRU;
    c.l2.ways = 8;
    c.l2.size_bytes = 16 * 8 * 64;
    c.llc = (vio_cache_config){.size_bytes = 64 * 20 * 64, .ways = 20, .index = VIO_CACHE_INDEX_HASH,
                               .repl = VIO_REPL_DRRIP};
    return c;
}

static vio_memsys_config default_like(void)
{
    vio_memsys_config c = {
        .cores = 3, .freq_mhz = 2000,
        .l1 = {.size_bytes = 16 * 8 * 64, .ways = 8}, .l1_hit_cycles = 4,
        .llc = {.size_bytes = 64 * 11 * 64, .ways = 11, .index = VIO_CACHE_INDEX_HASH}, .llc_hit_cycles = 50,
        .c2c_cycles = 200, .io_ways = 2, .dram_latency_ns = 90, .dram_bandwidth_mbps = 50000, .mlp = 1, .seed = 9,
    };
    return c;
}

static vio_memsys_config many_cores(void)
{
    vio_memsys_config c = skx_like();
    c.cores = 70; /* cores 0 and 64 share a sharer bit */
    c.llc.index = VIO_CACHE_INDEX_MODULO;
    c.llc.size_bytes = 32 * 11 * 64;
    c.llc.repl = VIO_REPL_SRRIP;
    c.l2.repl = VIO_REPL_LRU;
    return c;
}

static void same_stats(const vio_memsys *a, const vio_memsys *b, uint32_t op)
{
    vio_memsys_stats x, y;
    vio_memsys_get_stats(a, &x);
    vio_memsys_get_stats(b, &y);
    if (memcmp(&x, &y, sizeof x) != 0) {
        const uint64_t *px = (const uint64_t *)&x, *py = (const uint64_t *)&y;
        for (size_t i = 0; i < sizeof x / sizeof *px; i++)
            if (px[i] != py[i])
                ck_abort_msg("op %u: statistics differ: field %zu %llu vs reference %llu", op, i,
                             (unsigned long long)px[i], (unsigned long long)py[i]);
    }
    SAME(a->accesses, b->accesses);
    SAME(a->dram_xfers, b->dram_xfers);
    SAME(a->dram_waits, b->dram_waits);
    SAME(a->dram_wait_ps, b->dram_wait_ps);
    for (uint32_t c = 0; c < a->cfg.cores; c++)
        for (int l = 0; l < VIO_LVL_COUNT; l++)
            SAME(vio_memsys_core_reads(a, c, (enum vio_level)l),
                              vio_memsys_core_reads(b, c, (enum vio_level)l));
}

static void same_cache(const vio_cache *a, const vio_cache *b, const uint64_t *pool, uint32_t npool)
{
    if (!a) {
        ck_assert_ptr_null(b);
        return;
    }
    for (uint32_t i = 0; i < npool; i++) {
        int64_t s = vio_cache_find(a, pool[i]), t = vio_cache_find(b, pool[i]);
        SAME(s, t);
        if (s >= 0) {
            SAME(vio_cache_flags(a, s), vio_cache_flags(b, t));
            SAME(vio_cache_sharers(a, s), vio_cache_sharers(b, t));
        }
    }
    for (int k = 0; k < VIO_CLS_COUNT; k++) {
        SAME(vio_cache_hits(a, (enum vio_access_class)k), vio_cache_hits(b, (enum vio_access_class)k));
        SAME(vio_cache_misses(a, (enum vio_access_class)k),
                          vio_cache_misses(b, (enum vio_access_class)k));
    }
    SAME(vio_cache_evictions(a), vio_cache_evictions(b));
}

static void same_contents(const vio_memsys *a, const vio_memsys *b, const uint64_t *pool, uint32_t npool)
{
    for (uint32_t c = 0; c < a->cfg.cores; c++) {
        same_cache(a->l1[c], b->l1[c], pool, npool);
        same_cache(a->l2[c], b->l2[c], pool, npool);
    }
    same_cache(a->llc, b->llc, pool, npool);
    same_cache(a->sf, b->sf, pool, npool);
}

static void check_stream(const vio_memsys_config *cfg, uint64_t seed, uint32_t ops)
{
    vio_memsys *fast = NULL, *ref = NULL;
    vio_err err = {{0}};
    ck_assert_msg(vio_memsys_create(cfg, &fast, &err) == VIO_OK, "%s", err.msg);
    ck_assert_msg(vio_memsys_create(cfg, &ref, &err) == VIO_OK, "%s", err.msg);
    if (cfg->cores > 2) { /* a CAT class on core 2: its fills stay in ways 0..3 */
        SAME(vio_memsys_set_cat(fast, 2, 0xfu, NULL), VIO_OK);
        SAME(vio_memsys_set_cat(ref, 2, 0xfu, NULL), VIO_OK);
    }
    vio_rng r;
    vio_rng_seed(&r, seed, 3);
    /* Buffers of a few lines in a region about four times the LLC, some far apart
     * (the hashed index's high bits), so every structure evicts and lines return. */
    uint64_t llc_lines = cfg->llc.size_bytes / VIO_LINE_BYTES;
    uint32_t npool = (uint32_t)(4 * llc_lines);
    uint64_t *pool = malloc(npool * sizeof *pool);
    ck_assert_ptr_nonnull(pool);
    for (uint32_t i = 0; i < npool; i++)
        pool[i] = (i % 3 == 2) ? (1ull << 36) + i : (uint64_t)i + 7;
    vio_ps now = 0;
    for (uint32_t op = 0; op < ops; op++) {
        now += vio_rng_below(&r, 20000);
        uint32_t core = (uint32_t)vio_rng_below(&r, cfg->cores);
        uint64_t line = pool[vio_rng_below(&r, npool)];
        uint64_t addr = line * VIO_LINE_BYTES + vio_rng_below(&r, 64);
        uint32_t bytes = 1 + (uint32_t)vio_rng_below(&r, vio_rng_below(&r, 4) == 0 ? 640 : 64);
        uint64_t what = vio_rng_below(&r, 20);
        vio_ps x = 0, y = 0;
        if (what < 6) {
            enum vio_stream_op sop = what < 3 ? VIO_STREAM_READ : what < 5 ? VIO_STREAM_WRITE : VIO_STREAM_WRITE_LLC;
            x = vio_memsys_stream(fast, core, sop, addr, bytes, now);
            y = ref_memsys_stream(ref, core, sop, addr, bytes, now);
        } else if (what < 8) {
            enum vio_level lx, ly;
            x = vio_memsys_read(fast, core, addr, now, &lx);
            ref->multi = 0;
            y = ref_msx_core_access(ref, core, addr / VIO_LINE_BYTES, 0, now, &ly);
            ref->core_reads[(size_t)core * VIO_LVL_COUNT + ly]++;
            SAME(lx, ly);
        } else if (what < 12) {
            enum vio_dma_target t = what < 11 ? VIO_DMA_TO_LLC_DDIO : VIO_DMA_TO_DRAM;
            vio_memsys_dma_write(fast, t, addr, bytes, now);
            ref_memsys_dma_write(ref, t, addr, bytes, now);
        } else if (what < 13) {
            x = vio_memsys_io_read(fast, addr, now);
            ref->multi = 0;
            y = ref_msx_io_read(ref, addr / VIO_LINE_BYTES, now);
        } else if (what < 15) {
            uint32_t hx = 0, hy = 0;
            x = vio_memsys_dev_read(fast, addr, bytes, now, &hx);
            /* The same per-line loop as vio_memsys_dev_read, on the reference. */
            uint64_t first = addr / VIO_LINE_BYTES, last = (addr + bytes - 1) / VIO_LINE_BYTES;
            ref->multi = first != last;
            for (uint64_t l = first; l <= last; l++) {
                int hit = 0;
                vio_ps lat = ref_msx_dev_read(ref, l, now, &hit);
                hy += (uint32_t)hit;
                if (lat > y)
                    y = lat;
            }
            SAME(hx, hy);
        } else if (what < 17) {
            int dx = vio__msx_demote(fast, core, line, now), dy = ref_msx_demote(ref, core, line, now);
            SAME(dx, dy);
        } else if (what < 18) {
            x = vio__msx_core_write_nt(fast, line, now);
            y = ref_msx_core_write_nt(ref, line, now);
        } else {
            enum vio_level lx, ly;
            int w = (int)vio_rng_below(&r, 2);
            x = vio__msx_core_access(fast, core, line, w, now, &lx);
            y = ref_msx_core_access(ref, core, line, w, now, &ly);
            SAME(lx, ly);
        }
        if (x != y)
            ck_abort_msg("op %u (kind %u): latency %llu vs reference %llu", op, (unsigned)what,
                         (unsigned long long)x, (unsigned long long)y);
        same_stats(fast, ref, op);
        if (op % 1000 == 999)
            same_contents(fast, ref, pool, npool);
    }
    same_contents(fast, ref, pool, npool);
    free(pool);
    vio_memsys_destroy(fast);
    vio_memsys_destroy(ref);
}

START_TEST(test_skx_like)
{
    vio_memsys_config c = skx_like();
    check_stream(&c, 11, 20000);
    c.l1.repl = VIO_REPL_LRU; /* the other policies in the private caches */
    c.l2.repl = VIO_REPL_RANDOM;
    check_stream(&c, 12, 10000);
}
END_TEST

START_TEST(test_inclusive_with_l2)
{
    vio_memsys_config c = inclusive_l2();
    check_stream(&c, 21, 20000);
}
END_TEST

START_TEST(test_default_shape)
{
    vio_memsys_config c = default_like();
    check_stream(&c, 31, 20000);
    c.llc.index = VIO_CACHE_INDEX_MODULO;
    c.llc.repl = VIO_REPL_SRRIP;
    check_stream(&c, 32, 10000);
}
END_TEST

START_TEST(test_many_cores)
{
    vio_memsys_config c = many_cores();
    check_stream(&c, 41, 20000);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("memsys_identity");
    TCase *tc = tcase_create("memsys_identity");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_skx_like);
    tcase_add_test(tc, test_inclusive_with_l2);
    tcase_add_test(tc, test_default_shape);
    tcase_add_test(tc, test_many_cores);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
