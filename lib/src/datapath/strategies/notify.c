/* variants[].notify: how an idle guest learns of a packet the host put on its
 * ring, what that costs its core and the signalling host worker.
 *
 *   exit    an emulated interrupt: the host's signal makes the vCPU exit, KVM
 *           injects the vector at VM entry, the EOI exits again (no APICv).
 *   posted  a posted interrupt (APICv): the vector is delivered without an exit.
 *   poll    no interrupt: the guest core spins on its ring and notices a packet
 *           at its next check.
 * The interrupt paths themselves are modelled in viosim/vcpu.h (models/vcpu.c).
 * A process consumer (vms[].kind process, direct delivery) takes a native
 * interrupt instead: no vCPU, no exit, its thread woken from epoll. */
#include "datapath/dp_internal.h"
#include "datapath/strategies/strategies.h"

/* Interrupt coalescing: raise after N pending packets or T ns after the first. */
static vio_ps irq_noticed(const vio_datapath *dp, const dp_guest *g)
{
    const dp_pkt *first = dp_fifo_peek(&g->in, 0);
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
static vio_ps irq_latency(const vio_datapath *dp, const dp_guest *g, vio_ps raised)
{
    /* A process taking interrupts sleeps in epoll on its queue's eventfd (VFIO,
     * DPDK's rx interrupt mode): the scheduler wakes its thread. */
    if (dp->s->vms[g->vm].kind == VIO_CONSUMER_PROCESS)
        return (vio_ps)dp->s->irq.wake_ns * VIO_PS_PER_NS;
    vio_vcpu_cost c;
    vio_vcpu_preview_wake(g->vcpu, g->busy_until, VIO_RX_VECTOR, raised, &c);
    return c.latency;
}

static void irq_take(vio_datapath *dp, dp_guest *g, vio_ps wake, vio_ps now, vio_ps *t)
{
    (void)now;
    const vio_vm_params *vm = &dp->s->vms[g->vm];
    if (vm->kind == VIO_CONSUMER_PROCESS) {
        /* Bare metal: a native MSI-X (the kernel's handler, as the host's own,
         * host.irq_cycles), then the woken thread's handling; no VM, no exit. */
        *t += dp_cycles(dp, (uint64_t)dp->s->host.irq_cycles + vm->irq_cycles);
        g->interrupts++;
        g->signals++;
        return;
    }
    vio_vcpu_cost c;
    vio_vcpu_idle(g->vcpu, g->busy_until);
    /* Sent by the worker that delivered (with direct delivery, posted by the
     * interrupt-remapping hardware), its update of the vCPU's interrupt-state line
     * and the target's own through the memory model (vcpu.h line). */
    uint32_t sender = dp->copy->direct ? VIO_VCPU_SENDER_DEVICE : dp->w[g->last_worker].core;
    vio_vcpu_deliver_from(g->vcpu, sender, VIO_RX_VECTOR, wake, &c); /* now = wake + c.latency - c.line */
    /* Core time in the path: the exits and the injection (the EOI is paid in the
     * handler). Halt polling and idle polling also occupy the core but are
     * reported apart (exits.halt_poll_ns, exits.guest_poll_ns). */
    g->busy += c.guest - c.eoi;
    g->host_poll += c.poll;
    g->guest_spin += c.spin;
    g->interrupts++;
    g->vm_exits += c.exits;
    g->posted += dp->notify->vcpu_mode == VIO_VCPU_POSTED;
    g->signals++;
    /* The signal (irqfd, then posting or an IPI: vio_vcpu_send) is paid by the
     * worker that delivered, at its next batch (dp_host.c deliver). With direct
     * delivery the device's MSI-X needs no host core: posted, VT-d's interrupt
     * remapping posts it in hardware; emulated, the MSI itself causes the exit. */
    if (!dp->copy->direct)
        dp->w[g->last_worker].debt += dp_cycles(dp, dp->s->host.notify_cycles) + c.sender;
    /* The preview that scheduled this step left out the target's access to the
     * line (it would have changed the caches): it is paid here. */
    *t += c.line + dp_cycles(dp, dp->s->vms[g->vm].irq_cycles) + c.eoi;
}

/* A spinning core notices at its next check of the ring. */
static vio_ps poll_noticed(const vio_datapath *dp, const dp_guest *g)
{
    const dp_pkt *first = dp_fifo_peek(&g->in, 0);
    vio_ps r = first->t_ready > g->busy_until ? first->t_ready : g->busy_until;
    vio_ps period = dp_cycles(dp, dp->s->irq.poll_cycles);
    vio_ps since = r - g->busy_until;
    return g->busy_until + (since + period - 1) / period * period;
}

static vio_ps poll_latency(const vio_datapath *dp, const dp_guest *g, vio_ps raised)
{
    (void)dp, (void)g, (void)raised;
    return 0;
}

static void poll_take(vio_datapath *dp, dp_guest *g, vio_ps wake, vio_ps now, vio_ps *t)
{
    (void)dp, (void)t;
    g->busy += now - wake; /* spun until it saw the packet */
}

static const dp_notify_strategy table[] = {
    {"exit", "emulated interrupt: a VM exit, software injection, VM entry", VIO_VCPU_EMULATED, 0,
     {irq_noticed, irq_latency, irq_take}},
    {"posted", "posted / direct injection into the VM's core, no VM exit", VIO_VCPU_POSTED, 0,
     {irq_noticed, irq_latency, irq_take}},
    {"poll", "no interrupt: the guest core spins on its ring", VIO_VCPU_EMULATED, 1,
     {poll_noticed, poll_latency, poll_take}},
};

const vio_axis vio_axis_notify = {"notify", "variants[].notify", "how an idle guest learns of a packet",
                                  VIO_AXIS_ROWS(dp_notify_strategy, table, sizeof table / sizeof table[0])};
