/* `viosim run`: simulate a scenario's variants, print the summary, write results.json. */
#include "cli.h"
#include "progress.h"
#include "summary.h"

#include <stdlib.h>
#include <string.h>

/* The indices of the --variant names, in the order given (a repeat runs once). */
static int pick_variants(const vio_scenario *s, const cli_opts *o, uint32_t *idx, uint32_t *n)
{
    *n = 0;
    for (size_t i = 0; i < o->nvariants; i++) {
        int v = vio_scenario_variant_by_name(s, o->variants[i]);
        if (v < 0)
            return cli_fail(EXIT_BAD_INPUT, "--variant %s: %s has no variant of that name", o->variants[i],
                            s->source);
        int seen = 0;
        for (uint32_t k = 0; k < *n; k++)
            seen |= idx[k] == (uint32_t)v;
        if (!seen)
            idx[(*n)++] = (uint32_t)v;
    }
    return 0;
}

static void on_progress(void *ctx, uint32_t done, uint32_t total)
{
    (void)total;
    progress_update(ctx, done);
}

int cmd_run(cli_opts *o)
{
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
    vio_run_opts opts = {.jobs = o->jobs ? o->jobs : 1,
                         .engine = o->engine && !strcmp(o->engine, "sequential") ? VIO_ENGINE_SEQUENTIAL
                                                                                 : VIO_ENGINE_SIMGRID,
                         .log = o->log,
                         .contexts = getenv("VIOSIM_CONTEXTS"),
                         .only = nonly ? only : NULL,
                         .nonly = nonly};
    /* Progress after a second, on a terminal (or with --progress): variants finished, time. */
    char what[128];
    snprintf(what, sizeof what, "run %s", s->name);
    progress bar;
    progress_start(&bar, what, "variants", nonly ? nonly : s->nvariants, o->quiet, o->progress, 1.0);
    if (bar.mode) {
        opts.progress = on_progress;
        opts.progress_ctx = &bar;
    }
    vio_run_perf *perf = calloc(s->nvariants, sizeof *perf);
    json_t *doc = NULL;
    rc = vio_run(s, -1, &opts, &doc, perf, &err);
    progress_end(&bar);
    if (rc == VIO_OK) {
        snprintf(path, sizeof path, "%s/results.json", outdir);
        rc = vio_write_json_atomic(doc, path, &err);
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
    if (rc != VIO_OK)
        return cli_fail(cli_exit_for(rc), "%s", err.msg);
    return 0;
}
