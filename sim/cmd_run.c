/* `viosim run`: simulate a scenario's variants, print the summary, write results.json. */
#include "cli.h"
#include "progress.h"
#include "summary.h"
#include "viosim/sensitivity.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The indices of the --variant names, in the order given (a repeat runs once). */
static int pick_variants(const vio_scenario *s, const cli_opts *o, uint32_t *idx, uint32_t *n)
{
    *n = 0;
    for (size_t i = 0; i < o->nvariants; i++) {
        int v = vio_scenario_variant_by_name(s, o->variants[i]);
        if (v < 0)
        {
            char esc[128];
            return cli_fail(EXIT_BAD_INPUT, "--variant %s: %s has no variant of that name",
                            vio_escape(esc, sizeof esc, o->variants[i], strlen(o->variants[i])), s->source);
        }
        int seen = 0;
        for (uint32_t k = 0; k < *n; k++)
            seen |= idx[k] == (uint32_t)v;
        if (!seen)
            idx[(*n)++] = (uint32_t)v;
    }
    return 0;
}

/* The display of a run in progress: the bar counts finished variants; the
 * detail names each running one with its packets and simulated time. */
typedef struct run_progress {
    progress bar;
    const vio_scenario *s;
    const uint32_t *order; /* the variants in the order vio_run finishes them */
    uint32_t n, done;
    vio_variant_progress last[VIO_MAX_VARIANTS];
} run_progress;

static void show_progress(run_progress *rp)
{
    size_t len = 0;
    double partial = 0;
    rp->bar.detail[0] = '\0';
    for (uint32_t i = rp->done; i < rp->n; i++) {
        const vio_variant_progress *p = &rp->last[rp->order[i]];
        if (!p->total || len >= sizeof rp->bar.detail)
            continue;
        partial += (double)p->packets / (double)p->total;
        int w = snprintf(rp->bar.detail + len, sizeof rp->bar.detail - len, "%s%s %.0f %% of %llu packets, %.3f ms "
                         "simulated", len ? "; " : "", rp->s->variants[rp->order[i]].name,
                         100.0 * (double)p->packets / (double)p->total, (unsigned long long)p->total,
                         (double)p->now / 1e9);
        len += w > 0 ? (size_t)w : 0;
    }
    rp->bar.partial = partial;
    progress_update(&rp->bar, rp->done);
}

static void on_progress(void *ctx, uint32_t done, uint32_t total)
{
    (void)total;
    run_progress *rp = ctx;
    rp->done = done;
    show_progress(rp);
}

static void on_variant_progress(void *ctx, const vio_variant_progress *p)
{
    run_progress *rp = ctx;
    if (p->variant < VIO_MAX_VARIANTS)
        rp->last[p->variant] = *p;
    show_progress(rp);
}

/* Run the variants `only` (all when nonly is 0) with a progress display:
 * the bar on a terminal after a second, plain lines every 10 s otherwise
 * (from the start with --progress), nothing with --quiet or --no-progress. */
int cli_run_variants(const cli_opts *o, const vio_scenario *s, const uint32_t *only, uint32_t nonly,
                     vio_run_opts *opts, json_t **doc, vio_run_perf *perf, vio_err *err)
{
    char what[128];
    snprintf(what, sizeof what, "run %s", s->name);
    run_progress *rp = calloc(1, sizeof *rp);
    uint32_t all[VIO_MAX_VARIANTS];
    for (uint32_t i = 0; i < s->nvariants && i < VIO_MAX_VARIANTS; i++)
        all[i] = i;
    if (rp) {
        double delay = o->progress > 0 ? 0 : isatty(STDERR_FILENO) ? 1.0 : 10.0;
        *rp = (run_progress){.s = s, .order = nonly ? only : all, .n = nonly ? nonly : s->nvariants};
        progress_start(&rp->bar, what, "variants", rp->n, o->quiet, o->progress, delay);
        if (rp->bar.mode) {
            opts->progress = on_progress;
            opts->variant_progress = on_variant_progress;
            opts->progress_ctx = rp;
        }
    }
    int rc = vio_run(s, -1, opts, doc, perf, err);
    if (rp)
        progress_end(&rp->bar);
    free(rp);
    return rc;
}

static int write_text(const char *path, const char *text, char *msg, size_t len)
{
    char tmp[1300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        snprintf(msg, len, "cannot write %s", path);
        return -1;
    }
    if (rename(tmp, path) != 0) {
        snprintf(msg, len, "cannot rename %s to %s", tmp, path);
        return -1;
    }
    return 0;
}

/* --sensitivity F: the library does the runs; here only the files. The tornado
 * plot shows one variant (the first --variant, else the last one) against the base. */
static int run_sensitivity(cli_opts *o, const vio_scenario *s, const char *outdir, vio_run_opts *ro)
{
    vio_err err = {{0}};
    vio_sens_opts so = {.factor = o->sensitivity, .run = *ro};
    so.run.only = NULL;
    so.run.nonly = 0;
    so.run.progress = NULL;
    so.run.variant_progress = NULL;
    json_t *doc = NULL;
    int rc = vio_sensitivity(o->npositional ? o->positional[0] : NULL, o->sets, o->nsets, &so, &doc, &err);
    if (rc != VIO_OK)
        return cli_fail(cli_exit_for(rc), "%s", err.msg);
    const char *shown = o->nvariants ? o->variants[0] : s->variants[s->nvariants - 1].name;
    char path[1200], msg[1400];
    int status = 0;
    snprintf(path, sizeof path, "%s/sensitivity.json", outdir);
    if (vio_write_json_atomic(doc, path, &err) != VIO_OK)
        status = cli_fail(EXIT_RUN_FAILED, "%s", err.msg);
    char *md = vio_sensitivity_markdown(doc);
    snprintf(path, sizeof path, "%s/sensitivity.md", outdir);
    if (status == 0 && (!md || write_text(path, md, msg, sizeof msg) != 0))
        status = cli_fail(EXIT_RUN_FAILED, "%s", md ? msg : "out of memory");
    if (status == 0 && !o->quiet)
        fputs(md, stdout);
    free(md);
    /* tornado.dat: rank, parameter, diff at /F, diff at xF, for the shown variant. */
    size_t cap = 1 << 16, len = 0;
    char *dat = malloc(cap);
    double ref = json_number_value(json_object_get(json_object_get(doc, "reference"), shown));
    if (dat)
        len += (size_t)snprintf(dat, cap, "# %s vs %s, %% difference of %s; reference %.3f\n", shown,
                                json_string_value(json_object_get(doc, "base")),
                                json_string_value(json_object_get(doc, "metric")), ref);
    size_t i;
    const json_t *p;
    json_array_foreach(json_object_get(doc, "parameters"), i, p)
    {
        if (!dat || i >= 15 || len + 256 > cap)
            break;
        len += (size_t)snprintf(dat + len, cap - len, "%zu \"%s\" %.3f %.3f\n", i,
                                json_string_value(json_object_get(p, "path")),
                                json_number_value(json_object_get(json_object_get(p, "low_diff"), shown)),
                                json_number_value(json_object_get(json_object_get(p, "high_diff"), shown)));
    }
    snprintf(path, sizeof path, "%s/tornado.dat", outdir);
    if (status == 0 && (!dat || write_text(path, dat, msg, sizeof msg) != 0))
        status = cli_fail(EXIT_RUN_FAILED, "%s", dat ? msg : "out of memory");
    free(dat);
    char gp[2048];
    snprintf(gp, sizeof gp,
             "# Tornado plot of the sensitivity of %s: gnuplot tornado.gp (in this directory)\n"
             "set terminal pngcairo size 900,600\nset output 'tornado.png'\n"
             "set title \"%s vs %s: %% change of mean latency, each estimate at /%g (blue) and x%g (red)\"\n"
             "set yrange [-0.5:15] reverse\nset ytics nomirror\nset grid xtics\nset xlabel '%% difference from the base'\n"
             "ref = %.3f\nset arrow from ref, graph 0 to ref, graph 1 nohead dt 2\nset style fill solid 0.6\n"
             "plot 'tornado.dat' using (($3+ref)/2):1:(ref<$3?ref:$3):(ref<$3?$3:ref):($1-0.35):($1+0.35):ytic(2) "
             "with boxxyerror lc rgb 'blue' title '/%g', \\\n"
             "     '' using (($4+ref)/2):1:(ref<$4?ref:$4):(ref<$4?$4:ref):($1-0.35):($1+0.35) "
             "with boxxyerror lc rgb 'red' title 'x%g'\n",
             shown, shown, json_string_value(json_object_get(doc, "base")), o->sensitivity, o->sensitivity, ref,
             o->sensitivity, o->sensitivity);
    snprintf(path, sizeof path, "%s/tornado.gp", outdir);
    if (status == 0 && write_text(path, gp, msg, sizeof msg) != 0)
        status = cli_fail(EXIT_RUN_FAILED, "%s", msg);
    if (status == 0 && !o->quiet)
        printf("sensitivity: %s/sensitivity.json, %s/sensitivity.md; plot: cd %s && gnuplot tornado.gp\n", outdir,
               outdir, outdir);
    json_decref(doc);
    return status;
}

int cli_write_results(const json_t *doc, const char *dir, char *path, size_t len, vio_err *err)
{
    snprintf(path, len, "%s/results.json", dir);
    /* A signal now waits until the file is whole and in place, or was never started. */
    cli_signals_block(1);
    int rc = vio_run_interrupted() ? VIO_EINTR : vio_write_json_atomic(doc, path, err);
    if (rc == VIO_EINTR)
        vio_err_set(err, rc, "interrupted by signal %d before results.json was written", vio_run_interrupted());
    cli_signals_block(0);
    return rc;
}

int cmd_run(cli_opts *o)
{
    if (o->replay)
        return cmd_replay(o);
    vio_err err = {{0}};
    vio_scenario *s = NULL;
    int rc = cli_load(o->npositional ? o->positional[0] : NULL, o->sets, o->nsets, &s, &err);
    if (rc != VIO_OK)
        return cli_fail(cli_exit_for(rc), "%s", err.msg);
    uint32_t *only = calloc(s->nvariants, sizeof *only), nonly = 0;
    int status = only ? pick_variants(s, o, only, &nonly) : cli_fail(EXIT_RUN_FAILED, "out of memory");
    char outdir[1100], path[1200], msg[1400];
    if (status == 0) {
        if (o->outdir)
            snprintf(outdir, sizeof outdir, "%s", o->outdir);
        else
            snprintf(outdir, sizeof outdir, "results/%s", s->name);
        if (cli_mkdirs(outdir, msg, sizeof msg) != 0)
            status = cli_fail(EXIT_RUN_FAILED, "%s", msg);
    }
    if (status != 0) {
        free(only);
        vio_scenario_destroy(s);
        return status;
    }
    if (status == 0)
        status = cli_check_memory(s, only, nonly, o->jobs ? o->jobs : 1, o);
    if (status != 0) {
        free(only);
        vio_scenario_destroy(s);
        return status;
    }
    vio_run_opts opts = {.jobs = o->jobs ? o->jobs : 1,
                         .engine = o->engine && !strcmp(o->engine, "sequential") ? VIO_ENGINE_SEQUENTIAL
                                                                                 : VIO_ENGINE_SIMGRID,
                         .log = o->log,
                         .contexts = getenv("VIOSIM_CONTEXTS"),
                         .only = nonly ? only : NULL,
                         .nonly = nonly};
    if (o->sensitivity > 1.0) {
        status = run_sensitivity(o, s, outdir, &opts);
        free(only);
        vio_scenario_destroy(s);
        return status;
    }
    vio_run_perf *perf = calloc(s->nvariants, sizeof *perf);
    json_t *doc = NULL;
    rc = cli_run_variants(o, s, only, nonly, &opts, &doc, perf, &err);
    if (rc == VIO_OK) {
        rc = cli_write_results(doc, outdir, path, sizeof path, &err);
        if (rc == VIO_OK && !o->quiet) {
            vio_print_summary(stdout, s, doc, perf, nonly ? only : NULL, nonly);
            printf("results: %s\n", path);
        }
        if (rc != VIO_OK)
            rc = VIO_ERUN; /* the input was fine; writing failed */
    }
    json_decref(doc);
    free(perf);
    free(only);
    vio_scenario_destroy(s);
    if (rc == VIO_EINTR)
        return cli_fail(128 + vio_run_interrupted(), "%s", err.msg);
    if (rc != VIO_OK)
        return cli_fail(cli_exit_for(rc), "%s", err.msg);
    return 0;
}
