/* I/O resource control on the receive path (US10310974): a tenant named `noisy`
 * floods its queue pair; per queue pair rate limits restore the victims' tail
 * latency and the fairness index. scenarios/noisy-neighbour.json. */
#include "support.h"

#include <math.h>
#include <string.h>

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
    const char *flood[] = {"traffic.packets=40000"};
    vio_scenario *s = vio_test_load("noisy-neighbour.json", flood, 1);
    json_t *doc = vio_test_run(s, VIO_ENGINE_SEQUENTIAL);
    vio_scenario_destroy(s);
    /* The same victims when `noisy` offers only what the limit admits (4 Gb/s), no control. */
    const char *calm[] = {"traffic.packets=40000", "traffic.flows[0].rate_gbps=4"};
    s = vio_test_load("noisy-neighbour.json", calm, 2);
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
    ck_assert_msg(fabs(noisy - 4.0) / 4.0 < 0.05, "noisy got %.3f Gb/s under a 4 Gb/s limit", noisy);
    ck_assert(vio_test_num(tenant(rl, 0), "policed") == vio_test_num(rl, "packets.dropped_at.policer"));
    ck_assert(vio_test_num(none, "packets.dropped_at.policer") == 0);
    /* Fairness over the tenants' throughput improves. */
    ck_assert(vio_test_num(rl, "iommu.fairness_jain") > vio_test_num(none, "iommu.fairness_jain") + 0.2);
    json_decref(doc);
    json_decref(quiet);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("noisy");
    TCase *tc = tcase_create("noisy");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, t_rate_limit_restores_victims);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
