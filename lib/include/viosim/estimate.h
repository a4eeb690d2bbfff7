/* Resource estimates of a scenario before it runs: the memory one variant's
 * simulation allocates, the events it executes and the simulated time its
 * arrivals span. `viosim check` prints them; `viosim run` refuses up front a
 * run whose memory estimate exceeds --max-memory, naming the JSON path of the
 * largest contributor. The figures come from the same structure sizes the
 * datapath allocates (a test compares them with what it really allocates). */
#ifndef VIOSIM_ESTIMATE_H
#define VIOSIM_ESTIMATE_H

#include "viosim/scenario.h"

#include <stdint.h>

/* SimGrid runs every actor (NIC, host, each VM) on its own stack (engine.c). */
#define VIO_ACTOR_STACK_BYTES (256u << 10)
/* What a variant process holds besides the model: SimGrid, the platform, jansson. */
#define VIO_PROCESS_BASE_BYTES (16u << 20)

typedef struct vio_estimate {
    uint64_t bytes;          /* peak memory: the model, the engine's stacks, the process base */
    uint64_t model_bytes;    /* of which the datapath and its caches (vio_datapath_create) */
    uint64_t events;         /* agent steps, an upper estimate (empty polls cost no step) */
    double arrival_s;        /* simulated seconds the arrivals span (vio_scenario_arrival_span) */
    const char *largest;     /* JSON path of the largest contributor, e.g. "platform.llc.size_kib" */
    uint64_t largest_bytes;
    char why[96];            /* how that contributor adds up, e.g. "1024 cores x 1048576 KiB" */
} vio_estimate;

/* One variant, run alone. */
void vio_estimate_variant(const vio_scenario *s, uint32_t variant, vio_estimate *out);
/* A whole run (`variant` < 0: every variant): events add up, memory is the sum of
 * the `jobs` largest variants, which may run at once; `largest` is the largest
 * contributor of the largest variant. */
void vio_estimate_run(const vio_scenario *s, int variant, unsigned jobs, vio_estimate *out);

#endif
