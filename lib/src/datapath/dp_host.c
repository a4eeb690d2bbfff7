/* A host worker (a vhost-like thread on its own core): poll batches that take
 * received packets off its NIC queues, classify them, copy them (into each
 * guest's buffer, or once into the LLC ring shared with the VMs) and notify the
 * destination guests; with copy on fetch it also serves the guests' fetch
 * commands for the packets it handled. */
#include "datapath/dp_internal.h"

/* The earliest work waiting for the host: a received packet or a guest's fetch command. */
static vio_ps host_work_at(const dp_worker *w)
{
    const dp_pkt *p = dp_fifo_peek(&w->in, 0), *f = dp_fifo_peek(&w->fetch_in, 0);
    vio_ps t = p ? p->t_ready : VIO_PS_NEVER;
    if (f && f->t_ready < t)
        t = f->t_ready;
    return t;
}

static vio_ps worker_next(const vio_datapath *dp, uint32_t index)
{
    const dp_worker *w = &dp->w[index];
    vio_ps t = host_work_at(w);
    if (t == VIO_PS_NEVER)
        return t;
    return t > w->busy_until ? t : w->busy_until;
}

/* A destination whose ring has no free slot at t loses this packet (counted if m: measured). */
int vio__dp_guest_ring_full(vio_datapath *dp, dp_guest *g, vio_ps t, uint64_t m)
{
    if (dp_guest_slot_free(g, t))
        return 0;
    g->want_kick = 1; /* out of rx buffers: vhost asks for a kick when the guest adds some */
    g->dropped += m;
    dp->dropped_guest_ring += m;
    return 1;
}

/* Put one destination's copy on the guest's ring and tell the guest. */
void vio__dp_deliver(vio_datapath *dp, const dp_worker *w, dp_guest *g, dp_pkt p, uint64_t buf, uint32_t shared,
                     vio_ps *t)
{
    uint32_t slot = (uint32_t)(g->ring.produced % g->ring.entries);
    g->ring.produced++;
    g->ring.free_at[slot] = VIO_PS_NEVER;
    /* The used-ring descriptor: in the guest's ring, or in the LLC for the shared ring. */
    uint64_t desc = dp_guest_desc(dp, g->vm, slot);
    *t += vio_memsys_stream(dp->mem, w->core, dp->copy->desc_write, desc, VIO_DESC_BYTES, *t);
    /* Signalling the guest (irqfd, then posting or kicking: vio_vcpu_send) is paid
     * only for the buffers that find the guest idle: with the event index
     * (VIRTIO_F_EVENT_IDX, on in QEMU's virtio-net) the guest asks for one
     * interrupt when it re-enables callbacks at the end of a NAPI poll, and a
     * buffer used while it polls, or later in the same idle period, is not
     * signalled. Whether the guest is idle is known when the guest stage takes
     * the interrupt, so the cost is charged there to the next batch of the
     * worker that delivered (its debt), not here. */
    g->last_worker = w->index;
    p.t_ready = *t;
    p.buf = buf;
    p.slot = slot;
    p.shared = shared;
    dp_push(dp, &g->in, &p); /* capacity = ring entries, and the slot was free */
}

static void host_packet(vio_datapath *dp, const dp_worker *w, const dp_pkt *p, vio_ps *t)
{
    const vio_scenario *s = dp->s;
    *t += vio_memsys_read(dp->mem, w->core, dp_nic_desc(dp, p->queue, p->slot), *t, NULL);
    *t += dp_cycles(dp, s->host.classify_cycles);
    /* The copy strategy copies and delivers (strategies/copy.c). */
    int keep_nic_slot = dp->copy->ops.host_packet(dp, w, p, t);
    /* The NIC descriptor is returned once the payload has been read out of its buffer. */
    if (!keep_nic_slot)
        dp->nic_rings[p->queue].free_at[p->slot] = *t;
}

/* A guest's fetch command (copy on fetch): copy the slot's packet from the NIC
 * buffer into the LLC once, release the NIC descriptor, and let the guest go on.
 * Later destinations of the same packet find it copied already. */
static void host_fetch(vio_datapath *dp, dp_worker *w, const dp_pkt *req, vio_ps *t)
{
    uint32_t sslot = req->slot;
    dp_guest *g = &dp->g[req->queue];
    if (dp->shared_fetched[sslot] == VIO_PS_NEVER) {
        const dp_pkt *src = &dp->shared_src[sslot];
        uint32_t core = w->core;
        *t += vio_memsys_stream(dp->mem, core, VIO_STREAM_READ, src->buf, src->bytes, *t);
        *t += vio_memsys_stream(dp->mem, core, VIO_STREAM_WRITE_LLC, dp_shared_buf(dp, sslot), src->bytes, *t);
        dp->nic_rings[src->queue].free_at[src->slot] = *t;
        dp->shared_fetched[sslot] = *t;
        w->fetches++;
    }
    /* The answer leaves the host now, even when another destination's fetch
     * already copied the packet: an event is never scheduled in the past. */
    g->fetch_ready = dp->shared_fetched[sslot] > *t ? dp->shared_fetched[sslot] : *t;
    dp_wake(dp, g->agent);
}

static void worker_step(vio_datapath *dp, uint32_t index, vio_ps now)
{
    const vio_scenario *s = dp->s;
    dp_worker *w = &dp->w[index];
    dp->events++;
    vio_ps t = now;
    const dp_pkt *head;
    /* An idle worker is woken by the NIC's MSI-X or a guest's fetch doorbell
     * (unless it spins on the rings). */
    if (!dp->v->host_poll && host_work_at(w) > w->busy_until) {
        t += dp_cycles(dp, s->host.irq_cycles);
        w->irqs++;
    }
    t += dp_cycles(dp, s->host.batch_cycles) + w->debt;
    w->debt = 0;
    w->batches++;
    /* Fetch commands first: a guest is waiting on each. */
    while ((head = dp_fifo_peek(&w->fetch_in, 0)) && head->t_ready <= now) {
        dp_pkt req = dp_fifo_pop(&w->fetch_in);
        host_fetch(dp, w, &req, &t);
    }
    /* One poll batch: every descriptor completed by the batch start, up to the budget.
     * Ring state the batch consults is what the other stages had published by
     * `now`: a batch sees the rings as of its start, as vhost reads avail once. */
    for (uint32_t n = 0; n < s->host.budget; n++) {
        head = dp_fifo_peek(&w->in, 0);
        if (!head || head->t_ready > now)
            break;
        dp_pkt p = dp_fifo_pop(&w->in);
        host_packet(dp, w, &p, &t);
        w->packets++;
    }
    w->busy += t - now;
    w->busy_until = t;
}

const dp_agent_ops vio__worker_ops = {"host", worker_next, worker_step};
