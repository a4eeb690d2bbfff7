/* Summaries of a sweep: one row per point and variant, the mean and the 95 %
 * confidence interval (Student t over replications) of each headline metric.
 * Rows come from the plan's order and each replication's file, never from
 * the order runs finished in, so -j 1 and -j 4 give the same bytes. */
#include "sweep.h"
#include "summary.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* t(0.975, df) for df = 1..30 (two-sided 95 %), from the standard table
 * (e.g. NIST/SEMATECH e-Handbook of Statistical Methods, section 1.3.6.7.2). */
static const double t975[31] = {NAN,   12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                2.201, 2.179,  2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080,
                                2.074, 2.069,  2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};

double sweep_t975(unsigned df)
{
    if (df == 0)
        return NAN;
    if (df <= 30)
        return t975[df];
    /* Beyond the table: the Cornish-Fisher expansion around z = 1.959964 (Abramowitz & Stegun 26.7.5);
     * at df = 30 it gives 2.0423, the table 2.042. */
    double z = 1.959963984540054, n = df, z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
    return z + (z3 + z) / (4 * n) + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n) +
           (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * n * n * n);
}

void sweep_mean_ci(const double *x, size_t n, double *mean, double *half)
{
    if (n == 0) {
        *mean = *half = NAN;
        return;
    }
    /* Deviations from x[0]: identical replications give exactly zero spread, not rounding noise. */
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += x[i] - x[0];
    double dmean = sum / (double)n;
    *mean = x[0] + dmean;
    if (n < 2) {
        *half = NAN;
        return;
    }
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - x[0] - dmean) * (x[i] - x[0] - dmean);
    *half = sweep_t975((unsigned)(n - 1)) * sqrt(ss / (double)(n - 1)) / sqrt((double)n);
}

/* A headline metric: its column name, unit and where it lives in a variant's results. */
typedef struct metric {
    const char *name, *unit, *path;
} metric;

static const metric metrics[] = {
    {"latency_mean_ns", "ns", "latency_ns.mean"},
    {"latency_p50_ns", "ns", "latency_ns.p50"},
    {"latency_p99_ns", "ns", "latency_ns.p99"},
    {"latency_p999_ns", "ns", "latency_ns.p999"},
    {"throughput_mpps", "Mpps", "throughput.mpps"},
    {"throughput_gbps", "Gb/s", "throughput.gbps"},
    {"offered", "packets", "packets.offered"},
    {"delivered", "packets", "packets.delivered"},
    {"dropped", "packets", "packets.dropped"},
    {"drop_rate", "fraction", NULL}, /* dropped / offered */
    {"dma_write_hit_rate", "fraction", "dma.llc_write_hit_rate"},
    {"unread_dma_evictions", "lines", "dma.unread_evictions"},
    {"guest_reads_llc", "fraction", "guest_reads.llc"},
    {"vm_exits", "count", "interrupts.vm_exits"},
    {"iotlb_hit_rate", "fraction", "iommu.iotlb_hit_rate"},
    {"iommu_blocked", "transactions", "iommu.blocked"},
    {"cross_tenant_bytes", "bytes", "iommu.cross_tenant_bytes"},
    {"host_busy_ns_per_packet", "ns", "cores.0.busy_ns_per_packet"},
    {NULL, NULL, NULL},
};

static double metric_value(const metric *m, const json_t *var)
{
    if (!m->path) {
        double off = json_number_value(cli_json_at(var, "packets.offered"));
        return off > 0 ? json_number_value(cli_json_at(var, "packets.dropped")) / off : NAN;
    }
    const json_t *v = cli_json_at(var, m->path);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static json_t *load_results(const char *dir, const sweep_task *t)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/points/%s/results.json", dir, t->id);
    return json_load_file(path, 0, NULL);
}

int sweep_task_done(const sweep_plan *p, const sweep_task *t, const char *dir)
{
    (void)p;
    char path[4200];
    snprintf(path, sizeof path, "%s/points/%s/results.json", dir, t->id);
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc) {
        FILE *f = fopen(path, "rb");
        if (!f)
            return 0; /* not run yet */
        fclose(f);
        /* Results are renamed into place whole: a file that does not parse was not written by viosim. */
        return cli_fail(EXIT_BAD_INPUT, "%s: not a results document (%s); remove it to rerun that point", path,
                        je.text);
    }
    const json_t *tool = json_object_get(doc, "tool");
    const char *ver = json_string_value(json_object_get(tool, "version"));
    const char *git = json_string_value(json_object_get(tool, "git"));
    const char *sha = json_string_value(json_object_get(json_object_get(doc, "scenario"), "sha256"));
    int rc = 1;
    if (!ver || !git || !sha)
        rc = cli_fail(EXIT_BAD_INPUT, "%s: not a viosim results document", path);
    else if (strcmp(ver, vio_version()) || strcmp(git, vio_git_version()))
        rc = cli_fail(EXIT_BAD_INPUT, "%s: written by viosim %s (%s), this is viosim %s (%s); use another -o", path,
                      ver, git, vio_version(), vio_git_version());
    else if (strcmp(sha, t->sha))
        rc = cli_fail(EXIT_BAD_INPUT,
                      "%s: belongs to another scenario (sha256 %.12s..., this sweep's point has %.12s...); the sweep or "
                      "its scenario changed: use another -o",
                      path, sha, t->sha);
    json_decref(doc);
    return rc;
}

/* A number as the summaries print it: exact enough to compare, the same bytes everywhere. */
static void put_num(FILE *f, double x)
{
    if (isfinite(x))
        fprintf(f, "%.10g", x);
}

static json_t *num_or_null(double x) { return isfinite(x) ? json_real(x) : json_null(); }

int sweep_summarise(const sweep_plan *p, const char *dir, uint32_t *missing, FILE *missing_out)
{
    *missing = 0;
    /* Load every task's results once; check them as a resumed sweep does. */
    json_t **docs = calloc(p->ntasks ? p->ntasks : 1, sizeof *docs);
    for (uint32_t i = 0; i < p->ntasks; i++) {
        int d = sweep_task_done(p, &p->tasks[i], dir);
        if (d > 1) {
            for (uint32_t k = 0; k < i; k++)
                json_decref(docs[k]);
            free(docs);
            return d;
        }
        if (d == 1)
            docs[i] = load_results(dir, &p->tasks[i]);
        if (!docs[i]) {
            (*missing)++;
            if (missing_out)
                fprintf(missing_out, "%s\n", p->tasks[i].id);
        }
    }
    size_t nm = 0;
    while (metrics[nm].name)
        nm++;
    char path[4200], msg[4400];
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *csv = fopen(tmp, "wb");
    if (!csv) {
        snprintf(msg, sizeof msg, "%s: cannot create: %s", tmp, strerror(errno));
        for (uint32_t k = 0; k < p->ntasks; k++)
            json_decref(docs[k]);
        free(docs);
        return cli_fail(EXIT_RUN_FAILED, "%s", msg);
    }
    fputs("point", csv);
    size_t na = json_array_size(p->axes);
    for (size_t a = 0; a < na; a++)
        fprintf(csv, ",%s", json_string_value(json_object_get(json_array_get(p->axes, a), "path")));
    fputs(",variant,replications", csv);
    for (size_t m = 0; m < nm; m++)
        fprintf(csv, ",%s_mean,%s_ci95", metrics[m].name, metrics[m].name);
    fputc('\n', csv);
    json_t *rows = json_array();
    double *x = calloc(p->reps ? p->reps : 1, sizeof *x);
    for (uint32_t pt = 0; pt < p->npoints; pt++) {
        /* The variants of the point: from its first replication that finished. */
        const json_t *first = NULL;
        for (uint32_t r = 0; r < p->reps && !first; r++)
            first = docs[pt * p->reps + r];
        const json_t *vars = json_object_get(first, "variants");
        const json_t *params = json_array_get(p->points, pt);
        for (size_t v = 0; v < json_array_size(vars); v++) {
            const char *vname = json_string_value(json_object_get(json_array_get(vars, v), "name"));
            size_t nrep = 0;
            for (uint32_t r = 0; r < p->reps; r++)
                nrep += docs[pt * p->reps + r] != NULL;
            fprintf(csv, "%u", pt);
            for (size_t a = 0; a < na; a++) {
                const char *ap = json_string_value(json_object_get(json_array_get(p->axes, a), "path"));
                const json_t *val = json_object_get(params, ap);
                fputc(',', csv);
                if (json_is_string(val))
                    fputs(json_string_value(val), csv);
                else
                    put_num(csv, json_number_value(val));
            }
            fprintf(csv, ",%s,%zu", vname, nrep);
            json_t *mobj = json_object();
            for (size_t m = 0; m < nm; m++) {
                size_t n = 0;
                for (uint32_t r = 0; r < p->reps; r++) {
                    const json_t *doc = docs[pt * p->reps + r];
                    if (!doc)
                        continue;
                    const json_t *var = json_array_get(json_object_get(doc, "variants"), v);
                    double val = metric_value(&metrics[m], var);
                    if (isfinite(val))
                        x[n++] = val;
                }
                double mean, half;
                sweep_mean_ci(x, n, &mean, &half);
                fputc(',', csv);
                put_num(csv, mean);
                fputc(',', csv);
                put_num(csv, half);
                json_object_set_new(mobj, metrics[m].name,
                                    json_pack("{s:o,s:o,s:i,s:s}", "mean", num_or_null(mean), "ci95",
                                              num_or_null(half), "n", (int)n, "unit", metrics[m].unit));
            }
            fputc('\n', csv);
            json_array_append_new(rows, json_pack("{s:i,s:O,s:s,s:i,s:o}", "point", (int)pt, "params", params,
                                                  "variant", vname, "replications", (int)nrep, "metrics", mobj));
        }
    }
    free(x);
    int bad_close = fclose(csv) != 0;
    json_t *miss = json_array();
    for (uint32_t i = 0; i < p->ntasks; i++)
        if (!docs[i])
            json_array_append_new(miss, json_string(p->tasks[i].id));
    for (uint32_t k = 0; k < p->ntasks; k++)
        json_decref(docs[k]);
    free(docs);
    vio_err err = {{0}};
    int rc = 0;
    if (bad_close || rename(tmp, path) != 0) {
        remove(tmp);
        rc = cli_fail(EXIT_RUN_FAILED, "%s: cannot write the summary", path);
    }
    json_t *doc = json_pack("{s:s,s:s,s:s,s:i,s:I,s:O,s:o,s:o}", "schema", "viosim-sweep-summary/1", "name", p->name,
                            "scenario", strrchr(p->scenario, '/') ? strrchr(p->scenario, '/') + 1 : p->scenario,
                            "replications", (int)p->reps, "base_seed", (json_int_t)p->base_seed, "axes", p->axes,
                            "rows", rows, "missing", miss);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    if (!rc && vio_write_json_atomic(doc, path, &err) != VIO_OK)
        rc = cli_fail(EXIT_RUN_FAILED, "%s", err.msg);
    json_decref(doc);
    return rc;
}
