/* I/O resource control on the receive path (US10310974): a tenant named `noisy`
 * floods its queue pair; per queue pair rate limits restore the victims' tail
 * latency and the fairness index, deficit round-robin at the host brings it down
 * to about one frame of each other queue, CAT (cache partitioning) cannot help a queueing problem.
 * scenarios/noisy-neighbour.json. */
#include "support.h"

#include <math.h>
#include <string.h>

/* See t_rate_limit_restores_victims. */
#define SATURATING "platform.dma_engine.completion=interrupt"

static const json_t *tenant(const json_t *variant, int i)
{
    return json_array_get(json_object_get(json_object_get(variant, "iommu"), "tenants"), (size_t)i);
}

/* The worst p99 among the three victims. */
static double victims_p99(const json_t *v)
{
    double worst = 0;
    for (int i = 1; i <= 3; i++) {
        double p = vio_test_num(tenant(v, i), "latency_ns.p99");
        worst = p > worst ? p : worst;
    }
    return worst;
}

START_TEST(t_rate_limit_restores_victims)
{
    /* 40000 packets: enough victim samples that the p99 is not the start-up burst the full bucket lets through. */
    /* The controls are about a host worker the flood saturates. With the copy
     * engine driven poll-async (the default) a 40 Gb/s flood does not saturate
     * it (the copies are off the core; docs/model.md, noisy neighbour): these
     * tests take one completion interrupt per copy, which does. */
    const char *flood[] = {"traffic.packets=40000", SATURATING};
    vio_scenario *s = vio_test_load("noisy-neighbour.json", flood, 2);
    json_t *doc = vio_test_run(s, VIO_ENGINE_SEQUENTIAL);
    vio_scenario_destroy(s);
    /* The same victims when `noisy` offers only what the limit admits (4 Gb/s), no control. */
    const char *calm[] = {"traffic.packets=40000", "traffic.flows[0].rate_gbps=4", SATURATING};
    s = vio_test_load("noisy-neighbour.json", calm, 3);
    json_t *quiet = vio_test_run(s, VIO_ENGINE_SEQUENTIAL);
    vio_scenario_destroy(s);

    const json_t *none = vio_test_variant(doc, "no-control"), *rl = vio_test_variant(doc, "rate-limit");
    const json_t *base = vio_test_variant(quiet, "no-control");
    static const char *names[] = {"noisy", "alice", "bob", "carol"};
    for (int i = 0; i < 4; i++)
        ck_assert_str_eq(json_string_value(json_object_get(tenant(rl, i), "name")), names[i]);
    double p_none = victims_p99(none), p_rl = victims_p99(rl), p_base = victims_p99(base);
    /* The flood ruins the victims' tail; the rate limit brings it back near what
     * they see when noisy offers no more than its limit. */
    ck_assert_msg(p_none > 20 * p_base, "no control: victims' p99 %.0f ns vs %.0f ns", p_none, p_base);
    ck_assert_msg(p_rl < 1.5 * p_base, "rate limit: victims' p99 %.0f ns vs %.0f ns with noisy at its limit", p_rl, p_base);
    /* The victims lose nothing under control; noisy is held to its 4 Gb/s. */
    for (int i = 1; i <= 3; i++)
        ck_assert(vio_test_num(tenant(rl, i), "packets.dropped") == 0);
    double noisy = vio_test_num(tenant(rl, 0), "throughput_gbps");
    ck_assert_msg(fabs(noisy - 4.0) / 4.0 < 0.02, "noisy got %.3f Gb/s under a 4 Gb/s limit", noisy);
    ck_assert(vio_test_num(tenant(rl, 0), "policed") == vio_test_num(rl, "packets.dropped_at.policer"));
    ck_assert(vio_test_num(none, "packets.dropped_at.policer") == 0);
    /* Fairness over the tenants' throughput improves. */
    ck_assert(vio_test_num(rl, "iommu.fairness_jain") > vio_test_num(none, "iommu.fairness_jain") + 0.2);

    /* DRR across the queue pairs at the host: a turn takes one quantum (one
     * frame), so a victim's packet waits for about one frame of each other queue,
     * not for a vhost turn of the flood (256 packets): close to the rate limit's
     * tail. The victims lose nothing. The price is the host's: one turn per frame
     * pays host.batch_cycles each time and the flood's guest, no longer fed in
     * bursts, is signalled far more often, so the host spends more per packet;
     * it stays saturated (work-conserving) and noisy gets the rest. */
    const json_t *drr = vio_test_variant(doc, "drr"), *cat = vio_test_variant(doc, "cat");
    double p_drr = victims_p99(drr);
    ck_assert_msg(p_drr < p_none / 20, "drr: victims' p99 %.0f ns vs %.0f ns without control", p_drr, p_none);
    ck_assert_msg(p_drr < 2 * p_rl, "drr: victims' p99 %.0f ns, rate limit %.0f ns", p_drr, p_rl);
    for (int i = 1; i <= 3; i++)
        ck_assert(vio_test_num(tenant(drr, i), "packets.dropped") == 0);
    ck_assert(vio_test_num(drr, "cores.0.busy_ns_per_packet") > vio_test_num(none, "cores.0.busy_ns_per_packet"));
    ck_assert(vio_test_num(drr, "cores.0.utilization") > 0.99);
    ck_assert(vio_test_num(tenant(drr, 0), "throughput_gbps") > 0.5 * vio_test_num(tenant(none, 0), "throughput_gbps"));
    /* CAT partitions the LLC; the flood hurts the victims by queueing at the host,
     * not through the cache (their reads hit the LLC either way): no restoration. */
    ck_assert_msg(victims_p99(cat) > 20 * p_base, "cat: victims' p99 %.0f ns", victims_p99(cat));
    /* In throughput terms the victims are served their whole demand with or without
     * control: normalised to max-min fair shares, every variant is fair; the harm is
     * latency. */
    ck_assert(vio_test_num(none, "iommu.fairness_jain_maxmin") > 0.99);
    ck_assert(vio_test_num(drr, "iommu.fairness_jain_maxmin") > 0.99);
    json_decref(doc);
    json_decref(quiet);
}
END_TEST

/* DRR shares the host's service by weight: alice floods as well, with weight 3
 * against noisy's 1; bob and carol ask for less than a share and get it all.
 * Throughput is over the whole run, whose end drains the rings: alice's backlog
 * empties three times faster and noisy's rest is then served alone, which biases
 * the ratio towards 1 by up to a ring of noisy's packets; 64-entry rings keep
 * that under 3 % of what noisy receives (512 entries: 12 %). */
START_TEST(t_drr_shares_by_weight)
{
    const char *sets[] = {SATURATING, "platform.nic.ring_entries=64", "traffic.flows[1].rate_gbps=40", "tenants[1].weight=3",
                          "variants=[{\"name\":\"drr\",\"copy\":\"llc\",\"notify\":\"posted\",\"iommu\":\"2m\","
                          "\"io_sched\":\"drr\"},{\"name\":\"wrr\",\"copy\":\"llc\",\"notify\":\"posted\","
                          "\"iommu\":\"2m\",\"io_sched\":\"wrr\"}]"};
    vio_scenario *s = vio_test_load("noisy-neighbour.json", sets, 5);
    json_t *doc = vio_test_run(s, VIO_ENGINE_SEQUENTIAL);
    vio_scenario_destroy(s);
    static const char *names[] = {"drr", "wrr"};
    for (int k = 0; k < 2; k++) {
        const json_t *v = vio_test_variant(doc, names[k]);
        double noisy = vio_test_num(tenant(v, 0), "throughput_gbps"), alice = vio_test_num(tenant(v, 1), "throughput_gbps");
        ck_assert_msg(fabs(alice / noisy - 3.0) / 3.0 < 0.05, "%s: alice %.3f Gb/s, noisy %.3f Gb/s: ratio %.3f, not 3",
                      names[k], alice, noisy, alice / noisy);
        ck_assert(vio_test_num(tenant(v, 1), "weight") == 3);
        for (int i = 2; i <= 3; i++)
            ck_assert(vio_test_num(tenant(v, i), "packets.dropped") == 0);
    }
    json_decref(doc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("noisy");
    TCase *tc = tcase_create("noisy");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, t_rate_limit_restores_victims);
    tcase_add_test(tc, t_drr_shares_by_weight);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
