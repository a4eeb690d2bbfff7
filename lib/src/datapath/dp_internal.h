/* Internal state of the datapath, shared by its files: datapath.c (construction,
 * the agent table, the agenda), dp_nic.c, dp_host.c and dp_guest.c (the stages),
 * strategies/ (the registered strategy tables whose ops the stages call),
 * dp_pasid.c (PASID-tagged DMA), dp_stats.c (registered statistics) and dp_results.c. */
#ifndef VIOSIM_DP_INTERNAL_H
#define VIOSIM_DP_INTERNAL_H

#include "viosim/datapath.h"
#include "viosim/hist.h"
#include "viosim/iommu.h"
#include "viosim/tenant.h"
#include "viosim/memsys.h"
#include "viosim/rng.h"
#include "viosim/pcie.h"
#include "viosim/qos.h"
#include "viosim/submit.h"
#include "viosim/stats.h"
#include "viosim/traffic.h"
#include "viosim/txpath.h"
#include "viosim/vcpu.h"
#include "viosim/copy.h"

#include "util/agenda.h"
#include "datapath/strategies/strategies.h"

#include <jansson.h>

/* A tenant of PASID-tagged I/O at run time: its parameters, what the device
 * stamps on its queue pair's DMAs, where its IOVA window lies, and its counters. */
typedef struct dp_tenant {
    vio_tenant_params p;
    int32_t tag;
    uint32_t qp;          /* its queue pair: the NIC queue of its VM */
    uint64_t iova_base;   /* base of its IOVA space's layout: the same for every tenant (spaces overlap) */
    uint64_t dmas;        /* descriptors the device used on its queue pair (attack_every counts these) */
    uint64_t blocked_packets, rejected_posts, cross_tenant_bytes;
    uint64_t pasid_refused; /* wrong-pasid requests the device-side check refused */
    vio_tbf tbf;            /* its queue pair's ingress rate limit (no rate: always conforms) */
    uint64_t policed;       /* packets the rate limit dropped */
    const dp_adversary *adv; /* its row of tenants[].adversary */
    uint64_t offered_bytes; /* frame bytes offered to its queue pair (its demand, for max-min fairness) */
    /* Reads by its guest: attempts on another tenant's slot (read-shared) that the
     * mapping stopped, and bytes it read that were another tenant's packet. */
    uint64_t reads, snoops, snoops_blocked, cross_read_bytes;
    /* Its transmits (a forwarding consumer): frames sent, attacks made
     * (tx-foreign-buffer, tx-foreign-doorbell), device reads the IOMMU blocked,
     * bytes the device read out of another tenant's memory, doorbell stores
     * that faulted. */
    uint64_t txs, tx_batches, tx_attacks, tx_blocked_reads, tx_leaked_bytes, doorbell_faults;
    uint64_t pasid_overrides; /* tx-forged-pasid: submissions whose PASID was not the one the device used */
} dp_tenant;

/* A packet (or one destination's copy of it) waiting in a stage's input queue. */
typedef struct dp_pkt {
    vio_ps t_arrive; /* last bit at the NIC: the latency origin */
    vio_ps t_ready;  /* when the next stage may see it */
    uint64_t buf;    /* address the next stage reads the payload from */
    uint32_t bytes, flow;
    uint32_t queue, slot; /* NIC ring slot (host input) or guest ring slot (guest input) */
    uint32_t shared;      /* shared LLC ring slot, or UINT32_MAX */
    uint8_t phase;        /* DP_WARMUP, or the half of the measured packets it belongs to */
} dp_pkt;

/* Which statistics a packet counts in: none during the warm-up
 * (traffic.warmup_packets), else one of the two halves of the measured packets
 * that the steady-state check compares. */
enum dp_phase { DP_WARMUP = 0, DP_FIRST_HALF = 1, DP_SECOND_HALF = 2 };
static inline uint64_t dp_measured(const dp_pkt *p) { return p->phase != DP_WARMUP; }

/* A bounded FIFO; capacity is the sum of the rings feeding it, so it never
 * overflows. It knows the agent it feeds: a push marks that agent's agenda
 * entry stale (dp_push), so no stage has to remember whom it woke. */
typedef struct dp_fifo {
    dp_pkt *items;
    uint32_t cap, head, len;
    uint32_t owner; /* the agent that consumes it */
} dp_fifo;

/* A descriptor ring, reduced to what decides drops: when each slot is free again.
 * The producer fills slots in order and may reuse slot s at time t only if the
 * consumer released it at or before t (VIO_PS_NEVER: not yet released). */
typedef struct dp_ring {
    uint32_t entries;
    uint64_t produced;
    vio_ps *free_at;
} dp_ring;

/* What a worker does once a copy of its is known complete, with the copy engine
 * driven asynchronously (platform.dma_engine.completion poll-async, dp_dma.c). */
enum dp_async_kind {
    DP_ASYNC_DELIVER,  /* write the guest's used descriptor and hand it the packet */
    DP_ASYNC_NIC_FREE, /* return the NIC buffer the copies read */
    DP_ASYNC_FETCH,    /* copy on fetch: release the NIC buffer, answer the guests waiting on the slot */
};
typedef struct dp_async_op {
    uint64_t batch; /* the submission it waits for */
    dp_pkt p;       /* DELIVER: the destination's copy; NIC_FREE: p.queue, p.slot; FETCH: p.shared too */
    uint32_t guest; /* DELIVER */
    uint8_t kind;
} dp_async_op;

/* A worker's copies in flight on the engine: the descriptors of the turn in
 * hand (submitted with one doorbell at its end), the submitted batches in order
 * with their completion times, and the work waiting on each (in batch order). */
typedef struct dp_async {
    vio_dma_desc *staged;
    uint32_t nstaged, staged_cap;
    dp_async_op *ops;
    size_t ops_head, ops_len, ops_cap;
    vio_ps *done;   /* per submitted batch, oldest first (a ring) */
    uint64_t *id;
    size_t b_head, b_len, b_cap;
    uint64_t batch; /* id of the batch being staged */
    uint64_t polls, reaped; /* completion-record reads; batches found complete */
} dp_async;
/* A consumer's DPDK mempool (vms[].mempool, dp_mempool.c): opaque. */
typedef struct dp_mempool dp_mempool;

/* One host worker (a vhost-like thread on its own core) and the NIC queues it
 * serves, round-robin: each turn serves one queue (dp_host.c). */
typedef struct dp_worker {
    uint32_t index, core, agent;
    uint32_t *queues, nq; /* the NIC queues it owns, ascending; their packets wait in dp->nic_in[q] */
    uint32_t rr;          /* where the next turn starts looking: the owned queue after the last served */
    dp_fifo fetch_in;     /* copy on fetch: guests' fetch commands for packets it handled */
    vio_ps busy_until, busy;
    vio_ps debt; /* signals the guests took since its last batch, paid at its next */
    uint64_t batches, irqs, packets, fetches;
    /* variants[].io_sched (dp_qos.c): per owned queue, its tenant's weight and
     * the byte credit DRR carries to its next turn (NULL with the default order). */
    uint32_t *weight;
    uint64_t *deficit;
    dp_async as; /* poll-async copy engine use (dp_dma.c); unused otherwise */
    /* The earliest head of its NIC queues, kept across steps so that finding the
     * worker's next work does not scan every owned queue (256 VMs: 256 queues)
     * at every arrival: `nonempty` owned queues hold packets; when `qmin_valid`,
     * `qmin` is the least t_ready of their heads (dp_host.c host_work_at). */
    vio_ps qmin;
    uint32_t nonempty;
    int qmin_valid;
} dp_worker;

/* A transmit completion not yet dealt with by the driver: when it was written
 * back (and signalled), the doorbell that submitted it, whether it is measured. */
/* dp_guest.txc: the completion handling vms[].tx_completion resolves to for a variant. */
enum { DP_TXC_INTERRUPT = 1, DP_TXC_POLL, DP_TXC_REAP };

typedef struct dp_txpend {
    vio_ps at, issued;
    uint8_t measured;
} dp_txpend;

typedef struct dp_guest {
    uint32_t core, vm, agent;
    dp_fifo in;
    dp_ring ring;
    vio_ps busy_until, busy;  /* busy: core time spent (handler, exits, reads, work) */
    int fetch_wait;           /* copy on fetch: waiting for the host to copy the packets its command names */
    vio_ps fetch_ready;       /* when the last of those copies completes (VIO_PS_NEVER: not done yet) */
    uint32_t fetch_n;         /* how many packets at the head of `in` its command names (vms[].fetch_batch) */
    vio_hist latency;
    uint64_t delivered, bytes, dropped, offered;
    uint64_t interrupts, vm_exits, posted, batches;
    /* The interrupt and exit path of its vCPU (viosim/vcpu.h). */
    vio_vcpu *vcpu;
    uint64_t signals, signals_suppressed; /* host -> guest: interrupts raised / suppressed by the event index */
    uint64_t kicks;                       /* guest -> host doorbells (refill kicks asked for, fetch commands) */
    uint64_t fetch_commands;              /* copy on fetch: commands rung (each names up to vms[].fetch_batch packets) */
    int want_kick;                        /* vhost ran out of this guest's rx buffers: it asked for a kick */
    vio_ps host_poll, guest_spin;         /* its core's halt polling in root mode / idle polling in guest mode */
    uint32_t last_worker;                 /* the worker that last delivered to it: it pays the signals */
    vio_rng service_rng;                  /* vms[].service exponential: its own stream */
    /* Direct delivery (copy none): its own NIC queue, and the frames a forwarder
     * posted for transmit in the current batch (one doorbell per batch). */
    uint32_t queue;
    vio_tx_frame *txf;
    uint32_t *txslot, ntx;
    uint8_t *txm; /* per posted frame: its packet is measured (not warm-up) */
    uint64_t forwarded;
    /* What its transmits did (dp_tx.c): frames sent and blocked, bytes, the device's
     * reads (lines, and lines served by the LLC), first doorbell and last bit on
     * the wire, latency from doorbell store to completion seen by the driver. */
    uint64_t tx_sent, tx_blocked, tx_bytes, tx_lines, tx_llc_lines, tx_retries;
    vio_ps tx_first, tx_last;
    vio_hist tx_latency;
    /* How its driver learns of transmit completions (DP_TXC_*), and the completions it has not dealt with yet, in
     * time order (a growable ring): with interrupt those whose MSI-X may still
     * find its core idle, with reap those its next transmit burst will see (dp_tx.c). */
    int txc;
    struct dp_txpend *txp;
    uint32_t txp_head, txp_len, txp_cap;
    uint64_t tx_irqs;
    dp_mempool *mp; /* vms[].mempool with copy none: its receive buffers recycle (else NULL) */
} dp_guest;

/* The occupancy of the system (dp_occupancy.c): per consumer, and the total. */
typedef struct dp_occ {
    uint64_t n;                /* measured copies in the system now */
    vio_ps last;               /* when the integral was last advanced */
    uint64_t area_hi, area_lo; /* the integral of n over time, ps x packets, 128 bits */
    uint64_t packet_ps;        /* the same, saturated to 64 bits (registered) */
    uint64_t arrivals, departures, dropped, max, in_system_at_end;
    uint64_t drop_sojourn_ps; /* time the dropped ones spent in the system */
} dp_occ;
typedef struct dp_occ_dep {
    vio_ps t;
    uint32_t vm;
} dp_occ_dep;

/* The agents, built from the scenario: the NIC, every host worker, every guest.
 * Their order is the tie-break of the agenda: agent 0 is the NIC, 1..W the
 * workers, W+1.. the guests in VM order. */
enum dp_agent_kind { DP_AGENT_NIC, DP_AGENT_WORKER, DP_AGENT_GUEST };

typedef struct dp_agent_ops {
    const char *kind; /* names agents: "nic", "host" (+ worker index past 0), "vm" + VM index */
    vio_ps (*next)(const vio_datapath *dp, uint32_t index); /* its next event, a pure function */
    void (*step)(vio_datapath *dp, uint32_t index, vio_ps now);
} dp_agent_ops;

typedef struct dp_agent {
    enum dp_agent_kind kind;
    uint32_t index; /* among agents of its kind */
    uint32_t core;  /* platform core, UINT32_MAX for the NIC */
    const dp_agent_ops *ops;
} dp_agent;

extern const dp_agent_ops vio__nic_ops, vio__worker_ops, vio__guest_ops;

/* A received packet waiting in the NIC's buffer for the receive arbiter. */
typedef struct dp_pending {
    vio_arrival_rec a;
    uint8_t phase;
} dp_pending;

struct vio_datapath {
    const vio_scenario *s;
    const vio_variant *v;
    /* The variant's strategy on each axis: the rows it named (strategies/). */
    const dp_dma_strategy *dma;
    const dp_copy_strategy *copy;
    const dp_io_sched *io_sched; /* the order a worker serves its queues in (variants[].io_sched) */
    const dp_notify_strategy *notify;
    const dp_copy_engine *copy_engine; /* the row the variant named (possibly auto) */
    enum vio_copy_engine engine;       /* the primitive the host's copies use, auto resolved */
    vio_copier *copier;
    int async; /* the dma-engine driven poll-async: copies complete at the worker's later turns (dp_dma.c) */
    vio_ps copy_done; /* scratch: when the copies of the packet in hand have read their source */
    uint32_t nagents, nqueues, nworkers, freq;
    dp_agent *agents;
    /* The agenda: every agent's next event time, first in (time, agent index)
     * order in O(1). After a step, the entries of the stepped agent and of every
     * agent it fed (marked by dp_wake) are refreshed; nothing else can change. */
    vio__agenda agenda;
    uint32_t *stale, nstale;
    uint8_t *is_stale;
    vio_ps now; /* time of the last step: the model clock */
    vio_memsys *mem;
    vio_pcie pcie;
    /* With the IOMMU on: the root port's posted queue (credits) that the NIC's
     * writes wait in for their translation, and the NIC's receive packet buffer:
     * a FIFO of the packets whose DMA has not gone onto the link yet (dp_nic.c). */
    vio_pcie_port port;
    struct dp_rxbuf {
        vio_ps leave;
        uint32_t bytes;
    } *rxb;
    uint32_t rxb_cap, rxb_head, rxb_n;
    uint64_t rxb_used, rxb_bytes_cap, rxb_peak;
    /* The receive DMA arbiter (variants[].device_sched other than fifo,
     * dp_nic_sched.c): per-queue parts of the buffer, the packets waiting there. */
    vio_qos *nic_sched;
    uint64_t *rxq_used, rxq_cap;
    dp_pending *pend;
    uint32_t *pend_free, npend_free;
    vio_ps nic_sched_clock;
    vio_traffic_gen *traffic;
    vio_arrival_hash arrivals; /* what the NIC received, in order */
    /* NIC */
    dp_ring *nic_rings;
    uint32_t *queue_worker; /* the worker serving each NIC queue */
    dp_fifo *nic_in;        /* per NIC queue: received packets waiting for its worker (the fifo's owner) */
    uint32_t buf_stride; /* bytes between receive buffers, a whole number of lines */
    uint64_t nic_buf_span, nic_desc_span, guest_buf_span, guest_desc_span; /* per queue / VM */
    /* host workers */
    dp_worker *w;
    /* The US11412059 shared LLC rings, one per region (variants[].shared_ring):
     * per-vm, region v is VM v's (shared by the host and that VM only) and each
     * multicast destination set has one more; global, region 0 is every VM's.
     * Slots are numbered across regions (region r: r x entries ..), so `shared`
     * holds every slot's free time; region_produced[r] is region r's producer index
     * (taken atomically by the workers in a real host: it costs nothing here). */
    dp_ring shared;
    uint32_t nregions, region_entries;
    uint64_t region_span;      /* bytes between regions: whole 2 MiB pages, so no page holds two */
    uint64_t *region_produced;
    uint32_t *region_flow;     /* a multicast region's first flow (its members are that flow's dst), or UINT32_MAX */
    uint32_t *flow_region;     /* the region each flow's packets are copied into */
    uint32_t *last_shared;     /* per VM: the last shared slot written for it (read-shared adversary), or UINT32_MAX */
    uint32_t *shared_refs; /* guests still to read each slot; never below zero */
    uint8_t *accept;       /* scratch: which destinations of the packet in hand take it */
    /* copy on fetch: what each shared slot will hold and when it was copied */
    dp_pkt *shared_src;
    vio_ps *shared_fetched;
    /* guests */
    dp_guest *g;
    /* Direct delivery, forwarding: the NIC's transmit engine (read requests, tags,
     * completions) reading each forwarded packet back; NULL when no one forwards. */
    vio_tx *tx;
    vio_submit *submit; /* the consumers' transmit doorbells (one 4 KiB page per queue pair) */
    /* ENQCMD: when the device takes each command in its shared work queue off it
     * (FIFO, monotone), and what submitters saw (dp_tx.c). */
    vio_ps *swq_release;
    uint32_t swq_head, swq_len;
    vio_ps swq_last;
    uint64_t enq_accepted, enq_retries, swq_peak;
    vio_tx_result *txres;
    uint64_t tx_read_bytes;
    vio_ps readback_sum, tx_done;
    /* Warm-up and the steady-state check: arrivals so far, the first arrival of
     * the second measured half, latency sums per phase, the DMA counters when the
     * second half began. */
    uint64_t arrived, half_at;
    uint64_t lat_sum[3], lat_n[3];
    uint64_t half1_dma_lines, half1_dma_hits;
    int half1_done;
    /* Little's law: occupancy per consumer (nvms + 1, the last the total) and the
     * departures known but not yet passed by the clock, a min-heap (dp_occupancy.c). */
    dp_occ *occ;
    dp_occ_dep *dep;
    uint32_t ndep, capdep;
    int occ_done;
    /* PASID-tagged I/O (NULL tenants: no tenant machinery in this variant) */
    vio_iommu *iommu;
    vio_tenants *tenants;
    dp_tenant *tn;      /* one per VM, indexed by VM */
    uint64_t page_size; /* 0 when the IOMMU is off */
    uint64_t dropped_iommu, dropped_policed, dropped_nic_buffer;
    /* totals */
    uint64_t offered, dropped_nic, dropped_guest_ring, dropped_shared;
    uint64_t events, dma_writes;
    /* progress: cb called when events reaches progress_at (UINT64_MAX: never) */
    uint64_t progress_at, progress_every;
    vio_datapath_progress_cb progress_cb;
    void *progress_ctx;
    vio_ps first_arrival, last_done;
    vio_ps overrun; /* the first event past VIO_MAX_SIM_PS (then every agent stops), or 0 */
    /* Statistics registered by name where their counters live (results: "stats"). */
    vio_stats *stats;
    int have_first;
    /* A broken model invariant (a count below zero, a slot reused while held, an
     * event in the past): the first one is kept, stops the engines and fails the
     * run at vio_datapath_check_finished. */
    int broken;
    char broken_msg[256];
};

/* datapath.c: record a violated invariant (the first one wins). */
void vio__dp_broken(vio_datapath *dp, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The memory system a scenario describes, exactly as the datapath builds it
 * (also for model-level validation tests, so they cannot drift from it). */
int vio__memsys_for(const vio_scenario *s, vio_memsys **out, vio_err *err);

/* dp_host.c, for the copy strategies: whether g's ring has no free slot at t (then
 * the packet p is dropped for g, counted if measured, and vhost asks for a kick), and putting one
 * destination's copy on g's ring (`buf` its payload, `shared` its shared slot or
 * UINT32_MAX) with the used descriptor written once the copy is complete, at
 * *t or at `ready` if that is later (a copy engine's completion); the host's
 * time *t advances by the descriptor write only. */
int vio__dp_guest_ring_full(vio_datapath *dp, dp_guest *g, vio_ps t, const dp_pkt *p);
void vio__dp_nic_in_push(vio_datapath *dp, uint32_t q, const dp_pkt *p); /* a packet for queue q's worker */
void vio__dp_deliver(vio_datapath *dp, const dp_worker *w, dp_guest *g, dp_pkt p, uint64_t buf, uint32_t shared,
                     vio_ps ready, vio_ps *t);
/* datapath.c: the end of the warm-up: zero every time-based counter (caches,
 * cores, exits, the link), keeping all state. */
void vio__dp_reset_stats(vio_datapath *dp);
/* dp_host.c: one copy of `bytes` from src to dst by worker w with the variant's
 * copy engine at *t: advances *t by the core's part, charges any later part (a
 * completion interrupt) to the worker's next batch, returns when the data is in
 * place and the worker knows it. */
vio_ps vio__dp_copy(vio_datapath *dp, const dp_worker *w, uint64_t src, uint64_t dst, uint32_t bytes, vio_ps *t);

/* dp_dma.c: the copy engine driven asynchronously (DPDK's vhost async path).
 * A copy is staged (its completion is not known: VIO_PS_NEVER) and work that
 * depends on it is queued behind it; the turn's copies are submitted with one
 * doorbell at its end; at every later turn the worker reads its completion
 * records and does the queued work of the batches found complete. */
vio_ps vio__dp_async_copy(vio_datapath *dp, dp_worker *w, uint64_t src, uint64_t dst, uint32_t bytes);
/* Copy on fetch: answer guest g's served command once all it names are copied (dp_host.c). */
void vio__dp_fetch_answer(vio_datapath *dp, dp_guest *g, vio_ps t);
void vio__dp_async_after(vio_datapath *dp, dp_worker *w, enum dp_async_kind kind, uint32_t guest, const dp_pkt *p);
void vio__dp_async_submit(vio_datapath *dp, dp_worker *w, vio_ps *t);
void vio__dp_async_reap(vio_datapath *dp, dp_worker *w, vio_ps *t);
vio_ps vio__dp_async_next(const dp_worker *w); /* the first in-flight batch's completion, or VIO_PS_NEVER */
void vio__dp_async_free(dp_async *a);
/* dp_host.c: write g's used descriptor for p (its slot reserved) and hand p to g,
 * once the copy is complete at `ready` (or now, at *t, if later). */
void vio__dp_publish(vio_datapath *dp, const dp_worker *w, dp_guest *g, dp_pkt p, vio_ps ready, vio_ps *t);
/* A shared slot whose copy on fetch is on the engine, not yet known complete. */
#define DP_FETCH_IN_FLIGHT (VIO_PS_NEVER - 1)
/* dp_occupancy.c: a measured copy for consumer vm enters the system at the NIC
 * step `now`; it leaves at t (>= the clock), delivered or dropped (then
 * `sojourn` is its time in the system); finish closes the interval at the end of
 * the throughput's span (vio__dp_occ_finish, results.h). */
void vio__dp_occ_arrive(vio_datapath *dp, uint32_t vm, vio_ps now);
void vio__dp_occ_leave(vio_datapath *dp, uint32_t vm, vio_ps t, vio_ps sojourn, int dropped);
double vio__dp_occ_area(const dp_occ *o);

/* dp_mempool.c: DPDK buffer recycling (vms[].mempool). init builds each direct
 * consumer's pool; rx_buf is the buffer a receive slot holds (the slot's fixed
 * one without a pool); rx replenishes a slot the consumer took a packet off at t
 * (and frees the slot); free returns a buffer the consumer is done with;
 * tx_wait / tx_sent / tx_reap are the transmit ring's hold on forwarded buffers. */
int vio__dp_mempool_init(vio_datapath *dp, vio_err *err);
void vio__dp_mempool_destroy(vio_datapath *dp);
uint64_t vio__dp_rx_buf(const vio_datapath *dp, uint32_t q, uint32_t slot);
void vio__dp_mempool_rx(vio_datapath *dp, dp_guest *g, uint32_t slot, vio_ps t);
void vio__dp_mempool_free(dp_guest *g, uint64_t buf);
vio_ps vio__dp_mempool_tx_wait(dp_guest *g, uint32_t pending, vio_ps t);
void vio__dp_mempool_tx_sent(vio_datapath *dp, dp_guest *g, uint64_t buf, vio_ps done);
void vio__dp_mempool_tx_reap(dp_guest *g, vio_ps t);
void vio__dp_mempool_reset_stats(vio_datapath *dp);
int vio__dp_mempool_register(vio_datapath *dp, uint32_t vm, vio_err *err);

/* dp_stats.c: register the statistics of the models and agents (results "stats"). */
int vio__dp_register_stats(vio_datapath *dp, vio_err *err);

/* dp_results.c */
json_t *vio__latency_json(const vio_hist *h);

/* dp_nic_sched.c: the receive DMA arbiter (variants[].device_sched). _next: when
 * the engine would serve the next waiting packet (VIO_PS_NEVER: none, or fifo);
 * _add: 0 if queue q's part of the buffer cannot take it; _pick: the packet the
 * policy serves at `now` and its queue. */
int vio__nic_sched_init(vio_datapath *dp, vio_err *err);
void vio__nic_sched_destroy(vio_datapath *dp);
vio_ps vio__nic_sched_next(const vio_datapath *dp);
int vio__nic_sched_add(vio_datapath *dp, const vio_arrival_rec *a, uint8_t phase, uint32_t q);
int vio__nic_sched_pick(vio_datapath *dp, vio_ps now, vio_arrival_rec *a, uint8_t *phase, uint32_t *q);

/* dp_pasid.c */
int vio__pasid_init(vio_datapath *dp, vio_err *err);
void vio__pasid_destroy(vio_datapath *dp);
/* The inbound DMAs of one received packet on queue q: the descriptor read, the
 * payload write and the completion write, each translated and checked. Returns -1
 * if the queue pair's rate limit (at `now`) dropped the packet, 0 if the IOMMU
 * blocked it (nothing written); else 1, with *buf the physical buffer the payload
 * landed in. The translations are asked for at `at` (the payload's first TLP in
 * the root port's queue), one after the other: *payload_delay is the time until
 * the payload's is done (the descriptor read's first), *cpl_delay the completion
 * write's own (both 0 without the IOMMU). */
int vio__pasid_dma(vio_datapath *dp, uint32_t q, uint32_t slot, uint32_t bytes, vio_ps now, vio_ps at, uint64_t *buf,
                   vio_ps *payload_delay, vio_ps *cpl_delay);
json_t *vio__pasid_results(const vio_datapath *dp);

/* dp_tx.c: the transmit path of forwarding consumers (issue 11 item 3): the
 * doorbell (viosim/submit.h), the device's reads translated under the queue
 * pair's PASID (viosim/txpath.h), per-consumer results. */
int vio__tx_init(vio_datapath *dp, vio_err *err);
void vio__tx_destroy(vio_datapath *dp);
/* Queue the frame of packet p for transmit in g's current batch (*t: its core). */
void vio__tx_post(vio_datapath *dp, dp_guest *g, const dp_pkt *p, vio_ps *t);
/* Ring the doorbell for the batch at *t and send it; frees the receive slots. */
void vio__tx_flush(vio_datapath *dp, dp_guest *g, vio_ps *t);
/* The earliest transmit completion interrupt still pending (VIO_PS_NEVER: none),
 * and, at the end of a step, dropping those raised while its core was busy (NAPI
 * had the queue's vector masked: its poll cleans them). */
vio_ps vio__tx_irq_next(const dp_guest *g);
void vio__tx_irq_fold(dp_guest *g, vio_ps busy_until);
json_t *vio__tx_json(const vio_datapath *dp, const dp_guest *g);
/* dp_pasid.c, for a tenant's transmit: the frame's addresses in its PASID's
 * space (an adversary's may name the victim's buffer), and the translation
 * callback of viosim/txpath.h with the owner check of every read. */
void vio__pasid_tx_frame(vio_datapath *dp, uint32_t q, uint32_t slot, uint32_t bytes, vio_tx_frame *f);
bool vio__pasid_tx_translate(void *ctx, uint32_t pasid, uint64_t iova, uint32_t len, vio_dma_kind kind, vio_ps now,
                             vio_ps *latency, uint64_t *phys);

/* dp_qos.c: I/O resource control in the host (US10310974): the registered
 * policy (variants[].io_sched) each worker serves its queue pairs by, and the
 * tenants' LLC way masks (variants[].cat). */
int vio__qos_init(vio_datapath *dp, vio_err *err);
void vio__qos_destroy(vio_datapath *dp);

/* datapath.c: the shared regions of a variant: their number, and when
 * flow_region / region_flow are given (nflows and nvms + nflows entries), the
 * region of each flow and the first flow of each multicast region. */
uint32_t vio__shared_regions(const vio_scenario *s, const vio_variant *v, uint32_t *flow_region,
                             uint32_t *region_flow);
/* dp_pasid.c: a guest has read packet p (its payload at p->buf): check whose data
 * it was, and let a read-shared adversary try the victim's latest slot. Returns the
 * guest time that attempt cost. */
vio_ps vio__tenant_read(vio_datapath *dp, dp_guest *g, const dp_pkt *p, vio_ps now);

/* datapath.c: the vCPU model of one VM for the variant's notify mode. */
int vio__vcpu_for(const vio_datapath *dp, uint32_t vm, vio_vcpu **out, vio_err *err);

/* Mark an agent whose inputs changed: its agenda entry is refreshed after the step. */
static inline void dp_wake(vio_datapath *dp, uint32_t agent)
{
    if (!dp->is_stale[agent]) {
        dp->is_stale[agent] = 1;
        dp->stale[dp->nstale++] = agent;
    }
}

/* Address map: disjoint regions 8 TiB apart, each structure's per-queue (per-VM)
 * part aligned to 2 MiB so a tenant's buffers never share a page with another's
 * (the IOMMU maps them with 4 KiB or 2 MiB pages). Every address stays below
 * 2^48, the reach of 4-level paging. */
#define VIO_ADDR_NIC_DESC (1ULL << 43)
#define VIO_ADDR_NIC_BUF (2ULL << 43)
#define VIO_ADDR_GUEST_DESC (3ULL << 43)
#define VIO_ADDR_GUEST_BUF (4ULL << 43)
#define VIO_ADDR_SHARED_BUF (5ULL << 43)
#define VIO_ADDR_TX_DESC (6ULL << 43) /* copy none: the consumers' transmit descriptors */
#define VIO_ADDR_MEMPOOL (7ULL << 43) /* copy none, vms[].mempool: the consumers' mbuf pools */
#define VIO_ADDR_VCPU_IRQ (9ULL << 43) /* per VM: its posted-interrupt descriptor, then its virtual APIC page */
#define VIO_REGION_ALIGN (2ULL << 20)
#define VIO_DESC_BYTES 16u
#define VIO_RX_VECTOR 0x30 /* the guest's virtio-net rx interrupt vector (any non-reserved vector) */

static inline int dp_fifo_push(dp_fifo *f, const dp_pkt *p)
{
    if (f->len == f->cap)
        return -1;
    f->items[(f->head + f->len) % f->cap] = *p;
    f->len++;
    return 0;
}
/* Append to a stage's input and wake the stage (capacity: see dp_fifo). */
static inline void dp_push(vio_datapath *dp, dp_fifo *f, const dp_pkt *p)
{
    if (dp_fifo_push(f, p) != 0)
        vio__dp_broken(dp, "an input queue of %u entries overflowed", f->cap);
    else
        dp_wake(dp, f->owner);
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
static inline int dp_guest_slot_free(const dp_guest *g, vio_ps t)
{
    return g->ring.free_at[g->ring.produced % g->ring.entries] <= t;
}
static inline uint64_t dp_nic_buf(const vio_datapath *dp, uint32_t q, uint32_t slot)
{
    return VIO_ADDR_NIC_BUF + q * dp->nic_buf_span + (uint64_t)slot * dp->buf_stride;
}
static inline uint64_t dp_nic_desc(const vio_datapath *dp, uint32_t q, uint32_t slot)
{
    return VIO_ADDR_NIC_DESC + q * dp->nic_desc_span + (uint64_t)slot * VIO_DESC_BYTES;
}
static inline uint64_t dp_guest_buf(const vio_datapath *dp, uint32_t vm, uint32_t slot)
{
    return VIO_ADDR_GUEST_BUF + vm * dp->guest_buf_span + (uint64_t)slot * dp->buf_stride;
}
static inline uint64_t dp_guest_desc(const vio_datapath *dp, uint32_t vm, uint32_t slot)
{
    return VIO_ADDR_GUEST_DESC + vm * dp->guest_desc_span + (uint64_t)slot * VIO_DESC_BYTES;
}
static inline uint64_t dp_tx_desc(const vio_datapath *dp, uint32_t q, uint32_t slot)
{
    return VIO_ADDR_TX_DESC + q * dp->nic_desc_span + (uint64_t)slot * VIO_DESC_BYTES;
}
static inline uint64_t dp_shared_buf(const vio_datapath *dp, uint32_t slot)
{
    return VIO_ADDR_SHARED_BUF + slot / dp->region_entries * dp->region_span +
           (uint64_t)(slot % dp->region_entries) * dp->buf_stride;
}
/* The next slot (numbered across regions) of shared region r. */
static inline uint32_t dp_shared_next(const vio_datapath *dp, uint32_t r)
{
    return r * dp->region_entries + (uint32_t)(dp->region_produced[r] % dp->region_entries);
}
/* Is VM vm a member of shared region r, i.e. mapped into its guest? */
static inline int dp_region_member(const vio_datapath *dp, uint32_t r, uint32_t vm)
{
    if (dp_shared_global(dp->v))
        return 1;
    if (dp->region_flow[r] == UINT32_MAX)
        return r == vm;
    const vio_flow *f = &dp->s->traffic.flows[dp->region_flow[r]];
    for (uint32_t i = 0; i < f->ndst; i++)
        if (f->dst[i] == vm)
            return 1;
    return 0;
}
static inline uint64_t dp_pid_line(uint32_t vm) { return VIO_ADDR_VCPU_IRQ + (uint64_t)vm * 8192; }
static inline uint64_t dp_vapic_irr(uint32_t vm) { return VIO_ADDR_VCPU_IRQ + (uint64_t)vm * 8192 + 4096 + 0x200; }
static inline vio_ps dp_cycles(const vio_datapath *dp, uint64_t cycles) { return vio_cycles_to_ps(cycles, dp->freq); }

#endif
