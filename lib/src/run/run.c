/* Fork-per-variant runner and the results document. */
#include "viosim/run.h"

#include "viosim/datapath.h"
#include "viosim/engine.h"

#include "datapath/results.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "viosim/sha256.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A child's progress reports: one record per write, at most every 100 ms, into
 * a non-blocking pipe (a record is far below PIPE_BUF, so it arrives whole or
 * not at all). The datapath calls in every 16384 events: a clock read per call. */
typedef struct child_progress {
    int fd;
    uint32_t variant;
    double last;
} child_progress;

static void report_progress(void *ctx, const vio_datapath_progress *p)
{
    child_progress *c = ctx;
    double t = now_s();
    if (t - c->last < 0.1)
        return;
    c->last = t;
    vio_variant_progress rec = {.variant = c->variant, .packets = p->packets, .total = p->total, .now = p->now};
    ssize_t w = write(c->fd, &rec, sizeof rec);
    (void)w; /* a full pipe drops the report: the parent is busy, the next one will do */
}

/* Run one variant in this process; returns a JSON object {"result": ..., "perf": ...}
 * or {"error": msg, "code": n}. `progress_fd` >= 0: report progress there. */
static json_t *run_variant_here(const vio_scenario *s, uint32_t v, const vio_run_opts *opts, int progress_fd)
{
    vio_err err = {{0}};
    vio_datapath *dp = NULL;
    double t0 = now_s();
    int rc = vio_datapath_create(s, v, &dp, &err);
    vio_engine_stats st = {0};
    child_progress cp = {.fd = progress_fd, .variant = v}; /* the first report comes at once */
    if (rc == VIO_OK && progress_fd >= 0)
        vio_datapath_set_progress(dp, report_progress, &cp, 16384);
    double t_run = now_s(), run_s = 0;
    if (rc == VIO_OK) {
        if (opts->engine == VIO_ENGINE_SEQUENTIAL) {
            rc = vio_datapath_run_sequential(dp, &err);
        } else {
            vio_engine_opts eo = {.log = opts->log, .contexts = opts->contexts};
            rc = vio_engine_run(dp, &eo, &st, &err);
        }
        run_s = now_s() - t_run;
    }
    json_t *o;
    if (rc == VIO_OK) {
        vio__dp_occ_finish(dp);
        json_t *res = vio__datapath_results(dp);
        json_object_set_new(res, "engine",
                            json_pack("{s:s,s:I,s:I,s:f,s:f,s:f}", "name",
                                      opts->engine == VIO_ENGINE_SEQUENTIAL ? "sequential" : "simgrid",
                                      "actor_steps", (json_int_t)vio_datapath_events(dp), "simgrid_calls",
                                      (json_int_t)st.simgrid_calls, "model_end_ns",
                                      (double)vio_datapath_end(dp) / 1000.0, "clock_ns", st.sim_seconds * 1e9,
                                      "max_clock_lag_ns", (double)st.max_clock_lag_ps / 1000.0));
        o = json_pack("{s:o,s:{s:f,s:f,s:I,s:I,s:I,s:I}}", "result", res, "perf", "wall_seconds", now_s() - t0,
                      "run_seconds", run_s, "events", (json_int_t)vio_datapath_events(dp), "simgrid_calls", (json_int_t)st.simgrid_calls,
                      "cache_accesses", (json_int_t)vio_datapath_cache_accesses(dp), "delivered",
                      (json_int_t)vio_datapath_delivered(dp));
    } else {
        o = json_pack("{s:s,s:i}", "error", err.msg, "code", rc);
    }
    vio_datapath_destroy(dp);
    return o;
}

/* ---- signals: what vio_run_interrupt forwards, and to whom ---- */

static volatile sig_atomic_t interrupted;
/* The variant children alive, by variant index; 0 = none. Written only with the
 * forwarded signals blocked, so the handler never sees a pid that was reaped. */
static volatile pid_t live[VIO_MAX_VARIANTS];

void vio_run_interrupt(int sig)
{
    int saved = errno; /* a handler must not disturb the code it interrupted */
    interrupted = sig;
    for (unsigned i = 0; i < VIO_MAX_VARIANTS; i++)
        if (live[i] > 0)
            kill(live[i], sig);
    errno = saved;
}

int vio_run_interrupted(void) { return interrupted; }

static void block_signals(sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, old);
}

typedef struct child {
    pid_t pid;
    int fd;
    char *buf;
    size_t len, cap;
} child;

/* The parent's bookkeeping of the run in progress, which a child inherits and
 * frees before it exits (a leak checker following children would otherwise
 * report it as lost: only the parent's stack pointed to it). */
static struct {
    json_t **results;
    child *kids;
    uint32_t *idx;
    uint32_t n;
    int progress_fd[2]; /* the children's progress pipe, -1 when not reporting */
} run_state = {.progress_fd = {-1, -1}};

static void free_run_state(void)
{
    for (uint32_t v = 0; v < run_state.n; v++) {
        json_decref(run_state.results[v]);
        free(run_state.kids[v].buf);
    }
    free(run_state.results);
    free(run_state.kids);
    free(run_state.idx);
    run_state.idx = NULL;
    run_state.results = NULL;
    run_state.kids = NULL;
    run_state.n = 0;
}

static int start_child(const vio_scenario *s, uint32_t v, const vio_run_opts *opts, child *c, vio_err *err)
{
    int fds[2];
    if (pipe(fds) != 0)
        return vio_err_set(err, VIO_ERUN, "cannot create a pipe for variant %s: %s", s->variants[v].name,
                           strerror(errno));
    fflush(NULL);
    /* The pid is recorded before a signal can be handled, so none escapes forwarding. */
    sigset_t old;
    block_signals(&old);
    pid_t pid = interrupted ? -1 : fork();
    if (pid < 0) {
        int e = errno;
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(fds[0]);
        close(fds[1]);
        if (interrupted)
            return VIO_EINTR;
        return vio_err_set(err, VIO_ERUN, "cannot fork for variant %s: %s", s->variants[v].name, strerror(e));
    }
    if (pid == 0) {
        /* The child stops on the signal its parent forwards: the default action. */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(fds[0]);
        if (run_state.progress_fd[0] >= 0)
            close(run_state.progress_fd[0]);
        json_t *o = run_variant_here(s, v, opts, run_state.progress_fd[1]);
        char *text = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        size_t n = text ? strlen(text) : 0, off = 0;
        int status = text ? 0 : 3;
        while (off < n) {
            ssize_t w = write(fds[1], text + off, n - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                status = 3;
                break;
            }
            off += (size_t)w;
        }
        /* Free what this process made, so a leak checker following children sees none. */
        free(text);
        free_run_state();
        close(fds[1]);
        _exit(status);
    }
    live[v] = pid;
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(fds[1]);
    *c = (child){.pid = pid, .fd = fds[0]};
    return VIO_OK;
}

/* Pass every whole record waiting in the progress pipe to the callback. */
static void drain_progress(const vio_run_opts *opts, int fd)
{
    vio_variant_progress recs[64];
    for (;;) {
        ssize_t r = read(fd, recs, sizeof recs);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return;
        for (size_t i = 0; i < (size_t)r / sizeof *recs; i++)
            opts->variant_progress(opts->progress_ctx, &recs[i]);
    }
}

/* Read the child's whole answer, reap it, and turn it into a result. */
static int finish_child(const vio_scenario *s, uint32_t v, child *c, json_t **result, vio_run_perf *perf,
                        const vio_run_opts *opts, uint32_t done, uint32_t total, vio_err *err)
{
    int pfd_progress = run_state.progress_fd[0];
    for (;;) {
        if (opts->progress || pfd_progress >= 0) {
            /* Wake up now and then while the child works, so a progress display
             * stays alive; pass on what the running children report. */
            struct pollfd pfd[2] = {{.fd = c->fd, .events = POLLIN}, {.fd = pfd_progress, .events = POLLIN}};
            int pr = poll(pfd, pfd_progress >= 0 ? 2 : 1, 200);
            if (pr > 0 && pfd_progress >= 0 && (pfd[1].revents & POLLIN))
                drain_progress(opts, pfd_progress);
            if (pr == 0 || (pr < 0 && errno == EINTR) || (pr > 0 && !pfd[0].revents)) {
                if (opts->progress)
                    opts->progress(opts->progress_ctx, done, total);
                continue;
            }
        }
        if (c->len + 65536 > c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 1 << 20;
            char *nb = realloc(c->buf, cap);
            if (!nb)
                break;
            c->buf = nb;
            c->cap = cap;
        }
        ssize_t r = read(c->fd, c->buf + c->len, c->cap - c->len - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        c->len += (size_t)r;
    }
    close(c->fd);
    int status = 0;
    sigset_t old;
    block_signals(&old);
    while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
        ;
    live[v] = 0;
    sigprocmask(SIG_SETMASK, &old, NULL);
    int rc = VIO_OK;
    json_t *o = NULL;
    if (c->buf) {
        c->buf[c->len] = '\0';
        o = json_loads(c->buf, 0, NULL);
    }
    if (!o) {
        if (WIFSIGNALED(status))
            rc = vio_err_set(err, VIO_ERUN, "variant %s: the simulation crashed (signal %d)", s->variants[v].name,
                             WTERMSIG(status));
        else
            rc = vio_err_set(err, VIO_ERUN, "variant %s: the simulation ended without a result (status %d)",
                             s->variants[v].name, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    } else if (json_object_get(o, "error")) {
        rc = vio_err_set(err, (int)json_integer_value(json_object_get(o, "code")), "%s",
                         json_string_value(json_object_get(o, "error")));
    } else {
        *result = json_incref(json_object_get(o, "result"));
        if (perf) {
            json_t *p = json_object_get(o, "perf");
            perf->wall_seconds = json_real_value(json_object_get(p, "wall_seconds"));
            perf->run_seconds = json_real_value(json_object_get(p, "run_seconds"));
            perf->events = (uint64_t)json_integer_value(json_object_get(p, "events"));
            perf->simgrid_calls = (uint64_t)json_integer_value(json_object_get(p, "simgrid_calls"));
            perf->cache_accesses = (uint64_t)json_integer_value(json_object_get(p, "cache_accesses"));
            perf->delivered = (uint64_t)json_integer_value(json_object_get(p, "delivered"));
        }
    }
    json_decref(o);
    free(c->buf);
    c->buf = NULL;
    return rc;
}

int vio_run(const vio_scenario *s, int variant, const vio_run_opts *opts_in, json_t **out, vio_run_perf *perf,
            vio_err *err)
{
    *out = NULL;
    vio_run_opts opts = opts_in ? *opts_in : (vio_run_opts){0};
    unsigned jobs = opts.jobs ? opts.jobs : 1;
    if (variant >= (int)s->nvariants)
        return vio_err_set(err, VIO_EINVAL, "%s: no variant %d", s->source, variant);
    /* The variants to run, in output order. */
    uint32_t *idx = calloc(s->nvariants ? s->nvariants : 1, sizeof *idx);
    uint32_t n = 0;
    if (!idx)
        return vio_err_set(err, VIO_ENOMEM, "out of memory");
    if (opts.only) {
        for (uint32_t i = 0; i < opts.nonly && n < s->nvariants; i++) {
            if (opts.only[i] >= s->nvariants) {
                free(idx);
                return vio_err_set(err, VIO_EINVAL, "%s: no variant %u", s->source, opts.only[i]);
            }
            idx[n++] = opts.only[i];
        }
    } else if (variant >= 0) {
        idx[n++] = (uint32_t)variant;
    } else {
        for (; n < s->nvariants; n++)
            idx[n] = n;
    }
    json_t **results = calloc(s->nvariants, sizeof *results);
    child *kids = calloc(s->nvariants, sizeof *kids);
    if (!results || !kids) {
        free(results);
        free(kids);
        free(idx);
        return vio_err_set(err, VIO_ENOMEM, "out of memory");
    }
    run_state.results = results;
    run_state.kids = kids;
    run_state.idx = idx;
    run_state.n = s->nvariants;
    if (opts.variant_progress) {
        /* Best effort: without the pipe the run goes on, only without reports. */
        if (pipe(run_state.progress_fd) != 0) {
            run_state.progress_fd[0] = run_state.progress_fd[1] = -1;
        } else {
            for (int i = 0; i < 2; i++) {
                fcntl(run_state.progress_fd[i], F_SETFL, fcntl(run_state.progress_fd[i], F_GETFL) | O_NONBLOCK);
                fcntl(run_state.progress_fd[i], F_SETFD, FD_CLOEXEC);
            }
        }
    }
    int rc = VIO_OK;
    vio_err first_err = {{0}}; /* an interrupt overrides whatever the stopped children said */
    uint32_t next = 0, done = 0;
    while (done < n) {
        /* Keep up to `jobs` children running; collect them in output order. */
        while (rc == VIO_OK && !interrupted && next < n && next - done < jobs) {
            rc = start_child(s, idx[next], &opts, &kids[next], &first_err);
            if (rc == VIO_OK)
                next++;
        }
        if (done == next)
            break;
        int r = finish_child(s, idx[done], &kids[done], &results[done], perf ? &perf[idx[done]] : NULL, &opts, done,
                             n, &first_err);
        if (rc == VIO_OK)
            rc = r;
        done++;
        if (opts.progress)
            opts.progress(opts.progress_ctx, done, n);
    }
    if (interrupted) {
        int sig = interrupted;
        rc = vio_err_set(err, VIO_EINTR, "interrupted by signal %d (%s): the running variants were stopped, no "
                         "results written", sig, sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP");
    } else if (rc != VIO_OK) {
        vio_err_set(err, rc, "%s", first_err.msg);
    }
    if (rc == VIO_OK) {
        char sha[65];
        vio_sha256_hex(s->canonical_json, strlen(s->canonical_json), sha);
        /* The file's base name only: results must not depend on where it was run from. */
        const char *slash = strrchr(s->source, '/');
        const char *source = slash ? slash + 1 : s->source;
        json_t *vars = json_array();
        for (uint32_t i = 0; i < n; i++)
            json_array_append(vars, results[i]);
        /* The scenario as run, every default filled in: what `--replay` reruns. */
        json_t *resolved = json_loads(s->canonical_json, 0, NULL);
        *out = resolved ? json_pack("{s:s,s:{s:s,s:s,s:s},s:{s:s,s:s,s:s,s:I,s:o},s:o}", "schema", "viosim-results/1",
                                    "tool", "name", "viosim", "version", vio_version(), "git", vio_git_version(),
                                    "scenario", "name", s->name, "source", source, "sha256", sha, "seed",
                                    (json_int_t)s->seed, "resolved", resolved, "variants", vars)
                        : NULL;
        if (!*out) {
            if (!resolved)
                json_decref(vars); /* else json_pack took it, even on failure */
            rc = vio_err_set(err, VIO_ENOMEM, "out of memory assembling the results");
        }
    }
    for (int i = 0; i < 2; i++) {
        if (run_state.progress_fd[i] >= 0)
            close(run_state.progress_fd[i]);
        run_state.progress_fd[i] = -1;
    }
    free(idx);
    for (uint32_t v = 0; v < s->nvariants; v++)
        json_decref(results[v]);
    run_state.results = NULL;
    run_state.kids = NULL;
    run_state.idx = NULL;
    run_state.n = 0;
    free(results);
    free(kids);
    return rc;
}

/* How results files are written, and read back by vio_results_as_written. */
#define RESULTS_DUMP_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(12))

json_t *vio_results_as_written(const json_t *doc)
{
    char *text = json_dumps(doc, RESULTS_DUMP_FLAGS);
    json_t *back = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    return back;
}

int vio_write_json_atomic(const json_t *doc, const char *path, vio_err *err)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp)
        return vio_err_set(err, VIO_ENOMEM, "out of memory");
    snprintf(tmp, n + 16, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int rc = vio_err_set(err, VIO_EIO, "%s: cannot create: %s", path, strerror(errno));
        free(tmp);
        return rc;
    }
    /* mkstemp creates 0600; a results file is as readable as any other output. */
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(fd, 0666 & ~mask);
    char *text = json_dumps(doc, RESULTS_DUMP_FLAGS);
    int rc = VIO_OK;
    if (!text) {
        rc = vio_err_set(err, VIO_ENOMEM, "%s: cannot serialise the results", path);
    } else {
        size_t len = strlen(text), off = 0;
        while (rc == VIO_OK && off < len) {
            ssize_t w = write(fd, text + off, len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                rc = vio_err_set(err, VIO_EIO, "%s: write failed: %s", path, strerror(errno));
            else
                off += (size_t)w;
        }
        if (rc == VIO_OK && (write(fd, "\n", 1) != 1 || fsync(fd) != 0))
            rc = vio_err_set(err, VIO_EIO, "%s: write failed: %s", path, strerror(errno));
    }
    free(text);
    if (close(fd) != 0 && rc == VIO_OK)
        rc = vio_err_set(err, VIO_EIO, "%s: close failed: %s", path, strerror(errno));
    if (rc == VIO_OK && rename(tmp, path) != 0)
        rc = vio_err_set(err, VIO_EIO, "%s: cannot rename %s into place: %s", path, tmp, strerror(errno));
    if (rc != VIO_OK)
        unlink(tmp);
    free(tmp);
    return rc;
}
