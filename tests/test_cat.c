/* Intel Cache Allocation Technology in the memory model (vio_memsys_set_cat):
 * a core's LLC fills stay in its way mask, with an inclusive and a non-inclusive
 * LLC, and a streaming neighbour can no longer evict a victim's working set. */
#include "support.h"
#include "viosim/memsys.h"

#define LLC_WAYS 11u

static vio_memsys *make(int non_inclusive)
{
    vio_memsys_config c = {
        .cores = 4, .freq_mhz = 2000,
        .l1 = {.size_bytes = 32 * 1024, .ways = 8}, .l1_hit_cycles = 4,
        .llc = {.size_bytes = 704 * 1024, .ways = LLC_WAYS}, .llc_hit_cycles = 50, /* 1024 sets, modulo index */
        .io_ways = 2, .dram_latency_ns = 90, .dram_bandwidth_mbps = 1000000, .mlp = 1,
        .non_inclusive = non_inclusive, .sf_ways = 12,
    };
    vio_memsys *ms = NULL;
    vio_err err = {{0}};
    ck_assert_msg(vio_memsys_create(&c, &ms, &err) == VIO_OK, "%s", err.msg);
    return ms;
}

START_TEST(t_masks_are_checked)
{
    vio_memsys *ms = make(0);
    vio_err err = {{0}};
    ck_assert_int_eq(vio_memsys_set_cat(ms, 1, 0x5, &err), VIO_EINVAL); /* not contiguous */
    ck_assert(strstr(err.msg, "contiguous") != NULL);
    ck_assert_int_eq(vio_memsys_set_cat(ms, 1, 1u << LLC_WAYS, &err), VIO_EINVAL); /* beyond the ways */
    ck_assert_int_eq(vio_memsys_set_cat(ms, 4, 0x3, &err), VIO_EINVAL);            /* no such core */
    ck_assert_int_eq(vio_memsys_set_cat(ms, 1, 0x1fc, &err), VIO_OK);
    ck_assert_int_eq(vio_memsys_set_cat(ms, 1, 0x7ff, &err), VIO_OK);
    ck_assert_int_eq(vio_memsys_set_cat(ms, 1, 0, &err), VIO_OK); /* back to every way */
    vio_memsys_destroy(ms);
}
END_TEST

/* Core 1 confined to ways 0-1 reads (inclusive: DRAM fills allocate in the LLC)
 * or writes and evicts (non-inclusive: its victims enter the LLC) a buffer four
 * times the LLC: every line of it found in the LLC sits in ways 0-1. */
START_TEST(t_fills_stay_in_the_mask)
{
    for (int ni = 0; ni <= 1; ni++) {
        vio_memsys *ms = make(ni);
        const vio_cache *llc = vio_memsys_llc(ms);
        ck_assert_int_eq(vio_memsys_set_cat(ms, 1, 0x3, NULL), VIO_OK);
        const uint64_t base = 1ull << 30, bytes = 4 * 704 * 1024;
        for (uint64_t a = 0; a < bytes; a += 64)
            vio_memsys_stream(ms, 1, ni ? VIO_STREAM_WRITE : VIO_STREAM_READ, base + a, 64, 0);
        uint32_t found = 0;
        for (uint64_t a = 0; a < bytes; a += 64) {
            int64_t s = vio_cache_find(llc, (base + a) / 64);
            if (s < 0)
                continue;
            found++;
            ck_assert_uint_lt(vio_cache_way_of(llc, s), 2);
        }
        /* 2 ways x 1024 sets hold 2048 lines, all of them the buffer's own. */
        ck_assert_uint_eq(found, 2 * 1024);
        vio_memsys_destroy(ms);
    }
}
END_TEST

/* A victim (core 2) re-reads a 256 KiB working set after a neighbour (core 1)
 * streamed 2.8 MiB. Without CAT the stream evicts it: the re-read goes to DRAM;
 * with the neighbour in ways 0-1 and the victim in ways 2-8 it stays in the LLC. */
static uint64_t victim_dram_reads(int cat)
{
    vio_memsys *ms = make(0);
    if (cat) {
        ck_assert_int_eq(vio_memsys_set_cat(ms, 1, 0x3, NULL), VIO_OK);
        ck_assert_int_eq(vio_memsys_set_cat(ms, 2, 0x1fc, NULL), VIO_OK);
    }
    const uint64_t ws = 1ull << 32, flood = 2ull << 32, ws_bytes = 256 * 1024, flood_bytes = 4 * 704 * 1024;
    vio_memsys_stream(ms, 2, VIO_STREAM_READ, ws, (uint32_t)ws_bytes, 0);
    vio_memsys_stream(ms, 1, VIO_STREAM_READ, flood, (uint32_t)flood_bytes, 0);
    uint64_t before = vio_memsys_core_reads(ms, 2, VIO_LVL_DRAM);
    vio_memsys_stream(ms, 2, VIO_STREAM_READ, ws, (uint32_t)ws_bytes, 0);
    uint64_t n = vio_memsys_core_reads(ms, 2, VIO_LVL_DRAM) - before;
    vio_memsys_destroy(ms);
    return n;
}

START_TEST(t_cat_protects_a_working_set)
{
    uint64_t without = victim_dram_reads(0), with = victim_dram_reads(1);
    ck_assert_uint_eq(without, 256 * 1024 / 64); /* every line evicted */
    ck_assert_uint_eq(with, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cat");
    TCase *tc = tcase_create("cat");
    tcase_add_test(tc, t_masks_are_checked);
    tcase_add_test(tc, t_fills_stay_in_the_mask);
    tcase_add_test(tc, t_cat_protects_a_working_set);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
