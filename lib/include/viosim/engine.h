/* The SimGrid engine: the NIC, the host and every VM are SimGrid actors, each
 * pinned to a simulated host named after its core ("core3", "nic").
 *
 * An actor keeps handling its own events without calling SimGrid for as long as
 * its next event is the earliest of all actors (ties go to the lower agent
 * index), so a NIC burst, a vhost batch or a NAPI poll costs no SimGrid call;
 * actors meet SimGrid only to wait (a semaphore with a timeout at their next
 * event time) or to wake an actor whose next event just moved earlier. The
 * order of model events is therefore exactly the sequential reference's,
 * whatever the batching, and SimGrid's clock (configured with
 * surf/precision = 1e-12 s) follows the integral picosecond model clock.
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
} vio_engine_opts;

typedef struct vio_engine_stats {
    uint64_t steps;         /* model events handled by actors */
    uint64_t simgrid_calls; /* semaphore waits, timed waits and releases */
    double sim_seconds;     /* SimGrid's clock at the end */
} vio_engine_stats;

int vio_engine_run(vio_datapath *dp, const vio_engine_opts *opts, vio_engine_stats *st, vio_err *err);

#ifdef __cplusplus
}
#endif
#endif
