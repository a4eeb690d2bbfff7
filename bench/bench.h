/* viosim-bench: declarations shared by bench.c, measure.c, report.c and floor.c. */
#ifndef VIOSIM_BENCH_H
#define VIOSIM_BENCH_H

#include "viosim/run.h"
#include "viosim/scenario.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#define BENCH_MAX_RUNS 21

/* One figure measured once per timed run. */
typedef struct bench_series {
    double v[BENCH_MAX_RUNS];
    unsigned n;
} bench_series;

typedef struct bench_stat {
    double median, min, max;
} bench_stat;

void bench_series_add(bench_series *s, double v);
bench_stat bench_stat_of(const bench_series *s);

/* What one run of a scenario reports, summed over its variants. The counts are
 * deterministic (the same on every run and machine); the rest is timing. */
typedef struct bench_sample {
    double wall_seconds;    /* sum over variants of vio_run_perf.wall_seconds */
    double run_seconds;     /* of which the simulations alone (vio_run_perf.run_seconds) */
    double rss_mib;         /* peak RSS of the forked simulation child(ren) */
    double latency_mean_ns; /* latency_ns.mean of the first variant */
    uint64_t offered, delivered, dropped, events, cache_accesses, simgrid_calls;
    uint32_t variants, agents;
    uint32_t failed_variants; /* the figures cover the others */
    char error[512];          /* the first failure's message; empty when none failed */
} bench_sample;

/* Run every variant of `s` (one after the other) in a fresh fork of this
 * process and measure it. Returns 0 when at least one variant completed (see
 * failed_variants), else -1 with out->error set. */
int bench_run_viosim(const vio_scenario *s, enum vio_engine_kind engine, bench_sample *out);

/* Run the SimPy peer on the canonical scenario; fills wall_seconds, offered,
 * delivered, dropped and latency_mean_ns. */
int bench_run_simpy(const char *python, const char *script, const vio_scenario *s, bench_sample *out);

/* floor.c: replay `events` events over `agents` agents through a bare binary
 * heap; returns the wall seconds (negative when out of memory). */
double bench_floor(uint64_t events, uint32_t agents, uint64_t *checksum);

/* A workload's aggregated figures, as printed and written to results.json. */
typedef struct bench_row {
    const char *id, *title;
    char config[192];        /* how the scenario was derived, one line */
    uint64_t packets_per_variant;
    int is_peer;             /* the SimPy row: no counts but packets */
    bench_sample first;      /* the deterministic counts (from the first timed run) */
    bench_series wall, mpps, mevs, maccs, rss, floor_wall, xfloor;
    bench_series run_us_per_pkt; /* simulation alone, microseconds per offered packet */
    char error[512];
    bench_series extra;      /* a row-specific series for results.json (SimPy: speed-up) */
    const char *extra_name;
    /* the target checked on this row, if any */
    const char *goal;
    char verdict[192];
    int status;              /* 1 pass, 0 fail, -1 no target or not measured */
    const char *why;         /* a failed target: the mechanism found and where it is explained */
} bench_row;

/* 100 % load: the offered packet rate equal to the host core's capacity in the
 * baseline variant, measured by an overloaded calibration run. */
typedef struct calib {
    double busy_ns, capacity_pps, offered_pps_at_1, load100;
} calib;

/* targets.c: set every row's goal, verdict and status. Returns -1 when the
 * SimPy peer's mean latency disagrees with viosim's (the speed comparison is
 * then void), else 0. */
int bench_evaluate(bench_row *rows, size_t n);

/* report.c */
void bench_print_table(FILE *out, const bench_row *rows, size_t nrows);
json_t *bench_row_json(const bench_row *r);
/* bench/results.json: the method, the calibration and every row; VIO_OK or a VIO_E* code. */
int bench_write_results(const char *path, unsigned runs, int full, const calib *c, const bench_row *rows, size_t n,
                        double seconds);

#endif
