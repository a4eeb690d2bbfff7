/* The SimGrid engine: the NIC, every host worker and every VM are SimGrid
 * actors, each pinned to a simulated host named after its core ("core3", "nic").
 *
 * Exactly one actor runs at a time. It asks the datapath for the agent with the
 * earliest event (vio_datapath_first): while that is itself it handles its
 * events without calling SimGrid, so a NIC burst, a vhost batch or a NAPI poll
 * costs no SimGrid call; otherwise it releases that one agent's semaphore and
 * waits, untimed, on its own. The order of model events is the datapath's
 * agenda, hence exactly the sequential reference's.
 *
 * SimGrid's clock follows the integral picosecond model clock: before handling
 * an event more than one quantum (clock_quantum_ps, default 10 us) ahead of
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

/* 10 us: at light load (one packet every few us) a sleep every few packets,
 * far cheaper than one per event; small beside any latency the model reports. */
#define VIO_ENGINE_QUANTUM_PS 10000000ull

typedef struct vio_engine_stats {
    uint64_t steps;         /* model events handled by actors */
    uint64_t simgrid_calls; /* semaphore acquires and releases, sleeps */
    double sim_seconds;     /* SimGrid's clock at the end: vio_datapath_end() in seconds */
    uint64_t max_clock_lag_ps; /* the most SimGrid's clock lagged an event handled */
    uint64_t clock_quantum_ps; /* the quantum used */
} vio_engine_stats;

int vio_engine_run(vio_datapath *dp, const vio_engine_opts *opts, vio_engine_stats *st, vio_err *err);

#ifdef __cplusplus
}
#endif
#endif
