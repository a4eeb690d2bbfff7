/* The transmit path of a forwarding consumer (issue 11 item 3; US10310974's
 * outbound transaction): the consumer writes a transmit descriptor for the
 * packet it received (in place: the frame is the receive buffer), then, once
 * per batch, stores to its queue pair's doorbell. The doorbell page of each
 * queue pair is mapped only into its owner (viosim/submit.h): a store to another
 * tenant's page faults in the CPU and never reaches the device. The device then
 * reads the descriptors and payloads over PCIe (viosim/txpath.h: read requests
 * of at most MRRS, a tag each, completions of at most MPS), each read translated
 * by the IOMMU under the queue pair's PASID and owner-checked
 * (vio__pasid_tx_translate), serialises each frame onto the wire, writes the
 * completion back and signals it as the driver wants (below). The receive slot
 * is free once the payload is on the device.
 *
 * TX latency here: from the doorbell store to the completion seen by the driver.
 *
 * Completions (vms[].tx_completion): a kernel driver's queue pair has one MSI-X
 * vector for receive and transmit (a combined channel, as Linux's i40e, ice and
 * mlx5 drivers set them up), so a write-back's interrupt is taken only when it
 * finds the core idle: while the consumer polls (a NAPI poll, its receive batch)
 * the driver has the vector masked and the poll cleans what was written back. An
 * interrupt that finds it idle costs what a receive interrupt does (the notify
 * strategy's path: a native MSI-X for a process, the vCPU path for a VM, then
 * vms[].irq_cycles), and the poll it starts also takes the packets that have
 * arrived by then (dp_guest.c); tx.interrupts counts them. A spinning kernel
 * driver polls its write-backs instead. A DPDK PMD (reap, auto's choice for a
 * process) arms no transmit interrupt: tx_burst sees what has been written back,
 * so its TX latency ends at the next burst.
 *
 * Limits: TX traffic is what forwarders send (no separate transmit source); the
 * driver's reads of the write-backs are not modelled (the device's write-back
 * does not go through the memory model). */
#include "datapath/dp_internal.h"

#include <stdlib.h>

/* The NIC's reads: PCIeRdCur, which DDIO serves from the LLC (or a core's
 * cache) but never allocates for. */
static vio_ps dev_read(void *ctx, uint64_t phys, uint32_t bytes, vio_ps now, uint32_t *llc_lines)
{
    const vio_datapath *dp = ctx;
    return vio_memsys_dev_read(dp->mem, phys, bytes, now, llc_lines);
}

int vio__tx_init(vio_datapath *dp, vio_err *err)
{
    const vio_scenario *s = dp->s;
    uint32_t budget = 0, fwd = 0;
    for (uint32_t v = 0; v < s->nvms; v++) {
        fwd |= s->vms[v].forward;
        if (s->vms[v].budget > budget)
            budget = s->vms[v].budget;
    }
    if (!dp->copy->direct || !fwd)
        return VIO_OK;
    /* Each forwarder's completion handling (vms[].tx_completion; auto: a process is a
     * DPDK application, a VM a kernel driver that sleeps or spins as it receives). */
    for (uint32_t v = 0; v < s->nvms; v++) {
        int txc = s->vms[v].tx_completion;
        if (txc == VIO_TXC_AUTO)
            txc = s->vms[v].kind == VIO_CONSUMER_PROCESS ? VIO_TXC_REAP : VIO_TXC_KERNEL;
        dp->g[v].txc = txc == VIO_TXC_REAP ? DP_TXC_REAP : dp->notify->spins ? DP_TXC_POLL : DP_TXC_INTERRUPT;
    }
    const vio_platform *p = &s->platform;
    vio_tx_config c;
    vio_tx_config_default(&c);
    c.mrrs = p->pcie_mrrs;
    c.mps = p->pcie_tlp_payload;
    c.tlp_overhead = p->pcie_tlp_overhead;
    c.max_tags = p->nic_read_tags;
    c.link_mbps = p->pcie_bandwidth_mbps;
    c.link_latency = (vio_ps)p->pcie_latency_ns * VIO_PS_PER_NS;
    c.wire_mbps = p->nic_wire_mbps;
    c.desc_bytes = VIO_DESC_BYTES;
    /* A polling consumer polls its transmit completions too; the others take MSI-X. */
    c.interrupt = !dp->notify->spins;
    c.poll_interval = dp_cycles(dp, s->irq.poll_cycles);
    /* Tenants' reads are translated under their PASID (or, IOMMU off, only owner-checked). */
    c.translate = dp->tn ? vio__pasid_tx_translate : NULL;
    c.mem_read = dev_read;
    c.ctx = dp;
    int rc = vio_tx_create(&c, &dp->tx, err);
    if (rc == VIO_OK && !(dp->txres = calloc(budget, sizeof *dp->txres)))
        rc = vio_err_set(err, VIO_ENOMEM, "datapath: out of memory");
    /* ENQCMD: a shared work queue of platform.nic.swq_entries commands. */
    int enq = dp->v->tx_submit == VIO_TX_ENQCMD;
    if (rc == VIO_OK && enq && !(dp->swq_release = calloc(p->nic_swq_entries, sizeof *dp->swq_release)))
        rc = vio_err_set(err, VIO_ENOMEM, "datapath: out of memory");
    vio_submit_config sc = {.queue_pairs = dp->nqueues,
                            .swq_entries = enq ? p->nic_swq_entries : 0,
                            .link_latency = c.link_latency,
                            .issue_ps = (vio_ps)p->nic_doorbell_ns * VIO_PS_PER_NS};
    if (rc == VIO_OK)
        rc = vio_submit_create(&sc, &dp->submit, err);
    /* Each queue pair's doorbell page goes to its consumer's address space only. */
    for (uint32_t v = 0; rc == VIO_OK && v < s->nvms; v++)
        rc = vio_submit_map_doorbell(dp->submit, dp->g[v].queue, dp->tn ? dp->tn[v].tag : (int32_t)v, err);
    /* ... and the kernel sets each consumer thread's IA32_PASID to its queue pair's PASID. */
    for (uint32_t v = 0; enq && rc == VIO_OK && v < s->nvms; v++)
        rc = vio_submit_set_thread_pasid(dp->submit, dp->tn ? dp->tn[v].tag : (int32_t)v,
                                         dp->tn ? dp->tn[v].p.pasid : 0x100 + v, err);
    return rc;
}

void vio__tx_destroy(vio_datapath *dp)
{
    vio_submit_destroy(dp->submit);
    free(dp->swq_release);
}

static int32_t tag_of(const vio_datapath *dp, const dp_guest *g);

/* The commands the device has taken off its shared work queue by `at`. */
static void swq_drain(vio_datapath *dp, vio_ps at)
{
    while (dp->swq_len && dp->swq_release[dp->swq_head] <= at) {
        vio_submit_swq_pop(dp->submit, NULL);
        dp->swq_head = (dp->swq_head + 1) % dp->s->platform.nic_swq_entries;
        dp->swq_len--;
    }
}

/* ENQCMD of one batch's command: while the shared work queue is full when the
 * command reaches the device, the answer is Retry (ZF=1) and the driver issues it
 * again at once; each try costs the core the issue and the round trip. Returns
 * the accepted try (its PASID is the thread's IA32_PASID) and advances *t. */
static int enqcmd(vio_datapath *dp, dp_guest *g, uint32_t asked, vio_ps *t, vio_submit_result *r)
{
    const vio_platform *p = &dp->s->platform;
    vio_ps to_device = (vio_ps)p->nic_doorbell_ns * VIO_PS_PER_NS + (vio_ps)p->pcie_latency_ns * VIO_PS_PER_NS;
    for (;;) {
        swq_drain(dp, *t + to_device);
        int rc = vio_submit_enqcmd(dp->submit, tag_of(dp, g), asked, *t, r);
        if (rc != VIO_OK || r->status != VIO_SUBMIT_RETRY)
            return rc;
        dp->enq_retries++;
        g->tx_retries++;
        *t = r->core_done;
    }
}

/* The device takes the accepted command off the queue once it has fetched the
 * batch's descriptors, and not before the command ahead of it (a FIFO). */
static void swq_push(vio_datapath *dp, vio_ps at_device, const vio_tx_result *res, uint32_t n)
{
    vio_ps rel = at_device > dp->swq_last ? at_device : dp->swq_last;
    for (uint32_t k = 0; k < n; k++)
        if (res[k].desc_at > rel)
            rel = res[k].desc_at;
    dp->swq_last = rel;
    dp->swq_release[(dp->swq_head + dp->swq_len++) % dp->s->platform.nic_swq_entries] = rel;
    dp->enq_accepted++;
    if (dp->swq_len > dp->swq_peak)
        dp->swq_peak = dp->swq_len;
}

/* A completion the driver has yet to deal with, kept in time order (the device's
 * write-backs share one upstream lane, so they come almost always in order: the
 * insertion scans back). */
static int txp_push(dp_guest *g, dp_txpend e)
{
    if (g->txp_len == g->txp_cap) {
        uint32_t cap = g->txp_cap ? 2 * g->txp_cap : 64;
        dp_txpend *n = malloc(cap * sizeof *n);
        if (!n)
            return 0;
        for (uint32_t k = 0; k < g->txp_len; k++)
            n[k] = g->txp[(g->txp_head + k) % g->txp_cap];
        free(g->txp);
        g->txp = n;
        g->txp_cap = cap;
        g->txp_head = 0;
    }
    uint32_t k = g->txp_len++;
    for (; k > 0 && g->txp[(g->txp_head + k - 1) % g->txp_cap].at > e.at; k--)
        g->txp[(g->txp_head + k) % g->txp_cap] = g->txp[(g->txp_head + k - 1) % g->txp_cap];
    g->txp[(g->txp_head + k) % g->txp_cap] = e;
    return 1;
}

static void txp_pop(dp_guest *g)
{
    g->txp_head = (g->txp_head + 1) % g->txp_cap;
    g->txp_len--;
}

vio_ps vio__tx_irq_next(const dp_guest *g)
{
    return g->txc == DP_TXC_INTERRUPT && g->txp_len ? g->txp[g->txp_head].at : VIO_PS_NEVER;
}

void vio__tx_irq_fold(dp_guest *g, vio_ps busy_until)
{
    while (g->txc == DP_TXC_INTERRUPT && g->txp_len && g->txp[g->txp_head].at <= busy_until)
        txp_pop(g);
}

/* reap: the burst at t first looks at the ring's write-backs (DPDK's tx_burst
 * freeing what the NIC has written back): the driver sees those completions now. */
static void txp_reap(dp_guest *g, vio_ps t)
{
    while (g->txc == DP_TXC_REAP && g->txp_len && g->txp[g->txp_head].at <= t) {
        if (g->txp[g->txp_head].measured)
            vio_hist_add(&g->tx_latency, t - g->txp[g->txp_head].issued);
        txp_pop(g);
    }
}

static int32_t tag_of(const vio_datapath *dp, const dp_guest *g)
{
    return dp->tn ? dp->tn[g->vm].tag : (int32_t)g->vm;
}

void vio__tx_post(vio_datapath *dp, dp_guest *g, const dp_pkt *p, vio_ps *t)
{
    /* The transmit descriptor into its ring: a store the NIC's read will snoop.
     * The receive slot stays taken until the NIC has read the packet back (with a
     * mempool the slot was refilled, and the transmit ring holds the buffer). */
    if (g->mp) /* a full transmit ring and queue: wait for a completion (dp_mempool.c) */
        *t = vio__dp_mempool_tx_wait(g, g->ntx, *t);
    uint64_t txd = dp_tx_desc(dp, g->queue, p->slot);
    *t += vio_memsys_stream(dp->mem, g->core, VIO_STREAM_WRITE, txd, VIO_DESC_BYTES, *t);
    vio_tx_frame f = {.desc_iova = txd, .buf_iova = p->buf, .bytes = p->bytes};
    if (dp->tn) /* the addresses of its PASID's space */
        vio__pasid_tx_frame(dp, g->queue, p->slot, p->bytes, &f);
    f.reap = g->txc == DP_TXC_REAP;
    g->txm[g->ntx] = (uint8_t)dp_measured(p);
    g->txf[g->ntx] = f;
    g->txslot[g->ntx++] = p->slot;
    g->forwarded++;
}

void vio__tx_flush(vio_datapath *dp, dp_guest *g, vio_ps *t)
{
    dp_ring *nic = &dp->nic_rings[g->queue];
    if (!g->ntx)
        return;
    dp_tenant *tn = dp->tn ? &dp->tn[g->vm] : NULL;
    /* A batch-level attack (doorbell, PASID) in one batch of attack_every. */
    int attack = tn && tn->tx_batches++ % tn->p.attack_every == 0;
    if (attack && tn->adv->attack == VIO_ADV_TX_FOREIGN_DOORBELL) {
        tn->tx_attacks++;
        /* The attack: a store to the victim's doorbell page, which is not in its page
         * tables: a page fault (an EPT violation, one exit, for a VM) and nothing
         * reaches the device, with or without the IOMMU (the MMU stops it). */
        vio_submit_result a;
        if (vio_submit_doorbell(dp->submit, tn->tag, dp->g[tn->p.victim].queue, *t, &a) == VIO_OK &&
            a.status == VIO_SUBMIT_PAGE_FAULT) {
            tn->doorbell_faults++;
            g->vm_exits++;
            *t += dp_cycles(dp, dp->s->irq.exit_entry_cycles);
        } else {
            vio__dp_broken(dp, "vm%u's store to vm%u's doorbell reached the device", g->vm, tn->p.victim);
        }
    }
    /* One submission for the batch (DPDK's tx_burst writes the tail once): a
     * doorbell, an uncached store then a posted write a link latency to the NIC;
     * or ENQCMD, non-posted, whose PASID the CPU takes from the thread's MSR. The
     * NIC fetches the descriptors, then reads each payload. */
    if (g->mp) /* tx_burst first frees the buffers whose completion it sees */
        vio__dp_mempool_tx_reap(g, *t);
    txp_reap(g, *t);
    vio_ps issued = *t;
    uint32_t own = tn ? tn->p.pasid : 0x100 + g->vm, asked = own;
    int forge = attack && tn->adv->attack == VIO_ADV_TX_FORGED_PASID;
    if (forge) {
        tn->tx_attacks++;
        asked = dp->tn[tn->p.victim].p.pasid; /* the PASID its work names */
    }
    vio_submit_result r;
    int enq = dp->v->tx_submit == VIO_TX_ENQCMD;
    int rc = enq ? enqcmd(dp, g, asked, t, &r) : vio_submit_doorbell(dp->submit, tag_of(dp, g), g->queue, *t, &r);
    /* Doorbell: the NIC stamps the queue's PASID, from its context; ENQCMD: the
     * device received the thread's IA32_PASID, whatever the command said. */
    uint32_t used = enq ? r.pasid : own;
    if (rc != VIO_OK || r.status != VIO_SUBMIT_OK) {
        vio__dp_broken(dp, "vm%u's own transmit submission failed", g->vm);
        g->ntx = 0;
        return;
    }
    if (forge && used != asked)
        tn->pasid_overrides++;
    for (uint32_t k = 0; tn && k < g->ntx; k++)
        g->txf[k].pasid = used; /* the device's reads carry the PASID it received */
    *t = r.core_done;
    if (vio_tx_send_batch(dp->tx, g->txf, g->ntx, r.at_device, dp->txres) != VIO_OK) {
        vio__dp_broken(dp, "vm%u: transmit batch of %u frames failed (out of memory)", g->vm, g->ntx);
        g->ntx = 0;
        return;
    }
    if (enq)
        swq_push(dp, r.at_device, dp->txres, g->ntx);
    for (uint32_t k = 0; k < g->ntx; k++) {
        const vio_tx_result *o = &dp->txres[k];
        /* A blocked frame's buffer is back once the device gave up on it. */
        vio_ps done = o->sent ? o->payload_at : (o->desc_at > r.at_device ? o->desc_at : r.at_device);
        if (g->mp) /* the transmit ring holds the mbuf until its completion */
            vio__dp_mempool_tx_sent(dp, g, g->txf[k].buf_iova, done);
        else
            nic->free_at[g->txslot[k]] = done;
        dp->readback_sum += done - r.at_device;
        dp->tx_read_bytes += g->txf[k].bytes + VIO_DESC_BYTES;
        if (done > dp->tx_done)
            dp->tx_done = done;
        if (o->completed > dp->tx_done)
            dp->tx_done = o->completed;
        /* Its completion: an interrupt that may find the core idle, or one the next burst sees. */
        int pend = o->sent && (g->txc == DP_TXC_INTERRUPT || (g->txc == DP_TXC_REAP && g->txm[k]));
        if (pend && !txp_push(g, (dp_txpend){o->completed, issued, g->txm[k]})) {
            vio__dp_broken(dp, "vm%u: out of memory for its transmit completions", g->vm);
            break;
        }
        if (!g->txm[k])
            continue;
        g->tx_lines += o->lines;
        g->tx_llc_lines += o->llc_lines;
        if (!o->sent) {
            g->tx_blocked++;
            continue;
        }
        if (!g->tx_sent)
            g->tx_first = issued;
        g->tx_sent++;
        g->tx_bytes += g->txf[k].bytes;
        if (o->wire_done > g->tx_last)
            g->tx_last = o->wire_done;
        if (g->txc != DP_TXC_REAP)
            vio_hist_add(&g->tx_latency, o->completed - issued);
    }
    g->ntx = 0;
}

static double ratio(uint64_t a, uint64_t b) { return b ? (double)a / (double)b : 0.0; }

json_t *vio__tx_json(const vio_datapath *dp, const dp_guest *g)
{
    vio_ps span = g->tx_last > g->tx_first ? g->tx_last - g->tx_first : 0;
    const dp_tenant *tn = dp->tn ? &dp->tn[g->vm] : NULL;
    static const char *const txc[] = {"", "interrupt", "poll", "reap"};
    uint64_t unseen = 0; /* reap: sent, measured, and no later burst saw the completion */
    for (uint32_t k = 0; g->txc == DP_TXC_REAP && k < g->txp_len; k++)
        unseen += g->txp[(g->txp_head + k) % g->txp_cap].measured;
    return json_pack("{s:I,s:s,s:I,s:I,s:s,s:I,s:I,s:I,s:f,s:o,s:I,s:I,s:f,s:I,s:I,s:I,s:I}", "enqcmd_retries",
                     (json_int_t)g->tx_retries, "completion", txc[g->txc], "interrupts", (json_int_t)g->tx_irqs,
                     "unseen", (json_int_t)unseen, "submit",
                     dp->v->tx_submit == VIO_TX_ENQCMD ? "enqcmd" : "doorbell", "packets", (json_int_t)g->tx_sent, "blocked",
                     (json_int_t)g->tx_blocked, "bytes", (json_int_t)g->tx_bytes, "throughput_gbps",
                     span ? (double)g->tx_bytes * 8.0 / ((double)span / 1e12) / 1e9 : 0.0, "latency_ns",
                     vio__latency_json(&g->tx_latency), "device_read_lines", (json_int_t)g->tx_lines,
                     "device_read_llc_lines", (json_int_t)g->tx_llc_lines, "device_read_hit_rate",
                     ratio(g->tx_llc_lines, g->tx_lines), "blocked_reads",
                     (json_int_t)(tn ? tn->tx_blocked_reads : 0), "leaked_bytes",
                     (json_int_t)(tn ? tn->tx_leaked_bytes : 0), "doorbell_faults",
                     (json_int_t)(tn ? tn->doorbell_faults : 0), "pasid_overrides",
                     (json_int_t)(tn ? tn->pasid_overrides : 0));
}
