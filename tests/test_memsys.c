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
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
