/* Sampled mode (platform.llc.sample_sets, memsys_sample.c): a run that simulates
 * 1 in N LLC sets is deterministic (byte-identical twice, and under both engines),
 * says it is sampled, and estimates what the exact model gives. */
#include "support.h"
#include "datapath/dp_internal.h"
#include "models/memsys_internal.h"
#include "viosim/memsys.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static vio_memsys *make_memsys(uint32_t sample_sets, uint32_t io_ways)
{
    char json[320];
    snprintf(json, sizeof json,
             "{\"platform\":{\"preset\":\"skylake-sp-6140\",\"io_ways\":%u,\"llc\":{\"sample_sets\":%u}},"
             "\"vms\":[{\"core\":1}],\"traffic\":{\"flows\":[{\"dst\":0,\"rate_gbps\":10}]}}",
             io_ways, sample_sets);
    vio_scenario *s = vio_test_load(json, NULL, 0);
    vio_memsys *ms;
    ck_assert_int_eq(vio__memsys_for(s, &ms, NULL), VIO_OK);
    vio_scenario_destroy(s);
    return ms;
}

/* A receive ring of `slots` 1500 B buffers: the NIC writes a slot, core 1 reads it
 * at once; three rounds warm the caches, three are measured. Returns the DMA write
 * hit rate; *lat: the mean latency of the core's reads. */
static double ring_hit_rate(vio_memsys *ms, uint32_t slots, double *lat)
{
    const uint64_t base = 2ull << 43;
    vio_ps t = 0, sum = 0;
    uint64_t reads = 0;
    for (int round = 0; round < 6; round++) {
        if (round == 3)
            vio_memsys_reset_stats(ms);
        for (uint32_t i = 0; i < slots; i++) {
            uint64_t buf = base + (uint64_t)i * 2048u;
            vio_memsys_dma_write(ms, VIO_DMA_TO_LLC_DDIO, buf, 1500, t);
            t += 120 * VIO_PS_PER_NS;
            vio_ps l = vio_memsys_stream(ms, 1, VIO_STREAM_READ, buf, 1500, t);
            if (round >= 3) {
                sum += l;
                reads++;
            }
        }
    }
    vio_memsys_stats st;
    vio_memsys_get_stats(ms, &st);
    *lat = (double)sum / (double)reads;
    return (double)st.dma_llc_hits / (double)st.dma_lines;
}

/* DDIO's leaky DMA, sampled and exact: a ring that fits the I/O ways, one that
 * overflows them by far, and one in between, where the hit rate depends on the
 * per-set pressure that the sampled sets must keep. */
START_TEST(ring_matches_exact)
{
    static const uint32_t slots[] = {512, 4096, 16384};
    for (size_t k = 0; k < sizeof slots / sizeof slots[0]; k++) {
        vio_memsys *ex = make_memsys(0, 2), *sm = make_memsys(16, 2);
        double le, ls;
        double he = ring_hit_rate(ex, slots[k], &le), hs = ring_hit_rate(sm, slots[k], &ls);
        vio_memsys_sampling smp;
        vio_memsys_get_sampling(sm, &smp);
        ck_assert_uint_eq(smp.one_in, 16);
        ck_assert_uint_gt(smp.replayed, 8 * smp.simulated); /* most accesses were not simulated */
        fprintf(stderr, "ring %u slots: hit rate exact %.4f sampled %.4f, read latency %.1f / %.1f ns\n", slots[k],
                he, hs, le / 1000, ls / 1000);
        ck_assert_msg(fabs(hs - he) <= 0.01, "ring %u: DMA write hit rate %.4f sampled vs %.4f exact", slots[k], hs,
                      he);
        ck_assert_msg(fabs(ls / le - 1) <= 0.02, "ring %u: read latency %.1f sampled vs %.1f exact", slots[k], ls,
                      le);
        vio_memsys_get_sampling(ex, &smp);
        ck_assert_uint_eq(smp.one_in, 0);
        vio_memsys_destroy(ex);
        vio_memsys_destroy(sm);
    }
}
END_TEST

/* Same scenario and seed: the same bytes, run twice and under the other engine;
 * the results carry the "sampling" key, which exact runs do not. */
START_TEST(deterministic_and_flagged)
{
    static const char *const sets[] = {"traffic.packets=1500", "platform.llc.sample_sets=32"};
    vio_scenario *s = vio_test_load("default.json", sets, 2);
    json_t *a = vio_test_run(s, VIO_ENGINE_SIMGRID), *b = vio_test_run(s, VIO_ENGINE_SIMGRID),
           *c = vio_test_run(s, VIO_ENGINE_SEQUENTIAL);
    const json_t *v = json_array_get(json_object_get(a, "variants"), 0);
    const json_t *smp = json_object_get(v, "sampling");
    ck_assert_ptr_nonnull(smp);
    ck_assert_int_eq(vio_test_num(v, "sampling.llc_sets_one_in"), 32);
    ck_assert(vio_test_num(v, "sampling.replayed_accesses") > vio_test_num(v, "sampling.simulated_accesses"));
    vio_test_assert_same_but_engine(a, b);
    json_decref(b);
    b = vio_test_run(s, VIO_ENGINE_SIMGRID);
    vio_test_assert_same_but_engine(b, c);
    json_decref(a);
    json_decref(b);
    json_decref(c);
    vio_scenario_destroy(s);
    s = vio_test_load("default.json", sets, 1);
    a = vio_test_run(s, VIO_ENGINE_SEQUENTIAL);
    ck_assert_ptr_null(json_object_get(json_array_get(json_object_get(a, "variants"), 0), "sampling"));
    json_decref(a);
    vio_scenario_destroy(s);
}
END_TEST

/* Shipped scenarios at a short length, 1 in 32 sets against exact: the DMA write
 * hit rate within 1 pp and the mean latency within 2 %. The variants checked are
 * those where the sampled mode is within its targets (docs/performance.md, "Sampled
 * mode", round 3, lists every shipped variant with its error and the reason of each
 * miss: the scaled-down L2 of the skylake-sp-6140 preset, the sampled sets' own
 * noise, a service-rate error of 0.6-2.3 % that a full ring turns into latency). */
static void compare(const char *scenario, const char *packets, const char *warmup, const char *const *variants,
                    size_t n)
{
    const char *const exact[] = {packets, warmup}, *const sampled[] = {packets, warmup, "platform.llc.sample_sets=32"};
    vio_scenario *se = vio_test_load(scenario, exact, 2), *ss = vio_test_load(scenario, sampled, 3);
    json_t *a = vio_test_run(se, VIO_ENGINE_SEQUENTIAL), *b = vio_test_run(ss, VIO_ENGINE_SEQUENTIAL);
    for (size_t i = 0; i < n; i++) {
        const json_t *x = vio_test_variant(a, variants[i]), *y = vio_test_variant(b, variants[i]);
        ck_assert_ptr_nonnull(x);
        ck_assert_ptr_nonnull(y);
        ck_assert_ptr_nonnull(json_object_get(y, "sampling"));
        double lx = vio_test_num(x, "latency_ns.mean"), ly = vio_test_num(y, "latency_ns.mean");
        double hx = vio_test_num(x, "dma.llc_write_hit_rate"), hy = vio_test_num(y, "dma.llc_write_hit_rate");
        fprintf(stderr, "%s %s: latency %.1f exact, %+.2f %% sampled; DMA write hit rate %.4f, %+.2f pp\n", scenario,
                variants[i], lx, (ly / lx - 1) * 100, hx, (hy - hx) * 100);
        ck_assert_msg(fabs(ly / lx - 1) <= 0.02, "%s %s: mean latency %.1f sampled vs %.1f exact", scenario,
                      variants[i], ly, lx);
        ck_assert_msg(fabs(hy - hx) <= 0.01, "%s %s: DMA write hit rate %.4f sampled vs %.4f exact", scenario,
                      variants[i], hy, hx);
    }
    json_decref(a);
    json_decref(b);
    vio_scenario_destroy(se);
    vio_scenario_destroy(ss);
}

START_TEST(shipped_within_targets)
{
    static const char *const def[] = {"copy-to-llc", "llc+posted"};
    static const char *const iotlb[] = {"no-iommu", "pasid-2m"};
    /* multicast baseline: eight guest copies read one source in a row; it is within
     * target only when a buffer's replayed lines share one outcome (replay_run's
     * cluster draw: +22 % with a draw per line). */
    static const char *const mc[] = {"baseline", "llc+posted", "fetch+posted"};
    compare("default.json", "traffic.packets=5000", "traffic.warmup_packets=0", def, 2);
    compare("iotlb-pressure.json", "traffic.packets=5000", "traffic.warmup_packets=0", iotlb, 2);
    compare("multicast.json", "traffic.packets=5000", "traffic.warmup_packets=0", mc, 3);
    /* DDIO's hit rates are checked on a ring (ring_matches_exact): the shipped DDIO
     * variants miss at this length (docs/performance.md). */
}
END_TEST

/* A line is simulated exactly if and only if its LLC set is sampled, under every
 * index function: the sampled mode finds a page's sets from the index's structure
 * (memsys_sample.c page_sets), which must agree with the cache's own index. */
START_TEST(sampled_lines_are_those_of_sampled_sets)
{
    static const struct {
        enum vio_cache_index index;
        uint64_t kib;
        uint32_t ways;
    } llc[] = {{VIO_CACHE_INDEX_MODULO, 1024, 16}, {VIO_CACHE_INDEX_HASH, 11264, 11}, /* 16384 sets */
               {VIO_CACHE_INDEX_HASH, 9216, 16},   /* 9 x 1024 sets: slices */
               {VIO_CACHE_INDEX_SKX18, 25344, 11}}; /* 18 x 2048 sets */
    for (size_t k = 0; k < sizeof llc / sizeof llc[0]; k++) {
        vio_memsys_config mc = {.cores = 2, .freq_mhz = 2000, .l1 = {.size_bytes = 32768, .ways = 8},
                                .l1_hit_cycles = 4, .llc_hit_cycles = 40, .io_ways = 2, .dram_latency_ns = 90,
                                .dram_bandwidth_mbps = 100000, .sample_sets = 16};
        mc.llc = (vio_cache_config){.size_bytes = llc[k].kib * 1024u, .ways = llc[k].ways, .index = llc[k].index};
        vio_memsys *ms;
        ck_assert_int_eq(vio_memsys_create(&mc, &ms, NULL), VIO_OK);
        uint64_t x = 0x243f6a8885a308d3ull, in = 0;
        const uint32_t n = 20000;
        for (uint32_t i = 0; i < n; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            uint64_t line = ((x >> 60) << 37) | ((x >> 20) & ((1ull << 30) - 1u)); /* 16 regions */
            int want = vio__smp_set_sampled(ms, vio_cache_set_of(vio_memsys_llc(ms), line));
            ck_assert_msg(vio__smp_line_sampled(ms, line) == want, "index %d: line %#llx", (int)llc[k].index,
                          (unsigned long long)line);
            ck_assert_int_eq(vio__smp_line_sampled(ms, line ^ 1u),
                             vio__smp_set_sampled(ms, vio_cache_set_of(vio_memsys_llc(ms), line ^ 1u)));
            in += (uint64_t)want;
        }
        ck_assert_msg(in > n / 32 && in < n / 8, "index %d: %llu of %u lines sampled at 1 in 16", (int)llc[k].index,
                      (unsigned long long)in, n);
        vio_memsys_destroy(ms);
    }
}
END_TEST

START_TEST(bad_factor_refused)
{
    vio_memsys_config mc = {.cores = 2, .freq_mhz = 2000, .l1 = {.size_bytes = 32768, .ways = 8},
                            .l1_hit_cycles = 4, .llc = {.size_bytes = 1 << 20, .ways = 16}, .llc_hit_cycles = 40,
                            .io_ways = 2, .dram_latency_ns = 90, .dram_bandwidth_mbps = 100000, .sample_sets = 12};
    vio_memsys *ms;
    vio_err err = {{0}};
    ck_assert_int_eq(vio_memsys_create(&mc, &ms, &err), VIO_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "sample_sets"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sampled");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, ring_matches_exact);
    tcase_add_test(tc, deterministic_and_flagged);
    tcase_add_test(tc, bad_factor_refused);
    tcase_add_test(tc, sampled_lines_are_those_of_sampled_sets);
    tcase_add_test(tc, shipped_within_targets);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
