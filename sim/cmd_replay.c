/* `viosim run --replay RESULTS`: rerun what a results.json recorded (its
 * resolved scenario, seed included, the variants it ran, on the engine it ran
 * them on) and compare the new document with it field by field. Exit 0 when
 * every field is identical, 1 naming the first that differs, 2 when RESULTS
 * is not a results document that can be replayed. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static int replay_fail(int code, vio_replay_plan *plan, json_t *recorded, const char *msg)
{
    if (plan)
        vio_replay_plan_free(plan);
    json_decref(recorded);
    return cli_fail(code, "%s", msg);
}

int cmd_replay(cli_opts *o)
{
    const char *file = o->replay;
    if (o->npositional || o->nsets || o->nvariants || o->sensitivity > 1.0)
        return cli_fail(EXIT_BAD_INPUT, "--replay reruns %s as it was recorded: it takes no SCENARIO, --set, --seed, "
                        "--variant or --sensitivity", file);
    json_error_t je;
    json_t *recorded = json_load_file(file, 0, &je);
    if (!recorded) {
        char esc[200];
        vio_escape(esc, sizeof esc, je.text, strlen(je.text));
        if (je.line < 0)
            return cli_fail(EXIT_BAD_INPUT, "%s: cannot read: %s", file, esc);
        return cli_fail(EXIT_BAD_INPUT, "%s:%d:%d: invalid JSON: %s", file, je.line, je.column, esc);
    }
    vio_err err = {{0}};
    vio_replay_plan plan;
    int rc = vio_replay_plan_load(recorded, file, &plan, &err);
    if (rc != VIO_OK)
        return replay_fail(cli_exit_for(rc), NULL, recorded, err.msg);
    enum vio_engine_kind engine = plan.engine;
    if (o->engine)
        engine = strcmp(o->engine, "sequential") ? VIO_ENGINE_SIMGRID : VIO_ENGINE_SEQUENTIAL;
    char outdir[1100], path[1200], msg[1400];
    if (o->outdir) {
        snprintf(outdir, sizeof outdir, "%s", o->outdir);
        if (cli_mkdirs(outdir, msg, sizeof msg) != 0)
            return replay_fail(EXIT_RUN_FAILED, &plan, recorded, msg);
    }
    unsigned jobs = o->jobs ? o->jobs : 1;
    int status = cli_check_memory(plan.s, plan.only, plan.nonly, jobs, o);
    if (status != 0) {
        vio_replay_plan_free(&plan);
        json_decref(recorded);
        return status;
    }
    vio_run_opts opts = {.jobs = jobs,
                         .engine = engine,
                         .log = o->log,
                         .contexts = getenv("VIOSIM_CONTEXTS"),
                         .only = plan.only,
                         .nonly = plan.nonly};
    json_t *doc = NULL;
    rc = cli_run_variants(o, plan.s, plan.only, plan.nonly, &opts, &doc, NULL, &err);
    if (rc == VIO_EINTR) {
        json_decref(doc);
        return replay_fail(128 + vio_run_interrupted(), &plan, recorded, err.msg);
    }
    if (rc != VIO_OK)
        return replay_fail(cli_exit_for(rc), &plan, recorded, err.msg);
    if (o->outdir) {
        rc = cli_write_results(doc, outdir, path, sizeof path, &err);
        if (rc != VIO_OK) {
            json_decref(doc);
            return replay_fail(rc == VIO_EINTR ? 128 + vio_run_interrupted() : EXIT_RUN_FAILED, &plan, recorded,
                               err.msg);
        }
    }
    /* Compared as files hold them (reals at the file's precision). The tool
     * is compared apart (a note, not a difference); the engine objects only
     * when the rerun used the recorded engine (they count engine calls). */
    json_t *got = vio_results_as_written(doc);
    json_decref(doc);
    if (!got)
        return replay_fail(EXIT_RUN_FAILED, &plan, recorded, "out of memory");
    const char *skip[] = {"tool", "variants[*].engine"};
    vio_results_diff d;
    size_t ndiff = vio_results_compare(recorded, got, skip, engine == plan.engine ? 1 : 2, &d);
    json_decref(got);
    char version[200] = "";
    if (!plan.same_version)
        snprintf(version, sizeof version, " (recorded by viosim %s, git %s; this is viosim %s, git %s)", plan.version,
                 plan.git, vio_version(), vio_git_version());
    if (ndiff) {
        char more[64] = "";
        if (ndiff > 1)
            snprintf(more, sizeof more, "; %zu fields differ in all", ndiff);
        char what[1700];
        snprintf(what, sizeof what, "replay of %s differs at %s: expected %s, got %s%s%s", file, d.path, d.want, d.got,
                 more, version);
        return replay_fail(EXIT_RUN_FAILED, &plan, recorded, what);
    }
    if (!plan.same_version)
        fprintf(stderr, "viosim: note: %s was written by viosim %s (git %s); this is viosim %s (git %s)\n", file,
                plan.version, plan.git, vio_version(), vio_git_version());
    if (!o->quiet)
        printf("replay of %s: identical (%u variant%s, seed %llu, %s engine)%s%s\n", file, plan.nonly,
               plan.nonly == 1 ? "" : "s", (unsigned long long)plan.s->seed,
               engine == VIO_ENGINE_SEQUENTIAL ? "sequential" : "simgrid", o->outdir ? "; results: " : "",
               o->outdir ? path : "");
    vio_replay_plan_free(&plan);
    json_decref(recorded);
    return 0;
}
