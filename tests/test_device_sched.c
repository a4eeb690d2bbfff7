/* The NIC's receive DMA arbiter (variants[].device_sched; issue 11 item 6: device
 * service across queue pairs). Four tenants' queues share a link slower than the
 * wire (a 100 GbE NIC on a 50 Gb/s link, as in a narrower slot than it needs), so
 * every queue is backlogged in the NIC's receive buffer and the arbiter decides
 * who gets the link: DRR shares it by weight, RR equally, FIFO by arrival. */
#include "support.h"

#include <jansson.h>
#include <stdio.h>

#define VM(c) "{\"core\":" #c ",\"kind\":\"process\",\"touch_bytes\":64,\"process_cycles\":100}"
#define TN(v, w) "{\"vm\":" #v ",\"tag\":" #v ",\"pasid\":1" #v "0,\"weight\":" #w ",\"name\":\"t" #v "\"}"
#define FL(d, g, b) "{\"dst\":" #d ",\"rate_gbps\":" #g ",\"size\":" #b "}"
#define HEAD                                                                                                        \
    "{\"name\":\"device-sched\",\"seed\":5,\"platform\":{\"preset\":\"skylake-sp-6140\",\"pcie\":{\"bandwidth_mbps\":"  \
    "50000}},\"host\":{\"core\":0},\"vms\":[" VM(1) "," VM(2) "," VM(3) "," VM(4) "],"
#define VARIANTS                                                                                                    \
    "\"variants\":[{\"name\":\"fifo\",\"copy\":\"none\",\"notify\":\"poll\"},"                                     \
    "{\"name\":\"rr\",\"copy\":\"none\",\"notify\":\"poll\",\"device_sched\":\"rr\"},"                              \
    "{\"name\":\"wrr\",\"copy\":\"none\",\"notify\":\"poll\",\"device_sched\":\"wrr\"},"                            \
    "{\"name\":\"drr\",\"copy\":\"none\",\"notify\":\"poll\",\"device_sched\":\"drr\"}]}"
/* Every tenant offers 25 Gb/s of 1500 B frames, weights 1..4. */
#define WEIGHTED                                                                                                    \
    HEAD "\"tenants\":[" TN(0, 1) "," TN(1, 2) "," TN(2, 3) "," TN(3, 4) "],"                                      \
         "\"traffic\":{\"packets\":32000,\"warmup_packets\":8000,\"flows\":[" FL(0, 25, 1500) "," FL(1, 25, 1500) \
         "," FL(2, 25, 1500) "," FL(3, 25, 1500) "]}," VARIANTS
/* Equal weights, unequal demands (40/25/20/15 Gb/s, all above a quarter of the
 * link) and sizes (DRR shares bytes, RR packets). */
#define UNEQUAL                                                                                                     \
    HEAD "\"tenants\":[" TN(0, 1) "," TN(1, 1) "," TN(2, 1) "," TN(3, 1) "],"                                      \
         "\"traffic\":{\"packets\":32000,\"warmup_packets\":8000,\"flows\":[" FL(0, 40, 1500) "," FL(1, 25, 1500) \
         "," FL(2, 20, 1500) "," FL(3, 15, 1500) "]}," VARIANTS
#define MIXED                                                                                                       \
    HEAD "\"tenants\":[" TN(0, 1) "," TN(1, 1) "," TN(2, 1) "," TN(3, 1) "],"                                      \
         "\"traffic\":{\"packets\":32000,\"warmup_packets\":8000,\"flows\":[" FL(0, 25, 1500) "," FL(1, 25, 750)  \
         "," FL(2, 25, 1500) "," FL(3, 25, 750) "]}," VARIANTS

static json_t *run(const char *json)
{
    vio_scenario *s = vio_test_load(json, NULL, 0);
    json_t *doc = vio_test_run(s, VIO_ENGINE_SEQUENTIAL);
    vio_scenario_destroy(s);
    return doc;
}

static void shares(const json_t *doc, const char *variant, double g[4])
{
    const json_t *v = vio_test_variant(doc, variant);
    ck_assert_ptr_nonnull(v);
    const json_t *tn = json_object_get(json_object_get(v, "iommu"), "tenants");
    for (size_t i = 0; i < 4; i++)
        g[i] = vio_test_num(json_array_get(tn, i), "throughput_gbps");
    /* Conservation: every offered packet delivered or dropped. */
    ck_assert(vio_test_num(v, "packets.offered") ==
              vio_test_num(v, "packets.delivered") + vio_test_num(v, "packets.dropped"));
    printf("device_sched %-4s: %6.2f %6.2f %6.2f %6.2f Gb/s (nic_buffer drops %.0f)\n", variant, g[0], g[1], g[2], g[3],
           vio_test_num(v, "packets.dropped_at.nic_buffer"));
}

START_TEST(t_drr_and_wrr_share_the_link_by_weight)
{
    json_t *doc = run(WEIGHTED);
    for (const char *const *p = (const char *const[]){"drr", "wrr", NULL}; *p; p++) {
        double g[4];
        shares(doc, *p, g);
        for (int i = 1; i < 4; i++) /* weight i+1 against weight 1 */
            ck_assert_msg(g[i] / g[0] > (i + 1) * 0.95 && g[i] / g[0] < (i + 1) * 1.05, "%s: t%d/t0 = %.3f, want %d",
                          *p, i, g[i] / g[0], i + 1);
    }
    /* The link is the bottleneck: FIFO, by arrival, gives every equal demand the same. */
    double f[4];
    shares(doc, "fifo", f);
    ck_assert(f[3] / f[0] < 1.1);
    json_decref(doc);
}
END_TEST

START_TEST(t_rr_is_equal_where_fifo_follows_demand)
{
    json_t *doc = run(UNEQUAL);
    /* The arbiter's steps are NIC events like any other: SimGrid gives the same. */
    vio_scenario *sc = vio_test_load(UNEQUAL, NULL, 0);
    json_t *sg = vio_test_run(sc, VIO_ENGINE_SIMGRID), *sq = vio_test_run(sc, VIO_ENGINE_SEQUENTIAL);
    vio_test_assert_same_but_engine(sg, sq);
    json_decref(sg);
    json_decref(sq);
    vio_scenario_destroy(sc);
    double r[4], d[4], f[4];
    shares(doc, "rr", r);
    shares(doc, "drr", d);
    shares(doc, "fifo", f);
    for (int i = 1; i < 4; i++) {
        ck_assert_msg(r[i] / r[0] > 0.95 && r[i] / r[0] < 1.05, "rr: t%d/t0 = %.3f", i, r[i] / r[0]);
        ck_assert_msg(d[i] / d[0] > 0.95 && d[i] / d[0] < 1.05, "drr: t%d/t0 = %.3f", i, d[i] / d[0]);
    }
    /* Arrival order: the 40 Gb/s tenant gets far more than the 15 Gb/s one. */
    ck_assert_msg(f[0] / f[3] > 2.0, "fifo: t0/t3 = %.3f", f[0] / f[3]);
    json_decref(doc);
}
END_TEST

START_TEST(t_drr_shares_bytes_rr_packets)
{
    /* Half the tenants send 750 B frames: RR gives each the same packets (so they
     * get half the bytes), DRR the same bytes. */
    json_t *doc = run(MIXED);
    double r[4], d[4];
    shares(doc, "rr", r);
    shares(doc, "drr", d);
    ck_assert_msg(r[1] / r[0] > 0.45 && r[1] / r[0] < 0.55, "rr: 750 B / 1500 B tenant = %.3f", r[1] / r[0]);
    ck_assert_msg(d[1] / d[0] > 0.95 && d[1] / d[0] < 1.05, "drr: 750 B / 1500 B tenant = %.3f", d[1] / d[0]);
    json_decref(doc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("device_sched");
    TCase *tc = tcase_create("device_sched");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, t_drr_and_wrr_share_the_link_by_weight);
    tcase_add_test(tc, t_rr_is_equal_where_fifo_follows_demand);
    tcase_add_test(tc, t_drr_shares_bytes_rr_packets);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
