/* Measuring one run: viosim in a fresh fork of the bench (so the peak RSS read
 * back is that run's alone), or the SimPy peer as a separate interpreter. */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

void bench_series_add(bench_series *s, double v)
{
    if (s->n < BENCH_MAX_RUNS)
        s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

bench_stat bench_stat_of(const bench_series *s)
{
    bench_stat st = {0, 0, 0};
    if (s->n == 0)
        return st;
    double v[BENCH_MAX_RUNS];
    memcpy(v, s->v, s->n * sizeof *v);
    qsort(v, s->n, sizeof *v, cmp_double);
    st.min = v[0];
    st.max = v[s->n - 1];
    st.median = s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
    return st;
}

static uint64_t get_u64(json_t *o, const char *a, const char *b)
{
    return (uint64_t)json_integer_value(json_object_get(json_object_get(o, a), b));
}

/* In the forked child: run the variants one after the other, each in its own
 * grandchild forked by vio_run, and sum the figures of those that complete (a
 * failed variant is counted and its first message kept). RUSAGE_CHILDREN then
 * covers exactly this run's grandchildren, so ru_maxrss is its peak RSS. */
static void child_measure(const vio_scenario *s, enum vio_engine_kind engine, bench_sample *r)
{
    vio_run_opts opts = {.jobs = 1, .engine = engine};
    vio_run_perf *perf = calloc(s->nvariants, sizeof *perf); /* vio_run fills perf[v] */
    r->variants = s->nvariants;
    r->agents = s->nvms + 2; /* the NIC, the host and one guest per VM */
    for (uint32_t v = 0; v < s->nvariants; v++) {
        json_t *doc = NULL;
        vio_err err = {{0}};
        if (!perf || vio_run(s, (int)v, &opts, &doc, perf, &err) != VIO_OK) {
            if (!r->failed_variants++)
                snprintf(r->error, sizeof r->error, "%.400s", err.msg[0] ? err.msg : "vio_run failed");
            continue;
        }
        json_t *o = json_array_get(json_object_get(doc, "variants"), 0);
        r->wall_seconds += perf[v].wall_seconds;
        r->run_seconds += perf[v].run_seconds;
        r->offered += get_u64(o, "packets", "offered");
        r->delivered += get_u64(o, "packets", "delivered");
        r->dropped += get_u64(o, "packets", "dropped");
        r->events += get_u64(o, "sim", "events");
        r->cache_accesses += get_u64(o, "sim", "cache_accesses");
        r->simgrid_calls += get_u64(o, "engine", "simgrid_calls");
        if (v == 0)
            r->latency_mean_ns = json_real_value(json_object_get(json_object_get(o, "latency_ns"), "mean"));
        json_decref(doc);
    }
    free(perf);
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    r->rss_mib = (double)ru.ru_maxrss / 1024.0; /* Linux reports KiB */
}

int bench_run_viosim(const vio_scenario *s, enum vio_engine_kind engine, bench_sample *out)
{
    memset(out, 0, sizeof *out);
    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(out->error, sizeof out->error, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(out->error, sizeof out->error, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        bench_sample r;
        memset(&r, 0, sizeof r);
        child_measure(s, engine, &r);
        const char *p = (const char *)&r;
        size_t off = 0;
        while (off < sizeof r) {
            ssize_t w = write(fds[1], p + off, sizeof r - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                _exit(3);
            off += (size_t)w;
        }
        _exit(0);
    }
    close(fds[1]);
    size_t got = 0;
    char *p = (char *)out;
    while (got < sizeof *out) {
        ssize_t n = read(fds[0], p + got, sizeof *out - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (got != sizeof *out) {
        memset(out, 0, sizeof *out);
        snprintf(out->error, sizeof out->error, "the measuring child died (%s %d)",
                 WIFSIGNALED(status) ? "signal" : "status",
                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        return -1;
    }
    return out->failed_variants < out->variants ? 0 : -1;
}

/* The peer prints one JSON line; everything else it says goes to our stderr. */
int bench_run_simpy(const char *python, const char *script, const vio_scenario *s, bench_sample *out)
{
    memset(out, 0, sizeof *out);
    const char *dir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/viosim-bench-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        snprintf(out->error, sizeof out->error, "%.300s: %s", path, strerror(errno));
        return -1;
    }
    size_t len = strlen(s->canonical_json);
    int bad = write(fd, s->canonical_json, len) != (ssize_t)len;
    bad |= close(fd) != 0;
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s'", python, script, path);
    char line[4096] = "";
    FILE *f = bad ? NULL : popen(cmd, "r");
    if (f) {
        if (!fgets(line, sizeof line, f))
            line[0] = '\0';
        int st = pclose(f);
        if (st != 0)
            snprintf(out->error, sizeof out->error, "%.400s exited with status %d (is python3-simpy installed?)", cmd,
                     WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    } else {
        snprintf(out->error, sizeof out->error, "cannot run %.400s", cmd);
    }
    unlink(path);
    if (out->error[0])
        return -1;
    json_error_t jerr;
    json_t *o = json_loads(line, 0, &jerr);
    if (!o) {
        snprintf(out->error, sizeof out->error, "simpy_peer: unreadable output: %.400s", line);
        return -1;
    }
    out->wall_seconds = json_number_value(json_object_get(o, "wall_seconds"));
    out->offered = (uint64_t)json_integer_value(json_object_get(o, "packets"));
    out->delivered = (uint64_t)json_integer_value(json_object_get(o, "delivered"));
    out->dropped = (uint64_t)json_integer_value(json_object_get(o, "dropped"));
    out->latency_mean_ns = json_number_value(json_object_get(o, "latency_mean_ns"));
    out->variants = 1;
    json_decref(o);
    return 0;
}
