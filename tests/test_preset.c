/* Platform presets: the table agrees with the parameter choices, every value is a
 * sourced platform parameter the loader accepts, a preset fills exactly the values
 * it lists, and a value written in the scenario wins over it. */
#include "support.h"
#include "viosim/preset.h"
#include "viosim/strategy.h"

#include <stdio.h>
#include <string.h>

#define MINIMAL "{\"vms\":[{\"core\":1},{\"core\":2}],\"traffic\":{\"flows\":[{\"dst\":0,\"rate_gbps\":10}]}}"

static vio_scenario *load(const char *const *sets, size_t n)
{
    vio_scenario *s = NULL;
    vio_err err = {{0}};
    ck_assert_msg(vio_scenario_load_string(MINIMAL, "p.json", sets, n, &s, &err) == VIO_OK, "%s", err.msg);
    return s;
}

START_TEST(test_table_matches_choices)
{
    char joined[256] = "";
    const vio_preset *t = vio_presets();
    for (int i = 0; i < (int)VIO_PRESET_COUNT; i++) {
        if (i)
            strcat(joined, "|");
        strcat(joined, t[i].name);
        ck_assert_ptr_nonnull(t[i].help);
    }
    /* The parameter's choices are the table's rows (loaded by name: test_strategy). */
    char names[256];
    ck_assert_ptr_eq(vio_param_axis(vio_params_find("platform.preset")), &vio_axis_preset);
    ck_assert_str_eq(joined, vio_axis_join(&vio_axis_preset, "|", names, sizeof names));
    ck_assert_ptr_null(t[VIO_PRESET_NONE].values);
}
END_TEST

START_TEST(test_values_are_sourced_platform_parameters)
{
    for (int k = 1; k < (int)VIO_PRESET_COUNT; k++)
        for (const vio_preset_value *v = vio_presets()[k].values; v->path; v++) {
            ck_assert_msg(strncmp(v->path, "platform.", 9) == 0, "%s", v->path);
            ck_assert_msg(vio_params_find(v->path) != NULL, "%s is not a parameter", v->path);
            ck_assert_msg(v->source && strlen(v->source) > 10, "%s has no source", v->path);
            ck_assert_ptr_eq(vio_preset_value_of(k, v->path), v);
        }
    ck_assert_ptr_null(vio_preset_value_of(VIO_PRESET_NONE, "platform.cores"));
    ck_assert_ptr_null(vio_preset_value_of(VIO_PRESET_COUNT, "platform.cores"));
}
END_TEST

START_TEST(test_preset_fills_and_scenario_wins)
{
    vio_scenario *plain = load(NULL, 0);
    const char *skx[] = {"platform.preset=\"skylake-sp-6140\""};
    vio_scenario *s = load(skx, 1);
    ck_assert_int_eq(s->platform.preset, VIO_PRESET_SKX_6140);
    ck_assert_uint_eq(s->platform.cores, 18);
    ck_assert_uint_eq(s->platform.freq_mhz, 2300);
    ck_assert_uint_eq(s->platform.llc.size_kib, 25344);
    ck_assert_uint_eq(s->platform.llc.ways, 11);
    ck_assert_uint_eq(s->platform.llc_inclusive, 0);
    ck_assert_uint_eq(s->platform.l2.enabled, 1);
    ck_assert_uint_eq(s->platform.l2.size_kib, 1024);
    ck_assert_uint_eq(s->platform.io_ways, 2);
    /* A value the preset does not list keeps the table default. */
    ck_assert_uint_eq(s->platform.mlp, plain->platform.mlp);
    /* The measured cross-core transfer, 50.3 ns, at the preset's own clock. */
    ck_assert_uint_eq(s->platform.c2c_cycles, 116);
    ck_assert_uint_ne(s->platform.c2c_cycles, plain->platform.c2c_cycles);
    ck_assert_uint_ne(s->platform.cores, plain->platform.cores);
    /* The canonical text (and so the scenario hash) shows the filled values. */
    ck_assert_ptr_nonnull(strstr(s->canonical_json, "\"size_kib\":25344"));
    vio_scenario_destroy(s);
    /* An explicit value wins over the preset. */
    const char *over[] = {"platform.preset=\"skylake-sp-6140\"", "platform.cores=20", "platform.llc.inclusive=true"};
    s = load(over, 3);
    ck_assert_uint_eq(s->platform.cores, 20);
    ck_assert_uint_eq(s->platform.llc_inclusive, 1);
    ck_assert_uint_eq(s->platform.llc.size_kib, 25344);
    vio_scenario_destroy(s);
    const char *bdw[] = {"platform.preset=\"e5-2630-v4\""};
    s = load(bdw, 1);
    ck_assert_uint_eq(s->platform.cores, 10);
    ck_assert_uint_eq(s->platform.llc.ways, 20);
    ck_assert_uint_eq(s->platform.llc_inclusive, 1);
    ck_assert_uint_eq(s->platform.l2.size_kib, 256);
    vio_scenario_destroy(s);
    vio_scenario_destroy(plain);
    /* An unknown preset is an error naming the choices. */
    const char *bad[] = {"platform.preset=\"haswell\""};
    vio_scenario *x = NULL;
    vio_err err = {{0}};
    ck_assert_int_eq(vio_scenario_load_string(MINIMAL, "p.json", bad, 1, &x, &err), VIO_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "platform.preset"));
    ck_assert_ptr_nonnull(strstr(err.msg, "skylake-sp-6140"));
}
END_TEST

START_TEST(test_every_preset_runs)
{
    for (int k = 1; k < (int)VIO_PRESET_COUNT; k++) {
        char set[96];
        snprintf(set, sizeof set, "platform.preset=\"%s\"", vio_presets()[k].name);
        const char *sets[] = {set, "traffic.packets=500"};
        vio_scenario *s = vio_test_load("ddio-ring.json", sets, 2);
        json_t *doc = vio_test_run(s, VIO_ENGINE_SEQUENTIAL);
        const json_t *v = vio_test_variant(doc, "ddio");
        ck_assert(vio_test_num(v, "packets.delivered") + vio_test_num(v, "packets.dropped") == 500);
        json_decref(doc);
        vio_scenario_destroy(s);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("preset");
    TCase *tc = tcase_create("preset");
    tcase_add_test(tc, test_table_matches_choices);
    tcase_add_test(tc, test_values_are_sourced_platform_parameters);
    tcase_add_test(tc, test_preset_fills_and_scenario_wins);
    tcase_add_test(tc, test_every_preset_runs);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
