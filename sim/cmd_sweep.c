/* `viosim sweep` and `viosim merge`: run a sweep's missing tasks, up to -j at a
 * time (one child process each), then summarise; merge summarises whatever a
 * directory holds (runs done elsewhere, e.g. by GNU parallel or Slurm). */
#include "progress.h"
#include "viosim/estimate.h"
#include "sweep.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* The variant indices a plan names, in its order (none: every variant). */
static uint32_t plan_variants(const sweep_plan *p, const vio_scenario *s, uint32_t *idx)
{
    uint32_t n = 0;
    for (size_t i = 0; i < json_array_size(p->variants) && n < s->nvariants; i++) {
        int v = vio_scenario_variant_by_name(s, json_string_value(json_array_get(p->variants, i)));
        int seen = 0;
        for (uint32_t k = 0; k < n; k++)
            seen |= idx[k] == (uint32_t)v;
        if (v >= 0 && !seen)
            idx[n++] = (uint32_t)v;
    }
    return n;
}

/* One task, in this process: what `viosim run` does with the task's options. */
static int run_task(const sweep_plan *p, const sweep_task *t, const char *dir, const cli_opts *o, vio_err *err)
{
    json_t *store;
    size_t n;
    const char **sets = sweep_task_sets(p, t, &store, &n);
    vio_scenario *s = NULL;
    int rc = vio_scenario_load_file(p->scenario, sets, n, &s, err);
    free(sets);
    json_decref(store);
    if (rc != VIO_OK)
        return rc;
    uint32_t *only = calloc(s->nvariants, sizeof *only);
    uint32_t nonly = only ? plan_variants(p, s, only) : 0;
    /* One variant at a time per worker, and -j workers at once. */
    unsigned long long limit = o->max_memory ? o->max_memory : CLI_DEFAULT_MAX_MEMORY, workers = o->jobs ? o->jobs : 1;
    vio_estimate big = {0}, e;
    for (uint32_t i = 0; i < (nonly ? nonly : s->nvariants); i++) {
        vio_estimate_variant(s, nonly ? only[i] : i, &e);
        if (e.bytes > big.bytes)
            big = e;
    }
    if (big.bytes * workers > limit) {
        rc = vio_err_set(err, VIO_EINVAL,
                         "estimated peak memory %.2f GiB (%llu workers x %.2f GiB) exceeds --max-memory %.2f GiB; "
                         "largest contributor %s: %.2f GiB for %s",
                         (double)(big.bytes * workers) / (1ull << 30), workers, (double)big.bytes / (1ull << 30),
                         (double)limit / (1ull << 30), big.largest, (double)big.largest_bytes / (1ull << 30), big.why);
        free(only);
        vio_scenario_destroy(s);
        return rc;
    }
    vio_run_opts opts = {.jobs = 1,
                         .engine = o->engine && !strcmp(o->engine, "sequential") ? VIO_ENGINE_SEQUENTIAL
                                                                                 : VIO_ENGINE_SIMGRID,
                         .log = o->log,
                         .contexts = getenv("VIOSIM_CONTEXTS"),
                         .only = nonly ? only : NULL,
                         .nonly = nonly};
    json_t *doc = NULL;
    rc = vio_run(s, -1, &opts, &doc, NULL, err);
    char path[4200], msg[4400];
    if (rc == VIO_OK) {
        snprintf(path, sizeof path, "%s/points/%s", dir, t->id);
        if (cli_mkdirs(path, msg, sizeof msg) != 0)
            rc = vio_err_set(err, VIO_ERUN, "%s", msg);
    }
    if (rc == VIO_OK) {
        snprintf(path, sizeof path, "%s/points/%s/results.json", dir, t->id);
        if (vio_write_json_atomic(doc, path, err) != VIO_OK)
            rc = VIO_ERUN;
    }
    json_decref(doc);
    free(only);
    vio_scenario_destroy(s);
    return rc;
}

typedef struct worker {
    pid_t pid;
    int fd;
    uint32_t task;
} worker;

/* Fork a child for task `k`; its error message (if any) comes back on a pipe. */
static int start_worker(const sweep_plan *p, uint32_t k, const char *dir, const cli_opts *o, worker *w)
{
    int fds[2];
    if (pipe(fds) != 0)
        return cli_fail(EXIT_RUN_FAILED, "cannot create a pipe: %s", strerror(errno));
    fflush(NULL);
    cli_signals_block(1); /* the worker is tracked before a signal can be handled */
    pid_t pid = fork();
    if (pid < 0) {
        cli_signals_block(0);
        close(fds[0]);
        close(fds[1]);
        return cli_fail(EXIT_RUN_FAILED, "cannot fork: %s", strerror(errno));
    }
    if (pid == 0) {
        /* The worker keeps the handler: it forwards to its own variant children. */
        for (unsigned i = 0; i < 256; i++)
            cli_track(0, 0);
        cli_signals_block(0);
        close(fds[0]);
        vio_err err = {{0}};
        int rc = run_task(p, &p->tasks[k], dir, o, &err);
        if (rc != VIO_OK) {
            size_t len = strlen(err.msg);
            if (write(fds[1], err.msg, len) != (ssize_t)len)
                _exit(EXIT_RUN_FAILED);
        }
        _exit(rc == VIO_OK ? 0 : cli_exit_for(rc));
    }
    cli_track(pid, 1);
    cli_signals_block(0);
    close(fds[1]);
    *w = (worker){.pid = pid, .fd = fds[0], .task = k};
    return 0;
}

/* Wait for any worker; returns its slot, its status and message. */
static int reap(worker *ws, size_t nw, int *status, char *msg, size_t len)
{
    int st = 0;
    pid_t pid;
    cli_signals_block(1);
    while ((pid = wait(&st)) < 0 && errno == EINTR)
        ;
    cli_track(pid, 0);
    cli_signals_block(0);
    for (size_t i = 0; i < nw; i++) {
        if (ws[i].pid != pid || pid <= 0)
            continue;
        ssize_t r = read(ws[i].fd, msg, len - 1);
        msg[r > 0 ? r : 0] = '\0';
        close(ws[i].fd);
        ws[i].pid = 0;
        if (WIFEXITED(st))
            *status = WEXITSTATUS(st);
        else {
            *status = EXIT_RUN_FAILED;
            snprintf(msg, len, "killed by signal %d", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
        }
        return (int)i;
    }
    return -1;
}

int cmd_sweep(cli_opts *o)
{
    if (o->npositional == 0)
        return cli_fail(EXIT_BAD_INPUT, "sweep needs a sweep file (see viosim sweep --help)");
    if (!o->outdir)
        return cli_fail(EXIT_BAD_INPUT, "sweep needs -o DIR, where its points and summaries go");
    sweep_plan *p = NULL;
    int rc = sweep_plan_load(o->positional[0], o, &p);
    if (rc)
        return rc;
    char path[4200], msg[4400];
    snprintf(path, sizeof path, "%s/points", o->outdir);
    vio_err err = {{0}};
    if (cli_mkdirs(path, msg, sizeof msg) != 0) {
        sweep_plan_free(p);
        return cli_fail(EXIT_RUN_FAILED, "%s", msg);
    }
    /* What is already there must belong to this sweep (checked before plan.json is
     * replaced, so a mistaken command leaves the directory as it was); only the rest runs. */
    uint32_t *todo = calloc(p->ntasks ? p->ntasks : 1, sizeof *todo), ntodo = 0;
    for (uint32_t i = 0; i < p->ntasks && !rc; i++) {
        int d = sweep_task_done(p, &p->tasks[i], o->outdir);
        if (d > 1)
            rc = d;
        else if (d == 0)
            todo[ntodo++] = i;
    }
    if (!rc && sweep_plan_write(p, o->outdir, &err) != VIO_OK)
        rc = cli_fail(EXIT_RUN_FAILED, "%s", err.msg);
    if (rc || o->emit_jobs) {
        if (!rc)
            rc = sweep_emit_jobs(p, o, o->outdir);
        free(todo);
        sweep_plan_free(p);
        return rc;
    }
    unsigned jobs = o->jobs ? o->jobs : 1;
    worker *ws = calloc(jobs, sizeof *ws);
    char what[300];
    snprintf(what, sizeof what, "sweep %s", p->name);
    progress bar;
    progress_start(&bar, what, "runs", ntodo, o->quiet, o->progress, 0);
    uint32_t next = 0, done = 0, running = 0;
    int first_fail = -1; /* the failed task that comes first in the plan, for a stable message */
    char fail_msg[VIO_ERR_MAX + 64] = "";
    int fail_status = 0;
    while (!rc && (next < ntodo || running)) {
        while (!rc && first_fail < 0 && !cli_interrupted_status() && next < ntodo && running < jobs) {
            size_t slot = 0;
            while (ws[slot].pid)
                slot++;
            rc = start_worker(p, todo[next], o->outdir, o, &ws[slot]);
            if (!rc) {
                next++;
                running++;
            }
        }
        if (!running)
            break;
        int st;
        int slot = reap(ws, jobs, &st, msg, sizeof msg);
        if (slot < 0)
            continue;
        running--;
        done++;
        if (st != 0 && (first_fail < 0 || ws[slot].task < (uint32_t)first_fail)) {
            first_fail = (int)ws[slot].task;
            fail_status = st;
            snprintf(fail_msg, sizeof fail_msg, "%.*s", VIO_ERR_MAX, msg);
        }
        progress_update(&bar, done);
    }
    /* After an error, the runs already started finish (their files stay valid for a rerun). */
    while (running) {
        int st;
        if (reap(ws, jobs, &st, msg, sizeof msg) >= 0)
            running--;
    }
    progress_end(&bar);
    free(ws);
    if (!rc && cli_interrupted_status())
        rc = cli_fail(cli_interrupted_status(), "sweep %s: interrupted by signal %d: the runs in progress were "
                      "stopped, no summary written (rerun the same command to finish)", p->name,
                      cli_interrupted_status() - 128);
    if (!rc && first_fail >= 0)
        rc = cli_fail(fail_status, "sweep %s: %s: %s", p->name, p->tasks[first_fail].id, fail_msg);
    uint32_t missing = 0;
    if (!rc)
        rc = sweep_summarise(p, o->outdir, &missing, NULL);
    if (!rc && missing)
        rc = cli_fail(EXIT_RUN_FAILED, "sweep %s: %u runs have no results", p->name, missing);
    if (!rc && !o->quiet)
        printf("sweep %s: %u points x %u replications, %u run now, %u already done\nsummary: %s/summary.csv %s/summary.json\n",
               p->name, p->npoints, p->reps, ntodo, p->ntasks - ntodo, o->outdir, o->outdir);
    free(todo);
    sweep_plan_free(p);
    return rc;
}

int cmd_merge(cli_opts *o)
{
    if (o->npositional == 0)
        return cli_fail(EXIT_BAD_INPUT, "merge needs a sweep's directory (see viosim merge --help)");
    const char *dir = o->positional[0];
    sweep_plan *p = NULL;
    int rc = sweep_plan_read(dir, &p);
    if (rc)
        return rc;
    uint32_t missing = 0;
    /* The missing runs, one id per line on stdout: `viosim merge DIR | wc -l` counts them. */
    rc = sweep_summarise(p, dir, &missing, stdout);
    if (!rc && missing)
        rc = cli_fail(EXIT_RUN_FAILED, "merge %s: %u of %u runs missing (listed on stdout); the summaries cover the rest",
                      dir, missing, p->ntasks);
    if (!rc && !o->quiet)
        fprintf(stderr, "merge %s: all %u runs; summary: %s/summary.csv %s/summary.json\n", dir, p->ntasks, dir, dir);
    sweep_plan_free(p);
    return rc;
}
