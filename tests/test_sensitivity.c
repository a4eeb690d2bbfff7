/* Sensitivity of the variants' differences to the estimated costs (viosim/sensitivity.h). */
#include "support.h"
#include "viosim/sensitivity.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SCEN VIOSIM_SOURCE_DIR "/scenarios/compare-delivery.json"

static json_t *run_sens(void)
{
    const char *sets[] = {"traffic.packets=1500"};
    vio_sens_opts o = {.factor = 2, .run = {.jobs = 2, .engine = VIO_ENGINE_SEQUENTIAL}};
    json_t *doc = NULL;
    vio_err err = {{0}};
    ck_assert_msg(vio_sensitivity(SCEN, sets, 1, &o, &doc, &err) == VIO_OK, "%s", err.msg);
    return doc;
}

START_TEST(only_estimated_costs_scaled_by_the_factor_sorted_by_swing)
{
    json_t *doc = run_sens();
    const json_t *ps = json_object_get(doc, "parameters");
    ck_assert(json_array_size(ps) > 5);
    double prev = INFINITY;
    size_t i;
    const json_t *p;
    int saw_fetch = 0;
    json_array_foreach(ps, i, p)
    {
        const char *path = json_string_value(json_object_get(p, "path"));
        const vio_param *row = vio_params_find(path);
        ck_assert_ptr_nonnull(row);
        ck_assert_msg(strncmp(row->source, "estimate", 8) == 0, "%s is not an estimate", path);
        ck_assert(!strcmp(row->unit, "cycles") || !strcmp(row->unit, "ns"));
        double v = vio_test_num(p, "value"), lo = vio_test_num(p, "low"), hi = vio_test_num(p, "high");
        ck_assert(fabs(lo - floor(v / 2 + 0.5)) < 1e-9 || lo == row->min);
        ck_assert(fabs(hi - v * 2) < 1e-9 || hi == row->max);
        double sw = vio_test_num(p, "swing");
        ck_assert(sw <= prev);
        prev = sw;
        /* compare-delivery has no copy-on-fetch variant: the fetch doorbell cannot move anything. */
        if (!strcmp(path, "vms[].fetch_cycles")) {
            saw_fetch = 1;
            ck_assert(sw == 0.0);
        }
    }
    ck_assert(saw_fetch);
    /* The guest's own work moves every variant: something has a real swing. */
    ck_assert(vio_test_num(json_array_get(ps, 0), "swing") > 0.1);
    json_decref(doc);
}
END_TEST

START_TEST(reference_is_the_plain_run)
{
    json_t *doc = run_sens();
    const char *sets[] = {"traffic.packets=1500"};
    vio_scenario *s = vio_test_load("compare-delivery.json", sets, 1);
    json_t *r = vio_test_run(s, VIO_ENGINE_SEQUENTIAL);
    double b = vio_test_num(vio_test_variant(r, "baseline"), "latency_ns.mean");
    double x = vio_test_num(vio_test_variant(r, "llc+posted"), "latency_ns.mean");
    double want = 100.0 * (x - b) / b;
    double got = vio_test_num(json_object_get(doc, "reference"), "llc+posted");
    ck_assert_msg(fabs(got - want) < 1e-9, "reference %.6f, direct run %.6f", got, want);
    char *md = vio_sensitivity_markdown(doc);
    ck_assert_ptr_nonnull(md);
    ck_assert_ptr_nonnull(strstr(md, "| *as given* |"));
    free(md);
    json_decref(r);
    vio_scenario_destroy(s);
    json_decref(doc);
}
END_TEST

START_TEST(bad_options_rejected)
{
    json_t *doc = NULL;
    vio_err err = {{0}};
    vio_sens_opts o = {.factor = 0.5};
    ck_assert_int_eq(vio_sensitivity(SCEN, NULL, 0, &o, &doc, &err), VIO_EINVAL);
    ck_assert_ptr_null(doc);
    vio_err e2 = {{0}};
    vio_sens_opts o2 = {.factor = 2, .base = "no-such-variant"};
    ck_assert_int_eq(vio_sensitivity(SCEN, NULL, 0, &o2, &doc, &e2), VIO_EINVAL);
    ck_assert_ptr_nonnull(strstr(e2.msg, "no-such-variant"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sensitivity");
    TCase *tc = tcase_create("sensitivity");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, only_estimated_costs_scaled_by_the_factor_sorted_by_swing);
    tcase_add_test(tc, reference_is_the_plain_run);
    tcase_add_test(tc, bad_options_rejected);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
