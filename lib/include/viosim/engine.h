/* The SimGrid engine: the NIC, every host worker and every VM are SimGrid
 * actors, each pinned to a simulated host named after its core ("core3", "nic").
 *
 * Exactly one actor runs at a time. It asks the datapath for the agent with the
 * earliest event (vio_datapath_first): while that is itself it handles its
 * events without calling SimGrid, so a NIC burst, a vhost batch or a NAPI poll
 * costs no SimGrid call; otherwise it passes the baton to that one agent,
 * resumes its actor and suspends itself until the baton is back (untimed).
 * The order of model events is the datapath's agenda, hence exactly the
 * sequential reference's.
 *
 * SimGrid's clock follows the integral picosecond model clock: before handling
 * an event more than one quantum (clock_quantum_ps, default 100 us) ahead of
 * SimGrid's clock, the actor sleeps until the event's time; at the end the last
 * actor sleeps until the end of the model's work, so SimGrid's clock then equals
 * model time. While running, it lags model time by at most the quantum
 * (max_clock_lag_ps reports by how much), and never runs ahead of it.
 *
 * SimGrid's engine is a process-wide singleton that can run once: call
 * vio_engine_run at most once per process (vio_run forks a child per variant). */
#ifndef VIOSIM_ENGINE_H
#define VIOSIM_ENGINE_H

#include "viosim/datapath.h"
#include "viosim/viosim.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vio_engine_opts {
    int log;                /* let SimGrid log (off: silenced) */
    const char *contexts;   /* SimGrid context factory, NULL = "raw" */
    uint64_t clock_quantum_ps; /* how far SimGrid's clock may lag model time; 0 = VIO_ENGINE_QUANTUM_PS */
} vio_engine_opts;

/* 100 us: one sleep per 100 us of simulated time at most. A sleep costs the
 * SimGrid kernel a model update (about 5 k instructions); at 10 us they were
 * 0.8 k instructions per packet on the reduced pipeline and 1.7 k at 10 % load
 * (docs/performance.md), for a clock that nothing in the model reads: the
 * results do not depend on it (the sequential loop has none). */
#define VIO_ENGINE_QUANTUM_PS 100000000ull

typedef struct vio_engine_stats {
    uint64_t steps;         /* model events handled by actors */
    uint64_t simgrid_calls; /* actor suspensions and resumptions, sleeps */
    double sim_seconds;     /* SimGrid's clock at the end: vio_datapath_end() in seconds */
    uint64_t max_clock_lag_ps; /* the most SimGrid's clock lagged an event handled */
    uint64_t clock_quantum_ps; /* the quantum used */
} vio_engine_stats;

int vio_engine_run(vio_datapath *dp, const vio_engine_opts *opts, vio_engine_stats *st, vio_err *err);

#ifdef __cplusplus
}
#endif
#endif
