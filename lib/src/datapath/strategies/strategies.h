/* The row types of the datapath's strategy tables (viosim/strategy.h): one
 * static table per axis, in one file per family (dma.c, copy.c, notify.c,
 * tenant.c). A variant holds, for each axis, the index of the row its scenario
 * named; vio_datapath_create resolves it once (vio_axis_row) and the stages call
 * the row's ops instead of testing which strategy they run. */
#ifndef VIOSIM_DP_STRATEGIES_H
#define VIOSIM_DP_STRATEGIES_H

#include "viosim/copy.h"
#include "viosim/memsys.h"
#include "viosim/scenario.h"
#include "viosim/strategy.h"
#include "viosim/time.h"
#include "viosim/vcpu.h"

#include <stdint.h>

struct vio_datapath;
struct dp_worker;
struct dp_guest;
struct dp_pkt;

/* variants[].dma: where the NIC's inbound writes land. */
typedef struct dp_dma_strategy {
    const char *name, *help;
    enum vio_dma_target target;
    int llc_write_hits; /* results report dma.llc_write_hit_rate (0 for a target that never looks up the LLC) */
} dp_dma_strategy;

/* variants[].copy: what the host does with a received packet and how the guest reads it. */
typedef struct dp_copy_ops {
    /* After the host read the NIC descriptor and classified the packet at *t:
     * copy it and deliver it to its destinations (dp_host.c vio__dp_deliver),
     * advancing *t by the host's work. Returns 1 when the payload stays in the
     * NIC buffer (the NIC slot is then released later, by the copy), else 0. */
    int (*host_packet)(struct vio_datapath *dp, const struct dp_worker *w, const struct dp_pkt *p, vio_ps *t);
    /* Whether the guest, about to read `head` at t, must first ask the host for
     * it with a fetch command (NULL: never). */
    int (*must_fetch)(const struct vio_datapath *dp, const struct dp_pkt *head, vio_ps t);
} dp_copy_ops;

typedef struct dp_copy_strategy {
    const char *name, *help;
    enum vio_copy_engine engine;   /* the copy primitive when the variant's copy_engine is auto */
    unsigned guest_steps;          /* guest steps per destination copy, at most (resource estimate) */
    int direct;                    /* no host: the NIC delivers into the consumer's own ring (ops unused) */
    dp_copy_ops ops;
} dp_copy_strategy;

/* variants[].copy_engine: the primitive of the host's copies (viosim/copy.h).
 * VIO_ENGINE_COUNT: auto, the copy strategy's own choice (dp_copy_strategy.engine). */
typedef struct dp_copy_engine {
    const char *name, *help;
    enum vio_copy_engine engine;
    int needs_cldemote; /* the platform must implement CLDEMOTE (platform.cldemote) */
} dp_copy_engine;
/* The name of the row of vio_axis_copy_engine that is engine `e` (not auto). */
const char *vio__copy_engine_name(enum vio_copy_engine e);

/* variants[].notify: how an idle guest learns of a packet. */
typedef struct dp_notify_ops {
    /* When the idle guest `g` learns of its first pending packet (before any
     * handler cost), or VIO_PS_NEVER while nothing wakes it yet. */
    vio_ps (*noticed)(const struct vio_datapath *dp, const struct dp_guest *g);
    /* From `raised` to the guest's handler running (a pure preview). */
    vio_ps (*latency)(const struct vio_datapath *dp, const struct dp_guest *g, vio_ps raised);
    /* Take the wake-up noticed at `wake`, the step running at `now`: charge the
     * guest's core and the signalling worker; adds the handler's cost to *t. */
    void (*take)(struct vio_datapath *dp, struct dp_guest *g, vio_ps wake, vio_ps now, vio_ps *t);
} dp_notify_ops;

typedef struct dp_notify_strategy {
    const char *name, *help;
    enum vio_vcpu_mode vcpu_mode; /* the vCPU's interrupt path (viosim/vcpu.h) */
    int spins;                    /* the guest core spins: reported utilisation 1.0 */
    dp_notify_ops ops;
} dp_notify_strategy;

/* variants[].iommu: PASID translation of inbound DMA and its page size. */
typedef struct dp_iommu_mode {
    const char *name, *help;
    uint64_t page_size; /* 0: the IOMMU is off */
} dp_iommu_mode;

/* variants[].io_control: I/O resource control per queue pair. */
typedef struct dp_io_control {
    const char *name, *help;
    int rate_limit; /* police each queue pair with its tenant's token bucket */
} dp_io_control;

/* variants[].io_sched: the order in which a host worker serves the NIC queues
 * (queue pairs) it owns, one queue per turn (dp_host.c). A row says what the
 * turn of owned queue k may take: at most `packets` packets and `bytes` bytes,
 * where with `fit` a packet is taken only if it fits in the bytes left (DRR's
 * deficit test) and without it the packet that reaches `bytes` is the turn's
 * last (vhost_exceeds_weight, checked after each packet). */
typedef struct dp_turn {
    uint32_t packets;
    uint64_t bytes;
    int fit;
} dp_turn;

typedef struct dp_io_sched_ops {
    void (*grant)(const struct vio_datapath *dp, struct dp_worker *w, uint32_t k, dp_turn *turn);
    /* After queue k's turn: the bytes of its grant it left, and whether it still
     * has a packet ready (NULL: nothing to carry over). */
    void (*end)(const struct vio_datapath *dp, struct dp_worker *w, uint32_t k, uint64_t left, int backlog);
} dp_io_sched_ops;

typedef struct dp_io_sched {
    const char *name, *help;
    int weighted; /* uses tenants[].weight (the worker keeps a weight and a credit per queue) */
    dp_io_sched_ops ops;
} dp_io_sched;

/* variants[].device_sched: the NIC's receive DMA arbiter (strategies/device_sched.c). */
typedef struct dp_device_sched {
    const char *name, *help;
    const char *policy; /* the qos.h policy that picks the next queue, or NULL: arrival order */
} dp_device_sched;

/* variants[].shared_ring: the regions of the US11412059 LLC ring. */
typedef struct dp_shared_ring {
    const char *name, *help;
    int global; /* one region mapped into every VM (else one per VM and per multicast destination set) */
} dp_shared_ring;

/* Whether variant v's shared LLC ring is one region mapped into every VM. */
static inline int dp_shared_global(const vio_variant *v)
{
    const dp_shared_ring *r = vio_axis_row(&vio_axis_shared_ring, (size_t)v->shared_ring);
    return r && r->global;
}

/* tenants[].adversary: how a tenant misbehaves (dp_pasid.c acts on `attack`). */
typedef struct dp_adversary {
    const char *name, *help;
    enum vio_adversary attack;
    int needs_victim; /* attacks another tenant: tenants[].victim must name one */
} dp_adversary;

#endif
