/* A guest: its vCPU woken by an interrupt (or spinning on its ring), NAPI
 * batches that read each packet's descriptor and payload and process it.
 * With direct delivery (copy none) the same stage is the consumer of its own NIC
 * queue: a VM behind an SR-IOV VF / SIOV interface, or a plain process (DPDK on
 * bare metal); a forwarder posts each packet back to the NIC, which reads it
 * over PCIe before the receive slot is free again. */
#include "datapath/dp_internal.h"

/* How an idle guest learns of its first pending packet, and when: the notify
 * strategy (strategies/notify.c). */
static vio_ps guest_wakeup(const vio_datapath *dp, const dp_guest *g) { return dp->notify->ops.noticed(dp, g); }

static vio_ps wake_latency(const vio_datapath *dp, const dp_guest *g, vio_ps raised)
{
    return dp->notify->ops.latency(dp, g, raised);
}

/* When an idle consumer's handler runs for a transmit completion's interrupt
 * (dp_tx.c: one vector per queue pair, the receive path's). */
static vio_ps tx_wake(const vio_datapath *dp, const dp_guest *g)
{
    vio_ps raised = vio__tx_irq_next(g);
    return raised == VIO_PS_NEVER ? raised : raised + wake_latency(dp, g, raised);
}

/* ... and for its first pending packet. */
static vio_ps rx_wake(const vio_datapath *dp, const dp_guest *g)
{
    vio_ps wake = guest_wakeup(dp, g);
    return wake == VIO_PS_NEVER ? wake : wake + wake_latency(dp, g, wake);
}

static vio_ps guest_next(const vio_datapath *dp, uint32_t index)
{
    const dp_guest *g = &dp->g[index];
    const dp_pkt *first = dp_fifo_peek(&g->in, 0);
    if (!first)
        return tx_wake(dp, g);
    if (g->fetch_wait) /* spinning on the fetch's completion */
        return g->fetch_ready == VIO_PS_NEVER || g->fetch_ready > g->busy_until ? g->fetch_ready : g->busy_until;
    if (first->t_ready <= g->busy_until)
        return g->busy_until; /* NAPI: it arrived before the poll loop ended, no interrupt */
    vio_ps rx = rx_wake(dp, g), tx = tx_wake(dp, g);
    return tx < rx ? tx : rx;
}

/* Copy on fetch: the head packet is not in the LLC yet. The guest names it and
 * the packets behind it whose descriptors it can see (posted by batch_start),
 * up to vms[].fetch_batch and the `room` left of its budget, all handled by the
 * same host worker (the one that holds their NIC buffers), reading each one's
 * descriptor; it rings that worker's doorbell once and spins until all are
 * copied, keeping them at the head of its ring. */
static void guest_fetch(vio_datapath *dp, dp_guest *g, uint32_t room, vio_ps batch_start, vio_ps *t)
{
    const vio_vm_params *vm = &dp->s->vms[g->vm];
    const dp_pkt *head = dp_fifo_peek(&g->in, 0);
    uint32_t worker = dp->queue_worker[dp->shared_src[head->shared].queue];
    uint32_t most = vm->fetch_batch < room ? vm->fetch_batch : room, n = 1;
    for (const dp_pkt *q; n < most && (q = dp_fifo_peek(&g->in, n)) && q->t_ready <= batch_start &&
                          dp->queue_worker[dp->shared_src[q->shared].queue] == worker;
         n++)
        *t += vio_memsys_read(dp->mem, g->core, dp_guest_desc(dp, g->vm, q->slot), *t, NULL);
    vio_vcpu_cost k; /* the doorbell is a write that exits (ioeventfd) */
    vio_vcpu_kick(g->vcpu, *t, &k);
    *t += dp_cycles(dp, vm->fetch_cycles) + k.guest;
    g->vm_exits += k.exits;
    g->kicks++;
    g->fetch_commands++;
    dp_pkt req = {.t_ready = *t, .queue = g->vm, .slot = head->shared};
    dp_push(dp, &dp->w[worker].fetch_in, &req); /* one outstanding command per guest */
    g->fetch_wait = 1;
    g->fetch_ready = VIO_PS_NEVER;
    g->fetch_n = n;
}

static void guest_step(vio_datapath *dp, uint32_t index, vio_ps now)
{
    dp_guest *g = &dp->g[index];
    const vio_scenario *s = dp->s;
    const vio_vm_params *vm = &s->vms[g->vm];
    dp->events++;
    vio_ps t = now;
    const dp_pkt *first = dp_fifo_peek(&g->in, 0);
    /* Packets at the head whose descriptors were read for the fetch command just answered. */
    uint32_t fetched = 0;
    int tx_woke = 0;
    if (g->fetch_wait) {
        /* The host has copied the packets the command named into the LLC: carry on with them. */
        g->busy += now - g->busy_until; /* spun waiting for the completion */
        g->fetch_wait = 0;
        fetched = g->fetch_n;
        g->fetch_n = 0;
    } else if (!first || first->t_ready > g->busy_until) {
        /* Woken from idle: the interrupt path, then the guest's handler. A transmit
         * completion's interrupt, if it came first, starts the poll that also takes
         * the packets that have arrived by the time it runs. */
        tx_woke = !first || tx_wake(dp, g) < rx_wake(dp, g);
        if (tx_woke) {
            dp->notify->ops.take(dp, g, vio__tx_irq_next(g), now, &t);
            g->tx_irqs++;
        } else {
            dp->notify->ops.take(dp, g, guest_wakeup(dp, g), now, &t);
        }
    }
    vio_ps batch_start = t;
    first = dp_fifo_peek(&g->in, 0);
    if (!tx_woke || (first && first->t_ready <= batch_start))
        g->batches++; /* a transmit interrupt's poll may find no packet */
    int direct = dp->copy->direct;
    dp_ring *nic = &dp->nic_rings[g->queue];
    for (uint32_t n = 0; n < vm->budget; n++) {
        const dp_pkt *head = dp_fifo_peek(&g->in, 0);
        if (!head || head->t_ready > batch_start)
            break;
        if (!fetched) {
            /* Its ring's descriptor: the NIC's completion itself with direct delivery. */
            uint64_t desc = direct ? dp_nic_desc(dp, g->queue, head->slot) : dp_guest_desc(dp, g->vm, head->slot);
            t += vio_memsys_read(dp->mem, g->core, desc, t, NULL);
        }
        if (!fetched && dp->copy->ops.must_fetch && dp->copy->ops.must_fetch(dp, head, t)) {
            guest_fetch(dp, g, vm->budget - n, batch_start, &t);
            break;
        }
        if (fetched)
            fetched--;
        dp_pkt p = dp_fifo_pop(&g->in);
        if (g->mp) /* DPDK: the slot gets a fresh mbuf as the packet is taken (dp_mempool.c) */
            vio__dp_mempool_rx(dp, g, p.slot, t);
        /* It reads what it needs of the packet (a forwarder: the header line). */
        uint32_t touch = vm->touch_bytes && vm->touch_bytes < p.bytes ? vm->touch_bytes : p.bytes;
        t += vio_memsys_stream(dp->mem, g->core, VIO_STREAM_READ, p.buf, touch, t);
        if (dp->tn) /* whose data it read; a read-shared adversary's attempt */
            t += vio__tenant_read(dp, g, &p, t);
        if (vm->service == VIO_SERVICE_EXPONENTIAL)
            t += (vio_ps)vio_rng_exp_ps(&g->service_rng, (double)dp_cycles(dp, vm->process_cycles));
        else
            t += dp_cycles(dp, vm->process_cycles);
        if (dp_measured(&p)) {
            vio_hist_add(&g->latency, t - p.t_arrive);
            dp->lat_sum[p.phase] += t - p.t_arrive;
            dp->lat_n[p.phase]++;
            g->delivered++;
            g->bytes += p.bytes;
            vio__dp_occ_leave(dp, g->vm, t, 0, 0);
        }
        if (direct && vm->forward) {
            vio__tx_post(dp, g, &p, &t); /* the frame goes back out (dp_tx.c) */
        } else if (g->mp) {
            vio__dp_mempool_free(g, p.buf); /* done with it: back to the lcore cache */
        } else if (direct) {
            nic->free_at[p.slot] = t; /* the buffer goes back to the NIC's ring */
        } else {
            g->ring.free_at[p.slot] = t;
        }
        if (p.shared != UINT32_MAX) {
            if (dp->shared_refs[p.shared] == 0) /* an invariant: a count never goes below zero */
                vio__dp_broken(dp, "vm%u read shared ring slot %u, which no guest holds any more", g->vm, p.shared);
            else if (--dp->shared_refs[p.shared] == 0)
                dp->shared.free_at[p.shared] = t; /* the last reader releases the shared slot */
        }
    }
    vio__tx_flush(dp, g, &t); /* a forwarder's batch: one doorbell */
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
    vio__tx_irq_fold(g, t);
    /* NAPI keeps polling while work is there: whatever the host delivers before t
     * (even in a later step of the host) is taken without an interrupt, see
     * vio__guest_next. */
    if (t > dp->last_done)
        dp->last_done = t;
}

const dp_agent_ops vio__guest_ops = {"vm", guest_next, guest_step};
