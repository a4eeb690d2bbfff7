/* variants[].copy: what the host does with a received packet once it has read
 * the NIC descriptor and classified it, and how the guest gets at the payload.
 *
 *   guest         vhost's baseline: one copy into each destination guest's own
 *                 buffer, read from there by the guest.
 *   llc           US11412059: one copy into a ring in the LLC shared by the host
 *                 and the VMs, then every destination is notified; the guests
 *                 read the shared slot, the last reader releases it.
 *   llc-on-fetch  US11412059's variant: the shared slot is reserved and the
 *                 destinations notified at once, but the copy waits for the first
 *                 destination's fetch command (dp_host.c host_fetch); the payload
 *                 stays in the NIC buffer until then.
 *   none          direct delivery: no host at all; the NIC DMAs into the
 *                 consumer's own ring (dp_nic.c) and the consumer reads it there
 *                 (dp_guest.c), a forwarder handing it back to the NIC. */
#include "datapath/dp_internal.h"
#include "datapath/strategies/strategies.h"

static int copy_to_guests(vio_datapath *dp, const dp_worker *w, const dp_pkt *p, vio_ps *t)
{
    const vio_flow *f = &dp->s->traffic.flows[p->flow];
    for (uint32_t i = 0; i < f->ndst; i++) {
        dp_guest *g = &dp->g[f->dst[i]];
        if (vio__dp_guest_ring_full(dp, g, *t, p))
            continue;
        uint32_t slot = (uint32_t)(g->ring.produced % g->ring.entries);
        uint64_t dst = dp_guest_buf(dp, g->vm, slot);
        vio_ps done = vio__dp_copy(dp, w, p->buf, dst, p->bytes, t);
        vio__dp_deliver(dp, w, g, *p, dst, UINT32_MAX, done, t);
    }
    return 0;
}

/* The shared ring: reserve a slot for every destination that can take the
 * packet, copy now (eager) or leave the payload in the NIC buffer until fetched. */
static int copy_to_shared(vio_datapath *dp, const dp_worker *w, const dp_pkt *p, vio_ps *t, int eager)
{
    const vio_flow *f = &dp->s->traffic.flows[p->flow];
    uint64_t m = dp_measured(p); /* drops count only for measured packets */
    /* The destination's own region, or its multicast destination set's (variants[].shared_ring). */
    uint32_t region = dp->flow_region[p->flow];
    uint32_t sslot = dp_shared_next(dp, region);
    /* Which destinations take the packet is decided once, before the copy: a ring
     * that frees a slot while the host copies does not join late, so the slot's
     * reader count is exactly the copies posted. (Deciding twice once let more
     * guests read a slot than its count said, releasing it while a guest still
     * held it.) */
    uint32_t accepted = 0;
    for (uint32_t i = 0; i < f->ndst; i++) {
        dp->accept[i] = (uint8_t)dp_guest_slot_free(&dp->g[f->dst[i]], *t);
        accepted += dp->accept[i];
    }
    if (dp->shared.free_at[sslot] > *t || accepted == 0) {
        for (uint32_t i = 0; i < f->ndst; i++) {
            dp->g[f->dst[i]].dropped += m;
            if (m) /* it leaves the system here (dp_occupancy.c) */
                vio__dp_occ_leave(dp, f->dst[i], *t, *t - p->t_arrive, 1);
        }
        if (dp->shared.free_at[sslot] > *t)
            dp->dropped_shared += m * f->ndst;
        else
            dp->dropped_guest_ring += m * f->ndst;
        return 0;
    }
    if (dp->shared_refs[sslot] != 0)
        vio__dp_broken(dp, "shared ring slot %u reused while %u guests still hold it", sslot, dp->shared_refs[sslot]);
    dp->region_produced[region]++;
    dp->shared.free_at[sslot] = VIO_PS_NEVER;
    dp->shared_refs[sslot] = accepted;
    dp->shared_src[sslot] = *p; /* whose packet the slot holds (and, on fetch, where it still is) */
    uint64_t dst = dp_shared_buf(dp, sslot);
    vio_ps done = *t;
    if (eager) {
        done = vio__dp_copy(dp, w, p->buf, dst, p->bytes, t);
    } else {
        dp->shared_fetched[sslot] = VIO_PS_NEVER;
    }
    for (uint32_t i = 0; i < f->ndst; i++) {
        dp_guest *g = &dp->g[f->dst[i]];
        if (dp->accept[i]) {
            vio__dp_deliver(dp, w, g, *p, dst, sslot, done, t);
        } else {
            g->want_kick = 1; /* out of rx buffers: vhost asks for a kick */
            g->dropped += m;
            dp->dropped_guest_ring += m;
            if (m)
                vio__dp_occ_leave(dp, g->vm, *t, *t - p->t_arrive, 1);
        }
    }
    return !eager; /* on fetch, the payload stays in the NIC buffer until fetched */
}

static int copy_llc(vio_datapath *dp, const dp_worker *w, const dp_pkt *p, vio_ps *t)
{
    return copy_to_shared(dp, w, p, t, 1);
}

static int copy_llc_on_fetch(vio_datapath *dp, const dp_worker *w, const dp_pkt *p, vio_ps *t)
{
    return copy_to_shared(dp, w, p, t, 0);
}

/* The head packet is not in the LLC yet: the guest must ring the host's doorbell. */
static int not_fetched(const vio_datapath *dp, const dp_pkt *head, vio_ps t)
{
    return dp->shared_fetched[head->shared] > t;
}

/* Direct delivery: the NIC pushes to the consumer itself (dp_nic.c), never to a
 * host worker; reaching this would be a model bug. */
static int copy_none(vio_datapath *dp, const dp_worker *w, const dp_pkt *p, vio_ps *t)
{
    (void)t;
    vio__dp_broken(dp, "host worker %u handed packet of queue %u under copy none", w->index, p->queue);
    return 0;
}

static const dp_copy_strategy table[] = {
    {"guest", "baseline: the host copies each packet into every destination guest's buffer", VIO_ENGINE_CPU, 1, 0,
     {copy_to_guests, NULL}},
    {"llc", "US11412059: the host copies each packet once into a ring in the LLC shared with the VMs",
     VIO_ENGINE_DMA, 1, 0, {copy_llc, NULL}},
    {"llc-on-fetch",
     "US11412059: the copy into the shared LLC ring happens when the first destination guest sends a fetch command",
     VIO_ENGINE_DMA, 2, 0, {copy_llc_on_fetch, not_fetched}},
    {"none",
     "direct delivery: the NIC DMAs into the consumer's own ring (SR-IOV VF, SIOV, bare-metal DPDK); no host copy",
     VIO_ENGINE_CPU, 1, 1, {copy_none, NULL}},
};

const vio_axis vio_axis_copy = {"copy", "variants[].copy", "how the host hands a packet to the guests",
                                VIO_AXIS_ROWS(dp_copy_strategy, table, sizeof table / sizeof table[0])};

static const dp_shared_ring shared_ring_table[] = {
    {"per-vm", "each VM its own region, shared only with the host; one region per multicast destination set, "
               "mapped into exactly its members", 0},
    {"global", "one region mapped into every VM: any VM can read any slot (the insecure reading, for comparison)", 1},
};

const vio_axis vio_axis_shared_ring = {
    "shared_ring", "variants[].shared_ring", "the regions of the LLC ring the host shares with the VMs (copy llc)",
    VIO_AXIS_ROWS(dp_shared_ring, shared_ring_table, sizeof shared_ring_table / sizeof shared_ring_table[0])};
