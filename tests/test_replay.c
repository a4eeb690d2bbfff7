/* Reproducibility: results.json records the resolved scenario, its hash and
 * the seed; `viosim run --replay` reruns it and names the first field that
 * differs; a corrupt file is bad input. And progress: the datapath's callback
 * and the runner's per-variant reports only read, so results never change. */
#include "cli_harness.h"
#include "support.h"

#include "datapath/results.h"
#include "viosim/datapath.h"
#include "viosim/sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DDIO VIOSIM_SOURCE_DIR "/scenarios/ddio-ring.json"

/* A small recorded run: two variants of the default scenario, out of order, with a --set and a seed. */
static const char *record(const char *dir, const char *engine)
{
    run_ok("run", "-q", "-o", in_tmp(dir), "--set", "traffic.packets=2000", "--seed=7", "--variant",
           "posted", "--variant", "baseline", "--engine", engine);
    static char path[1024];
    snprintf(path, sizeof path, "%s/results.json", in_tmp(dir));
    return path;
}

static void save_json(const json_t *doc, const char *path)
{
    ck_assert_int_eq(json_dump_file(doc, path, JSON_INDENT(2) | JSON_REAL_PRECISION(12)), 0);
}

START_TEST(test_results_record_the_resolved_scenario)
{
    cli_result c = cli("check", DDIO, "--set", "traffic.packets=2000", "--seed=7");
    ck_assert_int_eq(c.status, 0);
    run_ok("run", "-q", "-o", in_tmp("d"), DDIO, "--set", "traffic.packets=2000", "--seed=7");
    /* The scenario as `check` prints it (defaults filled, --set and --seed applied) is what the run recorded. */
    json_t *doc = load_json(in_tmp("d/results.json")), *canon = json_loads(c.out, 0, NULL);
    ck_assert_ptr_nonnull(canon);
    const json_t *sc = json_object_get(doc, "scenario");
    ck_assert(json_equal(json_object_get(sc, "resolved"), canon));
    ck_assert_int_eq(json_integer_value(json_object_get(sc, "seed")), 7);
    ck_assert_int_eq(json_integer_value(json_object_get(canon, "seed")), 7);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(canon, "traffic"), "packets")), 2000);
    /* Its hash is scenario.sha256: the canonical text hashed is the resolved scenario's. */
    char *text = json_dumps(json_object_get(sc, "resolved"), JSON_SORT_KEYS | JSON_COMPACT), sha[65];
    vio_sha256_hex(text, strlen(text), sha);
    ck_assert_str_eq(sha, json_string_value(json_object_get(sc, "sha256")));
    /* Version and commit are there too. */
    ck_assert_ptr_nonnull(json_string_value(json_object_get(json_object_get(doc, "tool"), "version")));
    ck_assert_ptr_nonnull(json_string_value(json_object_get(json_object_get(doc, "tool"), "git")));
    free(text);
    json_decref(canon);
    json_decref(doc);
    cli_free(&c);
}
END_TEST

/* --no-progress: off a terminal a run that lasts over 10 s (a loaded machine) prints a
 * progress line on stderr, which these checks of stderr would take for a message. */
START_TEST(test_identical_replay_exits_0)
{
    const char *engines[] = {"simgrid", "sequential"};
    for (int e = 0; e < 2; e++) {
        char dir[16];
        snprintf(dir, sizeof dir, "r%d", e);
        const char *res = record(dir, engines[e]);
        cli_result c = cli("run", "--no-progress", "--replay", res, "-o", in_tmp("again"), "-j", "2");
        ck_assert_msg(c.status == 0, "replay (%s) exited %d: %s", engines[e], c.status, c.err);
        ck_assert_str_eq(c.err, "");
        ck_assert_ptr_nonnull(strstr(c.out, "identical (2 variants, seed 7"));
        ck_assert_ptr_nonnull(strstr(c.out, engines[e]));
        /* The rerun's file is the recorded one, byte for byte: same variants, same order, same engine. */
        assert_same_bytes(res, in_tmp("again/results.json"));
        cli_free(&c);
    }
    /* A recorded sequential run replayed under SimGrid: the engine objects differ, nothing else. */
    cli_result c = cli("run", "-q", "--replay", in_tmp("r1/results.json"), "--engine", "simgrid");
    ck_assert_int_eq(c.status, 0);
    ck_assert_str_eq(c.out, "");
    cli_free(&c);
}
END_TEST

/* Edit one number of a recorded file; the replay must name exactly that path. */
static void expect_named(const char *res, const char *name, json_t *doc, const char *path_text)
{
    save_json(doc, in_tmp(name));
    cli_result c = cli("run", "--no-progress", "--replay", in_tmp(name));
    ck_assert_int_eq(c.status, 1);
    assert_one_line(&c);
    char want[256];
    snprintf(want, sizeof want, "differs at %s: expected ", path_text);
    ck_assert_msg(strstr(c.err, want), "expected \"%s\" in: %s", want, c.err);
    cli_free(&c);
    (void)res;
}

START_TEST(test_an_edited_number_is_named)
{
    const char *res = record("r", "simgrid");
    json_t *doc = load_json(res);
    json_t *lat = json_object_get(json_object_get(json_array_get(json_object_get(doc, "variants"), 1), "latency_ns"),
                                  "p99");
    double p99 = json_real_value(lat);
    json_real_set(lat, p99 + 1.0);
    expect_named(res, "p99.json", doc, "variants[1].latency_ns.p99");
    /* The message carries both values. */
    cli_result c = cli("run", "--no-progress", "--replay", in_tmp("p99.json"));
    char both[128];
    snprintf(both, sizeof both, "expected %.12g, got %.12g", p99 + 1.0, p99);
    ck_assert_msg(strstr(c.err, both), "expected \"%s\" in: %s", both, c.err);
    cli_free(&c);
    json_decref(doc);

    /* An integer count deep in the first variant. */
    doc = load_json(res);
    json_t *d = json_object_get(json_object_get(json_array_get(json_object_get(doc, "variants"), 0), "packets"),
                                "delivered");
    json_integer_set(d, json_integer_value(d) - 1);
    expect_named(res, "delivered.json", doc, "variants[0].packets.delivered");
    json_decref(doc);

    /* A cost in the resolved scenario: the rerun is another scenario, and its hash is the first field to differ. */
    doc = load_json(res);
    json_t *vm0 = json_array_get(json_object_get(json_object_get(json_object_get(doc, "scenario"), "resolved"), "vms"), 0);
    json_object_set_new(vm0, "process_cycles", json_integer(json_integer_value(json_object_get(vm0, "process_cycles")) * 2));
    expect_named(res, "scenario.json", doc, "scenario.sha256");
    json_decref(doc);
}
END_TEST

START_TEST(test_corrupt_results_are_bad_input)
{
    const char *res = record("r", "sequential");
    char *text = vio_test_read_file(res);
    ck_assert_ptr_nonnull(text);
    /* Cut in half: not JSON any more. */
    text[strlen(text) / 2] = '\0';
    write_file(in_tmp("cut.json"), text);
    free(text);
    write_file(in_tmp("other.json"), "{\"schema\": \"something-else\", \"variants\": []}\n");
    write_file(in_tmp("old.json"), "{\"schema\": \"viosim-results/1\", \"scenario\": {\"name\": \"x\"}, \"variants\": []}\n");
    json_t *doc = load_json(res);
    json_object_set_new(json_array_get(json_object_get(doc, "variants"), 0), "name", json_string("no-such-variant"));
    save_json(doc, in_tmp("variant.json"));
    json_decref(doc);
    doc = load_json(res);
    json_object_set_new(json_object_get(json_object_get(doc, "scenario"), "resolved"), "seed", json_string("x"));
    save_json(doc, in_tmp("badscen.json"));
    json_decref(doc);
    const struct {
        const char *file, *says;
    } cases[] = {
        {"cut.json", "invalid JSON"},
        {"other.json", "schema: expected \"viosim-results/1\""},
        {"old.json", "scenario.resolved: missing"},
        {"variant.json", "variants[0].name: scenario.resolved has no variant \"no-such-variant\""},
        {"badscen.json", "scenario.resolved: seed"},
        {"absent.json", "cannot read"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cli_result c = cli("run", "--no-progress", "--replay", in_tmp(cases[i].file), "-o", in_tmp("out"));
        ck_assert_msg(c.status == 2, "%s: exit %d", cases[i].file, c.status);
        assert_one_line(&c);
        ck_assert_msg(strstr(c.err, cases[i].says), "%s: expected \"%s\" in: %s", cases[i].file, cases[i].says, c.err);
        cli_free(&c);
    }
    /* Nothing was run, nothing written. */
    char *listing = list_dir(in_tmp("out"));
    ck_assert_str_eq(listing, "");
    free(listing);
    /* Options that would change the recorded run are refused. */
    cli_result c = cli("run", "--no-progress", "--replay", res, "--set", "seed=3");
    ck_assert_int_eq(c.status, 2);
    assert_one_line(&c);
    cli_free(&c);
}
END_TEST

START_TEST(test_version_mismatch_is_said)
{
    const char *res = record("r", "sequential");
    json_t *doc = load_json(res);
    json_object_set_new(json_object_get(doc, "tool"), "version", json_string("0.0.1-old"));
    save_json(doc, in_tmp("old.json"));
    /* Same numbers: exit 0, with a note naming both versions. */
    cli_result c = cli("run", "--no-progress", "--replay", in_tmp("old.json"));
    ck_assert_int_eq(c.status, 0);
    ck_assert_ptr_nonnull(strstr(c.err, "written by viosim 0.0.1-old"));
    ck_assert_ptr_nonnull(strstr(c.err, vio_version()));
    cli_free(&c);
    /* Different numbers: the difference, and the versions in the same line. */
    json_t *m = json_object_get(json_object_get(json_array_get(json_object_get(doc, "variants"), 0), "latency_ns"),
                                "mean");
    json_real_set(m, json_real_value(m) * 2);
    save_json(doc, in_tmp("old2.json"));
    c = cli("run", "--no-progress", "--replay", in_tmp("old2.json"));
    ck_assert_int_eq(c.status, 1);
    assert_one_line(&c);
    ck_assert_ptr_nonnull(strstr(c.err, "variants[0].latency_ns.mean"));
    ck_assert_ptr_nonnull(strstr(c.err, "recorded by viosim 0.0.1-old"));
    cli_free(&c);
    json_decref(doc);
}
END_TEST

START_TEST(test_compare_walks_in_order_and_skips)
{
    json_t *a = json_loads("{\"tool\": {\"v\": 1}, \"x\": [1, {\"y\": 2.5, \"z\": 3}], \"w\": [{\"e\": 1, \"k\": 2}]}", 0,
                           NULL);
    json_t *b = json_loads("{\"tool\": {\"v\": 2}, \"x\": [1, {\"y\": 2.5, \"z\": 4}], \"w\": [{\"e\": 9, \"k\": 2}]}", 0,
                           NULL);
    vio_results_diff d;
    const char *skip_tool[] = {"tool"};
    ck_assert_uint_eq(vio_results_compare(a, b, skip_tool, 1, &d), 2);
    ck_assert_str_eq(d.path, "x[1].z");
    ck_assert_str_eq(d.want, "3");
    ck_assert_str_eq(d.got, "4");
    const char *skip_more[] = {"tool", "w[*].e", "x[*].z"};
    ck_assert_uint_eq(vio_results_compare(a, b, skip_more, 3, &d), 0);
    ck_assert_uint_eq(vio_results_compare(a, b, NULL, 0, &d), 3);
    ck_assert_str_eq(d.path, "tool.v");
    /* A key only one side has, and an array of another length. */
    json_t *c = json_loads("{\"tool\": {\"v\": 1}, \"x\": [1], \"w\": [{\"e\": 1, \"k\": 2}], \"new\": true}", 0, NULL);
    ck_assert_uint_eq(vio_results_compare(a, c, NULL, 0, &d), 2);
    ck_assert_str_eq(d.path, "x[1]");
    ck_assert_str_eq(d.got, "(absent)");
    ck_assert_uint_eq(vio_results_compare(c, a, NULL, 0, &d), 2);
    ck_assert_str_eq(d.path, "x[1]");
    ck_assert_str_eq(d.want, "(absent)");
    json_decref(a);
    json_decref(b);
    json_decref(c);
}
END_TEST

/* ---- progress ---- */

typedef struct seen {
    uint64_t calls, last_packets, total;
    vio_ps last_now;
    int backwards;
} seen;

static void count_progress(void *ctx, const vio_datapath_progress *p)
{
    seen *s = ctx;
    s->calls++;
    s->backwards |= p->packets < s->last_packets || p->now < s->last_now || p->packets > p->total;
    s->last_packets = p->packets;
    s->last_now = p->now;
    s->total = p->total;
}

static json_t *run_here(const vio_scenario *s, uint32_t v, seen *watch, uint64_t *events)
{
    vio_datapath *dp = NULL;
    vio_err err = {{0}};
    ck_assert_int_eq(vio_datapath_create(s, v, &dp, &err), VIO_OK);
    if (watch)
        vio_datapath_set_progress(dp, count_progress, watch, 100);
    ck_assert_msg(vio_datapath_run_sequential(dp, &err) == VIO_OK, "%s", err.msg);
    *events = vio_datapath_events(dp);
    json_t *r = vio__datapath_results(dp);
    vio_datapath_destroy(dp);
    return r;
}

START_TEST(test_datapath_progress_only_reads)
{
    const char *const sets[] = {"traffic.packets=3000"};
    vio_scenario *s = vio_test_load("default.json", sets, 1);
    for (uint32_t v = 0; v < s->nvariants; v++) {
        seen w = {0};
        uint64_t ev_plain, ev_watched;
        json_t *plain = run_here(s, v, NULL, &ev_plain);
        json_t *watched = run_here(s, v, &w, &ev_watched);
        /* Called once every 100 events, in order, within the run's packets; results untouched. */
        ck_assert_uint_eq(ev_plain, ev_watched);
        ck_assert_uint_eq(w.calls, ev_watched / 100);
        ck_assert(!w.backwards);
        ck_assert_uint_eq(w.total, 3000);
        ck_assert_uint_gt(w.last_packets, 0);
        ck_assert(json_equal(plain, watched));
        json_decref(plain);
        json_decref(watched);
    }
    vio_scenario_destroy(s);
}
END_TEST

typedef struct reports {
    uint32_t n[VIO_MAX_VARIANTS];
    uint64_t last[VIO_MAX_VARIANTS];
    int bad;
} reports;

static void on_report(void *ctx, const vio_variant_progress *p)
{
    reports *r = ctx;
    if (p->variant >= VIO_MAX_VARIANTS || p->packets > p->total || p->packets < r->last[p->variant]) {
        r->bad = 1;
        return;
    }
    r->n[p->variant]++;
    r->last[p->variant] = p->packets;
}

START_TEST(test_run_reports_each_variant_and_results_do_not_change)
{
    /* 20000 packets: each variant passes its first 16384 events, where the first report is sent. */
    const char *const sets[] = {"traffic.packets=20000"};
    vio_scenario *s = vio_test_load("default.json", sets, 1);
    uint32_t only[] = {3, 0};
    vio_run_opts plain = {.jobs = 2, .only = only, .nonly = 2, .contexts = getenv("VIOSIM_CONTEXTS")};
    reports r;
    memset(&r, 0, sizeof r);
    vio_run_opts watched = plain;
    watched.variant_progress = on_report;
    watched.progress_ctx = &r;
    json_t *a = NULL, *b = NULL;
    vio_err err = {{0}};
    ck_assert_int_eq(vio_run(s, -1, &plain, &a, NULL, &err), VIO_OK);
    ck_assert_int_eq(vio_run(s, -1, &watched, &b, NULL, &err), VIO_OK);
    ck_assert(!r.bad);
    ck_assert_uint_ge(r.n[3], 1);
    ck_assert_uint_ge(r.n[0], 1);
    ck_assert_uint_eq(r.n[1] + r.n[2], 0); /* variants not run say nothing */
    ck_assert(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    vio_scenario_destroy(s);
}
END_TEST

START_TEST(test_run_progress_lines_and_quiet)
{
    /* --progress on a pipe: plain lines from the start, the last one counting every variant. */
    cli_result c = cli("run", "--progress", "-o", in_tmp("p"), "--set", "traffic.packets=2000");
    ck_assert_int_eq(c.status, 0);
    ck_assert_msg(strstr(c.err, "run default: 4/4 variants done"), "stderr: %s", c.err);
    ck_assert_ptr_null(strchr(c.err, '\r')); /* no terminal redraws on a pipe */
    cli_free(&c);
    /* The last of --progress and --no-progress wins; --quiet silences everything. */
    c = cli("run", "--no-progress", "--progress", "-o", in_tmp("p"), "--set", "traffic.packets=2000");
    ck_assert_int_eq(c.status, 0);
    ck_assert_ptr_nonnull(strstr(c.err, "4/4 variants done"));
    cli_free(&c);
    const char *off[][2] = {{"--progress", "--no-progress"}, {"--progress", "--quiet"}};
    for (int i = 0; i < 2; i++) {
        c = cli("run", off[i][0], off[i][1], "-o", in_tmp("p"), "--set", "traffic.packets=2000");
        ck_assert_int_eq(c.status, 0);
        ck_assert_str_eq(c.err, "");
        cli_free(&c);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("replay");
    TCase *tc = tcase_create("replay");
    tcase_set_timeout(tc, 600);
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, test_results_record_the_resolved_scenario);
    tcase_add_test(tc, test_identical_replay_exits_0);
    tcase_add_test(tc, test_an_edited_number_is_named);
    tcase_add_test(tc, test_corrupt_results_are_bad_input);
    tcase_add_test(tc, test_version_mismatch_is_said);
    tcase_add_test(tc, test_compare_walks_in_order_and_skips);
    tcase_add_test(tc, test_datapath_progress_only_reads);
    tcase_add_test(tc, test_run_reports_each_variant_and_results_do_not_change);
    tcase_add_test(tc, test_run_progress_lines_and_quiet);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
