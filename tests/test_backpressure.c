/* The IOTLB wall as lost bandwidth (issue 11, item 5): with the IOMMU on, the
 * NIC's posted writes wait in the root port's queue, holding their posted
 * credits, until translated; when every page walker is busy the credits run
 * out, the link stops, the NIC's receive buffer fills and arrivals are dropped.
 *
 * The workload: twelve DPDK-style consumers (direct delivery, polling), 256 B
 * frames at 100 Gb/s line rate (45 Mpps), one 4 KiB buffer per frame (a page per
 * frame, as drivers with XDP or page-pool receive do): with 4 KiB pages each
 * frame's buffer is a new IOTLB miss, and 12 rings of 1024 pages are far past the
 * 64-entry IOTLB's reach. With 2 MiB pages the rings fit in a few entries. */
#include "support.h"

#include <jansson.h>
#include <stdio.h>

#define SCEN                                                                                                        \
    "{\"name\":\"backpressure\",\"seed\":3,\"platform\":{\"preset\":\"skylake-sp-6140\",\"nic\":{\"buffer_bytes\":4096}}," \
    "\"host\":{\"core\":0},\"vms\":["                                                                               \
    VM(1) "," VM(2) "," VM(3) "," VM(4) "," VM(5) "," VM(6) "," VM(7) "," VM(8) "," VM(9) "," VM(10) "," VM(11) "," VM(12) \
    "],\"traffic\":{\"packets\":48000,\"warmup_packets\":12000,\"flows\":["                                          \
    FL(0) "," FL(1) "," FL(2) "," FL(3) "," FL(4) "," FL(5) "," FL(6) "," FL(7) "," FL(8) "," FL(9) "," FL(10) "," FL(11) \
    "]},\"variants\":["                                                                                              \
    "{\"name\":\"off\",\"copy\":\"none\",\"notify\":\"poll\",\"iommu\":\"off\"},"                                   \
    "{\"name\":\"4k\",\"copy\":\"none\",\"notify\":\"poll\",\"iommu\":\"4k\"},"                                     \
    "{\"name\":\"2m\",\"copy\":\"none\",\"notify\":\"poll\",\"iommu\":\"2m\"}]}"
#define VM(c) "{\"core\":" #c ",\"kind\":\"process\",\"touch_bytes\":64,\"process_cycles\":50}"
#define FL(d) "{\"dst\":" #d ",\"rate_gbps\":8.3333,\"size\":256}"

static json_t *run(const char *const *sets, size_t n)
{
    vio_scenario *s = vio_test_load(SCEN, sets, n);
    json_t *doc = vio_test_run(s, VIO_ENGINE_SEQUENTIAL);
    vio_scenario_destroy(s);
    return doc;
}

static void conserved(const json_t *v)
{
    double offered = vio_test_num(v, "packets.offered"), delivered = vio_test_num(v, "packets.delivered"),
           dropped = vio_test_num(v, "packets.dropped");
    ck_assert_msg(offered == delivered + dropped, "offered %.0f != delivered %.0f + dropped %.0f", offered, delivered,
                  dropped);
}

START_TEST(t_wall_costs_bandwidth_with_4k_pages_only)
{
    json_t *doc = run(NULL, 0);
    const json_t *off = vio_test_variant(doc, "off"), *k4 = vio_test_variant(doc, "4k"), *m2 = vio_test_variant(doc, "2m");
    double g_off = vio_test_num(off, "throughput.gbps"), g4 = vio_test_num(k4, "throughput.gbps"),
           g2 = vio_test_num(m2, "throughput.gbps");
    printf("backpressure: delivered %.2f Gb/s without the IOMMU, %.2f with 4 KiB pages (%.0f nic_buffer drops, "
           "%.0f credit stalls, IOTLB hit rate %.3f), %.2f with 2 MiB pages\n",
           g_off, g4, vio_test_num(k4, "packets.dropped_at.nic_buffer"), vio_test_num(k4, "pcie.credit_stalls"),
           vio_test_num(k4, "iommu.iotlb_hit_rate"), g2);
    for (const json_t *v = off; v; v = v == off ? k4 : v == k4 ? m2 : NULL)
        conserved(v);
    /* Without the IOMMU the consumers keep up with the line: nothing lost. */
    ck_assert_double_eq(vio_test_num(off, "packets.dropped"), 0);
    /* 4 KiB pages: the walkers are the bottleneck, the link stops, the NIC drops. */
    ck_assert_msg(g4 < 0.85 * g_off, "4 KiB pages deliver %.2f Gb/s of %.2f: no lost bandwidth", g4, g_off);
    ck_assert(vio_test_num(k4, "packets.dropped_at.nic_buffer") > 0);
    ck_assert(vio_test_num(k4, "pcie.credit_stalls") > 0);
    ck_assert(vio_test_num(k4, "iommu.walks_waited") > 0);
    ck_assert_double_eq(vio_test_num(k4, "packets.dropped_at.nic_ring"), 0); /* the consumers were not the limit */
    ck_assert(vio_test_num(k4, "pcie.nic_buffer_peak_bytes") > 0.9 * 512 * 1024);
    /* 2 MiB pages: the rings fit the IOTLB, nothing waits, nothing is lost. */
    ck_assert_double_eq(vio_test_num(m2, "packets.dropped"), 0);
    ck_assert_double_eq(vio_test_num(m2, "pcie.credit_stalls"), 0);
    ck_assert_msg(g2 > 0.99 * g_off, "2 MiB pages deliver %.2f Gb/s of %.2f", g2, g_off);
    json_decref(doc);
}
END_TEST

/* The loss is the walkers' doing: with enough of them for the miss rate (the
 * same misses, the same walk time) the link never stops. */
START_TEST(t_enough_walkers_remove_the_loss)
{
    const char *sets[] = {"iommu.walkers=64"};
    json_t *doc = run(sets, 1);
    const json_t *off = vio_test_variant(doc, "off"), *k4 = vio_test_variant(doc, "4k");
    ck_assert(vio_test_num(k4, "iommu.iotlb_hit_rate") < 0.9); /* still missing */
    ck_assert_double_eq(vio_test_num(k4, "packets.dropped"), 0);
    ck_assert_msg(vio_test_num(k4, "throughput.gbps") > 0.99 * vio_test_num(off, "throughput.gbps"),
                  "64 walkers: %.2f Gb/s", vio_test_num(k4, "throughput.gbps"));
    json_decref(doc);
}
END_TEST

/* A receive buffer too small for a stall: the same run drops more when the NIC
 * can hold less while the link is stopped. */
START_TEST(t_smaller_buffer_drops_more)
{
    json_t *big = run(NULL, 0);
    const char *sets[] = {"platform.nic.rx_buffer_kib=64"};
    json_t *small = run(sets, 1);
    double d_big = vio_test_num(vio_test_variant(big, "4k"), "packets.dropped_at.nic_buffer"),
           d_small = vio_test_num(vio_test_variant(small, "4k"), "packets.dropped_at.nic_buffer");
    ck_assert_msg(d_small > d_big, "64 KiB buffer drops %.0f, 512 KiB %.0f", d_small, d_big);
    ck_assert(vio_test_num(vio_test_variant(small, "4k"), "latency_ns.p99") <
              vio_test_num(vio_test_variant(big, "4k"), "latency_ns.p99")); /* less queued in the NIC */
    ck_assert_double_eq(vio_test_num(vio_test_variant(small, "off"), "packets.dropped"), 0);
    json_decref(big);
    json_decref(small);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("backpressure");
    TCase *tc = tcase_create("backpressure");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, t_wall_costs_bandwidth_with_4k_pages_only);
    tcase_add_test(tc, t_enough_walkers_remove_the_loss);
    tcase_add_test(tc, t_smaller_buffer_drops_more);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
