/* The NIC: takes each arrival off the wire, steers it to a receive queue, DMAs
 * it (through the IOMMU when tenants are on) and hands it to the host worker
 * serving that queue. With variants[].device_sched fifo (the default) each packet
 * is DMAed as it arrives; otherwise it waits in its queue's part of the receive
 * buffer until the DMA engine's arbiter picks it (dp_nic_sched.c). */
#include "datapath/dp_internal.h"

static vio_ps nic_next(const vio_datapath *dp, uint32_t index)
{
    (void)index;
    vio_ps a = vio_traffic_peek(dp->traffic), d = vio__nic_sched_next(dp);
    return d < a ? d : a;
}

static uint32_t steer(const vio_datapath *dp, const vio_flow *f, uint32_t flow)
{
    /* One queue per VM (VMDq / flow director): a unicast flow lands in its VM's
     * queue. Otherwise an RSS-style hash of the flow picks the queue. */
    if (dp->s->platform.nic_queues == 0 && f->ndst == 1)
        return f->dst[0];
    uint64_t h = (uint64_t)flow * 0x9e3779b97f4a7c15ULL;
    return (uint32_t)((h >> 32) % dp->nqueues);
}

/* A packet lost at the NIC: every destination's copy counts as dropped (if measured). */
static void nic_drop(vio_datapath *dp, const vio_flow *f, uint64_t *where, uint64_t m)
{
    *where += m * f->ndst;
    for (uint32_t i = 0; i < f->ndst; i++)
        dp->g[f->dst[i]].dropped += m;
}

/* The consumers a packet of flow f on queue q enters the system for (Little's law,
 * dp_occupancy.c): with direct delivery queue q's consumer, else every destination. */
static void occ_enter(vio_datapath *dp, const vio_flow *f, uint32_t q, vio_ps now)
{
    if (dp->copy->direct)
        vio__dp_occ_arrive(dp, q, now);
    else
        for (uint32_t i = 0; i < f->ndst; i++)
            vio__dp_occ_arrive(dp, f->dst[i], now);
}

/* A packet that waited in the receive buffer (an arbiter's) and is then lost: it
 * had entered the system at its arrival, so it leaves it, dropped. */
static void occ_drop(vio_datapath *dp, const vio_flow *f, uint32_t q, vio_ps now, vio_ps t_arrive)
{
    if (dp->copy->direct)
        vio__dp_occ_leave(dp, q, now, now - t_arrive, 1);
    else
        for (uint32_t i = 0; i < f->ndst; i++)
            vio__dp_occ_leave(dp, f->dst[i], now, now - t_arrive, 1);
}

/* Which statistics this arrival counts in. The warm-up ends as its first measured
 * packet reaches the NIC: everything the NIC does is split there exactly, the
 * cores' counters from that moment on. The second half's start records the DMA
 * counters, so the halves' hit rates are exact per packet too. */
static uint8_t arrival_phase(vio_datapath *dp)
{
    uint64_t i = dp->arrived++, warm = dp->s->traffic.warmup_packets;
    if (i == warm && warm > 0)
        vio__dp_reset_stats(dp);
    if (i == dp->half_at) {
        vio_memsys_stats ms;
        vio_memsys_get_stats(dp->mem, &ms);
        vio_copier_stats cs; /* the NIC's writes only: the copy engine's are its own */
        vio_copier_get_stats(dp->copier, &cs);
        dp->half1_dma_lines = ms.dma_lines - cs.dma_lines;
        dp->half1_dma_hits = ms.dma_llc_hits - cs.dma_llc_hits;
        dp->half1_done = 1;
    }
    return i < warm ? DP_WARMUP : i < dp->half_at ? DP_FIRST_HALF : DP_SECOND_HALF;
}

/* The receive packet buffer: a packet holds its bytes from its arrival until its
 * DMA has gone onto the link. FIFO: the link serves the NIC's writes in order. */
static int rxbuf_admit(vio_datapath *dp, uint32_t bytes, vio_ps now)
{
    while (dp->rxb_n && dp->rxb[dp->rxb_head].leave <= now) {
        dp->rxb_used -= dp->rxb[dp->rxb_head].bytes;
        dp->rxb_head = (dp->rxb_head + 1) % dp->rxb_cap;
        dp->rxb_n--;
    }
    return dp->rxb_n < dp->rxb_cap && dp->rxb_used + bytes <= dp->rxb_bytes_cap;
}

static void rxbuf_push(vio_datapath *dp, uint32_t bytes, vio_ps leave)
{
    dp->rxb[(dp->rxb_head + dp->rxb_n) % dp->rxb_cap] = (struct dp_rxbuf){.leave = leave, .bytes = bytes};
    dp->rxb_n++;
    dp->rxb_used += bytes;
    if (dp->rxb_used > dp->rxb_peak)
        dp->rxb_peak = dp->rxb_used;
}

/* Serialisation of a write's first TLP (at most MPS bytes plus its overhead). */
static vio_ps first_tlp_ps(const vio_datapath *dp, uint32_t bytes)
{
    uint32_t n = bytes < dp->pcie.tlp_payload ? bytes : dp->pcie.tlp_payload;
    return vio_bytes_to_ps((uint64_t)n + dp->pcie.tlp_overhead, dp->pcie.bandwidth_mbps);
}

/* A received packet's writes through the root port's posted queue, TLP by TLP:
 * each waits for a credit, and leaves the queue (returning it) once translated
 * and after the writes ahead of it. The payload's first TLP waits for the
 * translations (descriptor read, then payload: d_pay, walker waits included);
 * the others of the same buffer find the IOTLB entry it filled and pay one
 * lookup; the descriptor write-back pays its own (d_cpl). Returns when the
 * write-back lands in memory; *sent when it went onto the link. */
static vio_ps port_dma(vio_datapath *dp, uint32_t bytes, vio_ps now, vio_ps d_pay, vio_ps d_cpl, vio_ps *sent)
{
    vio_ps hit = (vio_ps)dp->s->iommu.iotlb_hit_ns * VIO_PS_PER_NS;
    uint32_t mps = dp->pcie.tlp_payload;
    for (uint32_t off = 0; off < bytes; off += mps) {
        uint32_t n = bytes - off < mps ? bytes - off : mps;
        vio_ps in = vio_pcie_port_send(&dp->port, &dp->pcie, n, now);
        vio_pcie_port_commit(&dp->port, &dp->pcie, in + (off == 0 ? d_pay : hit));
    }
    vio_ps in = vio_pcie_port_send(&dp->port, &dp->pcie, VIO_DESC_BYTES, now);
    *sent = in;
    return vio_pcie_port_commit(&dp->port, &dp->pcie, in + d_cpl);
}

/* The DMA of one received packet on queue q at `now`: a receive descriptor, the
 * rate limit and the IOMMU, then the writes. `waited`: it had waited in the
 * buffer for an arbiter (and entered the system at its arrival). */
static void nic_dma(vio_datapath *dp, const vio_arrival_rec *a, uint8_t phase, uint32_t q, vio_ps now, int waited)
{
    const vio_flow *f = &dp->s->traffic.flows[a->flow];
    uint64_t m = phase != DP_WARMUP;
    dp_ring *r = &dp->nic_rings[q];
    uint32_t slot = (uint32_t)(r->produced % r->entries);
    uint64_t *lost = NULL;
    uint64_t buf = 0;
    vio_ps d_pay = 0, d_cpl = 0;
    if (r->free_at[slot] > now) {
        lost = &dp->dropped_nic; /* ring full: the NIC has no descriptor for it and drops it */
    } else {
        r->produced++;
        r->free_at[slot] = VIO_PS_NEVER;
        buf = vio__dp_rx_buf(dp, q, slot); /* the slot's buffer, or a mempool's (dp_mempool.c) */
        /* With the IOMMU the translations are done at the root port, from when the
         * payload's first TLP is in its queue (after any wait for a credit). */
        vio_ps at = dp->iommu ? vio_pcie_port_ready(&dp->port, &dp->pcie, now) + first_tlp_ps(dp, a->bytes) : now;
        int admitted = dp->tn ? vio__pasid_dma(dp, q, slot, a->bytes, now, at, &buf, &d_pay, &d_cpl) : 1;
        /* The queue pair's rate limit (io_control rate-limit) drops it; or the IOMMU
         * blocked it: nothing is written, the device reports the fault and returns
         * the descriptor at once. */
        if (admitted <= 0) {
            r->free_at[slot] = now;
            lost = admitted < 0 ? &dp->dropped_policed : &dp->dropped_iommu;
        }
    }
    if (lost) {
        nic_drop(dp, f, lost, m);
        if (waited && m)
            occ_drop(dp, f, q, now, a->t_arrive);
        return;
    }
    /* Payload, then the descriptor write-back: two posted writes on the link. */
    vio_ps landed, sent;
    if (dp->iommu) {
        landed = port_dma(dp, a->bytes, now, d_pay, d_cpl, &sent);
    } else {
        landed = vio_pcie_write(&dp->pcie, a->bytes, now);
        landed = vio_pcie_write(&dp->pcie, VIO_DESC_BYTES, landed - dp->pcie.latency);
        sent = landed - dp->pcie.latency;
    }
    if (!waited)
        rxbuf_push(dp, a->bytes, sent);
    enum vio_dma_target target = dp->dma->target; /* strategies/dma.c */
    vio_memsys_dma_write(dp->mem, target, buf, a->bytes, landed);
    vio_memsys_dma_write(dp->mem, target, dp_nic_desc(dp, q, slot), VIO_DESC_BYTES, landed);
    dp->dma_writes += 2;
    dp_pkt p = {.t_arrive = a->t_arrive, .t_ready = landed, .buf = buf, .bytes = a->bytes, .flow = a->flow,
                .queue = q, .slot = slot, .shared = UINT32_MAX, .phase = phase};
    /* It enters the system (Little's law, dp_occupancy.c): one copy per consumer. */
    if (m && !waited)
        occ_enter(dp, f, q, now);
    if (dp->copy->direct) /* direct delivery: queue q is its consumer's own ring */
        dp_push(dp, &dp->g[q].in, &p);
    else
        vio__dp_nic_in_push(dp, q, &p); /* wakes the worker serving queue q */
}

static void nic_step(vio_datapath *dp, uint32_t index, vio_ps now)
{
    (void)index;
    if (vio__nic_sched_next(dp) < vio_traffic_peek(dp->traffic)) {
        /* The DMA engine is free and an arbiter has packets waiting: serve one. */
        vio_arrival_rec a;
        uint8_t phase;
        uint32_t q;
        dp->events++;
        if (vio__nic_sched_pick(dp, now, &a, &phase, &q))
            nic_dma(dp, &a, phase, q, now, 1);
        return;
    }
    vio_arrival_rec a;
    if (!vio_traffic_next(dp->traffic, &a))
        return;
    dp->events++;
    vio_arrival_hash_add(&dp->arrivals, &a);
    const vio_flow *f = &dp->s->traffic.flows[a.flow];
    uint8_t phase = arrival_phase(dp);
    uint64_t m = phase != DP_WARMUP;
    if (!dp->have_first && m) { /* throughput and utilisations span the measured packets */
        dp->first_arrival = a.t_arrive;
        dp->have_first = 1;
    }
    /* Every measured (packet, destination) pair is offered once: offered = delivered + dropped. */
    dp->offered += m * f->ndst;
    for (uint32_t i = 0; i < f->ndst; i++) {
        dp->g[f->dst[i]].offered += m;
        if (dp->tn)
            dp->tn[f->dst[i]].offered_bytes += m * a.bytes;
    }
    uint32_t q = steer(dp, f, a.flow);
    if (dp->nic_sched) {
        /* An arbiter: the packet waits in its queue's part of the receive buffer
         * (it enters the system now) or, if that part is full, is dropped. */
        if (!vio__nic_sched_add(dp, &a, phase, q)) {
            nic_drop(dp, f, &dp->dropped_nic_buffer, m);
            return;
        }
        if (m)
            occ_enter(dp, f, q, now);
        return;
    }
    if (!rxbuf_admit(dp, a.bytes, now)) {
        /* The receive packet buffer is full: the link has stopped (no posted credits
         * while translations wait for page walkers) and the packet is lost. */
        nic_drop(dp, f, &dp->dropped_nic_buffer, m);
        return;
    }
    nic_dma(dp, &a, phase, q, now, 0);
}

const dp_agent_ops vio__nic_ops = {"nic", nic_next, nic_step};
