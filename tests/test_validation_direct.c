/* Validation (ctest -L validation): the ddio-bench DDIO targets through the whole
 * datapath with direct delivery, next to test_validation_ddio.c's replay through
 * the memory system alone.
 *
 * Measurement: Farshin et al., USENIX ATC 2020, the means of the artefact's sample
 * results (ddio_bench_ref.h: ItoM-HIT-RATE, PCIeRdCur-HIT-RATE, THROUGHPUT at every
 * published x), as in test_validation_ddio.c. The testbed (ddio-bench experiments/NAME/NAME.testie): FastClick
 * `FromDPDKDevice -> EtherMirror -> ToDPDKDevice` on each core, one RX queue per
 * core, DPDK poll mode, a ConnectX-5 at 100 GbE.
 *
 * The model, nothing fitted: the skylake-sp-6140 preset; one consumer per core,
 * `kind: process` (bare-metal DPDK), `copy: none` (the NIC DMAs into the consumer's
 * own ring), `notify: poll`, `touch_bytes: 64` (EtherMirror swaps the MAC
 * addresses: one header line) and `forward: true` (the NIC reads each packet back
 * over PCIe to transmit it); process_cycles 100, scenarios/dpdk-forwarder.json's
 * estimate of a forwarder's per-packet work. 100 Gb/s (9.75 and 99.16 Gb/s for the
 * rate experiment) split evenly over the cores, one flow per core. The first half
 * of the packets warms the caches (traffic.warmup_packets); the hit rate is the
 * measured half's dma.itom_hit_rate, what pcm-pcie's ItoM-HIT-RATE counts: full-line
 * device writes only (the CHAs' TOR_INSERTS with opcode ItoM; a partial-line write,
 * the packet's last line or a 16 B completion, is another opcode, RFO, that pcm
 * counts apart). dma.llc_write_hit_rate (every line) is printed beside it.
 *
 * Two buffer models: "fixed", one receive buffer per slot held until the NIC has
 * read the packet back (the replay's assumption), and "mempool", what the testbed's
 * DPDK does (vms[].mempool, lib/src/datapath/dp_mempool.c: an rte_mempool with a
 * 256-buffer lcore cache, each slot refilled as its packet is taken, a forwarded
 * buffer held by the 256-descriptor transmit ring and FastClick's IQUEUE of 1024,
 * freed 32 at a time on completions). The NIC keeps 256 reads outstanding
 * (platform.nic.read_tags, PCIe 8-bit Extended Tags) rather than the default 32:
 * the testbed forwarded 99.4 Gb/s from 4 cores on (ddio-cores THROUGHPUT), which 32
 * tags cannot (about 75 Gb/s in the model); with 32 the transmit side saturates,
 * its queues fill and hold 1280 buffers per core, a configuration the hardware was
 * not in. A test of that mechanism is below (test_direct_saturated).
 *
 * Targets and documented misses as in docs/validation.md: issue 9's points (ways
 * 2..6, cores 1/4/8/12/16/18, rate 9.75 and 99.16 Gb/s) with their tolerances; the
 * other published points, and the transmit reads (dma.device_reads.cache_hit_rate,
 * LLC + snooped, and llc_hit_rate, against PCIeRdCur-HIT-RATE) and throughput of
 * every point, are reported, and checked only for properties that hold whatever
 * the misses. In `make test` a subset of the points runs (fewer under the
 * sanitizers); with VIOSIM_VALIDATION_OUT=DIR (scripts/validate.sh) or
 * VIOSIM_VALIDATION_FULL=1 every published point runs, written to DIR/direct-*.csv. */
#include "cli_harness.h"
#include "ddio_bench_ref.h"
#include "support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double hit, all, gbps; /* hit: pcm-pcie's ItoM hit rate; all: every device-written line */
    /* The NIC's transmit reads (pcm-pcie's PCIeRdCur): rd_cache, lines served from a
     * cache (the LLC, or snooped from the core's L2 that modified the header line);
     * rd_llc, from the LLC alone. */
    double rd_cache, rd_llc;
    double dropped, tx_max;
} point;

enum { FIXED = 0, MEMPOOL = 1 };
enum { PRESET_LLC_WAYS = 11, PRESET_REUSE_WAYS = 2 }; /* skylake-sp-6140: platform.llc.ways, io_reuse_ways */
static const char *const mode_name[] = {"fixed", "mempool"};

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

static int full_run(void) { return vio_test_validation_full(); }

/* k cores, `desc` descriptors each, `bytes` packets, `gbps` in total, `ways` DDIO
 * ways, `rounds` times round every ring (half warm-up). */
static const char *scenario_json(uint32_t k, uint32_t desc, uint32_t bytes, double gbps, uint32_t ways, uint32_t rounds,
                                 int mode, uint32_t tags)
{
    static char json[16384];
    uint64_t packets = (uint64_t)k * desc * rounds;
    /* The host worker has no work with copy none, but a core of its own: an 18-core
     * run gets a 19th, idle core for it. */
    int n = snprintf(json, sizeof json,
                     "{\"seed\":1,\"platform\":{\"preset\":\"skylake-sp-6140\",\"cores\":%u,\"io_ways\":%u,"
                     "\"nic\":{\"ring_entries\":%u,\"read_tags\":%u}",
                     k + 1 > 18 ? k + 1 : 18, ways, desc, tags);
    /* The preset's second I/O region (io_reuse_ways 2, the hardware's DDIO+ mask
     * 0x003) lies beside the DDIO ways in the model, which keeps the two disjoint;
     * on the hardware the DDIO mask (filled from the top way down) overlaps 0x003
     * from 10 of the 11 ways on. So at 10 and 11 ways the region gets what is left,
     * 1 and 0 ways: the same 11 ways in the union as on the hardware. */
    if (ways + PRESET_REUSE_WAYS > PRESET_LLC_WAYS)
        n += snprintf(json + n, sizeof json - (size_t)n, ",\"io_reuse_ways\":%u", PRESET_LLC_WAYS - ways);
    n += snprintf(json + n, sizeof json - (size_t)n, "},\"host\":{\"core\":0},\"vms\":[");
    for (uint32_t i = 0; i < k; i++)
        n += snprintf(json + n, sizeof json - (size_t)n,
                      "%s{\"core\":%u,\"kind\":\"process\",\"touch_bytes\":64,\"forward\":true,"
                      "\"process_cycles\":100,\"ring_entries\":%u,\"mempool\":%s,\"tx_queue\":%u}",
                      i ? "," : "", i + 1, desc, mode == MEMPOOL ? "true" : "false", mode == MEMPOOL ? 1024u : 0u);
    n += snprintf(json + n, sizeof json - (size_t)n, "],\"traffic\":{\"packets\":%llu,\"warmup_packets\":%llu,\"flows\":[",
                  (unsigned long long)packets, (unsigned long long)(packets / 2));
    for (uint32_t i = 0; i < k; i++)
        n += snprintf(json + n, sizeof json - (size_t)n, "%s{\"dst\":%u,\"rate_gbps\":%.6f,\"size\":%u}", i ? "," : "",
                      i, gbps / k, bytes);
    n += snprintf(json + n, sizeof json - (size_t)n,
                  "]},\"variants\":[{\"name\":\"ddio\",\"dma\":\"ddio\",\"copy\":\"none\",\"notify\":\"poll\"}]}");
    ck_assert((size_t)n < sizeof json);
    return json;
}

static point run_point(uint32_t k, uint32_t desc, uint32_t bytes, double gbps, uint32_t ways, uint32_t rounds, int mode,
                       uint32_t tags)
{
    vio_scenario *s = vio_test_load(scenario_json(k, desc, bytes, gbps, ways, rounds, mode, tags), NULL, 0);
    json_t *doc = vio_test_run(s, VIO_ENGINE_SEQUENTIAL);
    const json_t *v = vio_test_variant(doc, "ddio");
    point p = {.hit = 100.0 * vio_test_num(v, "dma.itom_hit_rate"),
               .all = 100.0 * vio_test_num(v, "dma.llc_write_hit_rate"),
               .gbps = vio_test_num(v, "throughput.gbps"),
               .rd_cache = 100.0 * vio_test_num(v, "dma.device_reads.cache_hit_rate"),
               .rd_llc = 100.0 * vio_test_num(v, "dma.device_reads.llc_hit_rate"),
               .dropped = vio_test_num(v, "packets.dropped") / vio_test_num(v, "packets.offered")};
    ck_assert_msg(vio_test_num(v, "packets.delivered") > 0, "nothing delivered");
    ck_assert_msg(vio_test_num(v, "dma.device_reads.lines") > 0, "no transmit reads");
    if (mode == MEMPOOL)
        p.tx_max = vio_test_num(v, "stats.mempool.vm0.tx_max");
    json_decref(doc);
    vio_scenario_destroy(s);
    return p;
}

/* Every direct-*.csv has these columns (scripts/validate.sh reads them by name):
 * published / viosim, the ItoM hit rate (%); published_rdcur, the PCIeRdCur hit
 * rate (%) against rd_cache and rd_llc; published_gbps, THROUGHPUT against gbps. */
static FILE *csv_open(const char *name)
{
    return vio_test_csv_open(name,
                             "mode,x,published,viosim,gbps,dropped,every_line,published_rdcur,rd_cache,rd_llc,published_gbps");
}

static void report(FILE *f, int mode, const char *what, const ddio_ref *r, point p)
{
    printf("direct %-7s %-6s x=%-6g ItoM published %6.1f %% viosim %6.1f %% (%+6.1f pp); transmit reads published "
           "%6.2f %% viosim %6.2f %% (LLC %6.2f %%); published %6.2f Gb/s viosim %6.2f (every line %.1f %%, %.1f %% "
           "dropped)\n",
           mode_name[mode], what, r->x, r->itom, p.hit, p.hit - r->itom, r->rdcur, p.rd_cache, p.rd_llc, r->gbps,
           p.gbps, p.all, 100 * p.dropped);
    if (f)
        fprintf(f, "%s,%g,%.2f,%.2f,%.2f,%.4f,%.2f,%.2f,%.2f,%.2f,%.2f\n", mode_name[mode], r->x, r->itom, p.hit, p.gbps,
                p.dropped, p.all, r->rdcur, p.rd_cache, p.rd_llc, r->gbps);
}

/* Which points run: every published point for the validation report, else a
 * subset (the same as before the full comparison, plus the tiny 2-core point). */
static int wanted(int mode, const char *exp, double x)
{
    if (full_run())
        return 1;
    if (SANITIZED) /* memory safety of both paths, one point each */
        return !strcmp(exp, "ways") && x == 2;
    if (!strcmp(exp, "ways"))
        return x == 2 || (mode == MEMPOOL && x == 4);
    if (!strcmp(exp, "cores"))
        return x == 18 || (mode == MEMPOOL && (x == 2 || x == 4));
    return (mode == MEMPOOL || x < 50) && (x == 9.75 || x == 99.16);
}

START_TEST(test_direct_ways)
{
    FILE *f = csv_open("direct-ways.csv");
    for (int mode = FIXED; mode <= MEMPOOL; mode++) {
        double prev = 0;
        for (size_t i = 0; i < DDIO_REF_N(ddio_ref_ways); i++) {
            const ddio_ref *r = &ddio_ref_ways[i];
            uint32_t w = (uint32_t)r->x;
            if (!wanted(mode, "ways", w))
                continue;
            point p = run_point(1, 4096, 1024, 100, w, 6, mode, 256);
            report(f, mode, "ways", r, p);
            if (w > 6) { /* 7..11 ways: reported, not targets of the issue; what must
                          * hold: a ring that fits in the I/O ways keeps its writes */
                ck_assert_msg(p.hit >= 99.0, "%s, %u ways: %.1f %%", mode_name[mode], w, p.hit);
                continue;
            }
            ck_assert_msg(fabs(p.hit - r->itom) <= 10.0, "%s, %u ways: %.1f %% vs %.1f %%", mode_name[mode], w, p.hit,
                          r->itom);
            ck_assert_msg(p.hit >= prev, "%s: not monotone at %u ways", mode_name[mode], w);
            prev = p.hit;
        }
    }
    if (f)
        fclose(f);
}
END_TEST

START_TEST(test_direct_cores)
{
    /* The targets are 1 / 4 / 8 / 12 / 16 / 18 cores. Documented misses
     * (docs/validation.md): fixed buffers, as the replay, 15-16 pp low at 8 and 12
     * cores; the mempool lower again by what its transmit ring holds on top of
     * 256-slot rings (up to 23 pp at 8 and 12 cores, 14 at 16, 10.3 at 18). 0: not a
     * target (2, 6, 10, 14 cores), reported. */
    static const double tol[2][10] = {{10, 0, 10, 0, 20, 0, 20, 0, 10, 10}, {10, 0, 15, 0, 25, 0, 25, 0, 15, 15}};
    FILE *f = csv_open("direct-cores.csv");
    for (int mode = FIXED; mode <= MEMPOOL; mode++) {
        double prev = 101;
        for (size_t i = 0; i < DDIO_REF_N(ddio_ref_cores); i++) {
            const ddio_ref *r = &ddio_ref_cores[i];
            uint32_t k = (uint32_t)r->x;
            if (!wanted(mode, "cores", k))
                continue;
            point p = run_point(k, 256, 1500, 100, 2, 6, mode, 256);
            report(f, mode, "cores", r, p);
            if (tol[mode][i] > 0)
                ck_assert_msg(fabs(p.hit - r->itom) <= tol[mode][i], "%s, %u cores: %.1f %% vs %.1f %%",
                              mode_name[mode], k, p.hit, r->itom);
            ck_assert_msg(p.hit <= prev, "%s: hit rate rose from %.1f to %.1f %% at %u cores", mode_name[mode], prev,
                          p.hit, k);
            prev = p.hit;
            /* The hardware's transmit reads hit 98.2-99.95 % from 4 to 18 cores (its
             * transmit side keeps up); so must the model's, counted from the caches
             * (LLC or the L2 that modified the header). */
            if (k >= 4)
                ck_assert_msg(p.rd_cache >= 98.0, "%s, %u cores: transmit reads hit %.2f %%", mode_name[mode], k,
                              p.rd_cache);
            /* 2 cores, a documented miss (ItoM 72.1 %, transmit reads 75.2 %): the
             * hardware's transmit backlog (docs/validation.md), which the model's
             * transmit side does not build. What the model must do without it: 2 x
             * 256 slots fit the two I/O ways six times over, nearly every write and
             * every transmit read hits. */
            if (k == 2)
                ck_assert_msg(p.hit >= 90.0 && p.rd_cache >= 98.0, "%s, 2 cores: ItoM %.1f %%, transmit reads %.2f %%",
                              mode_name[mode], p.hit, p.rd_cache);
        }
    }
    if (f)
        fclose(f);
}
END_TEST

START_TEST(test_direct_rate)
{
    /* The targets are the two ends, 9.75 and 99.16 Gb/s; the steps between
     * are reported and bounded as the high end is. */
    const size_t last = DDIO_REF_N(ddio_ref_rate) - 1;
    FILE *f = csv_open("direct-rate.csv");
    double at[2] = {0};
    for (int mode = FIXED; mode <= MEMPOOL; mode++) {
        for (size_t i = 0; i <= last; i++) {
            const ddio_ref *r = &ddio_ref_rate[i];
            if (!wanted(mode, "rate", r->x))
                continue;
            point p = run_point(2, 4096, 1500, r->x, 2, 4, mode, 256);
            if (i == last)
                at[mode] = p.hit;
            report(f, mode, "rate", r, p);
            if (i == 0) /* documented miss, counted as pcm counts: ~10 pp low (docs/validation.md) */
                ck_assert_msg(fabs(p.hit - r->itom) <= 15.0, "%s, 9.75 Gb/s: %.1f %%", mode_name[mode], p.hit);
            else /* the documented miss: flat, where the hardware falls; bounded so that a
                  * collapse (LRU-like) or a fit-in-the-ways regression still fails */
                ck_assert_msg(p.hit > 5.0 && p.hit < 40.0, "%s, %.2f Gb/s: %.1f %%", mode_name[mode], r->x, p.hit);
            /* Up to 92.63 Gb/s the hardware's transmit reads hit >= 99.2 %: its
             * transmit side keeps up, and so must the model's. (Above, the
             * hardware's backlog, a documented miss.) */
            if (r->x <= 92.63)
                ck_assert_msg(p.rd_cache >= 99.0, "%s, %.2f Gb/s: transmit reads hit %.2f %%", mode_name[mode], r->x,
                              p.rd_cache);
        }
    }
    if (f)
        fclose(f);
    /* ddio-bench's process-time experiment at 0 WorkPackage calls: the same DUT and
     * generator traffic, unpaced (FastUDPFlows at full rate, 99.15 Gb/s), but
     * `NDESC / NCORE` = 2048 descriptors per queue (its testie's RXM), not 4096:
     * 26.83 %. A documented miss (the model keeps 16-17 pp more); what must hold is
     * the ordering the hardware shows at the same rate: the half-size rings keep more
     * of their writes than the 4096-slot ones (26.83 vs 10.07 %). */
    f = csv_open("direct-process-time.csv");
    for (int mode = FIXED; mode <= MEMPOOL; mode++) {
        if (SANITIZED && !full_run())
            break;
        const ddio_ref *r = &ddio_ref_process_time;
        point p = run_point(2, 2048, 1500, r->gbps, 2, 4, mode, 256);
        report(f, mode, "ndesc", r, p);
        ck_assert_msg(fabs(p.hit - r->itom) <= 20.0, "%s, 2048 descriptors: %.1f %%", mode_name[mode], p.hit);
        if (at[mode] > 0)
            ck_assert_msg(p.hit > at[mode] + 10.0, "%s: 2048 descriptors %.1f %% vs 4096 %.1f %%", mode_name[mode],
                          p.hit, at[mode]);
    }
    if (f)
        fclose(f);
}
END_TEST

/* The recycling mechanism itself: when the transmit side cannot keep up (32 read
 * tags at 99 Gb/s), the buffers it holds grow to its ring and queue (1280 per
 * core), the buffers in circulation with them, and the write hit rate falls below
 * that of the same run whose transmit side keeps up; fixed buffers, which the
 * transmit side never holds beyond their slot, do not fall. */
START_TEST(test_direct_saturated)
{
    if (SANITIZED && !full_run())
        return; /* minutes under the sanitizers; the optimised pass runs it */
    point keep = run_point(2, 4096, 1500, 99.16, 2, 4, MEMPOOL, 256);
    point sat = run_point(2, 4096, 1500, 99.16, 2, 4, MEMPOOL, 32);
    printf("direct saturated transmit: mempool %.1f %% (holds %.0f) vs %.1f %% (holds %.0f)\n", sat.hit, sat.tx_max,
           keep.hit, keep.tx_max);
    ck_assert_msg(sat.tx_max > 1000 && keep.tx_max < 200, "transmit hold %.0f / %.0f", sat.tx_max, keep.tx_max);
    ck_assert_msg(sat.hit < keep.hit - 3.0, "saturated %.1f %% vs %.1f %%", sat.hit, keep.hit);
}
END_TEST

/* The CLI (linked with LTO when built with -DVIOSIM_LTO=ON; off by default) gives
 * exactly what the library the tests link (without LTO) gives, on a run where the I/O ways decide: GCC 12.2
 * once miscompiled the masked victim choice in the LTO build only (repl.c), which
 * made the CLI's DDIO an unrestricted LLC (99.9 % here instead of 65 %). */
START_TEST(test_direct_cli_same)
{
    const char *json = scenario_json(1, 4096, 1024, 100, 2, 2, FIXED, 256);
    char path[1024], out[1024], res[1100];
    snprintf(path, sizeof path, "%s", in_tmp("ways2.json"));
    snprintf(out, sizeof out, "%s", in_tmp("out"));
    write_file(path, json);
    run_ok_argv((const char *const[]){"run", path, "-o", out, "-q", "--engine=sequential", NULL});
    snprintf(res, sizeof res, "%s/results.json", out);
    json_t *cli = load_json(res);
    vio_scenario *s = vio_test_load(json, NULL, 0);
    json_t *lib = vio_test_run(s, VIO_ENGINE_SEQUENTIAL);
    const json_t *a = vio_test_variant(cli, "ddio"), *b = vio_test_variant(lib, "ddio");
    double ha = vio_test_num(a, "dma.llc_write_hit_rate"), hb = vio_test_num(b, "dma.llc_write_hit_rate");
    ck_assert_msg(fabs(ha - hb) < 1e-9, "CLI %.6f vs library %.6f", ha, hb); /* results.json: 12 digits */
    ck_assert_msg(vio_test_num(a, "dma.unread_evictions") == vio_test_num(b, "dma.unread_evictions"),
                  "unread evictions differ");
    ck_assert_msg(hb < 0.8, "2 I/O ways held a 4096-slot ring of 1024 B packets: %.3f", hb);
    json_decref(cli);
    json_decref(lib);
    vio_scenario_destroy(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("validation_direct");
    TCase *tc = tcase_create("direct");
    tcase_set_timeout(tc, 1800);
    tcase_add_test(tc, test_direct_ways);
    tcase_add_test(tc, test_direct_cores);
    tcase_add_test(tc, test_direct_rate);
    tcase_add_test(tc, test_direct_saturated);
    suite_add_tcase(s, tc);
    TCase *cli = tcase_create("cli");
    tcase_set_timeout(cli, 600);
    tcase_add_checked_fixture(cli, tmp_setup, tmp_teardown);
    tcase_add_test(cli, test_direct_cli_same);
    suite_add_tcase(s, cli);
    return vio_test_run_suite(s);
}
