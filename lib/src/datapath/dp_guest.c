/* A guest: its vCPU woken by an interrupt (or spinning on its ring), NAPI
 * batches that read each packet's descriptor and payload and process it. */
#include "datapath/dp_internal.h"

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

static vio_ps guest_next(const vio_datapath *dp, uint32_t index)
{
    const dp_guest *g = &dp->g[index];
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

static void guest_step(vio_datapath *dp, uint32_t index, vio_ps now)
{
    dp_guest *g = &dp->g[index];
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
            dp->w[g->last_worker].debt += dp_cycles(dp, s->host.notify_cycles) + c.sender;
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
            /* to the worker that handled the packet; one outstanding fetch per guest */
            dp_push(dp, &dp->w[dp->queue_worker[dp->shared_src[head->shared].queue]].fetch_in, &req);
            g->fetch_wait = 1;
            g->fetch_ready = VIO_PS_NEVER;
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

const dp_agent_ops vio__guest_ops = {"vm", guest_next, guest_step};
