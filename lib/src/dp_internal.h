/* Internal state of the datapath; shared by datapath.c, dp_stages.c and dp_results.c. */
#ifndef VIOSIM_DP_INTERNAL_H
#define VIOSIM_DP_INTERNAL_H

#include "viosim/datapath.h"
#include "viosim/hist.h"
#include "viosim/memsys.h"
#include "viosim/pcie.h"
#include "viosim/traffic.h"

/* A packet (or one destination's copy of it) waiting in a stage's input queue. */
typedef struct dp_pkt {
    vio_ps t_arrive; /* last bit at the NIC: the latency origin */
    vio_ps t_ready;  /* when the next stage may see it */
    uint64_t buf;    /* address the next stage reads the payload from */
    uint32_t bytes, flow;
    uint32_t queue, slot; /* NIC ring slot (host input) or guest ring slot (guest input) */
    uint32_t shared;      /* shared LLC ring slot, or UINT32_MAX */
} dp_pkt;

/* A bounded FIFO; capacity is the sum of the rings feeding it, so it never overflows. */
typedef struct dp_fifo {
    dp_pkt *items;
    uint32_t cap, head, len;
} dp_fifo;

/* A descriptor ring, reduced to what decides drops: when each slot is free again.
 * The producer fills slots in order and may reuse slot s at time t only if the
 * consumer released it at or before t (VIO_PS_NEVER: not yet released). */
typedef struct dp_ring {
    uint32_t entries;
    uint64_t produced;
    vio_ps *free_at;
} dp_ring;

typedef struct dp_guest {
    uint32_t core, vm;
    dp_fifo in;
    dp_ring ring;
    vio_ps busy_until, busy;  /* busy: core time spent (handler, exits, reads, work) */
    int in_napi;              /* still polling after a batch: no interrupt needed */
    vio_hist latency;
    uint64_t delivered, bytes, dropped, offered;
    uint64_t interrupts, vm_exits, batches;
} dp_guest;

struct vio_datapath {
    const vio_scenario *s;
    const vio_variant *v;
    vio_touch_cb touch;
    void *touch_ctx;
    uint32_t nagents, nqueues, freq;
    vio_memsys *mem;
    vio_pcie pcie;
    vio_traffic_gen *traffic;
    char arrival_hash[65];
    /* NIC */
    dp_ring *nic_rings;
    uint32_t buf_stride; /* bytes between receive buffers, a whole number of lines */
    int nic_done;
    /* host */
    dp_fifo host_in;
    vio_ps host_busy_until, host_busy;
    uint64_t host_batches, host_irqs, host_packets;
    /* the US11412059 shared LLC ring */
    dp_ring shared;
    uint32_t *shared_refs;
    /* guests */
    dp_guest *g;
    /* totals */
    uint64_t offered, dropped_nic, dropped_guest_ring, dropped_shared;
    uint64_t events, dma_writes;
    vio_ps first_arrival, last_done;
    int have_first;
};

/* dp_results.c */
json_t *vio__latency_json(const vio_hist *h);

/* dp_stages.c */
vio_ps vio__nic_next(const vio_datapath *dp);
void vio__nic_step(vio_datapath *dp, vio_ps now);
vio_ps vio__host_next(const vio_datapath *dp);
void vio__host_step(vio_datapath *dp, vio_ps now);
vio_ps vio__guest_next(const vio_datapath *dp, const dp_guest *g);
void vio__guest_step(vio_datapath *dp, dp_guest *g, vio_ps now);

/* Address map: disjoint regions, so no two structures ever alias a line. */
#define VIO_ADDR_NIC_DESC 0x010000000ULL
#define VIO_ADDR_NIC_BUF 0x040000000ULL
#define VIO_ADDR_GUEST_DESC 0x080000000ULL
#define VIO_ADDR_GUEST_BUF 0x100000000ULL
#define VIO_ADDR_SHARED_BUF 0x800000000ULL
#define VIO_DESC_BYTES 16u

static inline int dp_fifo_push(dp_fifo *f, const dp_pkt *p)
{
    if (f->len == f->cap)
        return -1;
    f->items[(f->head + f->len) % f->cap] = *p;
    f->len++;
    return 0;
}
static inline const dp_pkt *dp_fifo_peek(const dp_fifo *f, uint32_t i)
{
    return i < f->len ? &f->items[(f->head + i) % f->cap] : NULL;
}
static inline dp_pkt dp_fifo_pop(dp_fifo *f)
{
    dp_pkt p = f->items[f->head];
    f->head = (f->head + 1) % f->cap;
    f->len--;
    return p;
}
static inline vio_ps dp_cycles(const vio_datapath *dp, uint64_t cycles) { return vio_cycles_to_ps(cycles, dp->freq); }

#endif
