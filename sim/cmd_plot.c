/* `viosim plot DIR`: figures of a run (DIR/results.json) or a sweep
 * (DIR/summary.json). viosim writes one CSV per figure under DIR/plots/ and
 * hands it to a gnuplot script in plots/ (restyle there, not here); it chooses
 * what to draw and how to scale it: latency in ns, µs or ms as fits, fractions
 * as %, log2 axes for powers of two, and no figure with nothing to show. */
#include "cli.h"
#include "summary.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct plotter {
    const char *dir;     /* the run's or sweep's directory */
    char scripts[4096];  /* where the .gp files are */
    const char *format;  /* png, svg or both */
    int quiet, drawn;
} plotter;

/* plots/ next to an installed binary, in the source tree, or $VIOSIM_PLOTS. */
static int find_scripts(plotter *pl)
{
    const char *env = getenv("VIOSIM_PLOTS");
    char exe[4096], cand[3][4000];
    size_t nc = 0;
    if (env && *env)
        snprintf(cand[nc++], sizeof cand[0], "%s", env);
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        snprintf(cand[nc++], sizeof cand[0], "%.3900s/../share/viosim/plots", exe);
    }
    snprintf(cand[nc++], sizeof cand[0], "%s", VIOSIM_PLOTS_DIR);
    for (size_t i = 0; i < nc; i++) {
        char probe[4200];
        snprintf(probe, sizeof probe, "%.3999s/common.gp", cand[i]);
        if (access(probe, R_OK) == 0) {
            snprintf(pl->scripts, sizeof pl->scripts, "%.3999s", cand[i]);
            return 0;
        }
    }
    return cli_fail(EXIT_RUN_FAILED, "cannot find viosim's gnuplot scripts (plots/common.gp); set VIOSIM_PLOTS");
}

/* A gnuplot string literal: single quotes, a quote doubled. */
static void gp_str(char *buf, size_t len, const char *name, const char *val)
{
    size_t o = (size_t)snprintf(buf, len, "%s='", name);
    for (; *val && o + 3 < len; val++) {
        if (*val == '\'')
            buf[o++] = '\'';
        buf[o++] = *val;
    }
    snprintf(buf + o, len - o, "'; ");
}

/* Run plots/SCRIPT.gp on DIR/plots/NAME.csv for each format; `vars` are extra gnuplot assignments. */
static int draw(plotter *pl, const char *script, const char *name, const char *vars)
{
    const char *fmts[2] = {"png", "svg"};
    for (int f = 0; f < 2; f++) {
        if (strcmp(pl->format, "both") && strcmp(pl->format, fmts[f]))
            continue;
        char data[4200], out[4200], gp[4200], expr[32768], a[4400], b[4400], c[64], d[4400];
        snprintf(data, sizeof data, "%s/plots/%s.csv", pl->dir, name);
        snprintf(out, sizeof out, "%s/plots/%s.%s", pl->dir, name, fmts[f]);
        snprintf(gp, sizeof gp, "%s/%s.gp", pl->scripts, script);
        gp_str(a, sizeof a, "data", data);
        gp_str(b, sizeof b, "out", out);
        gp_str(c, sizeof c, "fmt", fmts[f]);
        gp_str(d, sizeof d, "dir", pl->scripts);
        snprintf(expr, sizeof expr, "%s%s%s%s%s", a, b, c, d, vars);
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
            return cli_fail(EXIT_RUN_FAILED, "cannot fork gnuplot: %s", strerror(errno));
        if (pid == 0) {
            execlp("gnuplot", "gnuplot", "-e", expr, gp, (char *)NULL);
            _exit(127);
        }
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            return cli_fail(EXIT_RUN_FAILED, "gnuplot failed on %s (%s)%s", gp, out,
                            WIFEXITED(st) && WEXITSTATUS(st) == 127 ? ": is gnuplot installed?" : "");
        if (!pl->quiet)
            printf("%s\n", out);
    }
    pl->drawn++;
    return 0;
}

static FILE *open_csv(plotter *pl, const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/plots/%s.csv", pl->dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        cli_fail(EXIT_RUN_FAILED, "%s: cannot create: %s", path, strerror(errno));
    return f;
}

/* Latency in the unit that keeps tick labels short. */
static double latency_unit(double max_ns, const char **unit)
{
    if (max_ns >= 1e6) {
        *unit = "ms";
        return 1e-6;
    }
    if (max_ns >= 1e3) {
        *unit = "µs";
        return 1e-3;
    }
    *unit = "ns";
    return 1;
}

/* ---- a run ---- */

static int plot_latency_cdf(plotter *pl, const json_t *doc)
{
    const json_t *vars = json_object_get(doc, "variants");
    static const char *q[] = {"min", "p50", "p90", "p99", "p999", "max"};
    static const double frac[] = {0, 0.5, 0.9, 0.99, 0.999, 1};
    double mx = 0;
    size_t nv = json_array_size(vars), with = 0;
    for (size_t v = 0; v < nv; v++) {
        const json_t *lat = json_object_get(json_array_get(vars, v), "latency_ns");
        with += json_integer_value(json_object_get(lat, "count")) > 0;
        mx = fmax(mx, json_number_value(json_object_get(lat, "max")));
    }
    if (!with)
        return 0; /* nothing was delivered */
    const char *unit;
    double scale = latency_unit(mx, &unit);
    FILE *f = open_csv(pl, "latency-cdf");
    if (!f)
        return EXIT_RUN_FAILED;
    for (size_t v = 0; v < nv; v++)
        fprintf(f, "%s%s,%s fraction", v ? "," : "", json_string_value(json_object_get(json_array_get(vars, v), "name")),
                json_string_value(json_object_get(json_array_get(vars, v), "name")));
    fputc('\n', f);
    for (size_t k = 0; k < 6; k++) {
        for (size_t v = 0; v < nv; v++) {
            const json_t *lat = json_object_get(json_array_get(vars, v), "latency_ns");
            fprintf(f, "%s%.6g,%g", v ? "," : "", json_number_value(json_object_get(lat, q[k])) * scale, frac[k]);
        }
        fputc('\n', f);
    }
    fclose(f);
    char vars_gp[2048], t[1024], x[512];
    char title[600];
    snprintf(title, sizeof title, "%s: packet latency, CDF from min, p50, p90, p99, p99.9, max",
             json_string_value(cli_json_at(doc, "scenario.name")));
    gp_str(t, sizeof t, "title", title);
    snprintf(title, sizeof title, "latency, NIC last bit to end of guest processing (%s)", unit);
    gp_str(x, sizeof x, "xlabel", title);
    snprintf(vars_gp, sizeof vars_gp, "%s%snseries=%zu", t, x, nv);
    return draw(pl, "latency-cdf", "latency-cdf", vars_gp);
}

/* Clustered bars: rows x variants; drawn only when some value is non-zero. */
static int bars(plotter *pl, const char *name, const char *title, const char *xlabel, const char *ylabel,
                const char *const *rows, size_t nrows, const char *const *cols, size_t ncols, const double *val)
{
    int any = 0;
    for (size_t i = 0; i < nrows * ncols; i++)
        any |= isfinite(val[i]) && val[i] != 0;
    if (!any || !ncols)
        return 0;
    FILE *f = open_csv(pl, name);
    if (!f)
        return EXIT_RUN_FAILED;
    fputs("row", f);
    for (size_t c = 0; c < ncols; c++)
        fprintf(f, ",%s", cols[c]);
    fputc('\n', f);
    for (size_t r = 0; r < nrows; r++) {
        fprintf(f, "\"%s\"", rows[r]);
        for (size_t c = 0; c < ncols; c++)
            fprintf(f, ",%.10g", val[r * ncols + c]);
        fputc('\n', f);
    }
    fclose(f);
    char v[4096], a[1024], b[1024], c[1024];
    gp_str(a, sizeof a, "title", title);
    gp_str(b, sizeof b, "xlabel", xlabel);
    gp_str(c, sizeof c, "ylabel", ylabel);
    snprintf(v, sizeof v, "%s%s%sncols=%zu", a, b, c, ncols);
    return draw(pl, "bars", name, v);
}

static int plot_run(plotter *pl, const json_t *doc)
{
    int rc = plot_latency_cdf(pl, doc);
    const json_t *vars = json_object_get(doc, "variants");
    size_t nv = json_array_size(vars);
    const char *sname = json_string_value(cli_json_at(doc, "scenario.name"));
    const char **names = calloc(nv + 1, sizeof *names);
    for (size_t v = 0; v < nv; v++)
        names[v] = json_string_value(json_object_get(json_array_get(vars, v), "name"));
    char title[512];
    /* Where the guests' reads were served. */
    static const char *lv[] = {"l1", "llc", "remote_core", "dram"};
    static const char *lvname[] = {"L1", "LLC", "other core's cache", "DRAM"};
    double *val = calloc(8 * (nv + 1), sizeof *val);
    for (size_t r = 0; r < 4; r++)
        for (size_t v = 0; v < nv; v++)
            val[r * nv + v] = 100 * json_number_value(json_object_get(cli_json_at(json_array_get(vars, v), "guest_reads"), lv[r]));
    snprintf(title, sizeof title, "%s: where guest reads of packets were served", sname);
    if (!rc)
        rc = bars(pl, "guest-reads", title, "served from", "share of guest line reads (%)", lvname, 4, names, nv,
                  val);
    /* Drops by site. */
    static const char *site[] = {"nic_ring", "guest_ring", "shared_ring", "iommu"};
    static const char *sitename[] = {"NIC ring full", "guest ring full", "shared LLC ring full", "IOMMU blocked"};
    for (size_t r = 0; r < 4; r++)
        for (size_t v = 0; v < nv; v++)
            val[r * nv + v] = json_number_value(json_object_get(cli_json_at(json_array_get(vars, v), "packets.dropped_at"),
                                                                site[r]));
    snprintf(title, sizeof title, "%s: dropped packets by where they were lost", sname);
    if (!rc)
        rc = bars(pl, "drops", title, "drop site", "packets dropped", sitename, 4, names, nv, val);
    free(val);
    /* Tenants: only variants with the IOMMU (their tenant lists), rows from the first such variant. */
    const json_t *tref = NULL;
    size_t ni = 0;
    const char **inames = calloc(nv + 1, sizeof *inames);
    size_t *iidx = calloc(nv + 1, sizeof *iidx);
    for (size_t v = 0; v < nv; v++) {
        const json_t *ten = cli_json_at(json_array_get(vars, v), "iommu.tenants");
        if (json_array_size(ten) > 0) {
            tref = tref ? tref : ten;
            iidx[ni] = v;
            inames[ni++] = names[v];
        }
    }
    size_t nt = json_array_size(tref);
    if (!rc && nt) {
        char **rows = calloc(nt, sizeof *rows);
        double *blocked = calloc(nt * ni, sizeof *blocked), *cross = calloc(nt * ni, sizeof *cross);
        for (size_t t = 0; t < nt; t++) {
            const json_t *tt = json_array_get(tref, t);
            const char *adv = json_string_value(json_object_get(tt, "adversary"));
            rows[t] = malloc(128);
            snprintf(rows[t], 128, "tag %lld, vm %lld%s%s", (long long)json_integer_value(json_object_get(tt, "tag")),
                     (long long)json_integer_value(json_object_get(tt, "vm")), adv && strcmp(adv, "none") ? ", " : "",
                     adv && strcmp(adv, "none") ? adv : "");
            for (size_t k = 0; k < ni; k++) {
                const json_t *tk = json_array_get(cli_json_at(json_array_get(vars, iidx[k]), "iommu.tenants"), t);
                blocked[t * ni + k] = json_number_value(json_object_get(tk, "blocked"));
                cross[t * ni + k] = json_number_value(json_object_get(tk, "cross_tenant_bytes"));
            }
        }
        snprintf(title, sizeof title, "%s: DMA transactions the IOMMU blocked, per tenant", sname);
        rc = bars(pl, "tenants-blocked", title, "tenant", "blocked transactions", (const char *const *)rows, nt,
                  inames, ni, blocked);
        snprintf(title, sizeof title, "%s: payload bytes landing in another tenant's memory", sname);
        if (!rc)
            rc = bars(pl, "tenants-cross-bytes", title, "tenant", "cross-tenant bytes (B)", (const char *const *)rows,
                      nt, inames, ni, cross);
        for (size_t t = 0; t < nt; t++)
            free(rows[t]);
        free(rows);
        free(blocked);
        free(cross);
    }
    free(inames);
    free(iidx);
    free(names);
    return rc;
}

/* ---- a sweep ---- */

typedef struct sweep_fig {
    const char *metric, *file, *what; /* summary metric, figure name, what it shows */
    int kind;                         /* 0 as is, 1 latency (ns), 2 fraction -> %, 3 bytes */
    const char *unit;                 /* for kind 0 and 3 */
} sweep_fig;

static const sweep_fig figs[] = {
    {"latency_mean_ns", "latency-mean", "mean latency", 1, NULL},
    {"latency_p99_ns", "latency-p99", "p99 latency", 1, NULL},
    {"throughput_gbps", "throughput", "delivered throughput", 0, "Gb/s"},
    {"drop_rate", "drop-rate", "packets dropped", 2, NULL},
    {"dma_write_hit_rate", "dma-write-hits", "DMA writes hitting the LLC", 2, NULL},
    {"iotlb_hit_rate", "iotlb-hit-rate", "IOTLB hit rate", 2, NULL},
    {"guest_reads_llc", "guest-reads-llc", "guest reads served by the LLC", 2, NULL},
    {"vm_exits", "vm-exits", "VM exits", 0, "exits"},
    {"iommu_blocked", "iommu-blocked", "DMA transactions blocked", 0, "transactions"},
    {"cross_tenant_bytes", "cross-tenant-bytes", "bytes landing in another tenant's memory", 3, NULL},
    {NULL, NULL, NULL, 0, NULL},
};

/* "traffic.flows[*].size" -> its parameter row's unit, for the axis label. */
static void axis_label(const char *path, char *buf, size_t len)
{
    if (!strcmp(path, "traffic.load")) {
        snprintf(buf, len, "offered load, traffic.load (x the scenario's flow rates)");
        return;
    }
    char generic[256];
    size_t o = 0;
    for (const char *p = path; *p && o + 3 < sizeof generic; p++) {
        if (*p == '[') {
            generic[o++] = '[';
            generic[o++] = ']';
            while (*p && *p != ']')
                p++;
            if (!*p)
                break;
        } else {
            generic[o++] = *p;
        }
    }
    generic[o] = '\0';
    const vio_param *prm = vio_params_find(generic);
    const char *unit = prm && prm->unit && *prm->unit ? prm->unit : "no unit";
    snprintf(buf, len, "%s (%s)", path, unit);
}

static int pow2_axis(const json_t *values)
{
    size_t n = json_array_size(values);
    if (n < 3)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(values, i);
        if (!json_is_integer(v) || json_integer_value(v) < 1)
            return 0;
        long long x = json_integer_value(v);
        if (x & (x - 1))
            return 0;
    }
    return 1;
}

static int plot_sweep(plotter *pl, const json_t *sum)
{
    const json_t *axes = json_object_get(sum, "axes"), *rows = json_object_get(sum, "rows");
    const json_t *ax0 = json_array_get(axes, 0);
    const char *xpath = json_string_value(json_object_get(ax0, "path"));
    const json_t *xs = json_object_get(ax0, "values");
    for (size_t i = 0; i < json_array_size(xs); i++)
        if (!json_is_number(json_array_get(xs, i))) {
            if (!pl->quiet)
                fprintf(stderr, "viosim: plot: %s takes non-numeric values; no sweep figures\n", xpath);
            return 0;
        }
    /* Series: a variant, and the values of the other axes. */
    size_t nr = json_array_size(rows);
    json_t *series = json_array();
    int *sidx = calloc(nr + 1, sizeof *sidx);
    for (size_t r = 0; r < nr; r++) {
        const json_t *row = json_array_get(rows, r);
        char label[512];
        size_t o = (size_t)snprintf(label, sizeof label, "%s", json_string_value(json_object_get(row, "variant")));
        for (size_t a = 1; a < json_array_size(axes) && o < sizeof label; a++) {
            const char *p = json_string_value(json_object_get(json_array_get(axes, a), "path"));
            char *vt = json_dumps(json_object_get(json_object_get(row, "params"), p), JSON_ENCODE_ANY | JSON_COMPACT);
            /* The last component names it well enough in a legend: "size=512". */
            const char *dot = strrchr(p, '.');
            o += (size_t)snprintf(label + o, sizeof label - o, " (%s=%s)", dot ? dot + 1 : p, vt ? vt : "?");
            free(vt);
        }
        size_t s = 0;
        while (s < json_array_size(series) && strcmp(json_string_value(json_array_get(series, s)), label))
            s++;
        if (s == json_array_size(series))
            json_array_append_new(series, json_string(label));
        sidx[r] = (int)s;
    }
    size_t ns = json_array_size(series), nx = json_array_size(xs);
    const char *sname = json_string_value(json_object_get(sum, "name"));
    char xlabel[512];
    axis_label(xpath, xlabel, sizeof xlabel);
    int rc = 0;
    double *mean = malloc(sizeof(double) * (ns * nx + 1)), *ci = malloc(sizeof(double) * (ns * nx + 1));
    for (const sweep_fig *fg = figs; fg->metric && !rc; fg++) {
        double mx = 0;
        int any = 0;
        for (size_t i = 0; i < ns * nx; i++)
            mean[i] = ci[i] = NAN;
        for (size_t r = 0; r < nr; r++) {
            const json_t *row = json_array_get(rows, r);
            const json_t *m = json_object_get(json_object_get(row, "metrics"), fg->metric);
            const json_t *xv = json_object_get(json_object_get(row, "params"), xpath);
            size_t xi = 0;
            while (xi < nx && !json_equal(json_array_get(xs, xi), (json_t *)xv))
                xi++;
            if (xi == nx)
                continue;
            double mu = json_is_number(json_object_get(m, "mean")) ? json_number_value(json_object_get(m, "mean")) : NAN;
            double h = json_is_number(json_object_get(m, "ci95")) ? json_number_value(json_object_get(m, "ci95")) : 0;
            mean[(size_t)sidx[r] * nx + xi] = mu;
            ci[(size_t)sidx[r] * nx + xi] = h;
            if (isfinite(mu)) {
                any |= mu != 0;
                mx = fmax(mx, mu + h);
            }
        }
        if (!any)
            continue; /* e.g. no DDIO, no IOMMU in this sweep: nothing to show */
        double scale = 1;
        const char *unit = fg->unit;
        if (fg->kind == 1)
            scale = latency_unit(mx, &unit);
        else if (fg->kind == 2)
            scale = 100, unit = "%";
        else if (fg->kind == 3)
            scale = mx >= 1e9 ? 1e-9 : mx >= 1e6 ? 1e-6 : mx >= 1e3 ? 1e-3 : 1,
            unit = mx >= 1e9 ? "GB" : mx >= 1e6 ? "MB" : mx >= 1e3 ? "kB" : "B";
        FILE *f = open_csv(pl, fg->file);
        if (!f) {
            rc = EXIT_RUN_FAILED;
            break;
        }
        fprintf(f, "%s", xpath);
        for (size_t s = 0; s < ns; s++)
            fprintf(f, ",%s,%s ci95", json_string_value(json_array_get(series, s)),
                    json_string_value(json_array_get(series, s)));
        fputc('\n', f);
        for (size_t xi = 0; xi < nx; xi++) {
            fprintf(f, "%.10g", json_number_value(json_array_get(xs, xi)));
            for (size_t s = 0; s < ns; s++) {
                double mu = mean[s * nx + xi], h = ci[s * nx + xi];
                if (isfinite(mu))
                    fprintf(f, ",%.8g,%.8g", mu * scale, isfinite(h) ? h * scale : 0);
                else
                    fputs(",,", f);
            }
            fputc('\n', f);
        }
        fclose(f);
        char title[1024], ylabel[256], v[4096], a[1200], b[700], c[400];
        snprintf(title, sizeof title, "%s: %s (mean, 95%% CI, %lld replications)", sname, fg->what,
                 (long long)json_integer_value(json_object_get(sum, "replications")));
        snprintf(ylabel, sizeof ylabel, "%s (%s)", fg->what, unit);
        gp_str(a, sizeof a, "title", title);
        gp_str(b, sizeof b, "xlabel", xlabel);
        gp_str(c, sizeof c, "ylabel", ylabel);
        snprintf(v, sizeof v, "%s%s%snseries=%zu; log2x=%d", a, b, c, ns, pow2_axis(xs));
        rc = draw(pl, "sweep-metric", fg->file, v);
    }
    free(mean);
    free(ci);
    free(sidx);
    json_decref(series);
    return rc;
}

int cmd_plot(cli_opts *o)
{
    if (o->npositional == 0)
        return cli_fail(EXIT_BAD_INPUT, "plot needs a run's or a sweep's directory (see viosim plot --help)");
    plotter pl = {.dir = o->positional[0], .format = o->format ? o->format : "both", .quiet = o->quiet};
    char path[4200], msg[4400];
    snprintf(path, sizeof path, "%s/summary.json", pl.dir);
    json_t *sum = json_load_file(path, 0, NULL);
    snprintf(path, sizeof path, "%s/results.json", pl.dir);
    json_t *run = sum ? NULL : json_load_file(path, 0, NULL);
    if (!sum && !run)
        return cli_fail(EXIT_BAD_INPUT, "%s: neither results.json (a run) nor summary.json (a sweep) here", pl.dir);
    int rc = find_scripts(&pl);
    snprintf(path, sizeof path, "%s/plots", pl.dir);
    if (!rc && cli_mkdirs(path, msg, sizeof msg) != 0)
        rc = cli_fail(EXIT_RUN_FAILED, "%s", msg);
    if (!rc)
        rc = sum ? plot_sweep(&pl, sum) : plot_run(&pl, run);
    if (!rc && pl.drawn == 0 && !o->quiet)
        fprintf(stderr, "viosim: plot: nothing to draw in %s\n", pl.dir);
    json_decref(sum);
    json_decref(run);
    return rc;
}
