/* Validation (ctest -L validation): the IOTLB wall against pcie-bench.
 *
 * Measurement: Neugebauer et al., "Understanding PCIe performance for end host
 * networking", SIGCOMM 2018; raw data in github.com/pcie-bench/data, directory
 * nfp6000-1.2GHz_hsw-Xeon-E5-2620v3_dell-t630-iommu-nosp (IOMMU on, 4 KiB pages),
 * file lat_dma_sweep_rd_rnd_64.txt, host-warm rows: 64 B DMA reads at random
 * offsets in a window. Median latency 546 ns up to a 256 KiB window, 760 ns at
 * 1 MiB and 773 ns from 1.5 MiB (+227 ns); with superpages (the "-iommu"
 * directory) 546 ns flat up to 8 MiB.
 *
 * The model: the same access pattern through the IOMMU, its walk reads through
 * the memory-system model with the default platform. What must hold: flat up to
 * 256 KiB, a wall past it with 4 KiB pages, none with 2 MiB pages. The height of
 * the wall is printed next to the measured one; it is a known miss (see
 * docs/model.md): a miss here costs the walk overhead plus one PTE read at the
 * LLC hit latency of a core, while the IOMMU reads from the I/O hub. */
#include "support.h"
#include "datapath/dp_internal.h"
#include "viosim/iommu.h"
#include "viosim/memsys.h"
#include "viosim/pcie.h"

#include <stdio.h>
#include <stdlib.h>

#define RID 0x0100u
#define KIB 1024ull
#define SAMPLES 20000

static vio_ps walk_read(void *ctx, uint64_t phys, vio_ps now) { return vio_memsys_io_read(ctx, phys, now); }

static vio_memsys *make_memsys(void)
{
    vio_scenario *s = vio_test_load("default.json", NULL, 0);
    vio_memsys *ms;
    ck_assert_int_eq(vio__memsys_for(s, &ms, NULL), VIO_OK);
    vio_scenario_destroy(s);
    return ms;
}

static int cmp_ps(const void *a, const void *b)
{
    vio_ps x = *(const vio_ps *)a, y = *(const vio_ps *)b;
    return (x > y) - (x < y);
}

/* An IOMMU whose page walks read through `ms`, with PASID 1 of RID mapping
 * `window` (rounded up to whole pages of `page` bytes) at IOVA 4 GiB. */
static vio_iommu *make_iommu(vio_memsys *ms, uint64_t window, uint64_t page)
{
    vio_iommu_config cfg;
    vio_iommu_config_default(&cfg);
    cfg.read_line = walk_read;
    cfg.read_ctx = ms;
    vio_iommu *m;
    ck_assert_int_eq(vio_iommu_create(&cfg, &m, NULL), VIO_OK);
    vio_iommu_context ce = {.present = true, .pasid_enable = true, .max_pasid = VIO_PASID_MAX};
    vio_iommu_pasid_entry pe = {.present = true, .pgtt = VIO_PGTT_FIRST_LEVEL, .did = 1, .fl_table = 1};
    ck_assert_int_eq(vio_iommu_set_context(m, RID, &ce, NULL), VIO_OK);
    ck_assert_int_eq(vio_iommu_set_pasid(m, RID, 1, &pe, NULL), VIO_OK);
    uint64_t mapped = (window + page - 1) / page * page;
    ck_assert_int_eq(vio_iommu_map(m, 1, 1ull << 32, 1ull << 40, mapped, page, true, NULL), VIO_OK);
    return m;
}

/* Median translation latency (ns) of random 64 B reads in a `window`, after as
 * many warm-up reads. */
static double median_ns(uint64_t window, uint64_t page)
{
    vio_memsys *ms = make_memsys();
    vio_iommu *m = make_iommu(ms, window, page);
    static vio_ps lat[SAMPLES];
    uint64_t x = 0x9e3779b97f4a7c15ull;
    vio_ps now = 0;
    for (int k = 0; k < 2 * SAMPLES; k++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        vio_dma_req req = {.requester_id = RID, .pasid = 1, .iova = (1ull << 32) + (x % (window / 64)) * 64,
                           .len = 64, .kind = VIO_DMA_TX_READ};
        vio_iommu_result r;
        ck_assert_int_eq(vio_iommu_translate(m, &req, now, &r), VIO_OK);
        ck_assert_int_eq(r.fault, VIO_IOMMU_OK);
        if (k >= SAMPLES)
            lat[k - SAMPLES] = r.latency;
        now += 1000 * VIO_PS_PER_NS; /* one at a time, as pcie-bench's latency test */
    }
    qsort(lat, SAMPLES, sizeof lat[0], cmp_ps);
    vio_iommu_destroy(m);
    vio_memsys_destroy(ms);
    return (double)lat[SAMPLES / 2] / VIO_PS_PER_NS;
}

START_TEST(t_iotlb_wall)
{
    static const uint64_t windows[] = {8 * KIB, 64 * KIB, 256 * KIB, 512 * KIB, 1024 * KIB, 1536 * KIB,
                                       2048 * KIB, 4096 * KIB, 8192 * KIB};
    double base = median_ns(8 * KIB, VIO_PAGE_4K);
    double wall = 0;
    for (size_t i = 0; i < sizeof windows / sizeof windows[0]; i++) {
        double m4 = median_ns(windows[i], VIO_PAGE_4K), m2 = median_ns(windows[i], VIO_PAGE_2M);
        printf("iotlb validation: window %5llu KiB: 4 KiB pages %+7.1f ns, 2 MiB pages %+7.1f ns\n",
               (unsigned long long)(windows[i] / KIB), m4 - base, m2 - base);
        /* 2 MiB pages: 8 MiB is 4 of the 64 entries: flat everywhere (pcie-bench: flat to 8 MiB). */
        ck_assert_msg(m2 == base, "2 MiB pages, %llu KiB: %.1f ns vs %.1f", (unsigned long long)(windows[i] / KIB), m2,
                      base);
        if (windows[i] <= 256 * KIB) /* within the 64 x 4 KiB reach: flat */
            ck_assert_msg(m4 == base, "4 KiB pages, %llu KiB: %.1f ns vs %.1f", (unsigned long long)(windows[i] / KIB),
                          m4, base);
        if (windows[i] >= 1536 * KIB) { /* past it: most reads miss, the median is a miss */
            ck_assert_msg(m4 > base + 100, "4 KiB pages, %llu KiB: no wall (%.1f ns vs %.1f)",
                          (unsigned long long)(windows[i] / KIB), m4, base);
            wall = m4 - base;
        }
    }
    printf("iotlb validation: wall height %.0f ns (model) vs 227 ns (pcie-bench, Xeon E5-2620v3, median)\n", wall);
}
END_TEST

/* ---- the wall as lost bandwidth: posted writes through the root port ----
 *
 * Measurement: the same pcie-bench data set, bw_dma_win_sweep_wr_rnd_64.txt,
 * host-warm rows: 64 B DMA writes at random offsets in a window, issued back to
 * back by the NFP-6000. With 4 KiB pages (-iommu-nosp) 24.27 Gb/s up to a 512 KiB
 * window, 20.49 at 1 MiB, 11.27 Gb/s at 64 MiB (-54 %); with superpages (-iommu)
 * 24.27 Gb/s at every window. A posted write needs no completion, so only
 * back-pressure can slow the device: the root port keeps each write (and its
 * posted credit) until the IOMMU has translated it.
 *
 * The model: the device issues a write every 21.1 ns, its own rate in the flat
 * part of the measurement (47.4 M writes/s: the NFP's DMA engine, not a property
 * of the IOMMU being validated); each goes through the root port's posted queue
 * (platform.pcie.posted_credits), is translated there by the IOMMU (4 walkers,
 * walk reads through the memory model) and leaves in order. */
#define WR_SAMPLES 40000
#define NFP_ISSUE_PS 21098 /* 1 / 47.3995e6 writes/s, pcie-bench's flat region */

/* Device-side throughput (Gb/s of 64 B payload) of random 64 B writes in `window`. */
static double write_gbps(uint64_t window, uint64_t page, uint32_t credits)
{
    vio_memsys *ms = make_memsys();
    vio_scenario *sc = vio_test_load("default.json", NULL, 0);
    vio_pcie link;
    vio_pcie_init(&link, sc->platform.pcie_bandwidth_mbps, sc->platform.pcie_latency_ns, sc->platform.pcie_tlp_payload,
                  sc->platform.pcie_tlp_overhead);
    vio_scenario_destroy(sc);
    vio_pcie_port port;
    ck_assert_int_eq(vio_pcie_port_init(&port, credits), 0);
    vio_iommu *m = make_iommu(ms, window, page);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    vio_ps ready = 0, first = 0, last = 0;
    for (int k = 0; k < 2 * WR_SAMPLES; k++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        vio_dma_req req = {.requester_id = RID, .pasid = 1, .iova = (1ull << 32) + (x % (window / 64)) * 64,
                           .len = 64, .kind = VIO_DMA_RX_WRITE};
        vio_ps start = vio_pcie_port_ready(&port, &link, ready);
        vio_ps in = vio_pcie_port_send(&port, &link, 64, ready);
        vio_iommu_result r;
        ck_assert_int_eq(vio_iommu_translate(m, &req, in, &r), VIO_OK);
        ck_assert_int_eq(r.fault, VIO_IOMMU_OK);
        vio_pcie_port_commit(&port, &link, in + r.latency);
        if (k == WR_SAMPLES)
            first = start; /* the first half warms the IOTLB and fills the queue */
        last = start;
        ready = start + NFP_ISSUE_PS; /* the device's next write, once this one went */
    }
    vio_pcie_port_free(&port);
    vio_iommu_destroy(m);
    vio_memsys_destroy(ms);
    return (double)(WR_SAMPLES - 1) * 64 * 8 / ((double)(last - first) / 1e12) / 1e9;
}

START_TEST(t_iotlb_wall_bandwidth)
{
    static const uint64_t windows[] = {16 * KIB, 256 * KIB, 512 * KIB, 1024 * KIB, 4096 * KIB, 65536 * KIB};
    static const double measured_4k[] = {24.269, 24.267, 24.267, 20.494, 12.470, 11.274}; /* host-warm */
    const uint32_t credits = 64; /* platform.pcie.posted_credits' default */
    double flat = write_gbps(16 * KIB, VIO_PAGE_4K, credits), deep = 0;
    for (size_t i = 0; i < sizeof windows / sizeof windows[0]; i++) {
        double g4 = write_gbps(windows[i], VIO_PAGE_4K, credits), g2 = write_gbps(windows[i], VIO_PAGE_2M, credits);
        printf("iotlb validation: 64 B writes, window %5llu KiB: 4 KiB pages %5.2f Gb/s (pcie-bench %5.2f), "
               "2 MiB pages %5.2f Gb/s (pcie-bench 24.27)\n",
               (unsigned long long)(windows[i] / KIB), g4, measured_4k[i], g2);
        /* 2 MiB pages: every window fits the IOTLB's reach, the device keeps its rate. */
        ck_assert_msg(g2 > 0.99 * flat, "2 MiB pages, %llu KiB: %.2f Gb/s vs %.2f", (unsigned long long)(windows[i] / KIB),
                      g2, flat);
        if (windows[i] <= 256 * KIB)
            ck_assert_msg(g4 > 0.99 * flat, "4 KiB pages, %llu KiB: %.2f Gb/s vs %.2f",
                          (unsigned long long)(windows[i] / KIB), g4, flat);
        deep = g4;
    }
    /* Past the reach nearly every write walks: the walkers, not the device, set the
     * rate, and the credits carry that back to the device. */
    ck_assert_msg(deep < 0.8 * flat, "4 KiB pages, 64 MiB: %.2f Gb/s, not below 80 %% of %.2f", deep, flat);
    /* Without back-pressure (credits enough for every write) the device would never
     * slow down: the loss is the credits' doing, not an artefact of the harness. */
    double unbounded = write_gbps(65536 * KIB, VIO_PAGE_4K, 2 * WR_SAMPLES + 1);
    ck_assert_msg(unbounded > 0.99 * flat, "unbounded credits: %.2f Gb/s vs %.2f", unbounded, flat);
    printf("iotlb validation: 64 MiB window, 4 KiB pages: %.0f %% of the flat rate (model) vs %.0f %% (pcie-bench); "
           "with unbounded credits %.0f %%\n",
           100.0 * deep / flat, 100.0 * 11.274 / 24.269, 100.0 * unbounded / flat);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("validation_iotlb");
    TCase *tc = tcase_create("iotlb");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, t_iotlb_wall);
    tcase_add_test(tc, t_iotlb_wall_bandwidth);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
