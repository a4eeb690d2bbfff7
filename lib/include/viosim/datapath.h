/* The receive datapath of one variant: NIC (rings, PCIe DMA), host core
 * (vhost-like poll batches that classify, copy and notify) and one guest per VM
 * (interrupt or poll, NAPI batches that read and process), over one memory system.
 *
 * Plain C with no engine inside. It is exposed as a set of *agents*: agent 0 is
 * the NIC, agent 1 the host, agent 2+v the guest of VM v. Each agent says when
 * its next event is (`next`) and handles it (`step`). Executing, at every step,
 * the agent with the smallest (next time, agent index) reproduces the model
 * exactly; the SimGrid engine (engine.h) and the sequential reference loop
 * (vio_datapath_run_sequential) both do that, so they must agree to the byte.
 * A step that changes another agent's next event calls `touch` for it. */
#ifndef VIOSIM_DATAPATH_H
#define VIOSIM_DATAPATH_H

#include "viosim/scenario.h"
#include "viosim/time.h"
#include "viosim/viosim.h"

#include <jansson.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VIO_AGENT_NIC 0u
#define VIO_AGENT_HOST 1u
#define VIO_AGENT_GUEST0 2u

typedef void (*vio_touch_cb)(void *ctx, uint32_t agent);

typedef struct vio_datapath vio_datapath;

int vio_datapath_create(const vio_scenario *s, uint32_t variant, vio_datapath **out, vio_err *err);
void vio_datapath_destroy(vio_datapath *dp);
void vio_datapath_set_touch(vio_datapath *dp, vio_touch_cb cb, void *ctx);

uint32_t vio_datapath_agents(const vio_datapath *dp);
/* The platform core an agent runs on (the NIC reports UINT32_MAX). */
uint32_t vio_datapath_agent_core(const vio_datapath *dp, uint32_t agent);
const char *vio_datapath_agent_name(const vio_datapath *dp, uint32_t agent, char *buf, size_t len);
vio_ps vio_datapath_next(const vio_datapath *dp, uint32_t agent);
void vio_datapath_step(vio_datapath *dp, uint32_t agent, vio_ps now);
/* No event will ever come for this agent again. */
int vio_datapath_done(const vio_datapath *dp, uint32_t agent);

/* The exact reference schedule in one loop, without SimGrid. Returns VIO_ERUN
 * if agents remain with nothing to do while packets are in flight. */
int vio_datapath_run_sequential(vio_datapath *dp, vio_err *err);
/* After a run: check conservation (offered = delivered + dropped, nothing in flight). */
int vio_datapath_check_finished(const vio_datapath *dp, vio_err *err);
/* The variant's results object (the results.json contract), new reference. */
json_t *vio_datapath_results(const vio_datapath *dp);
/* Counters for benchmarks. */
uint64_t vio_datapath_events(const vio_datapath *dp);
uint64_t vio_datapath_cache_accesses(const vio_datapath *dp);
uint64_t vio_datapath_delivered(const vio_datapath *dp);

#ifdef __cplusplus
}
#endif
#endif
