/* The receive datapath of one variant: the NIC (rings, PCIe DMA), one or more
 * host workers (vhost-like poll batches that classify, copy and notify, each on
 * its own core, each serving some NIC queues) and one guest per VM (interrupt or
 * poll, NAPI batches that read and process), over one memory system.
 *
 * Plain C with no engine inside. It is a table of *agents* built from the
 * scenario: agent 0 is the NIC, agents 1..W the host workers, W+1+v the guest of
 * VM v. Each says when its next event is (`next`) and handles it (`step`).
 *
 * The datapath owns the agenda: vio_datapath_first names the agent with the
 * smallest (next time, agent index), and vio_datapath_step runs it and then
 * refreshes the agenda entries of that agent and of every agent whose input it
 * fed. Both engines (the SimGrid actors of engine.h and the sequential loop
 * vio_datapath_run_sequential) only ever run what vio_datapath_first names, so
 * they execute the very same events in the very same order by construction. */
#ifndef VIOSIM_DATAPATH_H
#define VIOSIM_DATAPATH_H

#include "viosim/scenario.h"
#include "viosim/time.h"
#include "viosim/viosim.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VIO_AGENT_NIC 0u

typedef struct vio_datapath vio_datapath;

int vio_datapath_create(const vio_scenario *s, uint32_t variant, vio_datapath **out, vio_err *err);
void vio_datapath_destroy(vio_datapath *dp);

uint32_t vio_datapath_agents(const vio_datapath *dp);
/* The platform core an agent runs on (the NIC reports UINT32_MAX). */
uint32_t vio_datapath_agent_core(const vio_datapath *dp, uint32_t agent);
/* "nic", "host" (worker 0), "host1".., "vm0".. */
const char *vio_datapath_agent_name(const vio_datapath *dp, uint32_t agent, char *buf, size_t len);
/* An agent's next event time (VIO_PS_NEVER: none), computed from its state now. */
vio_ps vio_datapath_next(const vio_datapath *dp, uint32_t agent);
/* The agent holding the earliest event and its time (*t), ties to the lower
 * index; UINT32_MAX when no agent has an event left or the model broke. */
uint32_t vio_datapath_first(const vio_datapath *dp, vio_ps *t);
/* Handle `agent`'s event at `now` and update the agenda. `now` must not be
 * before the previous step's (a violation fails the run). */
void vio_datapath_step(vio_datapath *dp, uint32_t agent, vio_ps now);
/* The model clock: the time of the last step. */
vio_ps vio_datapath_now(const vio_datapath *dp);
/* When the last work of the run ends (the last step, or the end of the work it started). */
vio_ps vio_datapath_end(const vio_datapath *dp);

/* The exact reference schedule in one loop, without SimGrid. Returns VIO_ERUN
 * if agents remain with nothing to do while packets are in flight. */
int vio_datapath_run_sequential(vio_datapath *dp, vio_err *err);
/* After a run: check conservation (offered = delivered + dropped, nothing in flight). */
int vio_datapath_check_finished(const vio_datapath *dp, vio_err *err);
/* Counters for benchmarks. */
uint64_t vio_datapath_events(const vio_datapath *dp);
uint64_t vio_datapath_cache_accesses(const vio_datapath *dp);
uint64_t vio_datapath_delivered(const vio_datapath *dp);

/* How far a run has got, for a progress display (never part of the results). */
typedef struct vio_datapath_progress {
    uint64_t packets; /* arrivals the NIC has taken off the wire so far */
    uint64_t total;   /* traffic.packets: arrivals the run will have */
    vio_ps now;       /* the model clock */
} vio_datapath_progress;
typedef void (*vio_datapath_progress_cb)(void *ctx, const vio_datapath_progress *p);
/* Have `cb` called from inside the run (either engine) once every `every`
 * events (0: 65536), and not at all by default. One compare per event is all
 * the hot path pays; the callback must only read (results cannot change). */
void vio_datapath_set_progress(vio_datapath *dp, vio_datapath_progress_cb cb, void *ctx, uint64_t every);

#ifdef __cplusplus
}
#endif
#endif
