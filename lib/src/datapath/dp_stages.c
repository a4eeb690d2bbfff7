/* The three stages of the receive path: NIC, host core, guest core.
 * Each `*_next` is a pure function of the stage's state; each `*_step` handles
 * the event at `now` and reports (through `touch`) the stages it fed. */
#include "datapath/dp_internal.h"

/* ---------------------------------------------------------------- NIC ---- */

vio_ps vio__nic_next(const vio_datapath *dp) { return vio_traffic_peek(dp->traffic); }

static uint32_t steer(const vio_datapath *dp, const vio_flow *f, uint32_t flow)
{
    /* One queue per VM (VMDq / flow director): a unicast flow lands in its VM's
     * queue. Otherwise an RSS-style hash of the flow picks the queue. */
    if (dp->s->platform.nic_queues == 0 && f->ndst == 1)
        return f->dst[0];
    uint64_t h = (uint64_t)flow * 0x9e3779b97f4a7c15ULL;
    return (uint32_t)((h >> 32) % dp->nqueues);
}

/* A packet lost at the NIC: every destination's copy counts as dropped. (The
 * engine tells the other actors when the NIC runs out of packets.) */
static void nic_drop(vio_datapath *dp, const vio_flow *f, uint64_t *where)
{
    *where += f->ndst;
    for (uint32_t i = 0; i < f->ndst; i++)
        dp->g[f->dst[i]].dropped++;
}

void vio__nic_step(vio_datapath *dp, vio_ps now)
{
    vio_arrival_rec a;
    if (!vio_traffic_next(dp->traffic, &a))
        return;
    dp->events++;
    vio_arrival_hash_add(&dp->arrivals, &a);
    const vio_flow *f = &dp->s->traffic.flows[a.flow];
    if (!dp->have_first) {
        dp->first_arrival = a.t_arrive;
        dp->have_first = 1;
    }
    /* Every (packet, destination) pair is offered once: offered = delivered + dropped. */
    dp->offered += f->ndst;
    for (uint32_t i = 0; i < f->ndst; i++)
        dp->g[f->dst[i]].offered++;
    uint32_t q = steer(dp, f, a.flow);
    dp_ring *r = &dp->nic_rings[q];
    uint32_t slot = (uint32_t)(r->produced % r->entries);
    if (r->free_at[slot] > now) {
        /* Ring full: the NIC has no descriptor for it and drops it on the floor. */
        nic_drop(dp, f, &dp->dropped_nic);
        return;
    }
    r->produced++;
    r->free_at[slot] = VIO_PS_NEVER;
    uint64_t buf = dp_nic_buf(dp, q, slot);
    vio_ps translation = 0;
    int admitted = dp->tn ? vio__pasid_dma(dp, q, slot, a.bytes, now, &buf, &translation) : 1;
    if (admitted < 0) { /* the queue pair's rate limit (io_control rate-limit) drops it */
        r->free_at[slot] = now;
        nic_drop(dp, f, &dp->dropped_policed);
        return;
    }
    if (!admitted) {
        /* Blocked by the IOMMU: nothing is written; the device reports the fault
         * and returns the descriptor at once. */
        r->free_at[slot] = now;
        nic_drop(dp, f, &dp->dropped_iommu);
        return;
    }
    /* Payload, then the descriptor write-back: two posted writes on the link,
     * landing once the IOMMU has translated them. */
    vio_ps landed = vio_pcie_write(&dp->pcie, a.bytes, now);
    landed = vio_pcie_write(&dp->pcie, VIO_DESC_BYTES, landed - dp->pcie.latency) + translation;
    enum vio_dma_target target = dp->v->dma == VIO_DMA_DDIO ? VIO_DMA_TO_LLC_DDIO : VIO_DMA_TO_DRAM;
    vio_memsys_dma_write(dp->mem, target, buf, a.bytes, landed);
    vio_memsys_dma_write(dp->mem, target, dp_nic_desc(dp, q, slot), VIO_DESC_BYTES, landed);
    dp->dma_writes += 2;
    dp_pkt p = {.t_arrive = a.t_arrive, .t_ready = landed, .buf = buf, .bytes = a.bytes, .flow = a.flow,
                .queue = q, .slot = slot, .shared = UINT32_MAX};
    (void)dp_fifo_push(&dp->host_in, &p); /* cannot fail: capacity = all NIC ring slots */
    if (dp->touch)
        dp->touch(dp->touch_ctx, VIO_AGENT_HOST);
}

/* --------------------------------------------------------------- host ---- */

/* The earliest work waiting for the host: a received packet or a guest's fetch command. */
static vio_ps host_work_at(const vio_datapath *dp)
{
    const dp_pkt *p = dp_fifo_peek(&dp->host_in, 0), *f = dp_fifo_peek(&dp->fetch_in, 0);
    vio_ps t = p ? p->t_ready : VIO_PS_NEVER;
    if (f && f->t_ready < t)
        t = f->t_ready;
    return t;
}

vio_ps vio__host_next(const vio_datapath *dp)
{
    vio_ps t = host_work_at(dp);
    if (t == VIO_PS_NEVER)
        return t;
    return t > dp->host_busy_until ? t : dp->host_busy_until;
}

static int guest_slot_free(const dp_guest *g, vio_ps t)
{
    return g->ring.free_at[g->ring.produced % g->ring.entries] <= t;
}

/* A destination whose ring has no free slot at t loses this packet. */
static int guest_ring_full(vio_datapath *dp, dp_guest *g, vio_ps t)
{
    if (guest_slot_free(g, t))
        return 0;
    g->want_kick = 1; /* out of rx buffers: vhost asks for a kick when the guest adds some */
    g->dropped++;
    dp->dropped_guest_ring++;
    return 1;
}

/* Put one destination's copy on the guest's ring and tell the guest. */
static void deliver(vio_datapath *dp, dp_guest *g, dp_pkt p, uint64_t buf, uint32_t shared, vio_ps *t)
{
    uint32_t slot = (uint32_t)(g->ring.produced % g->ring.entries);
    g->ring.produced++;
    g->ring.free_at[slot] = VIO_PS_NEVER;
    /* The used-ring descriptor: in the guest's ring, or in the LLC for the shared ring. */
    uint64_t desc = dp_guest_desc(dp, g->vm, slot);
    enum vio_stream_op op = dp->v->copy == VIO_COPY_GUEST ? VIO_STREAM_WRITE : VIO_STREAM_WRITE_LLC;
    *t += vio_memsys_stream(dp->mem, dp->s->host.core, op, desc, VIO_DESC_BYTES, *t);
    /* Signalling the guest (irqfd, then posting or kicking: vio_vcpu_send) is paid
     * only for the buffers that find the guest idle: with the event index
     * (VIRTIO_F_EVENT_IDX, on in QEMU's virtio-net) the guest asks for one
     * interrupt when it re-enables callbacks at the end of a NAPI poll, and a
     * buffer used while it polls, or later in the same idle period, is not
     * signalled. Whether the guest is idle is known when the guest stage takes
     * the interrupt, so the cost is charged there to the host's next batch
     * (host_debt), not here. */
    p.t_ready = *t;
    p.buf = buf;
    p.slot = slot;
    p.shared = shared;
    (void)dp_fifo_push(&g->in, &p); /* capacity = ring entries, and the slot was free */
    if (dp->touch)
        dp->touch(dp->touch_ctx, VIO_AGENT_GUEST0 + g->vm);
}

static void host_packet(vio_datapath *dp, const dp_pkt *p, vio_ps *t)
{
    const vio_scenario *s = dp->s;
    int keep_nic_slot = 0;
    uint32_t core = s->host.core;
    const vio_flow *f = &s->traffic.flows[p->flow];
    *t += vio_memsys_read(dp->mem, core, dp_nic_desc(dp, p->queue, p->slot), *t, NULL);
    *t += dp_cycles(dp, s->host.classify_cycles);
    if (dp->v->copy == VIO_COPY_GUEST) {
        /* Baseline: one copy into each destination guest's own buffer. */
        for (uint32_t i = 0; i < f->ndst; i++) {
            dp_guest *g = &dp->g[f->dst[i]];
            if (guest_ring_full(dp, g, *t))
                continue;
            uint32_t slot = (uint32_t)(g->ring.produced % g->ring.entries);
            uint64_t dst = dp_guest_buf(dp, g->vm, slot);
            *t += vio_memsys_stream(dp->mem, core, VIO_STREAM_READ, p->buf, p->bytes, *t);
            *t += vio_memsys_stream(dp->mem, core, VIO_STREAM_WRITE, dst, p->bytes, *t);
            deliver(dp, g, *p, dst, UINT32_MAX, t);
        }
    } else {
        /* US11412059: copy once into the LLC ring shared by the host and the VMs,
         * then inject an interrupt into the core of each VM that must process it.
         * On fetch, the copy waits for the first destination's fetch command. */
        uint32_t sslot = (uint32_t)(dp->shared.produced % dp->shared.entries);
        /* Which destinations take the packet is decided once, before the copy:
         * a ring that frees a slot while the host copies does not join late, so
         * the slot's reader count is exactly the copies posted. (Deciding twice
         * once let more guests read a slot than its count said, releasing it
         * while a guest still held it.) */
        uint32_t accepted = 0;
        for (uint32_t i = 0; i < f->ndst; i++) {
            dp->accept[i] = (uint8_t)guest_slot_free(&dp->g[f->dst[i]], *t);
            accepted += dp->accept[i];
        }
        if (dp->shared.free_at[sslot] > *t || accepted == 0) {
            for (uint32_t i = 0; i < f->ndst; i++)
                dp->g[f->dst[i]].dropped++;
            if (dp->shared.free_at[sslot] > *t)
                dp->dropped_shared += f->ndst;
            else
                dp->dropped_guest_ring += f->ndst;
        } else {
            if (dp->shared_refs[sslot] != 0)
                vio__dp_broken(dp, "shared ring slot %u reused while %u guests still hold it", sslot,
                               dp->shared_refs[sslot]);
            dp->shared.produced++;
            dp->shared.free_at[sslot] = VIO_PS_NEVER;
            dp->shared_refs[sslot] = accepted;
            uint64_t dst = dp_shared_buf(dp, sslot);
            if (dp->v->copy == VIO_COPY_LLC) {
                *t += vio_memsys_stream(dp->mem, core, VIO_STREAM_READ, p->buf, p->bytes, *t);
                *t += vio_memsys_stream(dp->mem, core, VIO_STREAM_WRITE_LLC, dst, p->bytes, *t);
            } else {
                dp->shared_src[sslot] = *p;
                dp->shared_fetched[sslot] = VIO_PS_NEVER;
                keep_nic_slot = 1; /* the payload stays in the NIC buffer until fetched */
            }
            for (uint32_t i = 0; i < f->ndst; i++) {
                dp_guest *g = &dp->g[f->dst[i]];
                if (dp->accept[i]) {
                    deliver(dp, g, *p, dst, sslot, t);
                } else {
                    g->want_kick = 1; /* out of rx buffers: vhost asks for a kick */
                    g->dropped++;
                    dp->dropped_guest_ring++;
                }
            }
        }
    }
    /* The NIC descriptor is returned once the payload has been read out of its buffer. */
    if (!keep_nic_slot)
        dp->nic_rings[p->queue].free_at[p->slot] = *t;
}

/* A guest's fetch command (copy on fetch): copy the slot's packet from the NIC
 * buffer into the LLC once, release the NIC descriptor, and let the guest go on.
 * Later destinations of the same packet find it copied already. */
static void host_fetch(vio_datapath *dp, const dp_pkt *req, vio_ps *t)
{
    uint32_t sslot = req->slot;
    dp_guest *g = &dp->g[req->queue];
    if (dp->shared_fetched[sslot] == VIO_PS_NEVER) {
        const dp_pkt *src = &dp->shared_src[sslot];
        uint32_t core = dp->s->host.core;
        *t += vio_memsys_stream(dp->mem, core, VIO_STREAM_READ, src->buf, src->bytes, *t);
        *t += vio_memsys_stream(dp->mem, core, VIO_STREAM_WRITE_LLC, dp_shared_buf(dp, sslot), src->bytes, *t);
        dp->nic_rings[src->queue].free_at[src->slot] = *t;
        dp->shared_fetched[sslot] = *t;
        dp->fetches++;
    }
    /* The answer leaves the host now, even when another destination's fetch
     * already copied the packet: an event is never scheduled in the past. */
    g->fetch_ready = dp->shared_fetched[sslot] > *t ? dp->shared_fetched[sslot] : *t;
    if (dp->touch)
        dp->touch(dp->touch_ctx, VIO_AGENT_GUEST0 + g->vm);
}

void vio__host_step(vio_datapath *dp, vio_ps now)
{
    const vio_scenario *s = dp->s;
    dp->events++;
    vio_ps t = now;
    const dp_pkt *head;
    /* An idle host is woken by the NIC's MSI-X or a guest's fetch doorbell
     * (unless it spins on the rings). */
    if (!dp->v->host_poll && host_work_at(dp) > dp->host_busy_until) {
        t += dp_cycles(dp, s->host.irq_cycles);
        dp->host_irqs++;
    }
    t += dp_cycles(dp, s->host.batch_cycles) + dp->host_debt;
    dp->host_debt = 0;
    dp->host_batches++;
    /* Fetch commands first: a guest is waiting on each. */
    while ((head = dp_fifo_peek(&dp->fetch_in, 0)) && head->t_ready <= now) {
        dp_pkt req = dp_fifo_pop(&dp->fetch_in);
        host_fetch(dp, &req, &t);
    }
    /* One poll batch: every descriptor completed by the batch start, up to the budget.
     * Ring state the batch consults is what the other stages had published by
     * `now`: a batch sees the rings as of its start, as vhost reads avail once. */
    for (uint32_t n = 0; n < s->host.budget; n++) {
        head = dp_fifo_peek(&dp->host_in, 0);
        if (!head || head->t_ready > now)
            break;
        dp_pkt p = dp_fifo_pop(&dp->host_in);
        host_packet(dp, &p, &t);
        dp->host_packets++;
    }
    dp->host_busy += t - now;
    dp->host_busy_until = t;
}

/* -------------------------------------------------------------- guest ---- */

/* When an idle guest learns of its first pending packet, before any handler cost. */
static vio_ps guest_wakeup(const vio_datapath *dp, const dp_guest *g)
{
    const dp_pkt *first = dp_fifo_peek(&g->in, 0);
    vio_ps r = first->t_ready > g->busy_until ? first->t_ready : g->busy_until;
    if (dp->v->notify == VIO_NOTIFY_POLL) {
        /* A spinning core notices at its next check of the ring. */
        vio_ps period = dp_cycles(dp, dp->s->irq.poll_cycles);
        vio_ps since = r - g->busy_until;
        return g->busy_until + (since + period - 1) / period * period;
    }
    /* Interrupt coalescing: raise after N pending packets or T ns after the first. */
    uint32_t n = dp->v->coalesce_packets > 1 ? dp->v->coalesce_packets : 1;
    vio_ps when = VIO_PS_NEVER;
    const dp_pkt *nth = dp_fifo_peek(&g->in, n - 1);
    if (nth)
        when = nth->t_ready;
    if (n > 1 && dp->v->coalesce_ns > 0) {
        vio_ps timer = first->t_ready + (vio_ps)dp->v->coalesce_ns * VIO_PS_PER_NS;
        if (timer < when)
            when = timer;
    }
    if (when == VIO_PS_NEVER)
        return VIO_PS_NEVER;
    return when > g->busy_until ? when : g->busy_until;
}

/* From the interrupt being raised until the guest's handler runs: the vCPU went
 * idle when its last batch ended and takes the path of viosim/vcpu.h (a halted
 * vCPU is woken; a polling one is not interrupted out of guest mode). */
static vio_ps wake_latency(const vio_datapath *dp, const dp_guest *g, vio_ps raised)
{
    if (dp->v->notify == VIO_NOTIFY_POLL)
        return 0;
    vio_vcpu_cost c;
    vio_vcpu_preview_wake(g->vcpu, g->busy_until, VIO_RX_VECTOR, raised, &c);
    return c.latency;
}

vio_ps vio__guest_next(const vio_datapath *dp, const dp_guest *g)
{
    const dp_pkt *first = dp_fifo_peek(&g->in, 0);
    if (!first)
        return VIO_PS_NEVER;
    if (g->fetch_wait) /* spinning on the fetch's completion */
        return g->fetch_ready == VIO_PS_NEVER || g->fetch_ready > g->busy_until ? g->fetch_ready : g->busy_until;
    if (first->t_ready <= g->busy_until)
        return g->busy_until; /* NAPI: it arrived before the poll loop ended, no interrupt */
    vio_ps wake = guest_wakeup(dp, g);
    return wake == VIO_PS_NEVER ? wake : wake + wake_latency(dp, g, wake);
}

void vio__guest_step(vio_datapath *dp, dp_guest *g, vio_ps now)
{
    const vio_scenario *s = dp->s;
    const vio_vm_params *vm = &s->vms[g->vm];
    dp->events++;
    vio_ps t = now;
    const dp_pkt *first = dp_fifo_peek(&g->in, 0);
    int resumed = g->fetch_wait;
    if (resumed) {
        /* The host has copied the head packet into the LLC: carry on with it. */
        g->busy += now - g->busy_until; /* spun waiting for the completion */
        g->fetch_wait = 0;
    } else if (first->t_ready > g->busy_until) {
        /* Woken from idle: the interrupt path, then the guest's handler. */
        vio_ps wake = guest_wakeup(dp, g);
        if (dp->v->notify != VIO_NOTIFY_POLL) {
            vio_vcpu_cost c;
            vio_vcpu_idle(g->vcpu, g->busy_until);
            vio_vcpu_deliver(g->vcpu, VIO_RX_VECTOR, wake, &c); /* now = wake + c.latency */
            /* Core time in the path: the exits and the injection (the EOI is paid in
             * the handler). Halt polling and idle polling also occupy the core but
             * are reported apart (exits.halt_poll_ns, exits.guest_poll_ns). */
            g->busy += c.guest - c.eoi;
            g->host_poll += c.poll;
            g->guest_spin += c.spin;
            g->interrupts++;
            g->vm_exits += c.exits;
            g->posted += dp->v->notify == VIO_NOTIFY_POSTED;
            g->signals++;
            dp->host_debt += dp_cycles(dp, s->host.notify_cycles) + c.sender;
            t += dp_cycles(dp, vm->irq_cycles) + c.eoi;
        } else {
            g->busy += now - wake; /* spun until it saw the packet */
        }
    }
    g->batches++;
    vio_ps batch_start = t;
    for (uint32_t n = 0; n < vm->budget; n++) {
        const dp_pkt *head = dp_fifo_peek(&g->in, 0);
        if (!head || head->t_ready > batch_start)
            break;
        if (!resumed) {
            uint64_t desc = dp_guest_desc(dp, g->vm, head->slot);
            t += vio_memsys_read(dp->mem, g->core, desc, t, NULL);
        }
        if (dp->v->copy == VIO_COPY_LLC_ON_FETCH && !resumed && dp->shared_fetched[head->shared] > t) {
            /* Not in the LLC yet: ring the host's doorbell with a fetch command and
             * wait for the copy, keeping the packet at the head of the ring. */
            vio_vcpu_cost k; /* the doorbell is a write that exits (ioeventfd) */
            vio_vcpu_kick(g->vcpu, t, &k);
            t += dp_cycles(dp, vm->fetch_cycles) + k.guest;
            g->vm_exits += k.exits;
            g->kicks++;
            dp_pkt req = {.t_ready = t, .queue = g->vm, .slot = head->shared};
            (void)dp_fifo_push(&dp->fetch_in, &req); /* one outstanding fetch per guest */
            g->fetch_wait = 1;
            g->fetch_ready = VIO_PS_NEVER;
            if (dp->touch)
                dp->touch(dp->touch_ctx, VIO_AGENT_HOST);
            break;
        }
        resumed = 0;
        dp_pkt p = dp_fifo_pop(&g->in);
        t += vio_memsys_stream(dp->mem, g->core, VIO_STREAM_READ, p.buf, p.bytes, t);
        t += dp_cycles(dp, vm->process_cycles);
        vio_hist_add(&g->latency, t - p.t_arrive);
        g->delivered++;
        g->bytes += p.bytes;
        g->ring.free_at[p.slot] = t;
        if (p.shared != UINT32_MAX) {
            if (dp->shared_refs[p.shared] == 0) /* an invariant: a count never goes below zero */
                vio__dp_broken(dp, "vm%u read shared ring slot %u, which no guest holds any more", g->vm, p.shared);
            else if (--dp->shared_refs[p.shared] == 0)
                dp->shared.free_at[p.shared] = t; /* the last reader releases the shared slot */
        }
    }
    if (g->want_kick && g->ring.free_at[g->ring.produced % g->ring.entries] <= t) {
        /* Buffers are back after vhost ran out: the one kick the event index asks for. */
        vio_vcpu_cost k;
        vio_vcpu_kick(g->vcpu, t, &k);
        t += k.guest;
        g->vm_exits += k.exits;
        g->kicks++;
        g->want_kick = 0;
    }
    g->busy += t - now;
    g->busy_until = t;
    /* NAPI keeps polling while work is there: whatever the host delivers before t
     * (even in a later step of the host) is taken without an interrupt, see
     * vio__guest_next. */
    if (t > dp->last_done)
        dp->last_done = t;
}
