/* The command line as a user meets it: the real `viosim` binary, run in a fresh
 * temporary directory per test, judged by its exit status, its stdout and
 * stderr, and the files it leaves behind (the contract in sim/main.c: 0 ok,
 * 1 the run failed, 2 bad input, and one "viosim: " line on stderr). */
#include "cli_harness.h"
#include "support.h"

#include "viosim/strategy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCENARIO VIOSIM_SOURCE_DIR "/scenarios/compare-delivery.json"
/* Small runs keep the suite quick under ASan, where SimGrid uses thread contexts;
 * -j 4 runs the four variants side by side where the job count is not under test. */
#define SMALL "traffic.packets=1000"
#define FAST "-j", "4", "--set", SMALL

/* ---- bad input: exit 2, one line naming the culprit, no output, no files ---- */

typedef struct bad_case {
    const char *edit_from, *edit_to; /* first occurrence replaced in a copy of compare-delivery.json */
    const char *args[12];            /* @SCEN: that copy, @OUT: an empty -o directory, @DIR: the test's */
    const char *expect;              /* stderr starts with this (placeholders substituted); "...\n" = exact */
    const char *contains;            /* and contains this, or NULL */
} bad_case;

static const bad_case bad_cases[] = {
    {NULL, NULL, {NULL}, "viosim: no command", NULL},
    {NULL, NULL, {"frobnicate"}, "viosim: unknown command frobnicate", NULL},
    {NULL, NULL, {"run", "@SCEN", "-o", "@OUT", "--frob"}, "viosim: unknown option --frob", NULL},
    {NULL, NULL, {"run", "@SCEN", "-o", "@OUT", "--set"}, "viosim: --set needs a value", NULL},
    {NULL, NULL, {"run", "@SCEN", "-o", "@OUT", "--sensitivity", "0.5"},
     "viosim: --sensitivity 0.5: expected a factor above 1", NULL},
    {NULL, NULL, {"run", "@SCEN", "@SCEN", "-o", "@OUT"}, "viosim: unexpected argument @SCEN", NULL},
    {NULL, NULL, {"check"}, "viosim: check needs a scenario file", NULL},
    {NULL, NULL, {"run", "@DIR/missing.json", "-o", "@OUT"}, "viosim: @DIR/missing.json: cannot read", NULL},
    {NULL, NULL, {"check", "@DIR/missing.json"}, "viosim: @DIR/missing.json: cannot read", NULL},
    /* Each class of scenario error, named by file and JSON path. */
    {"\"seed\": 1,", "\"seed\": 1,,", {"run", "@SCEN", "-o", "@OUT"}, "viosim: @SCEN:3:", "invalid JSON"},
    {"\"seed\": 1", "\"seed\": 1, \"colour\": 3", {"run", "@SCEN", "-o", "@OUT"}, "viosim: @SCEN: unknown key \"colour\"",
     NULL},
    {"\"cores\": 8 }", "\"cores\": 8, \"llc\": { \"wayz\": 4 } }", {"run", "@SCEN", "-o", "@OUT"},
     "viosim: @SCEN: platform.llc: unknown key \"wayz\"", NULL},
    {"\"seed\": 1", "\"seed\": \"one\"", {"run", "@SCEN", "-o", "@OUT"}, "viosim: @SCEN: seed: expected an integer",
     NULL},
    {"{ \"core\": 2 }", "{ \"core\": \"two\" }", {"run", "@SCEN", "-o", "@OUT"},
     "viosim: @SCEN: vms[1].core: expected an integer", NULL},
    {"\"cores\": 8", "\"cores\": 0", {"run", "@SCEN", "-o", "@OUT"}, "viosim: @SCEN: platform.cores: ", "got 0"},
    {"\"size\": 1500", "\"size\": 1500.5", {"run", "@SCEN", "-o", "@OUT"}, "viosim: @SCEN: traffic.flows[0].size: ",
     "1500.5"},
    {"\"notify\": \"posted\"", "\"notify\": \"teleport\"", {"run", "@SCEN", "-o", "@OUT"},
     "viosim: @SCEN: variants[2].notify: ", "teleport"},
    {"{ \"core\": 3 }", "{ \"core\": 9 }", {"run", "@SCEN", "-o", "@OUT"},
     "viosim: @SCEN: vms[2].core: core 9 does not exist (platform has 8 cores)\n", NULL},
    {"{ \"core\": 3 }", "{ \"core\": 9 }", {"check", "@SCEN"},
     "viosim: @SCEN: vms[2].core: core 9 does not exist (platform has 8 cores)\n", NULL},
    /* Overrides are validated like the file, and reported as overrides. */
    {NULL, NULL, {"run", "@SCEN", "-o", "@OUT", "--set", "platform.llc.wayz=3"},
     "viosim: --set platform.llc.wayz=3: platform.llc: unknown key \"wayz\"", NULL},
    {NULL, NULL, {"run", "@SCEN", "-o", "@OUT", "--set", "vms[9].core=1"}, "viosim: --set vms[9].core=1: ", NULL},
    {NULL, NULL, {"run", "@SCEN", "-o", "@OUT", "--set", "nonsense"}, "viosim: --set nonsense: ", NULL},
    {NULL, NULL, {"run", "@SCEN", "-o", "@OUT", "--set", "traffic.load=-1"}, "viosim: --set traffic.load=-1: traffic.load: ", "-1"},
    {NULL, NULL, {"run", "-o", "@OUT", "--set", "platform.cores=1"}, "viosim: --set platform.cores=1: platform.cores: ", NULL},
    {NULL, NULL, {"run", "@SCEN", "-o", "@OUT", "--seed", "abc"}, "viosim: --seed abc: ", NULL},
    {NULL, NULL, {"run", "@SCEN", "-o", "@OUT", "--seed", "-1"}, "viosim: --seed -1: ", NULL},
    {NULL, NULL, {"run", "@SCEN", "-o", "@OUT", "-j", "0"}, "viosim: -j 0: ", NULL},
    {NULL, NULL, {"run", "@SCEN", "-o", "@OUT", "--engine", "warp"}, "viosim: --engine warp: ", NULL},
    {NULL, NULL, {"run", "@SCEN", "-o", "@OUT", "--variant", "nope"}, "viosim: --variant nope: @SCEN ", NULL},
};

/* `in` with @SCEN, @OUT and @DIR replaced; malloc'd. */
static char *subst(const char *in)
{
    const char *keys[] = {"@SCEN", "@OUT", "@DIR"};
    const char *vals[] = {in_tmp("scen.json"), in_tmp("out"), cli_tmp};
    size_t cap = strlen(in) * 4 + 3 * 1024, len = 0;
    char *out = malloc(cap);
    while (*in) {
        size_t k = 0;
        while (k < 3 && strncmp(in, keys[k], strlen(keys[k])))
            k++;
        if (k < 3) {
            len += (size_t)snprintf(out + len, cap - len, "%s", vals[k]);
            in += strlen(keys[k]);
        } else {
            out[len++] = *in++;
        }
        ck_assert(len < cap - 1);
    }
    out[len] = '\0';
    return out;
}

static void write_scenario_copy(const char *from, const char *to)
{
    char *text = vio_test_read_file(SCENARIO);
    ck_assert(text != NULL);
    char *edited = text;
    if (from) {
        /* A missed edit would make the case test the unedited file: fail loudly instead. */
        char *at = strstr(text, from);
        ck_assert_msg(at != NULL, "compare-delivery.json no longer contains %s", from);
        edited = malloc(strlen(text) + strlen(to) + 1);
        sprintf(edited, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    }
    write_file(in_tmp("scen.json"), edited);
    if (edited != text)
        free(edited);
    free(text);
}

START_TEST(test_bad_input_exits_2_with_one_line)
{
    const bad_case *c = &bad_cases[_i];
    write_scenario_copy(c->edit_from, c->edit_to);
    ck_assert(mkdir(in_tmp("out"), 0777) == 0);
    char *args[13] = {NULL};
    size_t n = 0;
    for (; c->args[n]; n++)
        args[n] = subst(c->args[n]);
    cli_result r = cli_argv((const char *const *)args);
    char *want = subst(c->expect);
    ck_assert_msg(r.status == 2, "case %d (%s): exit %d, stderr: %s", _i, c->expect, r.status, r.err);
    assert_one_line(&r);
    ck_assert_msg(!strncmp(r.err, want, strlen(want)), "case %d: stderr\n  %s does not start with\n  %s", _i, r.err,
                  want);
    if (c->contains)
        ck_assert_msg(strstr(r.err, c->contains) != NULL, "case %d: stderr %s lacks %s", _i, r.err, c->contains);
    ck_assert_msg(r.out[0] == '\0', "case %d: stdout on bad input: %s", _i, r.out);
    /* No results.json, no temporary file, and no default results/ directory either. */
    char *left = list_dir(in_tmp("out"));
    ck_assert_msg(left[0] == '\0', "case %d: bad input left files in the -o directory: %s", _i, left);
    ck_assert_msg(access(in_tmp("results"), F_OK) != 0, "case %d: bad input created results/", _i);
    free(left);
    free(want);
    for (size_t k = 0; k < n; k++)
        free(args[k]);
    cli_free(&r);
}
END_TEST

/* ---- the run fails: exit 1 ---- */

START_TEST(test_unwritable_output_directory_exits_1)
{
    /* A directory cannot be created under a regular file. */
    write_file(in_tmp("file"), "not a directory\n");
    const char *out = in_tmp("file/sub");
    cli_result r = cli("run", SCENARIO, "-o", out, FAST);
    ck_assert_msg(r.status == 1, "exit %d, stderr: %s", r.status, r.err);
    assert_one_line(&r);
    char want[1100];
    snprintf(want, sizeof want, "viosim: %s: ", out);
    ck_assert_msg(!strncmp(r.err, want, strlen(want)), "stderr %s does not name %s", r.err, out);
    ck_assert_msg(r.out[0] == '\0', "stdout: %s", r.out);
    cli_free(&r);
}
END_TEST

/* -o naming an existing file fails before any run, for every command that writes a
 * directory (a sensitivity analysis used to run for minutes, then fail), and leaves the file. */
START_TEST(test_output_that_is_a_file_fails_before_running)
{
    write_file(in_tmp("file"), "keep me\n");
    const char *out = in_tmp("file");
    cli_result r = cli("run", SCENARIO, "-o", out, "--sensitivity", "2", FAST);
    ck_assert_msg(r.status == 1, "exit %d, stderr: %s", r.status, r.err);
    assert_one_line(&r);
    ck_assert_msg(strstr(r.err, "is not a directory") != NULL, "stderr: %s", r.err);
    ck_assert_msg(r.out[0] == '\0', "stdout: %s", r.out);
    cli_free(&r);
    r = cli("run", SCENARIO, "-o", out, FAST);
    ck_assert_msg(r.status == 1 && strstr(r.err, "is not a directory"), "exit %d, stderr: %s", r.status, r.err);
    cli_free(&r);
    char *text = vio_test_read_file(out);
    ck_assert_str_eq(text, "keep me\n");
    free(text);
}
END_TEST

START_TEST(test_failed_write_leaves_no_temporary_file)
{
    /* results.json is a directory: the rename into place fails after the
     * temporary file was written, and that file must be cleaned up. */
    ck_assert(mkdir(in_tmp("out"), 0777) == 0);
    ck_assert(mkdir(in_tmp("out/results.json"), 0777) == 0);
    cli_result r = cli("run", SCENARIO, "-o", in_tmp("out"), FAST);
    ck_assert_msg(r.status == 1, "exit %d, stderr: %s", r.status, r.err);
    assert_one_line(&r);
    ck_assert_msg(strstr(r.err, "results.json") != NULL, "stderr does not name the file: %s", r.err);
    ck_assert_msg(r.out[0] == '\0', "stdout: %s", r.out);
    char *left = list_dir(in_tmp("out"));
    ck_assert_str_eq(left, "results.json");
    free(left);
    cli_free(&r);
}
END_TEST

/* ---- successful runs ---- */

START_TEST(test_run_writes_results_json)
{
    const char *out = in_tmp("out");
    run_ok("run", SCENARIO, "-o", out, "--quiet", "--set", "traffic.packets=3000");
    char *left = list_dir(out);
    ck_assert_str_eq(left, "results.json");
    free(left);
    json_t *doc = load_json(in_tmp("out/results.json"));
    ck_assert_str_eq(json_string_value(json_object_get(doc, "schema")), "viosim-results/1");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(doc, "tool"), "version")), vio_version());
    const json_t *sc = json_object_get(doc, "scenario");
    ck_assert_str_eq(json_string_value(json_object_get(sc, "name")), "compare-delivery");
    ck_assert_str_eq(json_string_value(json_object_get(sc, "source")), "compare-delivery.json"); /* base name */
    ck_assert_uint_eq(strlen(json_string_value(json_object_get(sc, "sha256"))), 64);
    ck_assert_uint_eq(json_array_size(json_object_get(doc, "variants")), 4);
    ck_assert(vio_test_num(vio_test_variant(doc, "llc+posted"), "packets.offered") == 3000);
    json_decref(doc);
}
END_TEST

START_TEST(test_summary_on_stdout_unless_quiet)
{
    cli_result r = cli("run", SCENARIO, "-o", in_tmp("out"), FAST);
    ck_assert_msg(r.status == 0, "exit %d, stderr: %s", r.status, r.err);
    ck_assert(strstr(r.out, "scenario compare-delivery") != NULL);
    ck_assert(strstr(r.out, "latency mean (ns)") != NULL);
    char want[1100];
    snprintf(want, sizeof want, "results: %s/results.json\n", in_tmp("out"));
    ck_assert_msg(strstr(r.out, want) != NULL, "stdout lacks %s", want);
    cli_free(&r);
}
END_TEST

START_TEST(test_rerun_is_byte_identical)
{
    run_ok("run", SCENARIO, "-o", in_tmp("a"), "--quiet", FAST);
    run_ok("run", SCENARIO, "-o", in_tmp("b"), "--quiet", FAST);
    assert_same_bytes(in_tmp("a/results.json"), in_tmp("b/results.json"));
}
END_TEST

START_TEST(test_jobs_do_not_change_results)
{
    /* 3 jobs over 4 variants: children finish out of order, results stay in variant order. */
    run_ok("run", SCENARIO, "-o", in_tmp("j1"), "--quiet", "-j", "1", "--set", SMALL);
    run_ok("run", SCENARIO, "-o", in_tmp("j2"), "--quiet", "-j", "2", "--set", SMALL);
    run_ok("run", SCENARIO, "-o", in_tmp("j3"), "--quiet", "-j", "3", "--set", SMALL);
    assert_same_bytes(in_tmp("j1/results.json"), in_tmp("j2/results.json"));
    assert_same_bytes(in_tmp("j1/results.json"), in_tmp("j3/results.json"));
}
END_TEST

START_TEST(test_engines_differ_only_in_engine_objects)
{
    run_ok("run", SCENARIO, "-o", in_tmp("sg"), "--quiet", FAST);
    run_ok("run", SCENARIO, "-o", in_tmp("seq"), "--quiet", "--engine", "sequential", FAST);
    json_t *a = load_json(in_tmp("sg/results.json")), *b = load_json(in_tmp("seq/results.json"));
    const json_t *va = json_object_get(a, "variants"), *vb = json_object_get(b, "variants");
    ck_assert_uint_eq(json_array_size(va), json_array_size(vb));
    for (size_t i = 0; i < json_array_size(va); i++) {
        json_t *x = json_array_get(va, i), *y = json_array_get(vb, i);
        ck_assert_str_eq(json_string_value(json_object_get(json_object_get(x, "engine"), "name")), "simgrid");
        ck_assert_str_eq(json_string_value(json_object_get(json_object_get(y, "engine"), "name")), "sequential");
        ck_assert_int_eq(json_object_del(x, "engine"), 0);
        ck_assert_int_eq(json_object_del(y, "engine"), 0);
    }
    char *ta = json_dumps(a, JSON_SORT_KEYS | JSON_INDENT(1)), *tb = json_dumps(b, JSON_SORT_KEYS | JSON_INDENT(1));
    ck_assert_str_eq(ta, tb);
    free(ta);
    free(tb);
    json_decref(a);
    json_decref(b);
}
END_TEST

START_TEST(test_seed_changes_header_and_arrivals)
{
    run_ok("run", SCENARIO, "-o", in_tmp("s1"), "--quiet", FAST);
    run_ok("run", SCENARIO, "-o", in_tmp("s2"), "--quiet", "--seed", "2", FAST);
    json_t *a = load_json(in_tmp("s1/results.json")), *b = load_json(in_tmp("s2/results.json"));
    const json_t *sa = json_object_get(a, "scenario"), *sb = json_object_get(b, "scenario");
    ck_assert_int_eq(json_integer_value(json_object_get(sa, "seed")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(sb, "seed")), 2);
    /* The seed is part of the canonical scenario, hence of its hash. */
    ck_assert_str_ne(json_string_value(json_object_get(sa, "sha256")), json_string_value(json_object_get(sb, "sha256")));
    const json_t *va = json_object_get(a, "variants"), *vb = json_object_get(b, "variants");
    for (size_t i = 0; i < json_array_size(va); i++)
        ck_assert_str_ne(json_string_value(json_object_get(json_array_get(va, i), "arrival_sha256")),
                         json_string_value(json_object_get(json_array_get(vb, i), "arrival_sha256")));
    json_decref(a);
    json_decref(b);
}
END_TEST

START_TEST(test_one_variant_matches_the_full_run)
{
    /* A variant's figures do not depend on which other variants ran. */
    run_ok("run", SCENARIO, "-o", in_tmp("all"), "--quiet", FAST);
    run_ok("run", SCENARIO, "-o", in_tmp("one"), "--quiet", "--variant", "posted", FAST);
    json_t *a = load_json(in_tmp("all/results.json")), *b = load_json(in_tmp("one/results.json"));
    ck_assert_uint_eq(json_array_size(json_object_get(b, "variants")), 1);
    char *ta = json_dumps(vio_test_variant(a, "posted"), JSON_SORT_KEYS);
    char *tb = json_dumps(json_array_get(json_object_get(b, "variants"), 0), JSON_SORT_KEYS);
    ck_assert_str_eq(ta, tb);
    free(ta);
    free(tb);
    json_decref(a);
    json_decref(b);
}
END_TEST

START_TEST(test_run_without_scenario_uses_the_embedded_default)
{
    run_ok("run", "-o", in_tmp("out"), "--quiet", "-j", "4", "--set", "traffic.packets=2000");
    json_t *doc = load_json(in_tmp("out/results.json"));
    const json_t *sc = json_object_get(doc, "scenario");
    ck_assert_str_eq(json_string_value(json_object_get(sc, "name")), "default");
    ck_assert_str_eq(json_string_value(json_object_get(sc, "source")), "<default>");
    ck_assert(vio_test_num(json_array_get(json_object_get(doc, "variants"), 0), "packets.offered") == 2000);
    json_decref(doc);
}
END_TEST

START_TEST(test_results_file_is_replaced_atomically)
{
    /* Junk larger than the results: an in-place overwrite would leave a tail. */
    ck_assert(mkdir(in_tmp("out"), 0777) == 0);
    size_t junk_len = 256 * 1024;
    char *junk = malloc(junk_len + 1);
    memset(junk, 'x', junk_len);
    junk[junk_len] = '\0';
    write_file(in_tmp("out/results.json"), junk);
    free(junk);
    struct stat before, after;
    ck_assert(stat(in_tmp("out/results.json"), &before) == 0);
    run_ok("run", SCENARIO, "-o", in_tmp("out"), "--quiet", FAST);
    run_ok("run", SCENARIO, "-o", in_tmp("ref"), "--quiet", FAST);
    assert_same_bytes(in_tmp("out/results.json"), in_tmp("ref/results.json"));
    /* A new inode: the file was renamed into place, never rewritten where it stood. */
    ck_assert(stat(in_tmp("out/results.json"), &after) == 0);
    ck_assert(after.st_ino != before.st_ino);
    char *left = list_dir(in_tmp("out"));
    ck_assert_msg(!strcmp(left, "results.json"), "left behind: %s", left);
    free(left);
}
END_TEST

/* ---- check, list, --help, --version ---- */

START_TEST(test_check_prints_the_canonical_scenario)
{
    /* Relative to the repository, as a user types it. */
    const char *args[] = {"check", "scenarios/compare-delivery.json", "--set", "traffic.packets=1234", NULL};
    cli_cwd = VIOSIM_SOURCE_DIR;
    cli_result r = cli_argv(args);
    cli_cwd = NULL;
    ck_assert_msg(r.status == 0, "exit %d, stderr: %s", r.status, r.err);
    /* The verdict on stderr, the canonical JSON alone on stdout. */
    const char *verdict = "scenarios/compare-delivery.json: ok (4 VMs, 4 flows, 4 variants)\n";
    ck_assert_msg(!strncmp(r.err, verdict, strlen(verdict)), "stderr: %s", r.err);
    /* Then one estimate line per variant (1234 packets: at most 2 + 1 steps each). */
    ck_assert_msg(strstr(r.err, "\n  posted: estimated memory ") && strstr(r.err, "at most 3702 events"), "stderr: %s",
                  r.err);
    json_error_t e;
    json_t *canon = json_loads(r.out, 0, &e);
    ck_assert_msg(canon != NULL, "stdout is not one JSON document: %s", e.text);
    ck_assert_str_eq(json_string_value(json_object_get(canon, "name")), "compare-delivery");
    /* Defaults filled in, overrides applied. */
    ck_assert(vio_test_num(canon, "platform.freq_mhz") == 2600);
    ck_assert(vio_test_num(canon, "traffic.packets") == 1234);
    ck_assert(vio_test_num(canon, "vms.2.core") == 3);
    json_decref(canon);
    cli_free(&r);
}
END_TEST

START_TEST(test_check_is_idempotent)
{
    /* The canonical text of the canonical text is itself. */
    cli_result r = cli("check", SCENARIO);
    ck_assert_int_eq(r.status, 0);
    write_file(in_tmp("canon.json"), r.out);
    cli_result r2 = cli("check", in_tmp("canon.json"));
    ck_assert_msg(r2.status == 0, "exit %d, stderr: %s", r2.status, r2.err);
    ck_assert_str_eq(r2.out, r.out);
    cli_free(&r);
    cli_free(&r2);
}
END_TEST

START_TEST(test_list_names_every_strategy_and_parameter)
{
    cli_result r = cli("list");
    ck_assert_msg(r.status == 0, "exit %d, stderr: %s", r.status, r.err);
    ck_assert_str_eq(r.err, "");
    const char *names[] = {"dram", "ddio", "guest", "llc", "exit", "posted", "poll"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        ck_assert_msg(strstr(r.out, names[i]) != NULL, "list lacks strategy %s", names[i]);
    /* Every registered row of every axis, under its axis's heading, on one line with its help. */
    size_t naxes = 0;
    for (const vio_axis *const *a = vio_axes(); *a; a++, naxes++) {
        char head[96];
        snprintf(head, sizeof head, "\n  %s: %s", (*a)->key, (*a)->title);
        const char *sec = strstr(r.out, head);
        ck_assert_msg(sec != NULL, "list lacks axis %s", (*a)->key);
        ck_assert_uint_gt((*a)->count, 0);
        for (size_t i = 0; i < (*a)->count; i++) {
            const char *help = strstr(sec, vio_axis_help(*a, i));
            ck_assert_msg(help != NULL, "list lacks the help of %s %s", (*a)->key, vio_axis_name(*a, i));
            const char *bol = help;
            while (bol > r.out && bol[-1] != '\n')
                bol--;
            char row[96];
            snprintf(row, sizeof row, "    %s ", vio_axis_name(*a, i));
            ck_assert_msg(!strncmp(bol, row, strlen(row)), "%s %s: its help is not on its line", (*a)->key,
                          vio_axis_name(*a, i));
        }
    }
    ck_assert_uint_ge(naxes, 10); /* dma, copy, notify, iommu, io_control, adversary, replacement, index, qos, preset */
    for (const vio_param *p = vio_params_table(); p->path; p++)
        ck_assert_msg(strstr(r.out, p->path) != NULL, "list lacks parameter %s", p->path);
    cli_free(&r);
}
END_TEST

START_TEST(test_list_markdown)
{
    cli_result r = cli("list", "--markdown");
    ck_assert_msg(r.status == 0, "exit %d, stderr: %s", r.status, r.err);
    ck_assert_msg(!strncmp(r.out, "# ", 2), "not a Markdown heading: %.80s", r.out);
    ck_assert(strstr(r.out, "platform.cores") != NULL);
    cli_free(&r);
}
END_TEST

START_TEST(test_help_and_version)
{
    const char *helps[] = {"--help", "-h", "help"};
    for (size_t i = 0; i < 3; i++) {
        cli_result r = cli(helps[i]);
        ck_assert_msg(r.status == 0, "%s: exit %d", helps[i], r.status);
        ck_assert_msg(strstr(r.out, "usage:") != NULL, "%s: %s", helps[i], r.out);
        ck_assert_str_eq(r.err, "");
        cli_free(&r);
    }
    cli_result r = cli("--version");
    ck_assert_int_eq(r.status, 0);
    char want[128];
    snprintf(want, sizeof want, "viosim %s", vio_version());
    ck_assert_msg(!strncmp(r.out, want, strlen(want)) && (r.out[strlen(want)] == ' ' || r.out[strlen(want)] == '\n'),
                  "--version printed %s", r.out);
    ck_assert(strchr(r.out, '\n') == r.out + strlen(r.out) - 1);
    cli_free(&r);
}
END_TEST

/* The summary line starting with `label` (copied into a static buffer), or NULL. */
static const char *summary_row(const char *out, const char *label)
{
    static char line[512];
    for (const char *p = out; (p = strstr(p, label)); p++) {
        if (p != out && p[-1] != '\n')
            continue;
        size_t n = strcspn(p, "\n");
        snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), p);
        return line;
    }
    return NULL;
}

START_TEST(test_summary_shows_the_rows_that_matter)
{
    /* No IOMMU, no DDIO: no IOMMU, tenant or DMA-hit rows; drops always. */
    cli_result r = cli("run", SCENARIO, "-o", in_tmp("a"), FAST);
    ck_assert_msg(r.status == 0, "exit %d, stderr: %s", r.status, r.err);
    ck_assert(summary_row(r.out, "packets dropped") != NULL);
    /* Rows, not substrings: the scenario's path in the header may contain "tenant". */
    ck_assert_msg(!strstr(r.out, "IOTLB") && !summary_row(r.out, "tenant ") && !summary_row(r.out, "(tenant") &&
                      !strstr(r.out, "DMA LLC write hits"),
                  "%s", r.out);
    /* Shares and wall-clock speed carry no relative change; latencies do. */
    const char *row = summary_row(r.out, "guest reads from LLC (%)");
    ck_assert_msg(row && !strstr(row + strlen("guest reads from LLC (%)"), "%)"), "relative change on a share: %s", row);
    row = summary_row(r.out, "speed");
    ck_assert_msg(row && !strstr(row, "%)"), "relative change on wall-clock speed: %s", row);
    row = summary_row(r.out, "latency mean (ns)");
    ck_assert_msg(row && strstr(row, "%)"), "no relative change on latency: %s", row);
    cli_free(&r);
    /* With the IOMMU: its rows and one blocked / cross-tenant pair per tenant, the adversary marked. */
    r = cli("run", VIOSIM_SOURCE_DIR "/scenarios/pasid-isolation.json", "-o", in_tmp("p"), FAST);
    ck_assert_msg(r.status == 0, "exit %d, stderr: %s", r.status, r.err);
    ck_assert(summary_row(r.out, "IOTLB hit rate (%)") && summary_row(r.out, "DMA blocked (transactions)"));
    ck_assert(summary_row(r.out, "tenant 13* blocked") && summary_row(r.out, "tenant 10 cross-tenant B"));
    ck_assert(summary_row(r.out, "  blocked by the IOMMU") != NULL);
    cli_free(&r);
}
END_TEST

/* ---- GNU conventions: long options with =, -jN, repeated --variant, per-command help ---- */

START_TEST(test_long_options_with_equals_match_short_ones)
{
    run_ok("run", SCENARIO, "-o", in_tmp("short"), "-q", "-j", "4", "--seed", "3", "--set", SMALL);
    char output[1100];
    snprintf(output, sizeof output, "--output=%s", in_tmp("long"));
    /* Options before the scenario, glued (-j4) and spelled out with '=': the same run. */
    run_ok("run", "--quiet", "-j4", output, "--seed=3", "--set=" SMALL, SCENARIO);
    assert_same_bytes(in_tmp("short/results.json"), in_tmp("long/results.json"));
    json_t *doc = load_json(in_tmp("long/results.json"));
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(doc, "scenario"), "seed")), 3);
    json_decref(doc);
    /* --jobs is -j. */
    cli_result r = cli("run", SCENARIO, "-o", in_tmp("jobs"), "--quiet", "--jobs=0");
    ck_assert_int_eq(r.status, 2);
    assert_one_line(&r);
    ck_assert_msg(!strncmp(r.err, "viosim: --jobs 0: ", 18), "%s", r.err);
    cli_free(&r);
    r = cli("run", SCENARIO, "-o", in_tmp("jobs"), "--quiet=1");
    ck_assert_int_eq(r.status, 2);
    assert_one_line(&r);
    ck_assert_msg(strstr(r.err, "--quiet=1 takes no value") != NULL, "%s", r.err);
    cli_free(&r);
}
END_TEST

START_TEST(test_repeated_variant_runs_each_named_one)
{
    run_ok("run", SCENARIO, "-o", in_tmp("all"), "--quiet", FAST);
    cli_result r = cli("run", SCENARIO, "-o", in_tmp("two"), "--variant", "posted", "--variant=baseline", FAST);
    ck_assert_msg(r.status == 0, "exit %d, stderr: %s", r.status, r.err);
    /* The summary has exactly the two columns, in the order named. */
    const char *hdr = strstr(r.out, "\nmetric");
    ck_assert(hdr != NULL);
    ck_assert_msg(strstr(hdr, "posted") < strstr(hdr, "baseline") && !strstr(hdr, "llc+posted"), "%s", r.out);
    cli_free(&r);
    json_t *a = load_json(in_tmp("all/results.json")), *b = load_json(in_tmp("two/results.json"));
    const json_t *vb = json_object_get(b, "variants");
    ck_assert_uint_eq(json_array_size(vb), 2);
    const char *names[] = {"posted", "baseline"};
    for (size_t i = 0; i < 2; i++) {
        char *ta = json_dumps(vio_test_variant(a, names[i]), JSON_SORT_KEYS);
        char *tb = json_dumps(json_array_get(vb, i), JSON_SORT_KEYS);
        ck_assert_str_eq(ta, tb);
        free(ta);
        free(tb);
    }
    json_decref(a);
    json_decref(b);
}
END_TEST

START_TEST(test_every_command_has_help)
{
    const char *cmds[] = {"run", "check", "list"};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        cli_result r = cli(cmds[i], "--help");
        ck_assert_msg(r.status == 0, "%s --help: exit %d, %s", cmds[i], r.status, r.err);
        char want[64];
        snprintf(want, sizeof want, "usage: viosim %s ", cmds[i]);
        ck_assert_msg(!strncmp(r.out, want, strlen(want)), "%s --help: %s", cmds[i], r.out);
        ck_assert_msg(strstr(r.out, "--help") != NULL, "%s --help lists no options: %s", cmds[i], r.out);
        ck_assert_str_eq(r.err, "");
        cli_free(&r);
    }
    cli_result r = cli("run", "-h");
    ck_assert(r.status == 0 && strstr(r.out, "--variant=NAME") && strstr(r.out, "--output=DIR"));
    cli_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 600);
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_loop_test(tc, test_bad_input_exits_2_with_one_line, 0, (int)(sizeof bad_cases / sizeof *bad_cases));
    tcase_add_test(tc, test_unwritable_output_directory_exits_1);
    tcase_add_test(tc, test_output_that_is_a_file_fails_before_running);
    tcase_add_test(tc, test_failed_write_leaves_no_temporary_file);
    tcase_add_test(tc, test_run_writes_results_json);
    tcase_add_test(tc, test_summary_on_stdout_unless_quiet);
    tcase_add_test(tc, test_rerun_is_byte_identical);
    tcase_add_test(tc, test_jobs_do_not_change_results);
    tcase_add_test(tc, test_engines_differ_only_in_engine_objects);
    tcase_add_test(tc, test_seed_changes_header_and_arrivals);
    tcase_add_test(tc, test_one_variant_matches_the_full_run);
    tcase_add_test(tc, test_run_without_scenario_uses_the_embedded_default);
    tcase_add_test(tc, test_results_file_is_replaced_atomically);
    tcase_add_test(tc, test_check_prints_the_canonical_scenario);
    tcase_add_test(tc, test_check_is_idempotent);
    tcase_add_test(tc, test_list_names_every_strategy_and_parameter);
    tcase_add_test(tc, test_list_markdown);
    tcase_add_test(tc, test_help_and_version);
    tcase_add_test(tc, test_long_options_with_equals_match_short_ones);
    tcase_add_test(tc, test_repeated_variant_runs_each_named_one);
    tcase_add_test(tc, test_every_command_has_help);
    tcase_add_test(tc, test_summary_shows_the_rows_that_matter);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
