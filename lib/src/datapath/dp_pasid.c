/* PASID-tagged I/O on the receive path (US10310974): each VM's queue pair
 * belongs to a tenant with a Tag ID; the host maps Tag ID -> PASID; the device
 * stamps that PASID (from the queue's host-programmed context) on every inbound
 * transaction of the queue pair, and the IOMMU translates it in the tenant's own
 * address space (VT-d scalable mode, first level) or blocks it. Address spaces
 * overlap: every tenant's descriptors and buffers sit at the SAME IOVAs, so only
 * PASID-granular translation keeps them apart.
 *
 * Adversaries (tenants[].adversary) and what each variant does with them:
 *   foreign-buffer  the adversary's rx descriptor holds the victim's physical
 *                   buffer address. IOMMU on: that number is not mapped in the
 *                   adversary's PASID -> fault 0x71 (fl_not_present), blocked. Off:
 *                   the payload lands in the victim's memory (cross-tenant bytes).
 *   foreign-tag     the adversary posts its own buffer on the victim's queue pair
 *                   with the victim's Tag ID. IOMMU on: the host-managed Tag ID
 *                   table rejects a post whose tag is not the poster's; off: no
 *                   tag check, the victim's packet lands in the adversary's memory.
 *   wrong-pasid     the adversary asks for the victim's PASID on its DMAs. The
 *                   DEVICE-SIDE check refuses (the PASID comes from the queue's
 *                   context, never from a descriptor): counted in pasid_refused, the
 *                   DMA proceeds under the adversary's own PASID. (A device that
 *                   stamped it anyway would reach the victim's buffer through the
 *                   overlapping IOVAs: the IOMMU cannot tell; see test_tenant.)
 *   no-pasid        the adversary's DMAs carry no PASID. IOMMU on: they use the
 *                   context's RID_PASID 0, whose entry is not present -> 0x59.
 * Owner tags on every buffer let the run prove what lands where. */
#include "datapath/dp_internal.h"

#include <stdio.h>
#include <stdlib.h>

/* Every tenant's IOVA space has the same layout from 4 GiB: descriptors, then
 * buffers (overlapping spaces, as separate processes' virtual addresses do). */
#define IOVA_BASE (1ULL << 32)
#define REQUESTER_ID 0x0100           /* bus 1, device 0, function 0: the NIC */

static vio_ps walk_read(void *ctx, uint64_t phys, vio_ps now)
{
    vio_datapath *dp = ctx;
    return vio_memsys_io_read(dp->mem, phys, now);
}

static uint64_t desc_iova(const vio_datapath *dp, const dp_tenant *t, uint32_t slot)
{
    (void)dp;
    return t->iova_base + (uint64_t)slot * VIO_DESC_BYTES;
}

static uint64_t buf_iova(const vio_datapath *dp, const dp_tenant *t, uint32_t slot)
{
    return t->iova_base + dp->nic_desc_span + (uint64_t)slot * dp->buf_stride;
}

/* Its transmit descriptors, after the buffers. */
static uint64_t tx_desc_iova(const vio_datapath *dp, const dp_tenant *t, uint32_t slot)
{
    return t->iova_base + dp->nic_desc_span + dp->nic_buf_span + (uint64_t)slot * VIO_DESC_BYTES;
}

/* Tenants from the scenario, or one well-behaved tenant per VM. */
static void tenant_params(const vio_scenario *s, uint32_t vm, vio_tenant_params *out)
{
    for (uint32_t i = 0; i < s->ntenants; i++)
        if (s->tenants[i].vm == vm) {
            *out = s->tenants[i];
            return;
        }
    *out = (vio_tenant_params){.vm = vm, .tag = vm, .pasid = 0x100 + vm,
                               .adversary = vio_axis_find(&vio_axis_adversary, "none", 4),
                               .attack_every = 1, .burst_bytes = 18432, .weight = 1};
}

int vio__pasid_init(vio_datapath *dp, vio_err *err)
{
    const vio_scenario *s = dp->s;
    const dp_iommu_mode *mode = vio_axis_row(&vio_axis_iommu, (size_t)dp->v->iommu);
    const dp_io_control *ioc = vio_axis_row(&vio_axis_io_control, (size_t)dp->v->io_control);
    if (mode->page_size == 0 && s->ntenants == 0)
        return VIO_OK; /* nothing to enforce and nobody to watch */
    dp->tn = calloc(s->nvms, sizeof *dp->tn);
    if (!dp->tn)
        return vio_err_set(err, VIO_ENOMEM, "datapath: out of memory");
    int rc = vio_tenants_create(REQUESTER_ID, &dp->tenants, err);
    for (uint32_t v = 0; rc == VIO_OK && v < s->nvms; v++) {
        dp_tenant *t = &dp->tn[v];
        tenant_params(s, v, &t->p);
        t->adv = vio_axis_row(&vio_axis_adversary, (size_t)t->p.adversary);
        t->tag = (int32_t)t->p.tag;
        t->qp = v; /* one queue per VM is required with tenants (scenario check) */
        t->iova_base = IOVA_BASE; /* the same for all: spaces overlap */
        rc = vio_tbf_init(&t->tbf, ioc->rate_limit ? t->p.rate_mbps : 0, t->p.burst_bytes,
                          err);
        if (rc != VIO_OK)
            break;
        vio_tenant tt = {.tag = t->tag, .queue_pair = t->qp, .pasid = t->p.pasid, .vm = (int32_t)v};
        rc = vio_tenants_add(dp->tenants, &tt, err);
        /* Owner tags: the tenant's NIC buffers and descriptors, and its guest buffers. */
        if (rc == VIO_OK)
            rc = vio_tenants_add_region(dp->tenants, dp_nic_buf(dp, v, 0), dp->nic_buf_span, t->tag, err);
        if (rc == VIO_OK)
            rc = vio_tenants_add_region(dp->tenants, dp_nic_desc(dp, v, 0), dp->nic_desc_span, t->tag, err);
        if (rc == VIO_OK)
            rc = vio_tenants_add_region(dp->tenants, dp_guest_buf(dp, v, 0), dp->guest_buf_span, t->tag, err);
        /* ... its guest ring's descriptors, and its own region of the shared LLC ring
         * (per-vm). A multicast region belongs to its destination set and the global
         * region to every VM: their readers are checked by membership (vio__tenant_read). */
        if (rc == VIO_OK)
            rc = vio_tenants_add_region(dp->tenants, dp_guest_desc(dp, v, 0), dp->guest_desc_span, t->tag, err);
        if (rc == VIO_OK) /* its transmit descriptors (forwarding consumers write them) */
            rc = vio_tenants_add_region(dp->tenants, dp_tx_desc(dp, v, 0), dp->nic_desc_span, t->tag, err);
        if (rc == VIO_OK && !dp_shared_global(dp->v))
            rc = vio_tenants_add_region(dp->tenants, dp_shared_buf(dp, v * dp->region_entries), dp->region_span, t->tag,
                                        err);
    }
    if (rc != VIO_OK || mode->page_size == 0)
        return rc;

    dp->page_size = mode->page_size;
    vio_iommu_config cfg;
    vio_iommu_config_default(&cfg);
    cfg.iotlb_entries = s->iommu.iotlb_entries;
    cfg.iotlb_ways = s->iommu.iotlb_ways;
    cfg.iotlb_hit_ps = (vio_ps)s->iommu.iotlb_hit_ns * VIO_PS_PER_NS;
    cfg.walk_overhead_ps = (vio_ps)s->iommu.walk_overhead_ns * VIO_PS_PER_NS;
    cfg.devtlb_entries = s->iommu.devtlb_entries;
    cfg.psc_entries = s->iommu.psc_entries;
    cfg.walkers = s->iommu.walkers;
    cfg.ats_rtt_ps = (vio_ps)s->iommu.ats_rtt_ns * VIO_PS_PER_NS;
    cfg.fault_log_entries = s->iommu.fault_log;
    cfg.read_line = walk_read;
    cfg.read_ctx = dp;
    rc = vio_iommu_create(&cfg, &dp->iommu, err);
    if (rc == VIO_OK)
        rc = vio_tenants_program_iommu(dp->tenants, dp->iommu, err);
    /* Each tenant's PASID maps its own window: descriptors, then buffers. */
    for (uint32_t v = 0; rc == VIO_OK && v < s->nvms; v++) {
        const dp_tenant *t = &dp->tn[v];
        rc = vio_iommu_map(dp->iommu, t->p.pasid, desc_iova(dp, t, 0), dp_nic_desc(dp, v, 0), dp->nic_desc_span,
                           dp->page_size, true, err);
        if (rc == VIO_OK)
            rc = vio_iommu_map(dp->iommu, t->p.pasid, buf_iova(dp, t, 0), dp_nic_buf(dp, v, 0), dp->nic_buf_span,
                               dp->page_size, true, err);
        if (rc == VIO_OK && dp->copy->direct && s->vms[v].forward)
            rc = vio_iommu_map(dp->iommu, t->p.pasid, tx_desc_iova(dp, t, 0), dp_tx_desc(dp, v, 0), dp->nic_desc_span,
                               dp->page_size, true, err);
    }
    return rc;
}

void vio__pasid_destroy(vio_datapath *dp)
{
    vio_iommu_destroy(dp->iommu);
    vio_tenants_destroy(dp->tenants);
    free(dp->tn);
}

/* Is this DMA of tenant t one of its attacks? One in attack_every. */
static int attacking(const dp_tenant *t, enum vio_adversary kind)
{
    return t->adv->attack == kind && t->dmas % t->p.attack_every == 0;
}

/* One translated request; returns 0 if blocked. */
static int translate(vio_datapath *dp, const dp_tenant *t, uint32_t pasid, uint64_t iova, uint32_t len,
                     vio_dma_kind kind, vio_ps now, vio_ps *delay, uint64_t *phys)
{
    (void)t;
    vio_dma_req req = {.requester_id = REQUESTER_ID, .pasid = pasid, .iova = iova, .len = len, .kind = kind};
    vio_iommu_result r;
    if (vio_iommu_translate(dp->iommu, &req, now + *delay, &r) != VIO_OK)
        return 0; /* malformed (cannot happen: buffers never cross 4 KiB): treat as blocked */
    *delay += r.latency;
    *phys = r.phys;
    return r.fault == VIO_IOMMU_OK;
}

int vio__pasid_dma(vio_datapath *dp, uint32_t q, uint32_t slot, uint32_t bytes, vio_ps now, vio_ps at, uint64_t *buf,
                   vio_ps *payload_delay, vio_ps *cpl_delay)
{
    *payload_delay = *cpl_delay = 0;
    dp_tenant *t = &dp->tn[q];
    int on = dp->iommu != NULL;
    /* I/O resource control: the queue pair's token bucket polices it at the device,
     * before any descriptor is used (a no-op without io_control rate-limit). */
    if (!vio_tbf_take(&t->tbf, bytes, now)) {
        t->policed++;
        return -1;
    }
    /* Whose buffer does the descriptor in this slot name? Normally the tenant's own;
     * a foreign-tag adversary may have posted its own on this (victim's) queue pair. */
    const dp_tenant *poster = t;
    for (uint32_t v = 0; v < dp->s->nvms; v++) {
        dp_tenant *a = &dp->tn[v];
        /* One in attack_every of the VICTIM's descriptors is the adversary's: the
         * adversary's own DMA count plays no part (issue 8: testing it as well made
         * the attack rarer than configured). */
        if (v != q && a->p.victim == q && a->adv->attack == VIO_ADV_FOREIGN_TAG &&
            t->dmas % a->p.attack_every == 0) {
            if (on)
                a->rejected_posts++; /* the Tag ID table refuses a tag that is not the poster's own */
            else
                poster = a;
        }
    }
    uint64_t target_phys = dp_nic_buf(dp, poster->qp, slot);
    uint64_t target_iova = on ? buf_iova(dp, poster, slot) : target_phys;
    if (attacking(t, VIO_ADV_FOREIGN_BUFFER)) {
        /* The descriptor holds the victim's physical buffer address. */
        target_phys = dp_nic_buf(dp, t->p.victim, slot);
        target_iova = target_phys;
    }
    uint32_t pasid = t->p.pasid;
    if (attacking(t, VIO_ADV_WRONG_PASID)) {
        /* Device-side check: the PASID stamped is the queue's own (vio_tenants_qp_accepts
         * refuses the victim's), so the request is refused and the DMA keeps t's PASID. */
        uint32_t asked = dp->tn[t->p.victim].p.pasid;
        if (!vio_tenants_qp_accepts(dp->tenants, t->qp, asked))
            t->pasid_refused++;
        else
            pasid = asked;
    }
    if (attacking(t, VIO_ADV_NO_PASID))
        pasid = VIO_PASID_NONE;
    t->dmas++;

    uint64_t phys = target_phys;
    if (on) {
        uint64_t d;
        vio_ps dl = 0;
        /* Descriptor fetch, payload write, completion write-back: one translation
         * each (a buffer never crosses a 4 KiB boundary: buffers are line-aligned,
         * at most 2 KiB and power-of-two strided by default), one after the other
         * from the time the payload reaches the root port. */
        int ok = translate(dp, t, pasid, desc_iova(dp, t, slot), VIO_DESC_BYTES, VIO_DMA_DESC_READ, at, &dl, &d);
        ok = ok && translate(dp, t, pasid, target_iova, bytes, VIO_DMA_RX_WRITE, at, &dl, &phys);
        *payload_delay = dl;
        ok = ok && translate(dp, t, pasid, desc_iova(dp, t, slot), VIO_DESC_BYTES, VIO_DMA_CPL_WRITE, at, &dl, &d);
        *cpl_delay = dl - *payload_delay;
        if (!ok) {
            t->blocked_packets++;
            return 0;
        }
    }
    /* Prove, not assume: whose memory did the payload land in? */
    vio_owner_check chk;
    if (vio_tenants_check_dma(dp->tenants, t->tag, phys, bytes, &chk) == VIO_OK)
        t->cross_tenant_bytes += chk.foreign_bytes;
    *buf = phys;
    return 1;
}

void vio__pasid_tx_frame(vio_datapath *dp, uint32_t q, uint32_t slot, uint32_t bytes, vio_tx_frame *f)
{
    dp_tenant *t = &dp->tn[q];
    int on = dp->iommu != NULL;
    /* The driver writes IOVAs of its own space (physical addresses without the IOMMU). */
    f->pasid = t->p.pasid;
    f->bytes = bytes;
    f->desc_iova = on ? tx_desc_iova(dp, t, slot) : dp_tx_desc(dp, q, slot);
    f->buf_iova = on ? buf_iova(dp, t, slot) : dp_nic_buf(dp, q, slot);
    if (t->adv->attack == VIO_ADV_TX_FOREIGN_BUFFER && t->txs % t->p.attack_every == 0) {
        /* The attack: the descriptor holds the victim's physical buffer address. In
         * the adversary's PASID that number is not mapped (fault, blocked); without
         * the IOMMU the NIC reads the victim's packet and sends it. */
        f->buf_iova = dp_nic_buf(dp, t->p.victim, slot);
        t->tx_attacks++;
    }
    t->txs++;
}

bool vio__pasid_tx_translate(void *ctx, uint32_t pasid, uint64_t iova, uint32_t len, vio_dma_kind kind, vio_ps now,
                             vio_ps *latency, uint64_t *phys)
{
    vio_datapath *dp = ctx;
    dp_tenant *t = NULL;
    for (uint32_t v = 0; v < dp->s->nvms && !t; v++)
        if (dp->tn[v].p.pasid == pasid)
            t = &dp->tn[v];
    *latency = 0;
    *phys = iova;
    if (!t) { /* every frame carries its tenant's PASID */
        vio__dp_broken(dp, "transmit read under PASID %u, which no tenant has", pasid);
        return false;
    }
    if (dp->iommu && !translate(dp, t, pasid, iova, len, kind, now, latency, phys)) {
        t->tx_blocked_reads++;
        return false;
    }
    /* Prove, not assume: whose memory does the device read (and then put on the wire)? */
    vio_owner_check chk;
    if (kind != VIO_DMA_CPL_WRITE && vio_tenants_check_dma(dp->tenants, t->tag, *phys, len, &chk) == VIO_OK) {
        t->tx_leaked_bytes += chk.foreign_bytes;
        t->cross_tenant_bytes += chk.foreign_bytes;
    }
    return true;
}

static int flow_reaches(const vio_datapath *dp, uint32_t flow, uint32_t vm)
{
    const vio_flow *f = &dp->s->traffic.flows[flow];
    for (uint32_t i = 0; i < f->ndst; i++)
        if (f->dst[i] == vm)
            return 1;
    return 0;
}

vio_ps vio__tenant_read(vio_datapath *dp, dp_guest *g, const dp_pkt *p, vio_ps now)
{
    dp_tenant *t = &dp->tn[g->vm];
    /* Prove, not assume, that the guest read its own data: a shared slot must be in
     * a region mapped into it and hold a packet sent to it; a private buffer must be
     * its own (owner tag). */
    int own;
    if (p->shared != UINT32_MAX)
        own = dp_region_member(dp, p->shared / dp->region_entries, g->vm) &&
              flow_reaches(dp, dp->shared_src[p->shared].flow, g->vm);
    else
        own = vio_tenants_owner_of(dp->tenants, p->buf) == t->tag;
    if (!own) {
        t->cross_read_bytes += p->bytes;
        t->cross_tenant_bytes += p->bytes;
    }
    if (t->adv->attack != VIO_ADV_READ_SHARED || t->reads++ % t->p.attack_every != 0)
        return 0;
    /* The attack: read the victim's latest packet. With the shared LLC ring, that is
     * the slot last written for the victim: reachable only when its region is mapped
     * into this guest (global ring). A private guest buffer never is. */
    uint32_t victim = t->p.victim, slot = UINT32_MAX;
    int reachable = 0;
    if (dp->v->copy != vio_axis_find(&vio_axis_copy, "guest", 5)) { /* a copy into the shared ring */
        slot = dp->last_shared[victim];
        if (slot == UINT32_MAX)
            return 0; /* nothing written for the victim yet */
        reachable = dp_region_member(dp, slot / dp->region_entries, g->vm);
    }
    t->snoops++;
    if (!reachable) {
        /* Not in its EPT: the load is an EPT violation, one exit, and KVM refuses it. */
        t->snoops_blocked++;
        g->vm_exits++;
        return dp_cycles(dp, dp->s->irq.exit_entry_cycles);
    }
    const dp_pkt *in = &dp->shared_src[slot];
    vio_ps cost = vio_memsys_stream(dp->mem, g->core, VIO_STREAM_READ, dp_shared_buf(dp, slot), in->bytes, now);
    if (!flow_reaches(dp, in->flow, g->vm)) {
        t->cross_read_bytes += in->bytes;
        t->cross_tenant_bytes += in->bytes;
    }
    return cost;
}

json_t *vio__pasid_results(const vio_datapath *dp)
{
    vio_iommu_stats st = {0};
    if (dp->iommu)
        vio_iommu_stats_get(dp->iommu, &st);
    json_t *faults = json_object();
    for (int r = 1; r < VIO_IOMMU_FAULT_COUNT; r++)
        json_object_set_new(faults, vio_iommu_fault_reason_name((vio_iommu_fault)r), json_integer((json_int_t)st.faults[r]));
    uint64_t cross = 0, rejected = 0, refused = 0;
    json_t *tenants = json_array();
    vio_ps span = dp->last_done > dp->first_arrival ? dp->last_done - dp->first_arrival : 0;
    size_t n = dp->s->nvms ? dp->s->nvms : 1;
    double *gbps = calloc(3 * n, sizeof *gbps), *demand = gbps ? gbps + n : NULL, *share = gbps ? gbps + 2 * n : NULL;
    for (uint32_t v = 0; dp->tn && v < dp->s->nvms; v++) {
        const dp_tenant *t = &dp->tn[v];
        const dp_guest *g = &dp->g[v];
        vio_iommu_pasid_stats ps = {0};
        if (dp->iommu)
            (void)vio_iommu_pasid_stats_get(dp->iommu, REQUESTER_ID, t->p.pasid, &ps);
        cross += t->cross_tenant_bytes;
        char vmname[16];
        snprintf(vmname, sizeof vmname, "vm%u", (unsigned)v);
        double tput = span ? (double)g->bytes * 8.0 / ((double)span / 1e12) / 1e9 : 0.0;
        if (gbps) {
            gbps[v] = tput;
            demand[v] = span ? (double)t->offered_bytes * 8.0 / ((double)span / 1e12) / 1e9 : 0.0;
        }
        rejected += t->rejected_posts;
        refused += t->pasid_refused;
        json_t *te = json_pack("{s:s,s:f,s:i,s:I,s:i,s:i,s:i,s:i,s:s,s:{s:I,s:I,s:I},s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
                               "name", t->p.name[0] ? t->p.name : vmname, "throughput_gbps", tput, "weight", (int)t->p.weight, "policed",
                               (json_int_t)t->policed, "tag", (int)t->tag,
                               "pasid", (int)t->p.pasid, "queue_pair", (int)t->qp, "vm", (int)v, "adversary",
                               t->adv->name, "packets", "offered", (json_int_t)g->offered,
                               "delivered", (json_int_t)g->delivered, "dropped", (json_int_t)g->dropped, "latency_ns",
                               vio__latency_json(&g->latency), "faults", (json_int_t)ps.faults, "blocked",
                               (json_int_t)t->blocked_packets, "blocked_bytes", (json_int_t)ps.blocked_bytes,
                               "rejected_posts", (json_int_t)t->rejected_posts, "pasid_refused",
                               (json_int_t)t->pasid_refused, "cross_tenant_bytes",
                               (json_int_t)t->cross_tenant_bytes, "shared_snoops", (json_int_t)t->snoops,
                               "shared_snoops_blocked", (json_int_t)t->snoops_blocked, "cross_tenant_read_bytes",
                               (json_int_t)t->cross_read_bytes);
        if (dp->tx && dp->s->vms[v].forward) /* its transmits (dp_tx.c) */
            json_object_set_new(te, "tx", vio__tx_json(dp, g));
        json_array_append_new(tenants, te);
    }
    static const char *mode[] = {"off", "4k", "2m"};
    /* Jain's index over the tenants' delivered throughput: 1 when they get equal
     * shares, 1/n when one takes everything. */
    double jain = dp->tn && gbps ? vio_jain_index(gbps, dp->s->nvms) : 1.0;
    /* ... and over throughput / max-min fair share of what was delivered: 1 when
     * every tenant got its fair share, whatever the demands (a tenant that offers
     * less than an equal split is owed only its demand). */
    double jain_mm = 1.0;
    if (dp->tn && gbps) {
        double cap = 0;
        for (uint32_t v = 0; v < dp->s->nvms; v++)
            cap += gbps[v];
        vio_maxmin_shares(demand, dp->s->nvms, cap, share);
        for (uint32_t v = 0; v < dp->s->nvms; v++)
            gbps[v] = share[v] > 0 ? gbps[v] / share[v] : 1.0;
        jain_mm = vio_jain_index(gbps, dp->s->nvms);
    }
    free(gbps);
    return json_pack("{s:s,s:f,s:f,s:I,s:I,s:I,s:f,s:I,s:I,s:I,s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "mode",
                     mode[dp->v->iommu], "fairness_jain", jain, "fairness_jain_maxmin", jain_mm,
                     "translations", (json_int_t)st.translations, "iotlb_hits", (json_int_t)st.iotlb_hits,
                     "iotlb_misses", (json_int_t)st.iotlb_misses, "iotlb_hit_rate",
                     st.iotlb_hits + st.iotlb_misses ? (double)st.iotlb_hits / (double)(st.iotlb_hits + st.iotlb_misses)
                                                     : 0.0,
                     "walks", (json_int_t)st.walks, "walk_reads", (json_int_t)st.walk_reads, "walks_waited",
                     (json_int_t)st.walks_waited, "walk_wait_ns", (json_int_t)(st.walk_wait_ps / VIO_PS_PER_NS),
                     "faults", faults,
                     "blocked", (json_int_t)st.blocked, "blocked_bytes", (json_int_t)st.blocked_bytes,
                     "fault_log_overflows", (json_int_t)st.fault_log_overflows, "rejected_posts", (json_int_t)rejected, "pasid_refused", (json_int_t)refused,
                     "cross_tenant_bytes", (json_int_t)cross, "tenants", tenants);
}
