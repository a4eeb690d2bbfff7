/* Sweeps as a researcher runs them: expansion of grids, zipped lists and
 * wildcards; replication seeds; the confidence interval against a hand-computed
 * case; resume after a kill; -j 1 vs -j 4; --emit-jobs run by GNU parallel and
 * by the Slurm script's lines, then merged. Runs are tiny (1000 packets). */
#include "cli_harness.h"
#include "support.h"

#include "viosim/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BASE VIOSIM_SOURCE_DIR "/scenarios/ddio-ring.json"

/* A sweep over ddio-ring.json: 2 ring sizes x 2 replications by default. */
static const char *write_sweep(const char *name, const char *axes, int reps)
{
    char text[4096];
    snprintf(text, sizeof text,
             "{ \"name\": \"t\", \"scenario\": \"%s\", \"replications\": %d,\n"
             "  \"set\": { \"traffic.packets\": 1000 },\n  %s }\n",
             BASE, reps, axes);
    /* Own storage: in_tmp's rotating buffers would be reused under the caller's feet. */
    static char paths[4][1024];
    static unsigned next;
    char *path = paths[next++ % 4];
    snprintf(path, sizeof paths[0], "%s", in_tmp(name));
    write_file(path, text);
    return path;
}

#define RINGS "\"grid\": [ { \"path\": \"platform.nic.ring_entries\", \"values\": [256, 1024] } ]"

static const json_t *task(const json_t *plan, size_t i) { return json_array_get(json_object_get(plan, "tasks"), i); }

/* ---- expansion ---- */

START_TEST(test_grid_zip_and_wildcards_expand)
{
    /* zip (outer) x grid (inner, first axis slowest); [*] reaches both flows. */
    const char *sw = write_sweep(
        "x.sweep.json",
        "\"zip\": [ { \"path\": \"traffic.load\", \"values\": [0.5, 1] },"
        "           { \"path\": \"host.budget\", \"values\": [32, 64] } ],"
        "\"grid\": [ { \"path\": \"traffic.flows[*].size\", \"values\": [64, 1500] },"
        "            { \"path\": \"platform.nic.ring_entries\", \"log2\": [256, 1024] } ]",
        1);
    run_ok("sweep", sw, "-o", in_tmp("out"), "--quiet", "--emit-jobs");
    json_t *plan = load_json(in_tmp("out/plan.json"));
    const json_t *pts = json_object_get(plan, "points");
    ck_assert_uint_eq(json_array_size(pts), 2 * 2 * 3);
    /* Point 0: first of everything; point 1: the last grid axis moves first; the zip row moves last. */
    const json_t *p0 = json_array_get(pts, 0), *p1 = json_array_get(pts, 1), *p3 = json_array_get(pts, 3),
                 *p6 = json_array_get(pts, 6);
    ck_assert(json_number_value(json_object_get(p0, "traffic.load")) == 0.5);
    ck_assert_int_eq(json_integer_value(json_object_get(p0, "host.budget")), 32);
    ck_assert_int_eq(json_integer_value(json_object_get(p0, "traffic.flows[*].size")), 64);
    ck_assert_int_eq(json_integer_value(json_object_get(p0, "platform.nic.ring_entries")), 256);
    ck_assert_int_eq(json_integer_value(json_object_get(p1, "platform.nic.ring_entries")), 512);
    ck_assert_int_eq(json_integer_value(json_object_get(p3, "traffic.flows[*].size")), 1500);
    ck_assert_int_eq(json_integer_value(json_object_get(p3, "platform.nic.ring_entries")), 256);
    ck_assert_int_eq(json_integer_value(json_object_get(p6, "host.budget")), 64);
    ck_assert(json_number_value(json_object_get(p6, "traffic.load")) == 1.0);
    /* Each task's hash is that of the base scenario with the point's values, [*] on every flow. */
    const char *sets[] = {"traffic.packets=1000", "traffic.load=0.5", "host.budget=32", "traffic.flows[0].size=1500",
                          "traffic.flows[1].size=1500", "platform.nic.ring_entries=512",
                          NULL /* seed */};
    char seed[64];
    snprintf(seed, sizeof seed, "seed=%lld", (long long)json_integer_value(json_object_get(task(plan, 4), "seed")));
    sets[6] = seed;
    vio_scenario *s = vio_test_load("ddio-ring.json", sets, 7);
    char sha[65];
    vio_sha256_hex(s->canonical_json, strlen(s->canonical_json), sha);
    ck_assert_str_eq(json_string_value(json_object_get(task(plan, 4), "sha256")), sha);
    vio_scenario_destroy(s);
    json_decref(plan);
    /* Zipped lists of different lengths are bad input naming the list. */
    sw = write_sweep("bad.sweep.json",
                     "\"zip\": [ { \"path\": \"traffic.load\", \"values\": [0.5, 1] },"
                     "           { \"path\": \"host.budget\", \"values\": [32] } ]",
                     1);
    cli_result r = cli("sweep", sw, "-o", in_tmp("bad"));
    ck_assert_int_eq(r.status, 2);
    assert_one_line(&r);
    ck_assert_msg(strstr(r.err, "zip[1]: 1 values, but zip[0] has 2") != NULL, "%s", r.err);
    cli_free(&r);
    /* A point the scenario rejects is caught before anything runs, with the parameter's path. */
    sw = write_sweep("range.sweep.json", "\"grid\": [ { \"path\": \"traffic.load\", \"values\": [1, -1] } ]", 1);
    r = cli("sweep", sw, "-o", in_tmp("bad2"));
    ck_assert_int_eq(r.status, 2);
    assert_one_line(&r);
    ck_assert_msg(strstr(r.err, "point 1: ") && strstr(r.err, "traffic.load"), "%s", r.err);
    ck_assert_msg(access(in_tmp("bad2/points"), F_OK) != 0, "a rejected sweep created its directory");
    cli_free(&r);
}
END_TEST

/* ---- seeds ---- */

START_TEST(test_replication_seeds_are_derived_and_stable)
{
    const char *sw = write_sweep("s.sweep.json", RINGS, 3);
    run_ok("sweep", sw, "-o", in_tmp("a"), "--quiet", "--emit-jobs");
    json_t *plan = load_json(in_tmp("a/plan.json"));
    /* Six tasks, six different seeds, none the base seed. */
    long long seeds[6];
    for (size_t i = 0; i < 6; i++) {
        seeds[i] = json_integer_value(json_object_get(task(plan, i), "seed"));
        ck_assert(seeds[i] != 1);
        for (size_t k = 0; k < i; k++)
            ck_assert_msg(seeds[i] != seeds[k], "tasks %zu and %zu share seed %lld", k, i, seeds[i]);
    }
    /* A point keeps its seeds when the grid around it grows (resumable, comparable). */
    const char *sw2 = write_sweep(
        "s2.sweep.json", "\"grid\": [ { \"path\": \"platform.nic.ring_entries\", \"values\": [128, 256, 1024] } ]", 3);
    run_ok("sweep", sw2, "-o", in_tmp("b"), "--quiet", "--emit-jobs");
    json_t *plan2 = load_json(in_tmp("b/plan.json"));
    for (size_t i = 0; i < 6; i++)
        ck_assert_int_eq(json_integer_value(json_object_get(task(plan2, i + 3), "seed")), seeds[i]);
    /* Another base seed moves every replication's seed. */
    run_ok("sweep", sw, "-o", in_tmp("c"), "--quiet", "--emit-jobs", "--seed=2");
    json_t *plan3 = load_json(in_tmp("c/plan.json"));
    for (size_t i = 0; i < 6; i++)
        ck_assert(json_integer_value(json_object_get(task(plan3, i), "seed")) != seeds[i]);
    json_decref(plan);
    json_decref(plan2);
    json_decref(plan3);
}
END_TEST

/* ---- the confidence interval, against a case computed by hand ---- */

/* A results document with one variant whose mean latency is `lat`. */
static void fake_point(const char *dir, const char *id, const char *sha, double lat, int dropped)
{
    char path[1024], text[2048];
    snprintf(path, sizeof path, "%s/points/%s", dir, id);
    ck_assert(mkdir(path, 0777) == 0);
    snprintf(path, sizeof path, "%s/points/%s/results.json", dir, id);
    snprintf(text, sizeof text,
             "{\"schema\":\"viosim-results/1\",\"tool\":{\"name\":\"viosim\",\"version\":\"%s\",\"git\":\"%s\"},"
             "\"scenario\":{\"name\":\"h\",\"sha256\":\"%s\",\"seed\":1},\"variants\":[{\"name\":\"v\","
             "\"latency_ns\":{\"mean\":%g},\"packets\":{\"offered\":100,\"dropped\":%d,\"delivered\":%d}}]}",
             vio_version(), vio_git_version(), sha, lat, dropped, 100 - dropped);
    write_file(path, text);
}

START_TEST(test_confidence_interval_matches_hand_computation)
{
    /* Four replications with mean latencies 10, 12, 14, 20 ns:
     *   mean 14, sample sd sqrt(((-4)^2 + (-2)^2 + 0^2 + 6^2) / 3) = sqrt(56/3) = 4.320494,
     *   t(0.975, 3) = 3.182, half-width 3.182 * 4.320494 / sqrt(4) = 6.873906.
     * Drops 1, 3, 3, 5 of 100: drop rate mean 0.03, sd 0.016330, half 3.182 * 0.016330 / 2 = 0.025981. */
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", in_tmp("h"));
    char pts[1100];
    snprintf(pts, sizeof pts, "%s/points", dir);
    ck_assert(mkdir(dir, 0777) == 0 && mkdir(pts, 0777) == 0);
    const char *sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char plan[4096];
    snprintf(plan, sizeof plan,
             "{\"schema\":\"viosim-sweep-plan/1\",\"name\":\"h\",\"scenario\":\"/x/h.json\",\"replications\":4,"
             "\"base_seed\":1,\"sets\":[],\"variants\":[],\"axes\":[{\"path\":\"traffic.load\",\"values\":[1],"
             "\"zip\":false}],\"points\":[{\"traffic.load\":1}],\"tasks\":["
             "{\"id\":\"p0000-r00\",\"point\":0,\"replication\":0,\"seed\":5,\"sha256\":\"%s\"},"
             "{\"id\":\"p0000-r01\",\"point\":0,\"replication\":1,\"seed\":6,\"sha256\":\"%s\"},"
             "{\"id\":\"p0000-r02\",\"point\":0,\"replication\":2,\"seed\":7,\"sha256\":\"%s\"},"
             "{\"id\":\"p0000-r03\",\"point\":0,\"replication\":3,\"seed\":8,\"sha256\":\"%s\"}]}",
             sha, sha, sha, sha);
    write_file(in_tmp("h/plan.json"), plan);
    fake_point(dir, "p0000-r00", sha, 10, 1);
    fake_point(dir, "p0000-r01", sha, 12, 3);
    fake_point(dir, "p0000-r02", sha, 14, 3);
    fake_point(dir, "p0000-r03", sha, 20, 5);
    cli_result r = cli("merge", dir);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    cli_free(&r);
    json_t *sum = load_json(in_tmp("h/summary.json"));
    const json_t *m = json_object_get(json_array_get(json_object_get(sum, "rows"), 0), "metrics");
    ck_assert_double_eq_tol(vio_test_num(m, "latency_mean_ns.mean"), 14.0, 1e-9);
    ck_assert_double_eq_tol(vio_test_num(m, "latency_mean_ns.ci95"), 6.873906, 1e-5);
    ck_assert_double_eq_tol(vio_test_num(m, "drop_rate.mean"), 0.03, 1e-12);
    ck_assert_double_eq_tol(vio_test_num(m, "drop_rate.ci95"), 0.025981, 1e-5);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(m, "drop_rate"), "n")), 4);
    json_decref(sum);
    /* The CSV carries the same numbers. */
    char *csv = vio_test_read_file(in_tmp("h/summary.csv"));
    ck_assert_msg(strstr(csv, "\n0,1,v,4,14,6.87390") != NULL, "%s", csv);
    free(csv);
    /* A point file of another scenario is an error that says so, never reused. */
    char path[1100];
    snprintf(path, sizeof path, "%s/points/p0000-r03/results.json", dir);
    char *text = vio_test_read_file(path);
    char *at = strstr(text, "0123456789abcdef");
    at[0] = 'f';
    write_file(path, text);
    free(text);
    r = cli("merge", dir);
    ck_assert_int_eq(r.status, 2);
    assert_one_line(&r);
    ck_assert_msg(strstr(r.err, "p0000-r03/results.json: belongs to another scenario"), "%s", r.err);
    cli_free(&r);
}
END_TEST

/* ---- determinism, resume ---- */

START_TEST(test_jobs_do_not_change_the_summary)
{
    const char *sw = write_sweep("j.sweep.json", RINGS, 2);
    run_ok("sweep", sw, "-o", in_tmp("j1"), "--quiet", "-j", "1");
    run_ok("sweep", sw, "-o", in_tmp("j4"), "--quiet", "--jobs=4");
    assert_same_bytes(in_tmp("j1/summary.csv"), in_tmp("j4/summary.csv"));
    assert_same_bytes(in_tmp("j1/summary.json"), in_tmp("j4/summary.json"));
    /* Rows: 2 points x 2 variants, each over 2 replications, drops included. */
    json_t *sum = load_json(in_tmp("j1/summary.json"));
    const json_t *rows = json_object_get(sum, "rows");
    ck_assert_uint_eq(json_array_size(rows), 4);
    for (size_t i = 0; i < 4; i++) {
        const json_t *row = json_array_get(rows, i);
        ck_assert_int_eq(json_integer_value(json_object_get(row, "replications")), 2);
        ck_assert(json_object_get(json_object_get(row, "metrics"), "dropped") != NULL);
        ck_assert(json_is_real(json_object_get(json_object_get(json_object_get(row, "metrics"), "latency_mean_ns"),
                                               "ci95")));
    }
    json_decref(sum);
}
END_TEST

static pid_t spawn_sweep(const char *sw, const char *out)
{
    fflush(NULL);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        setpgid(0, 0); /* its own group: the kill takes the whole sweep, workers included */
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(VIOSIM_BINARY, VIOSIM_BINARY, "sweep", sw, "-o", out, "-j", "1", "--quiet", (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    return pid;
}

static unsigned count_points(const char *out, unsigned ntasks)
{
    unsigned n = 0;
    for (unsigned i = 0; i < ntasks; i++) {
        char path[1100];
        snprintf(path, sizeof path, "%s/points/p%04u-r%02u/results.json", out, i / 2, i % 2);
        n += access(path, F_OK) == 0;
    }
    return n;
}

START_TEST(test_resume_after_kill_gives_the_same_summary)
{
    const char *sw = write_sweep(
        "k.sweep.json", "\"grid\": [ { \"path\": \"platform.nic.ring_entries\", \"log2\": [128, 2048] } ]", 2);
    char out[1024];
    snprintf(out, sizeof out, "%s", in_tmp("k"));
    pid_t pid = spawn_sweep(sw, out);
    /* Kill it (SIGKILL: no clean-up of any kind) once the first run is on disk. */
    struct timespec nap = {0, 5 * 1000 * 1000};
    for (int i = 0; i < 60000 && count_points(out, 10) == 0; i++)
        nanosleep(&nap, NULL);
    ck_assert(kill(-pid, SIGKILL) == 0);
    int st;
    waitpid(pid, &st, 0);
    nanosleep(&nap, NULL);
    unsigned had = count_points(out, 10);
    ck_assert_msg(had >= 1 && had < 10, "the kill came too late to test anything: %u of 10 runs done", had);
    ck_assert_msg(access(in_tmp("k/summary.csv"), F_OK) != 0, "a killed sweep wrote a summary");
    struct stat before;
    ck_assert(stat(in_tmp("k/points/p0000-r00/results.json"), &before) == 0);
    /* The same command again computes only what is missing. */
    cli_result r = cli("sweep", sw, "-o", out);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    char want[128];
    snprintf(want, sizeof want, "%u run now, %u already done", 10 - had, had);
    ck_assert_msg(strstr(r.out, want) != NULL, "expected \"%s\" in: %s", want, r.out);
    cli_free(&r);
    struct stat after;
    ck_assert(stat(in_tmp("k/points/p0000-r00/results.json"), &after) == 0);
    ck_assert_msg(before.st_ino == after.st_ino, "a finished run was computed again");
    /* The same summary as a sweep that was never interrupted. */
    run_ok("sweep", sw, "-o", in_tmp("ref"), "--quiet", "-j", "4");
    assert_same_bytes(in_tmp("k/summary.csv"), in_tmp("ref/summary.csv"));
    assert_same_bytes(in_tmp("k/summary.json"), in_tmp("ref/summary.json"));
    /* Changing the sweep and reusing the directory is an error that names the file and why. */
    r = cli("sweep", sw, "-o", out, "--set", "traffic.load=0.5");
    ck_assert_int_eq(r.status, 2);
    assert_one_line(&r);
    ck_assert_msg(strstr(r.err, "p0000-r00/results.json: belongs to another scenario"), "%s", r.err);
    cli_free(&r);
    /* So is a file from another viosim version. */
    const char *f = in_tmp("ref/points/p0001-r01/results.json");
    char *text = vio_test_read_file(f);
    char ver[64];
    snprintf(ver, sizeof ver, "\"version\": \"%s\"", vio_version());
    char *at = strstr(text, ver);
    ck_assert(at != NULL);
    memcpy(at + 12, "9.9", 3);
    write_file(f, text);
    free(text);
    r = cli("sweep", sw, "-o", in_tmp("ref"), "--quiet");
    ck_assert_int_eq(r.status, 2);
    assert_one_line(&r);
    ck_assert_msg(strstr(r.err, "p0001-r01/results.json: written by viosim 9.9"), "%s", r.err);
    cli_free(&r);
}
END_TEST

/* ---- many machines: jobs.txt through GNU parallel, slurm.sh, merge ---- */

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(test_emit_jobs_parallel_and_slurm_merge_to_the_sweep_summary)
{
    const char *sw = write_sweep("e.sweep.json", RINGS, 2);
    run_ok("sweep", sw, "-o", in_tmp("ref"), "--quiet", "-j", "2");
    cli_result r = cli("sweep", sw, "-o", in_tmp("par"), "--emit-jobs");
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    ck_assert(strstr(r.out, "parallel") && strstr(r.out, "sbatch"));
    cli_free(&r);
    char *jobs = vio_test_read_file(in_tmp("par/jobs.txt"));
    ck_assert(jobs != NULL);
    size_t lines = 0;
    for (char *p = jobs; *p; p++)
        lines += *p == '\n';
    ck_assert_uint_eq(lines, 4);
    free(jobs);
    ck_assert_msg(access(in_tmp("par/points/p0000-r00"), F_OK) != 0, "--emit-jobs simulated");
    /* Nothing ran yet: merge lists all four runs as missing and says so. */
    r = cli("merge", in_tmp("par"));
    ck_assert_int_eq(r.status, 1);
    assert_one_line(&r);
    ck_assert_str_eq(r.out, "p0000-r00\np0000-r01\np0001-r00\np0001-r01\n");
    cli_free(&r);
    /* GNU parallel runs the lines from another directory, two at a time. */
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd / && parallel --will-cite -j 2 < '%s' > '%s' 2>&1", in_tmp("par/jobs.txt"),
             in_tmp("par.log"));
    int rc = sh(cmd);
    if (rc != 0) {
        char *log = vio_test_read_file(in_tmp("par.log"));
        ck_abort_msg("parallel exited %d (is the Debian package parallel installed?): %s", rc, log ? log : "");
    }
    r = cli("merge", in_tmp("par"));
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    ck_assert_str_eq(r.out, "");
    cli_free(&r);
    assert_same_bytes(in_tmp("par/summary.csv"), in_tmp("ref/summary.csv"));
    assert_same_bytes(in_tmp("par/summary.json"), in_tmp("ref/summary.json"));
    /* The Slurm array script: valid bash; each array index run by hand, as Slurm would. */
    run_ok("sweep", sw, "-o", in_tmp("slurm"), "--quiet", "--emit-jobs");
    snprintf(cmd, sizeof cmd, "bash -n '%s'", in_tmp("slurm/slurm.sh"));
    ck_assert_int_eq(sh(cmd), 0);
    char *script = vio_test_read_file(in_tmp("slurm/slurm.sh"));
    ck_assert_msg(strstr(script, "#SBATCH --array=1-4\n") != NULL, "%s", script);
    free(script);
    for (int i = 1; i <= 4; i++) {
        snprintf(cmd, sizeof cmd, "cd / && SLURM_ARRAY_TASK_ID=%d bash '%s' >/dev/null 2>&1", i,
                 in_tmp("slurm/slurm.sh"));
        ck_assert_int_eq(sh(cmd), 0);
    }
    run_ok("merge", in_tmp("slurm"), "--quiet");
    assert_same_bytes(in_tmp("slurm/summary.csv"), in_tmp("ref/summary.csv"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sweep");
    TCase *tc = tcase_create("sweep");
    tcase_set_timeout(tc, 600);
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, test_grid_zip_and_wildcards_expand);
    tcase_add_test(tc, test_replication_seeds_are_derived_and_stable);
    tcase_add_test(tc, test_confidence_interval_matches_hand_computation);
    tcase_add_test(tc, test_jobs_do_not_change_the_summary);
    tcase_add_test(tc, test_resume_after_kill_gives_the_same_summary);
    tcase_add_test(tc, test_emit_jobs_parallel_and_slurm_merge_to_the_sweep_summary);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
