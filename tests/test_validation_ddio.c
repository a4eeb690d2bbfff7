/* Validation (ctest -L validation): DDIO write hit rates against ddio-bench.
 *
 * Measurement: Farshin, Roozbeh, Maguire, Kostic, "Reexamining Direct Cache Access
 * to Optimize I/O Intensive Applications for Multi-hundred-gigabit Networks",
 * USENIX ATC 2020, means of the 10 runs of the artefact's sample results
 * (github.com/aliireza/ddio-bench; /work/shared/reference/ddio-bench-means.txt):
 * ItoM-HIT-RATE, the share of inbound full-line PCIe writes that hit the LLC, on a
 * Xeon Gold 6140 with a ConnectX-5 and a DPDK/FastClick L2 forwarder, one RX queue
 * per core. Three experiments:
 *   ways  (ddiotune-results): 1024 B, 1 core, 4096 descriptors, 100 Gb/s, 2..6 ways;
 *   cores (ddio-cores-results): 1500 B, 256 descriptors per core, 100 Gb/s over k cores;
 *   rate  (ddio-pkt-rate-results): 1500 B, 2 cores, 4096 descriptors each.
 *
 * The model: the memory system of the skylake-sp-6140 preset (nothing fitted),
 * replaying what the forwarder does to each ring slot, with one receive buffer per
 * slot: the NIC writes the packet and its 16 B completion, the core reads the
 * completion and one header line, the NIC reads the packet back to transmit it
 * (PCIeRdCur: vio_memsys_dev_read, which does not allocate), and the slot is
 * written again when the ring comes round. A ring whose core keeps up is read
 * right after each write ("fresh"); a core that cannot keep up (the one-core
 * experiments: 85 and 92 Gb/s achieved of 100) finds its ring full and reads each
 * slot one ring after it was written ("full"). Half the replay warms the caches,
 * the other half is measured.
 *
 * Targets: each point within 10 pp, the ways curve monotone. Where the model misses
 * (see docs/validation.md) the test checks what the model must get right (the
 * ordering) and bounds the miss so that a regression still fails it. With
 * VIOSIM_VALIDATION_OUT=DIR the points are also written to DIR/ddio-*.csv for
 * scripts/validate.sh. */
#include "ddio_bench_ref.h"
#include "support.h"
#include "datapath/dp_internal.h"
#include "viosim/memsys.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define BUF_BASE (2ull << 43)
#define DESC_BASE (1ull << 43)
#define BUF_STRIDE 2048u /* the datapath's default receive buffer (platform.nic.buffer_bytes) */
#define DESC_BYTES 16u
#define REGION (2ull << 20)
#define HEADER_BYTES 64u /* an L2 forwarder touches the Ethernet header only */

static vio_memsys *make_memsys(uint32_t io_ways)
{
    char json[256];
    /* At 10 and 11 DDIO ways the preset's 2-way second I/O region, which the model
     * keeps beside the DDIO ways, gets what is left of the 11 (1, 0 ways): on the
     * hardware the DDIO mask overlaps its 0x003 there (test_validation_direct.c). */
    snprintf(json, sizeof json,
             "{\"platform\":{\"preset\":\"skylake-sp-6140\",\"io_ways\":%u,\"io_reuse_ways\":%u},"
             "\"vms\":[{\"core\":1}],\"traffic\":{\"flows\":[{\"dst\":0,\"rate_gbps\":10}]}}",
             io_ways, io_ways + 2 > 11 ? 11 - io_ways : 2);
    vio_scenario *s = vio_test_load(json, NULL, 0);
    vio_memsys *ms;
    ck_assert_int_eq(vio__memsys_for(s, &ms, NULL), VIO_OK);
    vio_scenario_destroy(s);
    return ms;
}

static uint64_t align(uint64_t n) { return (n + REGION - 1) / REGION * REGION; }

/* Write hit rate (%) of `queues` rings of `slots` packets of `bytes`, one core each,
 * served round-robin; `full`: each slot is read one ring after it was written. */
static double replay(uint32_t io_ways, uint32_t queues, uint32_t slots, uint32_t bytes, int full, uint32_t rounds)
{
    vio_memsys *ms = make_memsys(io_ways);
    uint64_t bspan = align((uint64_t)slots * BUF_STRIDE), dspan = align((uint64_t)slots * DESC_BYTES);
    vio_memsys_stats s0 = {0}, s1;
    vio_ps now = 0;
    for (uint32_t r = 0; r < rounds; r++) {
        if (r == rounds / 2)
            vio_memsys_get_stats(ms, &s0);
        for (uint32_t i = 0; i < slots; i++)
            for (uint32_t q = 0; q < queues; q++) {
                uint64_t buf = BUF_BASE + q * bspan + (uint64_t)i * BUF_STRIDE;
                uint64_t desc = DESC_BASE + q * dspan + (uint64_t)i * DESC_BYTES;
                uint32_t core = q; /* one core per queue, as the forwarder pins them */
                now += 100 * VIO_PS_PER_NS;
                for (int step = 0; step < 2; step++) {
                    int write = (step == 0) != full;
                    if (write) {
                        vio_memsys_dma_write(ms, VIO_DMA_TO_LLC_DDIO, buf, bytes, now);
                        vio_memsys_dma_write(ms, VIO_DMA_TO_LLC_DDIO, desc, DESC_BYTES, now);
                    } else if (!full || r > 0) {
                        (void)vio_memsys_stream(ms, core, VIO_STREAM_READ, desc, DESC_BYTES, now);
                        (void)vio_memsys_stream(ms, core, VIO_STREAM_READ, buf, HEADER_BYTES, now);
                        (void)vio_memsys_dev_read(ms, buf, bytes, now, NULL);
                    }
                }
            }
    }
    vio_memsys_get_stats(ms, &s1);
    vio_memsys_destroy(ms);
    /* pcm-pcie's ItoM hit rate, the published metric: full-line device writes only
     * (TOR_INSERTS, opcode ItoM); the partial ones (the packet's last line, the 16 B
     * completions) are another opcode (RFO) that it counts apart. */
    uint64_t lines = (s1.dma_lines - s1.dma_partial_lines) - (s0.dma_lines - s0.dma_partial_lines);
    uint64_t hits = (s1.dma_llc_hits - s1.dma_partial_llc_hits) - (s0.dma_llc_hits - s0.dma_partial_llc_hits);
    return 100.0 * (double)hits / (double)lines;
}

static void report(FILE *f, const char *what, double x, double pub, double sim, double tol)
{
    printf("%-6s x=%-6g published %6.1f %%  viosim %6.1f %%  diff %+6.1f pp  %s\n", what, x, pub, sim, sim - pub,
           fabs(sim - pub) <= tol ? "pass" : "MISS");
    if (f)
        fprintf(f, "%g,%.2f,%.2f\n", x, pub, sim);
}

START_TEST(test_ddio_ways)
{
    FILE *f = vio_test_csv_open("ddio-ways.csv", "x,published,viosim");
    double prev = 0;
    for (size_t i = 0; i < DDIO_REF_N(ddio_ref_ways); i++) {
        uint32_t w = (uint32_t)ddio_ref_ways[i].x;
        double pub = ddio_ref_ways[i].itom;
        if (w > 6 && !vio_test_validation_full())
            break;
        double h = replay(w, 1, 4096, 1024, 1, 6);
        report(f, "ways", w, pub, h, 10);
        if (w > 6) { /* reported, not targets: a ring that fits keeps its writes */
            ck_assert_msg(h >= 99.0, "%u ways: %.1f %%", w, h);
            continue;
        }
        ck_assert_msg(fabs(h - pub) <= 10.0, "%u ways: %.1f %% vs %.1f %%", w, h, pub);
        ck_assert_msg(h >= prev, "not monotone at %u ways", w);
        prev = h;
    }
    if (f)
        fclose(f);
}
END_TEST

START_TEST(test_ddio_cores)
{
    /* Known misses (docs/validation.md): the model is 16-17 pp low at 8 and 12 cores.
     * 0: not a target (2, 6, 10, 14 cores), run only for the validation report. */
    static const double tol[] = {10, 0, 10, 0, 20, 0, 20, 0, 10, 10};
    FILE *f = vio_test_csv_open("ddio-cores.csv", "x,published,viosim");
    double prev = 101;
    for (size_t i = 0; i < DDIO_REF_N(ddio_ref_cores); i++) {
        uint32_t k = (uint32_t)ddio_ref_cores[i].x;
        double pub = ddio_ref_cores[i].itom;
        if (tol[i] == 0 && !vio_test_validation_full())
            continue;
        double h = replay(2, k, 256, 1500, k == 1, 6);
        report(f, "cores", k, pub, h, 10);
        if (tol[i] > 0)
            ck_assert_msg(fabs(h - pub) <= tol[i], "%u cores: %.1f %% vs %.1f %%", k, h, pub);
        /* What must hold: more rings sharing the two I/O ways, fewer write hits. */
        ck_assert_msg(h <= prev, "hit rate rose from %.1f to %.1f %% at %u cores", prev, h, k);
        prev = h;
    }
    if (f)
        fclose(f);
}
END_TEST

START_TEST(test_ddio_rate)
{
    /* 2 x 4096 slots x 1536 B = 12 MiB of buffers cycling through 4.5 MiB of I/O ways. */
    FILE *f = vio_test_csv_open("ddio-rate.csv", "x,published,viosim");
    double lo = replay(2, 2, 4096, 1500, 0, 4);  /* 9.75 Gb/s: the cores keep up */
    double hi = replay(2, 2, 4096, 1500, 1, 4);  /* 99.2 Gb/s: the rings are full */
    report(f, "rate", 9.75, 29.56, lo, 10);
    report(f, "rate", 99.16, 10.07, hi, 10);
    if (f)
        fclose(f);
    /* Counted as pcm-pcie counts (full-line writes only) the low-rate point is a
     * documented miss too, 10.6 pp low (docs/validation.md), bounded at 15 pp. */
    ck_assert_msg(fabs(lo - 29.56) <= 15.0, "9.75 Gb/s: %.1f %%", lo);
    /* Known miss (docs/validation.md): the fall with the rate is not reproduced, the
     * replay keeps the same reuse distance at every rate. What must hold: an
     * overloaded partition degrades, it does not collapse to 0 (LRU/SRRIP) nor stay
     * near the within-capacity rates. */
    ck_assert_msg(hi > 5.0 && hi < 40.0 && lo < 40.0, "overloaded rings: %.1f / %.1f %%", lo, hi);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("validation_ddio");
    TCase *tc = tcase_create("ddio");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_ddio_ways);
    tcase_add_test(tc, test_ddio_cores);
    tcase_add_test(tc, test_ddio_rate);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
