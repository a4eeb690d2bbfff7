/* Running a scenario: every variant in its own child process (SimGrid's engine
 * runs once per process), up to `jobs` at a time, results assembled in variant
 * order so the output is the same whatever the number of jobs. */
#ifndef VIOSIM_RUN_H
#define VIOSIM_RUN_H

#include "viosim/scenario.h"
#include "viosim/time.h"
#include "viosim/viosim.h"

#include <jansson.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum vio_engine_kind {
    VIO_ENGINE_SIMGRID = 0, /* the design's engine: actors on SimGrid */
    VIO_ENGINE_SEQUENTIAL,  /* the reference loop in plain C; identical results */
};

/* How far one running variant has got (see vio_run_opts.variant_progress). */
typedef struct vio_variant_progress {
    uint32_t variant; /* its index in the scenario */
    uint64_t packets; /* arrivals the NIC has taken off the wire so far */
    uint64_t total;   /* traffic.packets */
    vio_ps now;       /* its model clock */
} vio_variant_progress;

typedef struct vio_run_opts {
    unsigned jobs;               /* parallel variants; 0 = 1 */
    enum vio_engine_kind engine;
    int log;                     /* SimGrid logging on */
    const char *contexts;        /* SimGrid context factory override (NULL: raw) */
    const uint32_t *only;        /* run only these variants (indices, in this order); NULL: see vio_run */
    uint32_t nonly;
    /* Called in the calling process while children run (about every 200 ms)
     * and once per finished variant: variants finished so far out of total. */
    void (*progress)(void *ctx, uint32_t done, uint32_t total);
    void *progress_ctx;
    /* Called in the calling process, with progress_ctx, for each running
     * variant about every 100 ms of its work (a child reports through a pipe;
     * a report the pipe cannot take at once is dropped, never waited for).
     * NULL: the children do not report, and pay nothing. */
    void (*variant_progress)(void *ctx, const vio_variant_progress *p);
} vio_run_opts;

/* Per-variant figures that are not part of results.json because they depend on
 * the machine (wall time) — for summaries and benchmarks. */
typedef struct vio_run_perf {
    double wall_seconds; /* the variant's process: datapath creation, simulation and the results document */
    double run_seconds;  /* of which the simulation alone (the engine's or the sequential loop's run) */
    uint64_t events, simgrid_calls, cache_accesses, delivered;
} vio_run_perf;

/* Run every variant (or only `variant` when >= 0, or opts->only when set) and return the results
 * document (schema viosim-results/1) in *out. `perf` may be NULL or point to an
 * array of s->nvariants entries. */
int vio_run(const vio_scenario *s, int variant, const vio_run_opts *opts, json_t **out, vio_run_perf *perf,
            vio_err *err);

/* Stop the current run on a signal. Async-signal-safe: meant to be called from
 * the program's SIGINT/SIGTERM/SIGHUP handler. Forwards `sig` to every variant
 * child alive; vio_run then waits for them and returns VIO_EINTR without a
 * document, and any later vio_run returns VIO_EINTR at once. */
void vio_run_interrupt(int sig);
/* The signal passed to vio_run_interrupt, or 0. */
int vio_run_interrupted(void);

/* Write a JSON document to `path` atomically: a temporary file in the same
 * directory, fsync, then rename, so a reader never sees half a file. */
int vio_write_json_atomic(const json_t *doc, const char *path, vio_err *err);

/* The document as a reader of the file vio_write_json_atomic writes gets it
 * back (reals at the file's precision), so a rerun compares exactly with a
 * loaded results.json. NULL when out of memory. */
json_t *vio_results_as_written(const json_t *doc);

/* ---- replaying a results document (`viosim run --replay`) ---- */

/* What a results document (viosim-results/1) recorded: its resolved scenario
 * (scenario.resolved, loaded as a scenario named scenario.source), the
 * variants it ran (indices into s, in its order) and the engine of the first. */
typedef struct vio_replay_plan {
    vio_scenario *s;
    uint32_t *only;
    uint32_t nonly;
    enum vio_engine_kind engine;
    char version[64], git[64]; /* tool.version and tool.git as recorded */
    int same_version;          /* both equal this library's */
} vio_replay_plan;

/* `path` names the document in messages. VIO_EINVAL, naming path and the JSON
 * path, when `doc` is not a results document with a resolved scenario (files
 * written before it was recorded cannot be replayed) or names a variant the
 * scenario does not have. On error nothing needs freeing. */
int vio_replay_plan_load(const json_t *doc, const char *path, vio_replay_plan *p, vio_err *err);
void vio_replay_plan_free(vio_replay_plan *p);

/* The first difference between two results documents. */
typedef struct vio_results_diff {
    char path[256];           /* JSON path: "variants[1].latency_ns.mean" */
    char want[160], got[160]; /* the values as JSON text, "(absent)" when missing, cut with "..." */
} vio_results_diff;

/* Walk `want` in its order (then the keys only `got` has), skipping fields whose
 * path matches one of `skip` ("tool", "variants[*].engine": [*] any index).
 * Returns the number of differing fields, 0 when identical; the first is in *d. */
size_t vio_results_compare(const json_t *want, const json_t *got, const char *const *skip, size_t nskip,
                           vio_results_diff *d);

#ifdef __cplusplus
}
#endif

#endif
