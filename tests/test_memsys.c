/* The memory hierarchy: latencies per level, coherence on writes and DMA,
 * inclusion, DDIO write update / allocate, leaky DMA, LLC-targeted copies. */
#include "support.h"
#include "viosim/memsys.h"

static vio_memsys *make(uint32_t llc_kib, uint32_t io_ways)
{
    vio_memsys_config c = {
        .cores = 4, .freq_mhz = 2000,
        .l1 = {.size_bytes = 32 * 1024, .ways = 8}, .l1_hit_cycles = 4,
        .llc = {.size_bytes = (uint64_t)llc_kib * 1024, .ways = 11}, .llc_hit_cycles = 50,
        .io_ways = io_ways, .dram_latency_ns = 90, .dram_bandwidth_mbps = 1000000, .mlp = 1,
    };
    vio_memsys *ms = NULL;
    vio_err err = {{0}};
    ck_assert_msg(vio_memsys_create(&c, &ms, &err) == VIO_OK, "%s", err.msg);
    return ms;
}

START_TEST(test_levels_and_latency)
{
    vio_memsys *ms = make(704, 2); /* 704 KiB = 1024 sets x 11 ways */
    enum vio_level lvl;
    vio_ps t = vio_memsys_read(ms, 0, 0x1000, 0, &lvl);
    ck_assert_int_eq(lvl, VIO_LVL_DRAM);
    ck_assert_uint_eq(t, 25000 + 90000); /* LLC lookup 50 cycles at 2 GHz + 90 ns, idle DRAM */
    t = vio_memsys_read(ms, 0, 0x1000, 1000000, &lvl);
    ck_assert_int_eq(lvl, VIO_LVL_L1);
    ck_assert_uint_eq(t, 2000); /* 4 cycles at 2 GHz */
    t = vio_memsys_read(ms, 1, 0x1000, 2000000, &lvl);
    ck_assert_int_eq(lvl, VIO_LVL_LLC); /* another core finds it in the shared LLC */
    ck_assert_uint_eq(t, 25000);
    ck_assert_uint_eq(vio_memsys_core_reads(ms, 1, VIO_LVL_LLC), 1);
    vio_memsys_destroy(ms);
}
END_TEST

START_TEST(test_write_invalidates_other_copies)
{
    vio_memsys *ms = make(704, 2);
    enum vio_level lvl;
    vio_memsys_read(ms, 1, 0x2000, 0, &lvl); /* a guest caches the buffer line */
    vio_memsys_read(ms, 1, 0x2000, 0, &lvl);
    ck_assert_int_eq(lvl, VIO_LVL_L1);
    vio_memsys_stream(ms, 0, VIO_STREAM_WRITE, 0x2000, 64, 0); /* the host rewrites it */
    vio_memsys_read(ms, 1, 0x2000, 0, &lvl);
    /* No stale L1 hit: the line is modified in the host's cache, so the guest
     * pays a cache-to-cache transfer; after it the line is shared and clean. */
    ck_assert_int_eq(lvl, VIO_LVL_REMOTE);
    vio_memsys_read(ms, 1, 0x2000, 0, &lvl);
    ck_assert_int_eq(lvl, VIO_LVL_L1);
    vio_memsys_read(ms, 2, 0x2000, 0, &lvl);
    ck_assert_int_eq(lvl, VIO_LVL_LLC);
    /* A DMA to DRAM removes it from every cache. */
    vio_memsys_dma_write(ms, VIO_DMA_TO_DRAM, 0x2000, 64, 0);
    vio_memsys_read(ms, 1, 0x2000, 0, &lvl);
    ck_assert_int_eq(lvl, VIO_LVL_DRAM);
    vio_memsys_destroy(ms);
}
END_TEST

START_TEST(test_ddio_update_and_allocate)
{
    vio_memsys *ms = make(704, 2);
    vio_memsys_stats st;
    vio_memsys_dma_write(ms, VIO_DMA_TO_LLC_DDIO, 0x4000, 128, 0); /* 2 lines, allocate */
    vio_memsys_get_stats(ms, &st);
    ck_assert_uint_eq(st.dma_lines, 2);
    ck_assert_uint_eq(st.dma_llc_hits, 0);
    vio_memsys_dma_write(ms, VIO_DMA_TO_LLC_DDIO, 0x4000, 128, 0); /* same lines: write update */
    vio_memsys_get_stats(ms, &st);
    ck_assert_uint_eq(st.dma_llc_hits, 2);
    enum vio_level lvl;
    vio_memsys_read(ms, 2, 0x4040, 0, &lvl);
    ck_assert_int_eq(lvl, VIO_LVL_LLC); /* the consumer finds DMA data in the LLC */
    vio_memsys_destroy(ms);
}
END_TEST

START_TEST(test_leaky_dma_when_ring_exceeds_io_ways)
{
    /* 1024 sets x 2 io ways x 64 B = 128 KiB of DDIO capacity. Writing 1 MiB of
     * buffers before reading any evicts most of them unread; 64 KiB fits. */
    vio_memsys *big = make(704, 2), *small = make(704, 2);
    for (uint64_t a = 0; a < (1u << 20); a += 2048)
        vio_memsys_dma_write(big, VIO_DMA_TO_LLC_DDIO, 0x10000000 + a, 1500, 0);
    for (uint64_t a = 0; a < (64u << 10); a += 2048)
        vio_memsys_dma_write(small, VIO_DMA_TO_LLC_DDIO, 0x10000000 + a, 1500, 0);
    vio_memsys_stats sb, ss;
    vio_memsys_get_stats(big, &sb);
    vio_memsys_get_stats(small, &ss);
    ck_assert_uint_eq(ss.dma_unread_evictions, 0);
    ck_assert_uint_gt(sb.dma_unread_evictions, sb.dma_lines / 2);
    vio_memsys_destroy(big);
    vio_memsys_destroy(small);
}
END_TEST

START_TEST(test_llc_copy_leaves_no_inner_copy)
{
    vio_memsys *ms = make(704, 2);
    enum vio_level lvl;
    vio_memsys_read(ms, 0, 0x8000, 0, &lvl); /* host had it in L1 */
    vio_memsys_stream(ms, 0, VIO_STREAM_WRITE_LLC, 0x8000, 64, 0);
    vio_memsys_read(ms, 0, 0x8000, 0, &lvl);
    ck_assert_int_eq(lvl, VIO_LVL_LLC);
    vio_memsys_stream(ms, 0, VIO_STREAM_WRITE_LLC, 0x9000, 64, 0); /* not resident: allocate, no DRAM read */
    vio_memsys_stats st;
    vio_memsys_get_stats(ms, &st);
    uint64_t dram_before = st.dram_reads;
    vio_memsys_read(ms, 3, 0x9000, 0, &lvl);
    vio_memsys_get_stats(ms, &st);
    ck_assert_int_eq(lvl, VIO_LVL_LLC);
    ck_assert_uint_eq(st.dram_reads, dram_before);
    vio_memsys_destroy(ms);
}
END_TEST

START_TEST(test_stream_overlaps_misses)
{
    vio_memsys_config c = {
        .cores = 2, .freq_mhz = 2000, .l1 = {.size_bytes = 32 * 1024, .ways = 8}, .l1_hit_cycles = 4,
        .llc = {.size_bytes = 704 * 1024, .ways = 11}, .llc_hit_cycles = 50, .io_ways = 2,
        .dram_latency_ns = 90, .dram_bandwidth_mbps = 100000000, .mlp = 10,
    };
    vio_memsys *ms = NULL;
    ck_assert_int_eq(vio_memsys_create(&c, &ms, NULL), VIO_OK);
    /* 24 cold lines at 115 ns each, 10 in flight: ceil(24 x 115 / 10) ns, plus the
     * DRAM queueing of 24 lines at 100 Tb/s, which is a few ps. */
    vio_ps t = vio_memsys_stream(ms, 0, VIO_STREAM_READ, 0x100000, 1536, 0);
    ck_assert_uint_ge(t, 276000);
    ck_assert_uint_lt(t, 277000);
    vio_memsys_destroy(ms);
}
END_TEST

static vio_memsys *make_cfg(const vio_memsys_config *c)
{
    vio_memsys *ms = NULL;
    vio_err err = {{0}};
    ck_assert_msg(vio_memsys_create(c, &ms, &err) == VIO_OK, "%s", err.msg);
    return ms;
}

static vio_memsys_config base_cfg(void)
{
    vio_memsys_config c = {
        .cores = 4, .freq_mhz = 2000,
        .l1 = {.size_bytes = 32 * 1024, .ways = 8}, .l1_hit_cycles = 4,
        .llc = {.size_bytes = 704 * 1024, .ways = 11}, .llc_hit_cycles = 50, .c2c_cycles = 200,
        .io_ways = 2, .dram_latency_ns = 90, .dram_bandwidth_mbps = 1000000, .mlp = 1,
    };
    return c;
}

/* Evict `addr` from core's 32 KiB, 8-way L1 (64 sets): 8 other lines of its set. */
static void evict_from_l1(vio_memsys *ms, uint32_t core, uint64_t addr)
{
    for (uint64_t k = 1; k <= 8; k++)
        vio_memsys_read(ms, core, addr + k * 64 * 64, 0, NULL);
}

START_TEST(test_line_through_write_eviction_and_remote_read)
{
    /* The host (core 0) writes a line, then its L1 evicts it: the modified data is
     * written back to the LLC and core 0 is no longer a sharer. A guest (core 1)
     * then reads it from the LLC, not as a cross-core (HITM) transfer. */
    vio_memsys_config c = base_cfg();
    vio_memsys *ms = make_cfg(&c);
    enum vio_level lvl;
    const uint64_t X = 0x40000;
    vio_memsys_stream(ms, 0, VIO_STREAM_WRITE, X, 64, 0);
    vio_memsys_stats st;
    vio_memsys_get_stats(ms, &st);
    ck_assert_uint_eq(st.inner_writebacks, 0);
    evict_from_l1(ms, 0, X);
    vio_memsys_get_stats(ms, &st);
    ck_assert_uint_eq(st.inner_writebacks, 1);
    ck_assert_uint_eq(st.dram_writes, 0); /* the LLC holds the dirty line */
    vio_ps t = vio_memsys_read(ms, 1, X, 0, &lvl);
    ck_assert_int_eq(lvl, VIO_LVL_LLC);
    ck_assert_uint_eq(t, 25000);
    vio_memsys_get_stats(ms, &st);
    ck_assert_uint_eq(st.c2c_transfers, 0);
    /* While the writer still holds it modified, the same read is a HITM. */
    const uint64_t Y = 0x80140; /* another L1 and LLC set than X */
    vio_memsys_stream(ms, 0, VIO_STREAM_WRITE, Y, 64, 0);
    t = vio_memsys_read(ms, 1, Y, 0, &lvl);
    ck_assert_int_eq(lvl, VIO_LVL_REMOTE);
    ck_assert_uint_eq(t, 100000); /* 200 cycles at 2 GHz */
    /* The LLC evicting X writes it to DRAM and back-invalidates core 1's copy. */
    uint64_t sets = 1024;
    vio_memsys_get_stats(ms, &st);
    uint64_t binv = st.back_invalidations, wr = st.dram_writes;
    for (uint64_t k = 1; k <= 11; k++)
        vio_memsys_read(ms, 2, X + k * sets * 64, 0, NULL);
    vio_memsys_get_stats(ms, &st);
    ck_assert_uint_eq(st.back_invalidations, binv + 1);
    ck_assert_uint_eq(st.dram_writes, wr + 1);
    vio_memsys_read(ms, 1, X, 0, &lvl);
    ck_assert_int_eq(lvl, VIO_LVL_DRAM);
    vio_memsys_destroy(ms);
}
END_TEST

START_TEST(test_l2_inclusive_of_l1_and_writeback_chain)
{
    /* With an L2: an L1 victim that was modified is written into the L2 (no LLC write
     * back yet); a read after the L1 eviction hits the L2. */
    vio_memsys_config c = base_cfg();
    c.l2_enabled = 1;
    c.l2 = (vio_cache_config){.size_bytes = 256 * 1024, .ways = 8};
    c.l2_hit_cycles = 14;
    vio_memsys *ms = make_cfg(&c);
    const uint64_t X = 0x40000;
    vio_memsys_stream(ms, 0, VIO_STREAM_WRITE, X, 64, 0);
    evict_from_l1(ms, 0, X);
    vio_memsys_stats st;
    vio_memsys_get_stats(ms, &st);
    ck_assert_uint_eq(st.inner_writebacks, 0);
    enum vio_level lvl;
    vio_memsys_read(ms, 0, X, 0, &lvl);
    ck_assert_int_eq(lvl, VIO_LVL_L2);
    /* Another core still sees it modified in core 0 (its L2): HITM. */
    vio_memsys_stream(ms, 0, VIO_STREAM_WRITE, X, 64, 0);
    vio_memsys_read(ms, 1, X, 0, &lvl);
    ck_assert_int_eq(lvl, VIO_LVL_REMOTE);
    vio_memsys_destroy(ms);
}
END_TEST

START_TEST(test_non_inclusive_llc_and_snoop_filter)
{
    vio_memsys_config c = base_cfg();
    c.non_inclusive = 1;
    c.sf_ways = 2;
    vio_memsys *ms = make_cfg(&c);
    enum vio_level lvl;
    vio_memsys_stats st;
    const uint64_t X = 0x40000;
    /* A fill from DRAM goes to the private cache only: the LLC stays empty. */
    vio_memsys_read(ms, 0, X, 0, &lvl);
    ck_assert_int_eq(lvl, VIO_LVL_DRAM);
    vio_memsys_read(ms, 1, X, 0, &lvl);
    ck_assert_int_eq(lvl, VIO_LVL_REMOTE); /* forwarded by core 0, clean */
    /* When both evict it, the LLC receives it as a victim. */
    evict_from_l1(ms, 0, X);
    evict_from_l1(ms, 1, X);
    vio_memsys_read(ms, 2, X, 0, &lvl);
    ck_assert_int_eq(lvl, VIO_LVL_LLC);
    /* A snoop-filter eviction back-invalidates: a 2-way SF with 1024 sets holds two
     * private lines of a set; a third pushes the first out of core 2's L1. */
    const uint64_t Y = 0x100000;
    vio_memsys_read(ms, 3, Y, 0, NULL);
    vio_memsys_read(ms, 3, Y + 1024 * 64, 0, NULL);
    vio_memsys_read(ms, 3, Y + 2048 * 64, 0, NULL);
    vio_memsys_get_stats(ms, &st);
    ck_assert_uint_ge(st.sf_back_invalidations, 1);
    vio_memsys_read(ms, 3, Y, 0, &lvl);
    ck_assert_int_eq(lvl, VIO_LVL_LLC); /* not L1: the SF eviction removed it, and sent it to the LLC */
    /* The most recent SF entry's line is still in core 3's L1. */
    vio_memsys_read(ms, 3, Y + 2048 * 64, 0, &lvl);
    ck_assert_int_eq(lvl, VIO_LVL_L1);
    vio_memsys_destroy(ms);
}
END_TEST

START_TEST(test_partial_dma_write_merges)
{
    vio_memsys_config c = base_cfg();
    vio_memsys *ms = make_cfg(&c);
    vio_memsys_stats st;
    vio_memsys_dma_write(ms, VIO_DMA_TO_LLC_DDIO, 0x10000, 64, 0); /* full line: no read */
    vio_memsys_get_stats(ms, &st);
    ck_assert_uint_eq(st.dram_reads, 0);
    ck_assert_uint_eq(st.dma_partial_lines, 0);
    vio_memsys_dma_write(ms, VIO_DMA_TO_LLC_DDIO, 0x20010, 16, 0); /* a descriptor write-back, uncached */
    vio_memsys_get_stats(ms, &st);
    ck_assert_uint_eq(st.dma_partial_lines, 1);
    ck_assert_uint_eq(st.dram_reads, 1); /* the rest of the line is read to merge */
    vio_memsys_dma_write(ms, VIO_DMA_TO_LLC_DDIO, 0x20020, 16, 0); /* same line, now in the LLC */
    vio_memsys_get_stats(ms, &st);
    ck_assert_uint_eq(st.dram_reads, 1);
    ck_assert_uint_eq(st.dma_llc_hits, 1);
    /* 100 bytes from offset 60: 4 + 64 + 32 bytes over three lines, the two ends partial. */
    vio_memsys_dma_write(ms, VIO_DMA_TO_LLC_DDIO, 0x30000 + 60, 100, 0);
    vio_memsys_get_stats(ms, &st);
    ck_assert_uint_eq(st.dma_partial_lines, 4); /* two descriptors + the two ends */
    ck_assert_uint_eq(st.dma_lines, 6);
    vio_memsys_destroy(ms);
}
END_TEST

/* A device read (PCIeRdCur) never allocates: a miss goes to DRAM and leaves the
 * LLC as it was; a line in the LLC is an LLC hit; a line modified in a core is
 * snooped, and "read current" leaves it modified there (the next read snoops again). */
START_TEST(test_device_read_does_not_allocate)
{
    vio_memsys_config c = base_cfg();
    vio_memsys *ms = make_cfg(&c);
    vio_memsys_stats st;
    uint32_t hits = 7;
    vio_ps miss = vio_memsys_dev_read(ms, 0x40000, 128, 0, &hits);
    vio_memsys_get_stats(ms, &st);
    ck_assert_uint_eq(hits, 0);
    ck_assert_uint_eq(st.dev_read_lines, 2);
    ck_assert_uint_eq(st.dev_read_llc_hits + st.dev_read_snoops, 0);
    ck_assert_uint_eq(st.dram_reads, 2);
    ck_assert_int_lt(vio_cache_find(vio_memsys_llc(ms), 0x40000 / 64), 0);
    vio_memsys_dma_write(ms, VIO_DMA_TO_LLC_DDIO, 0x50000, 64, 0);
    vio_ps hit = vio_memsys_dev_read(ms, 0x50000, 64, 0, &hits);
    ck_assert_uint_eq(hits, 1);
    ck_assert_int_lt(hit, miss);
    vio_memsys_stream(ms, 1, VIO_STREAM_WRITE, 0x60000, 64, 0); /* modified in core 1 */
    vio_ps snoop = vio_memsys_dev_read(ms, 0x60000, 64, 0, NULL);
    vio_memsys_get_stats(ms, &st);
    ck_assert_uint_eq(st.dev_read_llc_hits, 1);
    ck_assert_uint_eq(st.dev_read_snoops, 1);
    ck_assert_int_gt(snoop, hit);
    ck_assert_int_eq(vio_memsys_dev_read(ms, 0x60000, 64, 0, NULL), snoop); /* still modified in core 1 */
    ck_assert_uint_eq(vio_memsys_dev_read(ms, 0x60000, 0, 0, &hits), 0);
    ck_assert_uint_eq(hits, 0);
    vio_memsys_destroy(ms);
}
END_TEST

START_TEST(test_ddio_lines_stay_in_io_regions)
{
    /* A ring written by the device, read by a core, written again. Without a second
     * region, lines a core read after they left the LLC come back into ordinary ways
     * and stay there; with it, every device-written line sits in the I/O ways or the
     * second region, whatever the cores do. */
    for (int reuse = 0; reuse <= 1; reuse++) {
        vio_memsys_config c = base_cfg();
        c.io_reuse_ways = reuse ? 2 : 0;
        vio_memsys *ms = make_cfg(&c);
        const vio_cache *llc = vio_memsys_llc(ms);
        const uint64_t ring = 0x1000000, bytes = 256 * 1024; /* 2x the 128 KiB of I/O ways */
        int outside = 0;
        for (int lap = 0; lap < 6; lap++) {
            for (uint64_t a = 0; a < bytes; a += 64) {
                vio_memsys_dma_write(ms, VIO_DMA_TO_LLC_DDIO, ring + a, 64, 0);
                int64_t s = vio_cache_find(llc, (ring + a) / 64);
                ck_assert_int_ge(s, 0);
                uint32_t w = vio_cache_way_of(llc, s);
                outside += w < 11u - 2u - (reuse ? 2u : 0u);
            }
            for (uint64_t a = 0; a < bytes; a += 64)
                vio_memsys_read(ms, 1, ring + a, 0, NULL);
        }
        if (reuse)
            ck_assert_int_eq(outside, 0);
        else
            ck_assert_int_gt(outside, 0);
        vio_memsys_destroy(ms);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("memsys");
    TCase *tc = tcase_create("memsys");
    tcase_add_test(tc, test_levels_and_latency);
    tcase_add_test(tc, test_write_invalidates_other_copies);
    tcase_add_test(tc, test_ddio_update_and_allocate);
    tcase_add_test(tc, test_leaky_dma_when_ring_exceeds_io_ways);
    tcase_add_test(tc, test_llc_copy_leaves_no_inner_copy);
    tcase_add_test(tc, test_stream_overlaps_misses);
    tcase_add_test(tc, test_line_through_write_eviction_and_remote_read);
    tcase_add_test(tc, test_l2_inclusive_of_l1_and_writeback_chain);
    tcase_add_test(tc, test_non_inclusive_llc_and_snoop_filter);
    tcase_add_test(tc, test_partial_dma_write_merges);
    tcase_add_test(tc, test_ddio_lines_stay_in_io_regions);
    tcase_add_test(tc, test_device_read_does_not_allocate);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
