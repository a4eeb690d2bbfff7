/* The one table viosim-bench prints (Markdown, so docs/performance.md can quote
 * it as is) and the per-row objects of bench/results.json. */
#include "bench.h"

#include <string.h>
#include <unistd.h>

/* Three significant figures without an exponent: 0.123, 1.23, 12.3, 123, 1234. */
static void fmt3(char *b, size_t n, double v)
{
    double a = v < 0 ? -v : v;
    if (a >= 99.95)
        snprintf(b, n, "%.0f", v);
    else if (a >= 9.995)
        snprintf(b, n, "%.1f", v);
    else if (a >= 0.9995)
        snprintf(b, n, "%.2f", v);
    else
        snprintf(b, n, "%.3f", v);
}

/* "median (min-max)" of a series; "-" when it is empty. */
static void fmt_series(char *b, size_t n, const bench_series *s, double scale)
{
    if (s->n == 0) {
        snprintf(b, n, "-");
        return;
    }
    bench_stat st = bench_stat_of(s);
    char m[32], lo[32], hi[32];
    fmt3(m, sizeof m, st.median * scale);
    fmt3(lo, sizeof lo, st.min * scale);
    fmt3(hi, sizeof hi, st.max * scale);
    snprintf(b, n, "%s (%s-%s)", m, lo, hi);
}

static const char *status_word(int status) { return status > 0 ? "PASS" : status == 0 ? "FAIL" : ""; }

void bench_print_table(FILE *out, const bench_row *rows, size_t nrows)
{
    fprintf(out, "| id | workload | pkts/variant | wall s | Mpkt/s | Mevents/s | Mcache acc/s | peak RSS MiB "
                 "| SimGrid calls/pkt | x floor | target | result |\n");
    fprintf(out, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|\n");
    for (size_t i = 0; i < nrows; i++) {
        const bench_row *r = &rows[i];
        char pk[32], wall[112], mpps[112], mev[112], macc[112], rss[112], calls[32], xf[112];
        snprintf(pk, sizeof pk, "%llu", (unsigned long long)r->packets_per_variant);
        if (r->error[0]) {
            fprintf(out, "| %s | %s | %s | ERROR: %s | | | | | | | %s | %s |\n", r->id, r->title, pk, r->error,
                    r->goal ? r->goal : "", r->goal ? "FAIL" : "");
            continue;
        }
        fmt_series(wall, sizeof wall, &r->wall, 1.0);
        fmt_series(mpps, sizeof mpps, &r->mpps, 1.0);
        fmt_series(mev, sizeof mev, &r->mevs, 1.0);
        fmt_series(macc, sizeof macc, &r->maccs, 1.0);
        fmt_series(rss, sizeof rss, &r->rss, 1.0);
        fmt_series(xf, sizeof xf, &r->xfloor, 1.0);
        if (r->is_peer || r->first.offered == 0)
            snprintf(calls, sizeof calls, "-");
        else
            fmt3(calls, sizeof calls, (double)r->first.simgrid_calls / (double)r->first.offered);
        char target[256] = "";
        if (r->goal)
            snprintf(target, sizeof target, "%s: %s", r->goal, r->verdict);
        const char *result = status_word(r->status);
        if (r->first.failed_variants && !r->goal)
            result = "INCOMPLETE";
        fprintf(out, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r->id, r->title, pk, wall,
                mpps, mev, macc, rss, calls, xf, target, result);
    }
    for (size_t i = 0, listed = 0; i < nrows; i++)
        if (rows[i].status == 0 && rows[i].why)
            fprintf(out, "%s- %s not met (%s): %s\n", listed++ ? "" : "\nTargets not met, and why:\n\n", rows[i].id,
                    rows[i].goal, rows[i].why);
}

static json_t *stat_json(const bench_series *s)
{
    if (s->n == 0)
        return json_null();
    bench_stat st = bench_stat_of(s);
    json_t *runs = json_array();
    for (unsigned i = 0; i < s->n; i++)
        json_array_append_new(runs, json_real(s->v[i]));
    return json_pack("{s:f,s:f,s:f,s:o}", "median", st.median, "min", st.min, "max", st.max, "runs", runs);
}

json_t *bench_row_json(const bench_row *r)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:I}", "id", r->id, "title", r->title, "config", r->config,
                          "packets_per_variant", (json_int_t)r->packets_per_variant);
    if (r->error[0])
        json_object_set_new(o, "error", json_string(r->error));
    /* Deterministic: identical on every run (checked) and every machine. */
    const bench_sample *f = &r->first;
    json_object_set_new(o, "counts",
                        json_pack("{s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:f}", "variants", (int)f->variants, "agents",
                                  (int)f->agents, "offered", (json_int_t)f->offered, "delivered",
                                  (json_int_t)f->delivered, "dropped", (json_int_t)f->dropped, "events",
                                  (json_int_t)f->events, "cache_accesses", (json_int_t)f->cache_accesses,
                                  "simgrid_calls", (json_int_t)f->simgrid_calls, "latency_mean_ns_variant0",
                                  f->latency_mean_ns));
    if (f->failed_variants)
        json_object_set_new(o, "failed_variants",
                            json_pack("{s:i,s:s}", "count", (int)f->failed_variants, "first_error", f->error));
    json_object_set_new(o, "simgrid_calls_per_packet",
                        json_real(f->offered ? (double)f->simgrid_calls / (double)f->offered : 0.0));
    /* Timing: median, min and max over the timed runs. */
    json_object_set_new(o, "wall_seconds", stat_json(&r->wall));
    json_object_set_new(o, "mpackets_per_second", stat_json(&r->mpps));
    if (!r->is_peer)
        json_object_set_new(o, "simulation_us_per_packet", stat_json(&r->run_us_per_pkt));
    json_object_set_new(o, "mevents_per_second", stat_json(&r->mevs));
    json_object_set_new(o, "mcache_accesses_per_second", stat_json(&r->maccs));
    json_object_set_new(o, "peak_rss_mib", stat_json(&r->rss));
    json_object_set_new(o, "floor_seconds", stat_json(&r->floor_wall));
    json_object_set_new(o, "x_floor", stat_json(&r->xfloor));
    if (r->extra_name)
        json_object_set_new(o, r->extra_name, stat_json(&r->extra));
    if (r->goal)
        json_object_set_new(o, "target", json_pack("{s:s,s:s,s:s,s:s?}", "goal", r->goal, "verdict", r->verdict,
                                                   "result", r->status > 0 ? "pass" : r->status == 0 ? "fail" : "n/a",
                                                   "why", r->status == 0 ? r->why : NULL));
    return o;
}

static void cpu_model(char *b, size_t n)
{
    snprintf(b, n, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        char *c = strchr(line, ':');
        if (!strncmp(line, "model name", 10) && c) {
            snprintf(b, n, "%s", c + 2);
            b[strcspn(b, "\n")] = '\0';
            break;
        }
    }
    if (f)
        fclose(f);
}

int bench_write_results(const char *path, unsigned runs, int full, const calib *c, const bench_row *rows, size_t n,
                        double seconds)
{
    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, bench_row_json(&rows[i]));
    json_t *doc = json_pack(
        "{s:s,s:{s:s,s:s},s:{s:s,s:i},s:{s:i,s:i,s:b},s:{s:f,s:f,s:f,s:f},s:o,s:f}", "schema", "viosim-bench/1",
        "tool", "version", vio_version(), "git", vio_git_version(), "machine", "cpu", cpu, "cpus",
        (int)sysconf(_SC_NPROCESSORS_ONLN), "method", "timed_runs", (int)runs, "warmup_runs", 1, "full",
        full, "load100", "host_busy_ns_per_packet", c->busy_ns, "host_capacity_pps", c->capacity_pps,
        "offered_pps_at_load_1", c->offered_pps_at_1, "traffic_load", c->load100, "rows", arr, "total_seconds",
        seconds);
    vio_err err = {{0}};
    int rc = vio_write_json_atomic(doc, path, &err);
    json_decref(doc);
    if (rc != VIO_OK)
        fprintf(stderr, "viosim-bench: %s\n", err.msg);
    return rc;
}
