/* A host worker (a vhost-like thread on its own core): turns that take
 * received packets off one of its NIC queues, classify them, copy them (into
 * each guest's buffer, or once into the LLC ring shared with the VMs) and notify
 * the destination guests; with copy on fetch it also serves the guests' fetch
 * commands for the packets it handled.
 *
 * A worker owning several queues serves them as vhost-net's worker thread runs
 * its work list: one queue's handler per turn (handle_rx), which stops once a
 * weight is reached (host.budget packets or host.budget_bytes bytes,
 * vhost_exceeds_weight) and requeues that queue behind the others with work
 * (vhost_poll_queue). Here the next turn goes to the next owned queue, in
 * index order after the one just served, that has a packet ready: a flooded
 * queue delays another by at most one turn. (vhost's list is in the order the
 * queues were kicked; under load, with every queue requeued, that is this
 * rotation.) */
#include "datapath/dp_internal.h"

/* A received packet for queue q's worker. Its queues' earliest head can only
 * move down, and only if the queue was empty (a later packet is no new head). */
void vio__dp_nic_in_push(vio_datapath *dp, uint32_t q, const dp_pkt *p)
{
    dp_worker *w = &dp->w[dp->queue_worker[q]];
    if (dp->nic_in[q].len == 0) {
        w->nonempty++;
        if (w->qmin_valid && p->t_ready < w->qmin)
            w->qmin = p->t_ready;
    }
    dp_push(dp, &dp->nic_in[q], p);
}

/* Take the head of one of w's queues: the earliest head is still known unless it
 * was this one (then the next query scans the queues once). */
static dp_pkt nic_in_pop(dp_worker *w, dp_fifo *in)
{
    dp_pkt p = dp_fifo_pop(in);
    const dp_pkt *next = dp_fifo_peek(in, 0);
    if (!next)
        w->nonempty--;
    if (p.t_ready == w->qmin)
        w->qmin_valid = 0;
    else if (next && next->t_ready < w->qmin) /* a fifo is in arrival order, not t_ready order */
        w->qmin = next->t_ready;
    return p;
}

/* The earliest head of w's NIC queues (VIO_PS_NEVER when all are empty). */
static vio_ps nic_in_min(const vio_datapath *dp, dp_worker *w)
{
    if (w->nonempty == 0)
        return VIO_PS_NEVER;
    if (!w->qmin_valid) {
        vio_ps t = VIO_PS_NEVER;
        for (uint32_t k = 0; k < w->nq; k++) {
            const dp_pkt *p = dp_fifo_peek(&dp->nic_in[w->queues[k]], 0);
            if (p && p->t_ready < t)
                t = p->t_ready;
        }
        w->qmin = t;
        w->qmin_valid = 1;
    }
    return w->qmin;
}

/* The earliest work waiting for the host: a received packet on one of its
 * queues or a guest's fetch command. */
static vio_ps host_work_at(const vio_datapath *dp, dp_worker *w)
{
    const dp_pkt *f = dp_fifo_peek(&w->fetch_in, 0);
    vio_ps t = f ? f->t_ready : VIO_PS_NEVER;
    vio_ps q = nic_in_min(dp, w);
    return q < t ? q : t;
}

static vio_ps worker_next(const vio_datapath *dp, uint32_t index)
{
    dp_worker *w = &dp->w[index]; /* host_work_at may refresh its cached queue minimum */
    vio_ps t = host_work_at(dp, w);
    vio_ps c = vio__dp_async_next(w); /* a batch of its copies completes: a turn to reap it */
    if (c < t)
        t = c;
    if (t == VIO_PS_NEVER)
        return t;
    return t > w->busy_until ? t : w->busy_until;
}

/* A destination whose ring has no free slot at t loses this packet (counted if measured). */
int vio__dp_guest_ring_full(vio_datapath *dp, dp_guest *g, vio_ps t, const dp_pkt *p)
{
    if (dp_guest_slot_free(g, t))
        return 0;
    uint64_t m = dp_measured(p);
    g->want_kick = 1; /* out of rx buffers: vhost asks for a kick when the guest adds some */
    g->dropped += m;
    dp->dropped_guest_ring += m;
    if (m) /* it leaves the system here (dp_occupancy.c) */
        vio__dp_occ_leave(dp, g->vm, t, t - p->t_arrive, 1);
    return 1;
}

void vio__dp_publish(vio_datapath *dp, const dp_worker *w, dp_guest *g, dp_pkt p, vio_ps ready, vio_ps *t)
{
    /* The used-ring descriptor, written by the host with the copy engine's own
     * CPU-side store (a copy engine's copy: ordinary stores, after its completion). */
    uint64_t desc = dp_guest_desc(dp, g->vm, p.slot);
    vio_ps at = ready > *t ? ready : *t;
    vio_ps d = vio_copier_store(dp->copier, dp->engine, w->core, desc, VIO_DESC_BYTES, at);
    *t += d;
    /* Signalling the guest (irqfd, then posting or kicking: vio_vcpu_send) is paid
     * only for the buffers that find the guest idle: with the event index
     * (VIRTIO_F_EVENT_IDX, on in QEMU's virtio-net) the guest asks for one
     * interrupt when it re-enables callbacks at the end of a NAPI poll, and a
     * buffer used while it polls, or later in the same idle period, is not
     * signalled. Whether the guest is idle is known when the guest stage takes
     * the interrupt, so the cost is charged there to the next batch of the
     * worker that delivered (its debt), not here. */
    g->last_worker = w->index;
    if (p.shared != UINT32_MAX)
        dp->last_shared[g->vm] = p.shared;
    p.t_ready = at + d;
    dp_push(dp, &g->in, &p); /* capacity = ring entries, and the slot was free */
}

/* Put one destination's copy on the guest's ring and tell the guest; with the
 * engine driven asynchronously (ready unknown), once the copy is reaped. */
void vio__dp_deliver(vio_datapath *dp, const dp_worker *w, dp_guest *g, dp_pkt p, uint64_t buf, uint32_t shared,
                     vio_ps ready, vio_ps *t)
{
    uint32_t slot = (uint32_t)(g->ring.produced % g->ring.entries);
    g->ring.produced++;
    g->ring.free_at[slot] = VIO_PS_NEVER;
    p.buf = buf;
    p.slot = slot;
    p.shared = shared;
    if (ready == VIO_PS_NEVER && dp->async)
        vio__dp_async_after(dp, &dp->w[w->index], DP_ASYNC_DELIVER, g->vm, &p);
    else
        vio__dp_publish(dp, w, g, p, ready, t);
}

vio_ps vio__dp_copy(vio_datapath *dp, const dp_worker *w, uint64_t src, uint64_t dst, uint32_t bytes, vio_ps *t)
{
    if (dp->async) {
        dp->copy_done = VIO_PS_NEVER;
        return vio__dp_async_copy(dp, &dp->w[w->index], src, dst, bytes);
    }
    vio_copy_cost c;
    vio_copier_copy(dp->copier, dp->engine, w->core, src, dst, bytes, *t, &c);
    *t += c.core;
    dp->w[w->index].debt += c.debt; /* a completion interrupt: paid at the worker's next batch */
    if (c.done > dp->copy_done)
        dp->copy_done = c.done;
    return c.done;
}

static void host_packet(vio_datapath *dp, const dp_worker *w, const dp_pkt *p, vio_ps *t)
{
    const vio_scenario *s = dp->s;
    *t += vio_memsys_read(dp->mem, w->core, dp_nic_desc(dp, p->queue, p->slot), *t, NULL);
    *t += dp_cycles(dp, s->host.classify_cycles);
    /* The copy strategy copies and delivers (strategies/copy.c). */
    dp->copy_done = 0;
    int keep_nic_slot = dp->copy->ops.host_packet(dp, w, p, t);
    /* The NIC descriptor is returned once the payload has been read out of its
     * buffer: by the host, or by the copy engine when its copies are done. */
    if (keep_nic_slot)
        return;
    if (dp->copy_done == VIO_PS_NEVER) /* the engine's copies: once reaped */
        vio__dp_async_after(dp, &dp->w[w->index], DP_ASYNC_NIC_FREE, 0, p);
    else
        dp->nic_rings[p->queue].free_at[p->slot] = dp->copy_done > *t ? dp->copy_done : *t;
}

/* A guest's fetch command (copy on fetch): copy each packet it names (the
 * first fetch_n of its ring, dp_guest.c guest_fetch) from the NIC buffer into
 * the LLC once, release the NIC descriptors, and let the guest go on once all
 * are copied. A packet another destination fetched already is not copied again;
 * with the poll-async engine the copies go out with this turn's one doorbell and
 * the guest is answered when the last of them is reaped (dp_dma.c fetch_done). */
static void host_fetch(vio_datapath *dp, dp_worker *w, const dp_pkt *req, vio_ps *t)
{
    dp_guest *g = &dp->g[req->queue];
    int in_flight = 0;
    for (uint32_t i = 0; i < g->fetch_n; i++) {
        uint32_t sslot = dp_fifo_peek(&g->in, i)->shared;
        if (dp->shared_fetched[sslot] == VIO_PS_NEVER) {
            const dp_pkt *src = &dp->shared_src[sslot];
            vio_ps done = vio__dp_copy(dp, w, src->buf, dp_shared_buf(dp, sslot), src->bytes, t);
            w->fetches++;
            if (done == VIO_PS_NEVER) { /* on the engine: the guests are answered when it is reaped */
                dp_pkt f = *src;
                f.shared = sslot;
                vio__dp_async_after(dp, w, DP_ASYNC_FETCH, 0, &f);
                dp->shared_fetched[sslot] = DP_FETCH_IN_FLIGHT;
            } else {
                /* The NIC buffer is free once the copy has read it out (a copy engine: when it is done). */
                dp->nic_rings[src->queue].free_at[src->slot] = done;
                dp->shared_fetched[sslot] = done;
            }
        }
        in_flight |= dp->shared_fetched[sslot] == DP_FETCH_IN_FLIGHT;
    }
    if (in_flight)
        return; /* answered with the last copy on the engine (this one's or another destination's) */
    vio__dp_fetch_answer(dp, g, *t);
}

/* The guest's command is served and every packet it names is copied: the
 * answer leaves the host at `t` or when the last copy completed, whichever is
 * later (even when other destinations' fetches copied them: an event is never
 * scheduled in the past). */
void vio__dp_fetch_answer(vio_datapath *dp, dp_guest *g, vio_ps t)
{
    vio_ps ready = t;
    for (uint32_t i = 0; i < g->fetch_n; i++) {
        vio_ps f = dp->shared_fetched[dp_fifo_peek(&g->in, i)->shared];
        if (f > ready)
            ready = f;
    }
    g->fetch_ready = ready;
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
     * (unless it spins on the rings, or polls its copies in flight). */
    int polling = dp->v->host_poll || vio__dp_async_next(w) != VIO_PS_NEVER;
    if (!polling && host_work_at(dp, w) > w->busy_until) {
        t += dp_cycles(dp, s->host.irq_cycles);
        w->irqs++;
    }
    t += dp_cycles(dp, s->host.batch_cycles) + w->debt;
    w->debt = 0;
    w->batches++;
    /* Copies of earlier turns the engine has completed (poll-async). */
    vio__dp_async_reap(dp, w, &t);
    /* Fetch commands first: a guest is waiting on each. */
    while ((head = dp_fifo_peek(&w->fetch_in, 0)) && head->t_ready <= now) {
        dp_pkt req = dp_fifo_pop(&w->fetch_in);
        host_fetch(dp, w, &req, &t);
    }
    /* This turn's queue: the first owned one, from the rotation's place, with a
     * packet ready (none when the turn was only for fetch commands); the
     * io_sched row says what the turn may take (strategies/io_sched.c). A turn
     * takes descriptors of that queue completed by its start: ring state it
     * consults is what the other stages had published by `now`, as vhost reads
     * avail once. A DRR turn whose credit does not cover the head packet takes
     * nothing and passes to the next queue within this step (the credit grows
     * at every visit, so some queue's turn takes a packet). */
    const dp_io_sched_ops *ops = &dp->io_sched->ops;
    for (uint32_t served = 0; !served;) {
        dp_fifo *in = NULL;
        uint32_t j = 0;
        for (uint32_t k = 0; k < w->nq && !in; k++) {
            j = (w->rr + k) % w->nq;
            head = dp_fifo_peek(&dp->nic_in[w->queues[j]], 0);
            if (head && head->t_ready <= now) {
                in = &dp->nic_in[w->queues[j]];
                w->rr = (j + 1) % w->nq;
            }
        }
        if (!in)
            break;
        dp_turn turn;
        ops->grant(dp, w, j, &turn);
        uint64_t bytes = 0;
        for (uint32_t n = 0; n < turn.packets && bytes < turn.bytes; n++) {
            head = dp_fifo_peek(in, 0);
            if (!head || head->t_ready > now || (turn.fit && bytes + head->bytes > turn.bytes))
                break;
            dp_pkt p = nic_in_pop(w, in);
            bytes += p.bytes;
            host_packet(dp, w, &p, &t);
            w->packets++;
            served++;
        }
        if (ops->end) {
            head = dp_fifo_peek(in, 0);
            ops->end(dp, w, j, turn.bytes - bytes, head && head->t_ready <= now);
        }
    }
    /* This turn's copies on the engine (poll-async): one doorbell for all. */
    vio__dp_async_submit(dp, w, &t);
    w->busy += t - now;
    w->busy_until = t;
}

const dp_agent_ops vio__worker_ops = {"host", worker_next, worker_step};
