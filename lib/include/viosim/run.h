/* Running a scenario: every variant in its own child process (SimGrid's engine
 * runs once per process), up to `jobs` at a time, results assembled in variant
 * order so the output is the same whatever the number of jobs. */
#ifndef VIOSIM_RUN_H
#define VIOSIM_RUN_H

#include "viosim/scenario.h"
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
} vio_run_opts;

/* Per-variant figures that are not part of results.json because they depend on
 * the machine (wall time) — for summaries and benchmarks. */
typedef struct vio_run_perf {
    double wall_seconds;
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

#ifdef __cplusplus
}
#endif

#endif
