/* Sweeps: a base scenario, parameters varied over a grid and/or zipped lists
 * (paths as --set spells them, [*] included), replications seeded from the base
 * seed and the point. A sweep expands to tasks (point x replication); each task
 * is exactly one `viosim run` whose results.json lands in DIR/points/ID/.
 * DIR/plan.json records the expansion, so `viosim merge DIR` needs nothing else. */
#ifndef VIOSIM_SIM_SWEEP_H
#define VIOSIM_SIM_SWEEP_H

#include "cli.h"

#include <jansson.h>
#include <stdint.h>

typedef struct sweep_task {
    uint32_t point, rep;
    uint64_t seed;
    char id[32];    /* "p0003-r01": the directory under DIR/points/ */
    char sha[65];   /* SHA-256 of the task's canonical scenario */
} sweep_task;

typedef struct sweep_plan {
    char *name;
    char *scenario;  /* absolute path of the base scenario */
    uint32_t reps;
    uint64_t base_seed;
    json_t *axes;    /* [{"path": P, "values": [...], "zip": bool}], in expansion order */
    json_t *points;  /* [{"path": value, ...}] one object per point, axis order */
    json_t *sets;    /* [..."path=value"] applied to every task before its point's values */
    json_t *variants; /* [names] or empty: every variant */
    uint32_t npoints, ntasks;
    sweep_task *tasks;
} sweep_plan;

/* Expand a sweep file; cli_sets (--set, --seed) apply to the base scenario
 * first. Validates every task's scenario. 0, or an exit status with the
 * message already printed. */
int sweep_plan_load(const char *file, const cli_opts *o, sweep_plan **out);
/* Read DIR/plan.json back (for merge); 0 or an exit status, message printed. */
int sweep_plan_read(const char *dir, sweep_plan **out);
/* Write DIR/plan.json atomically. */
int sweep_plan_write(const sweep_plan *p, const char *dir, vio_err *err);
void sweep_plan_free(sweep_plan *p);

/* The --set strings of task t (malloc'd array of pointers into `store`, a JSON
 * array that owns the strings: json_decref it after use). */
const char **sweep_task_sets(const sweep_plan *p, const sweep_task *t, json_t **store, size_t *n);
/* A replication's seed: the first 63 bits of SHA-256 over the base seed, the
 * point's assignment (canonical JSON) and the replication number, so a point
 * keeps its seeds when the grid around it changes. */
uint64_t sweep_seed(uint64_t base, const json_t *point, uint32_t rep);

/* The 97.5 % quantile of Student's t with df degrees of freedom (df >= 1). */
double sweep_t975(unsigned df);
/* Mean and half-width of the 95 % confidence interval of x[0..n); the
 * half-width is NaN when n < 2. */
void sweep_mean_ci(const double *x, size_t n, double *mean, double *half);

/* Read each task's results (checking version and scenario hash), write
 * DIR/summary.csv and DIR/summary.json. *missing receives how many tasks had no
 * results; their ids are printed to `missing_out` when non-NULL. 0 or an exit
 * status with the message printed. */
int sweep_summarise(const sweep_plan *p, const char *dir, uint32_t *missing, FILE *missing_out);
/* Whether task t already has results in DIR: 1 yes, 0 no, or an exit status
 * (> 1 after printing why: another scenario hash, another version). */
int sweep_task_done(const sweep_plan *p, const sweep_task *t, const char *dir);

/* Commands over a plan. */
int sweep_emit_jobs(const sweep_plan *p, const cli_opts *o, const char *dir);

#endif
