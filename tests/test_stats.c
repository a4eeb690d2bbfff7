/* The statistics registry (viosim/stats.h) and its dump: names are checked
 * when registered, values are read through their pointers at dump time, and a
 * run's results carry the per-class cache counters that were never shown. */
#include "support.h"

#include "datapath/results.h"
#include "viosim/stats.h"

#include <string.h>

START_TEST(test_register_and_read_through_pointers)
{
    vio_stats *st = NULL;
    vio_err err = {{0}};
    ck_assert_int_eq(vio_stats_create(&st, &err), VIO_OK);
    uint64_t a = 0, b = 0;
    vio_hist h;
    vio_hist_init(&h);
    ck_assert_int_eq(vio_stats_counter(st, &a, "a", &err, "x.%s.a", "y"), VIO_OK);
    ck_assert_int_eq(vio_stats_counter(st, &b, "b", &err, "x.y.b"), VIO_OK);
    ck_assert_int_eq(vio_stats_hist(st, &h, "h", &err, "x.lat"), VIO_OK);
    /* Bumped after registration: the dump reads the current value. */
    a = 7;
    b = 9;
    vio_hist_add(&h, 2000);
    json_t *j = vio__stats_json(st);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(json_object_get(j, "x"), "y"), "a")), 7);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(json_object_get(j, "x"), "y"), "b")), 9);
    ck_assert_double_eq(vio_test_num(json_object_get(j, "x"), "lat.max"), 2.0); /* ps -> ns */
    /* Registration order is the dump's order. */
    char *text = json_dumps(j, JSON_COMPACT);
    ck_assert_str_eq(text, "{\"x\":{\"y\":{\"a\":7,\"b\":9},\"lat\":{\"count\":1,\"mean\":2.0,\"min\":2.0,\"p50\":2.0,"
                           "\"p90\":2.0,\"p99\":2.0,\"p999\":2.0,\"max\":2.0}}}");
    free(text);
    json_decref(j);
    ck_assert_ptr_eq(vio_stats_find(st, "x.y.b")->counter, &b);
    ck_assert_ptr_null(vio_stats_find(st, "x.y"));
    ck_assert_uint_eq(vio_stats_count(st), 3);
    vio_stats_destroy(st);
}
END_TEST

START_TEST(test_bad_names_are_refused)
{
    vio_stats *st = NULL;
    vio_err err = {{0}};
    ck_assert_int_eq(vio_stats_create(&st, &err), VIO_OK);
    uint64_t v = 0;
    ck_assert_int_eq(vio_stats_counter(st, &v, "", &err, "a.b"), VIO_OK);
    ck_assert_int_eq(vio_stats_counter(st, &v, "", &err, "a.b"), VIO_EINVAL);
    ck_assert_str_eq(err.msg, "stats: \"a.b\" registered twice");
    err = (vio_err){{0}};
    ck_assert_int_eq(vio_stats_counter(st, &v, "", &err, "a.b.c"), VIO_EINVAL); /* a.b is a statistic */
    ck_assert(strstr(err.msg, "\"a.b\" is a statistic, not a group") != NULL);
    err = (vio_err){{0}};
    ck_assert_int_eq(vio_stats_counter(st, &v, "", &err, "a"), VIO_EINVAL); /* a is a group */
    ck_assert_str_eq(err.msg, "stats: \"a\" is already a group of statistics");
    const char *bad[] = {"", ".a", "a.", "a..b", "a b", "a-b"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(vio_stats_counter(st, &v, "", &err, "%s", bad[i]) == VIO_EINVAL, "\"%s\"", bad[i]);
    /* "a.bc" is not under the statistic "a.b". */
    ck_assert_int_eq(vio_stats_counter(st, &v, "", &err, "a.bc"), VIO_OK);
    /* Many names: the hash set grows and still finds each. */
    uint64_t many[3000];
    for (unsigned i = 0; i < 3000; i++)
        ck_assert_int_eq(vio_stats_counter(st, &many[i], "", &err, "g%u.n%u", i % 7, i), VIO_OK);
    for (unsigned i = 0; i < 3000; i += 97) {
        char name[32];
        snprintf(name, sizeof name, "g%u.n%u", i % 7, i);
        ck_assert_ptr_eq(vio_stats_find(st, name)->counter, &many[i]);
    }
    vio_stats_destroy(st);
}
END_TEST

/* The per-class counters of the cache model are in results.stats.memsys, and
 * agree with the totals results.json always had: the core classes of the LLC
 * are exactly caches.llc (core reads and writes, LLC-only copy writes, page
 * walks), the dma_write class is the lookups of dma.lines (the NIC) and
 * copy.engine_lines (the copy engine). */
START_TEST(test_results_show_per_class_counters)
{
    const char *sets[] = {"traffic.packets=3000"};
    vio_scenario *s = vio_test_load("compare-delivery.json", sets, 1);
    json_t *doc = vio_test_run(s, VIO_ENGINE_SEQUENTIAL);
    json_t *vars = json_object_get(doc, "variants");
    ck_assert_uint_gt(json_array_size(vars), 1);
    for (size_t i = 0; i < json_array_size(vars); i++) {
        const json_t *v = json_array_get(vars, i);
        const json_t *llc = json_object_get(json_object_get(json_object_get(v, "stats"), "memsys"), "llc");
        ck_assert_ptr_nonnull(llc);
        double hits = 0, misses = 0;
        static const char *core_classes[] = {"cpu_read", "cpu_write", "walk"};
        for (int k = 0; k < 3; k++) {
            hits += vio_test_num(json_object_get(llc, core_classes[k]), "hits");
            misses += vio_test_num(json_object_get(llc, core_classes[k]), "misses");
        }
        ck_assert_double_eq(hits, vio_test_num(v, "caches.llc.hits"));
        ck_assert_double_eq(misses, vio_test_num(v, "caches.llc.misses"));
        double dma = vio_test_num(llc, "dma_write.hits") + vio_test_num(llc, "dma_write.misses");
        /* The LLC sees every device write: the NIC's (dma.lines) and the copy engine's (copy.engine_lines). */
        ck_assert_double_eq(dma, vio_test_num(v, "dma.lines") + vio_test_num(v, "copy.engine_lines"));
        ck_assert_double_gt(vio_test_num(llc, "cpu_read.hits") + vio_test_num(llc, "cpu_read.misses"), 0);
        /* Every L1 of a busy core, summed, is caches.l1. */
        const json_t *l1 = json_object_get(json_object_get(json_object_get(v, "stats"), "memsys"), "l1");
        double l1h = 0;
        const char *core;
        json_t *c;
        json_object_foreach((json_t *)l1, core, c)
        {
            l1h += vio_test_num(c, "cpu_read.hits") + vio_test_num(c, "cpu_write.hits");
            ck_assert_ptr_null(json_object_get(c, "dma_write")); /* a core's cache sees only its loads and stores */
        }
        ck_assert_double_eq(l1h, vio_test_num(v, "caches.l1.hits"));
        /* The agents' counters: the workers' packets are the NIC's admitted ones. */
        ck_assert_double_gt(vio_test_num(v, "stats.host.worker0.packets"), 0);
    }
    json_decref(doc);
    vio_scenario_destroy(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_register_and_read_through_pointers);
    tcase_add_test(tc, test_bad_names_are_refused);
    tcase_add_test(tc, test_results_show_per_class_counters);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
