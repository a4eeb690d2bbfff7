/* Datapath construction, the agent table, the agenda and the sequential reference loop. */
#include "datapath/dp_internal.h"
#include "viosim/estimate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int ring_init(dp_ring *r, uint32_t entries)
{
    r->entries = entries;
    r->produced = 0;
    r->free_at = malloc((size_t)entries * sizeof *r->free_at);
    if (!r->free_at)
        return -1;
    for (uint32_t i = 0; i < entries; i++)
        r->free_at[i] = 0;
    return 0;
}

static int fifo_init(dp_fifo *f, uint32_t cap, uint32_t owner)
{
    f->cap = cap;
    f->owner = owner;
    f->head = f->len = 0;
    f->items = malloc((size_t)cap * sizeof *f->items);
    return f->items ? 0 : -1;
}

static uint64_t align_up(uint64_t n) { return (n + VIO_REGION_ALIGN - 1) / VIO_REGION_ALIGN * VIO_REGION_ALIGN; }

int vio__memsys_for(const vio_scenario *s, vio_memsys **out, vio_err *err)
{
    const vio_platform *p = &s->platform;
    vio_memsys_config mc = {
        .cores = p->cores,
        .freq_mhz = p->freq_mhz,
        .l1 = {.size_bytes = p->l1.size_kib * 1024, .ways = p->l1.ways,
               .repl = (enum vio_repl_kind)p->l1.replacement},
        .l1_hit_cycles = p->l1.hit_cycles,
        .l2_enabled = (int)p->l2.enabled,
        .l2 = {.size_bytes = p->l2.size_kib * 1024, .ways = p->l2.ways,
               .repl = (enum vio_repl_kind)p->l2.replacement},
        .l2_hit_cycles = p->l2.hit_cycles,
        .llc = {.size_bytes = p->llc.size_kib * 1024, .ways = p->llc.ways,
                .index = (enum vio_cache_index)p->llc.index, .repl = (enum vio_repl_kind)p->llc.replacement},
        .llc_hit_cycles = p->llc.hit_cycles,
        .c2c_cycles = p->c2c_cycles,
        .io_ways = p->io_ways,
        .dram_latency_ns = p->dram_latency_ns,
        .dram_bandwidth_mbps = p->dram_bandwidth_mbps,
        .mlp = p->mlp,
        .ideal = (int)p->ideal_memory,
        .seed = s->seed,
        .non_inclusive = !p->llc_inclusive,
        .sf_ways = p->llc_sf_ways,
        .io_reuse_ways = p->io_reuse_ways,
        .sample_sets = p->llc_sample_sets,
    };
    return vio_memsys_create(&mc, out, err);
}

static int same_dsts(const vio_flow *a, const vio_flow *b)
{
    if (a->ndst != b->ndst)
        return 0;
    for (uint32_t i = 0; i < a->ndst; i++) {
        uint32_t found = 0;
        for (uint32_t j = 0; j < b->ndst && !found; j++)
            found = a->dst[i] == b->dst[j];
        if (!found)
            return 0;
    }
    return 1;
}

uint32_t vio__shared_regions(const vio_scenario *s, const vio_variant *v, uint32_t *flow_region,
                             uint32_t *region_flow)
{
    if (dp_shared_global(v)) {
        for (uint32_t f = 0; f < s->traffic.nflows; f++)
            flow_region[f] = 0;
        if (region_flow)
            region_flow[0] = UINT32_MAX;
        return 1;
    }
    /* Region v: VM v's own. Then one per distinct multicast destination set: its
     * single copy is mapped read-only into exactly those VMs (docs/model.md). */
    uint32_t n = s->nvms;
    for (uint32_t r = 0; region_flow && r < n; r++)
        region_flow[r] = UINT32_MAX;
    for (uint32_t f = 0; f < s->traffic.nflows; f++) {
        const vio_flow *fl = &s->traffic.flows[f];
        flow_region[f] = fl->dst[0];
        if (fl->ndst == 1)
            continue;
        flow_region[f] = UINT32_MAX;
        for (uint32_t g = 0; g < f && flow_region[f] == UINT32_MAX; g++)
            if (s->traffic.flows[g].ndst > 1 && same_dsts(fl, &s->traffic.flows[g]))
                flow_region[f] = flow_region[g];
        if (flow_region[f] == UINT32_MAX) {
            if (region_flow)
                region_flow[n] = f;
            flow_region[f] = n++;
        }
    }
    return n;
}

/* The worker of each NIC queue: the scenario's lists, else round-robin. */
static void map_queues(vio_datapath *dp)
{
    const vio_scenario *s = dp->s;
    for (uint32_t q = 0; q < dp->nqueues; q++)
        dp->queue_worker[q] = q % dp->nworkers;
    for (uint32_t w = 0; w < s->nworkers; w++)
        for (uint32_t k = 0; k < s->workers[w].nqueues; k++)
            dp->queue_worker[s->workers[w].queues[k]] = w;
}

/* The agent table and every stage's state. Returns -1 when out of memory. */
static int build_agents(vio_datapath *dp)
{
    const vio_scenario *s = dp->s;
    uint32_t W = dp->nworkers;
    int bad = vio__agenda_init(&dp->agenda, dp->nagents) != 0;
    dp->agents = calloc(dp->nagents, sizeof *dp->agents);
    dp->stale = calloc(dp->nagents, sizeof *dp->stale);
    dp->is_stale = calloc(dp->nagents, sizeof *dp->is_stale);
    dp->nic_rings = calloc(dp->nqueues, sizeof *dp->nic_rings);
    dp->queue_worker = calloc(dp->nqueues, sizeof *dp->queue_worker);
    dp->nic_in = calloc(dp->nqueues, sizeof *dp->nic_in);
    dp->w = calloc(W, sizeof *dp->w);
    dp->g = calloc(s->nvms, sizeof *dp->g);
    dp->occ = calloc(s->nvms + 1, sizeof *dp->occ);
    dp->accept = calloc(s->nvms, sizeof *dp->accept);
    size_t sslots = (size_t)dp->nregions * s->host.shared_ring_entries;
    dp->shared_refs = calloc(sslots, sizeof *dp->shared_refs);
    dp->shared_src = calloc(sslots, sizeof *dp->shared_src);
    dp->shared_fetched = calloc(sslots, sizeof *dp->shared_fetched);
    dp->region_produced = calloc(dp->nregions, sizeof *dp->region_produced);
    dp->region_flow = calloc((size_t)s->nvms + s->traffic.nflows, sizeof *dp->region_flow);
    dp->last_shared = calloc(s->nvms, sizeof *dp->last_shared);
    bad |= !dp->agents || !dp->stale || !dp->is_stale || !dp->nic_rings || !dp->queue_worker || !dp->nic_in ||
           !dp->w || !dp->g || !dp->occ ||
           !dp->accept || !dp->shared_refs || !dp->shared_src || !dp->shared_fetched || !dp->region_produced ||
           !dp->region_flow || !dp->last_shared;
    if (bad)
        return -1;
    (void)vio__shared_regions(s, dp->v, dp->flow_region, dp->region_flow);
    for (uint32_t v = 0; v < s->nvms; v++)
        dp->last_shared[v] = UINT32_MAX;
    if (bad)
        return -1;
    dp->agents[0] = (dp_agent){DP_AGENT_NIC, 0, UINT32_MAX, &vio__nic_ops};
    for (uint32_t q = 0; !bad && q < dp->nqueues; q++)
        bad |= ring_init(&dp->nic_rings[q], s->platform.nic_ring_entries);
    map_queues(dp);
    for (uint32_t i = 0; !bad && i < W; i++) {
        dp_worker *w = &dp->w[i];
        w->index = i;
        w->core = s->workers[i].core;
        w->agent = 1 + i;
        dp->agents[w->agent] = (dp_agent){DP_AGENT_WORKER, i, w->core, &vio__worker_ops};
        /* One fetch per guest at most: it never overflows. */
        bad |= fifo_init(&w->fetch_in, s->nvms, w->agent);
        for (uint32_t q = 0; q < dp->nqueues; q++)
            w->nq += dp->queue_worker[q] == i;
        bad |= !(w->queues = calloc(w->nq ? w->nq : 1, sizeof *w->queues));
        for (uint32_t q = 0, k = 0; !bad && q < dp->nqueues; q++)
            if (dp->queue_worker[q] == i)
                w->queues[k++] = q;
    }
    /* A queue holds at most its ring's slots: the NIC fills a slot only once the host freed it. */
    for (uint32_t q = 0; !bad && q < dp->nqueues; q++)
        bad |= fifo_init(&dp->nic_in[q], s->platform.nic_ring_entries, dp->w[dp->queue_worker[q]].agent);
    bad |= bad || ring_init(&dp->shared, (uint32_t)sslots);
    for (uint32_t v = 0; !bad && v < s->nvms; v++) {
        dp_guest *g = &dp->g[v];
        g->vm = v;
        g->core = s->vms[v].core;
        g->agent = 1 + W + v;
        dp->agents[g->agent] = (dp_agent){DP_AGENT_GUEST, v, g->core, &vio__guest_ops};
        vio_hist_init(&g->latency);
        vio_hist_init(&g->tx_latency);
        vio_rng_seed(&g->service_rng, s->seed, 0x7365727600000000ULL + v); /* stream "serv"+v */
        /* Direct delivery: the NIC pushes straight from its ring (its own queue). */
        uint32_t in_cap = s->vms[v].ring_entries;
        if (dp->copy->direct && s->platform.nic_ring_entries > in_cap)
            in_cap = s->platform.nic_ring_entries;
        g->queue = v;
        bad |= ring_init(&g->ring, s->vms[v].ring_entries) || fifo_init(&g->in, in_cap, g->agent);
        if (!bad && dp->copy->direct && s->vms[v].forward) {
            g->txf = calloc(s->vms[v].budget, sizeof *g->txf);
            g->txslot = calloc(s->vms[v].budget, sizeof *g->txslot);
            g->txm = calloc(s->vms[v].budget, sizeof *g->txm);
            bad |= !g->txf || !g->txslot || !g->txm;
        }
    }
    return bad ? -1 : 0;
}

static int create(const vio_scenario *s, uint32_t variant, vio_datapath **out, vio_err *err)
{
    *out = NULL;
    if (variant >= s->nvariants)
        return vio_err_set(err, VIO_EINVAL, "%s: variants[%u] does not exist (%u variants)", s->source, variant,
                           s->nvariants);
    vio_datapath *dp = calloc(1, sizeof *dp);
    if (!dp)
        return vio_err_set(err, VIO_ENOMEM, "datapath: out of memory");
    dp->s = s;
    dp->v = &s->variants[variant];
    /* The rows the variant named; the stages call their ops (strategies/). */
    dp->dma = vio_axis_row(&vio_axis_dma, (size_t)dp->v->dma);
    dp->copy = vio_axis_row(&vio_axis_copy, (size_t)dp->v->copy);
    dp->notify = vio_axis_row(&vio_axis_notify, (size_t)dp->v->notify);
    dp->progress_at = UINT64_MAX;
    dp->copy_engine = vio_axis_row(&vio_axis_copy_engine, (size_t)dp->v->copy_engine);
    dp->engine = dp->copy_engine->engine == VIO_ENGINE_COUNT ? dp->copy->engine : dp->copy_engine->engine;
    dp->async = dp->engine == VIO_ENGINE_DMA && s->platform.dma_engine_completion == VIO_DMA_ASYNC;
    dp->freq = s->platform.freq_mhz;
    dp->nworkers = s->nworkers;
    dp->nagents = 1 + dp->nworkers + s->nvms;
    dp->nqueues = s->platform.nic_queues ? s->platform.nic_queues : s->nvms;
    dp->buf_stride = (s->platform.nic_buffer_bytes + VIO_LINE_BYTES - 1) / VIO_LINE_BYTES * VIO_LINE_BYTES;
    uint32_t vm_ring = 0;
    for (uint32_t v = 0; v < s->nvms; v++)
        if (s->vms[v].ring_entries > vm_ring)
            vm_ring = s->vms[v].ring_entries;
    dp->nic_buf_span = align_up((uint64_t)s->platform.nic_ring_entries * dp->buf_stride);
    dp->nic_desc_span = align_up((uint64_t)s->platform.nic_ring_entries * VIO_DESC_BYTES);
    dp->guest_buf_span = align_up((uint64_t)vm_ring * dp->buf_stride);
    dp->guest_desc_span = align_up((uint64_t)vm_ring * VIO_DESC_BYTES);
    dp->region_entries = s->host.shared_ring_entries;
    dp->region_span = align_up((uint64_t)dp->region_entries * dp->buf_stride);
    dp->flow_region = calloc(s->traffic.nflows, sizeof *dp->flow_region);
    dp->nregions = dp->flow_region ? vio__shared_regions(s, dp->v, dp->flow_region, NULL) : 0;
    int rc = dp->flow_region ? vio__memsys_for(s, &dp->mem, err) : vio_err_set(err, VIO_ENOMEM, "datapath: out of memory");
    /* Sampled mode: each VM's interrupt-state lines are one of a kind, shared by its
     * core and the host's: simulated whatever their set (vio_memsys_sample_exact). */
    if (rc == VIO_OK)
        rc = vio_memsys_sample_exact(dp->mem, VIO_ADDR_VCPU_IRQ, (uint64_t)s->nvms * 8192u, err);
    if (rc == VIO_OK) {
        /* The copy engine's writes allocate in the LLC (DDIO) or go to DRAM by its own
         * setting, not the NIC's: DSA chooses per descriptor (Cache Control). */
        vio_copier_config kc = {
            .freq_mhz = s->platform.freq_mhz,
            .cldemote_cycles = s->platform.cldemote_cycles,
            .dma_submit_cycles = s->platform.dma_engine_submit_cycles,
            .dma_desc_cycles = s->platform.dma_engine_desc_cycles,
            .dma_latency_ns = s->platform.dma_engine_latency_ns,
            .dma_bandwidth_mbps = s->platform.dma_engine_bandwidth_mbps,
            .dma_completion = (enum vio_dma_completion)s->platform.dma_engine_completion,
            .dma_irq_cycles = s->host.irq_cycles,
            .dma_target = s->platform.dma_engine_ddio ? VIO_DMA_TO_LLC_DDIO : VIO_DMA_TO_DRAM,
        };
        rc = vio_copier_create(&kc, dp->mem, &dp->copier, err);
    }
    if (rc == VIO_OK)
        rc = vio_traffic_create(&s->traffic, s->seed, s->platform.nic_wire_mbps, &dp->traffic, err);
    if (rc != VIO_OK) {
        vio_datapath_destroy(dp);
        return rc;
    }
    rc = vio__pasid_init(dp, err);
    if (rc != VIO_OK) {
        vio_datapath_destroy(dp);
        return rc;
    }
    vio_pcie_init(&dp->pcie, s->platform.pcie_bandwidth_mbps, s->platform.pcie_latency_ns,
                  s->platform.pcie_tlp_payload, s->platform.pcie_tlp_overhead);
    /* The receive packet buffer holds at most one packet per 64 bytes (the smallest frame). */
    dp->rxb_bytes_cap = (uint64_t)s->platform.nic_rx_buffer_kib * 1024;
    dp->rxb_cap = (uint32_t)(dp->rxb_bytes_cap / 64 + 1);
    dp->rxb = calloc(dp->rxb_cap, sizeof *dp->rxb);
    if (!dp->rxb || vio_pcie_port_init(&dp->port, s->platform.pcie_posted_credits) != 0) {
        vio_datapath_destroy(dp);
        return vio_err_set(err, VIO_ENOMEM, "datapath: out of memory");
    }
    if ((rc = vio__nic_sched_init(dp, err)) != VIO_OK) {
        vio_datapath_destroy(dp);
        return rc;
    }
    if (build_agents(dp) != 0) {
        vio_datapath_destroy(dp);
        return vio_err_set(err, VIO_ENOMEM, "datapath: out of memory");
    }
    if ((rc = vio__qos_init(dp, err)) != VIO_OK) {
        vio_datapath_destroy(dp);
        return rc;
    }
    for (uint32_t v = 0; v < s->nvms; v++)
        if ((rc = vio__vcpu_for(dp, v, &dp->g[v].vcpu, err)) != VIO_OK) {
            vio_datapath_destroy(dp);
            return rc;
        }
    if ((rc = vio__tx_init(dp, err)) != VIO_OK || (rc = vio__dp_mempool_init(dp, err)) != VIO_OK) {
        vio_datapath_destroy(dp);
        return rc;
    }
    /* The measured packets' halves, for the steady-state check. */
    dp->half_at = s->traffic.warmup_packets + (s->traffic.packets - s->traffic.warmup_packets) / 2;
    if ((rc = vio__dp_register_stats(dp, err)) != VIO_OK) {
        vio_datapath_destroy(dp);
        return rc;
    }
    vio_arrival_hash_init(&dp->arrivals);
    for (uint32_t a = 0; a < dp->nagents; a++)
        vio__agenda_set(&dp->agenda, a, vio_datapath_next(dp, a));
    *out = dp;
    return VIO_OK;
}

int vio_datapath_create(const vio_scenario *s, uint32_t variant, vio_datapath **out, vio_err *err)
{
    vio_err local = {{0}};
    int rc = create(s, variant, out, &local);
    if (rc != VIO_ENOMEM)
        return rc == VIO_OK ? rc : vio_err_set(err, rc, "%s", local.msg);
    /* A model's own message ("cache: out of memory for N lines") names neither the
     * file nor the parameter: the estimate knows which one weighs most. */
    vio_estimate e;
    vio_estimate_variant(s, variant, &e);
    return vio_err_set(err, rc, "%s: variant %s: out of memory building the model (%.1f MiB estimated; largest: %s, "
                       "%.1f MiB for %s)", s->source, s->variants[variant].name, e.model_bytes / 1048576.0,
                       e.largest, e.largest_bytes / 1048576.0, e.why);
}

/* A locked update of a vCPU's interrupt-state line by a core: a store through
 * the hierarchy, which pays a cross-core transfer only if another core holds it. */
static vio_ps irq_line_rmw(void *ctx, uint32_t core, uint64_t addr, vio_ps now)
{
    return vio_memsys_stream((vio_memsys *)ctx, core, VIO_STREAM_WRITE, addr, 8, now);
}

int vio__vcpu_for(const vio_datapath *dp, uint32_t vm, vio_vcpu **out, vio_err *err)
{
    /* Every vCPU has the platform's costs; its interrupt-state line is its own:
     * the posted-interrupt descriptor (one 64-byte line), or without APICv the
     * IRR of its virtual APIC page (offset 0x200). */
    uint64_t line = dp->notify->vcpu_mode == VIO_VCPU_POSTED ? dp_pid_line(vm) : dp_vapic_irr(vm);
    const vio_scenario *s = dp->s;
    const vio_irq_costs *c = &s->irq;
    vio_vcpu_config vc = {
        .freq_mhz = s->platform.freq_mhz,
        .mode = dp->notify->vcpu_mode,
        .exit_entry_cycles = c->exit_entry_cycles,
        .inject_cycles = c->inject_cycles,
        .eoi_cycles = c->eoi_cycles,
        .pi_deliver_cycles = c->pi_deliver_cycles,
        .pi_post_cycles = c->pi_post_cycles,
        .c2c_cycles = s->platform.c2c_cycles,
        .ipi_send_cycles = c->ipi_send_cycles,
        .ipi_latency_ns = c->ipi_latency_ns,
        .wake_ns = c->wake_ns,
        .kick_cycles = c->kick_cycles,
        .halt_poll_ns = c->halt_poll_ns,
        .halt_poll_grow_start_ns = c->halt_poll_grow_start_ns,
        .halt_poll_grow = c->halt_poll_grow,
        .halt_poll_shrink = c->halt_poll_shrink,
        .guest_halt_poll_ns = c->guest_halt_poll_ns,
        .notification_vector = 0xf2, /* Linux POSTED_INTR_VECTOR */
        .wakeup_vector = 0xf1,       /* Linux POSTED_INTR_WAKEUP_VECTOR */
        .core = s->vms[vm].core,
        .line = {irq_line_rmw, dp->mem, line},
    };
    return vio_vcpu_create(&vc, out, err);
}

void vio_datapath_destroy(vio_datapath *dp)
{
    if (!dp)
        return;
    vio__pasid_destroy(dp);
    vio__nic_sched_destroy(dp);
    vio_pcie_port_free(&dp->port);
    free(dp->rxb);
    vio_stats_destroy(dp->stats);
    vio_copier_destroy(dp->copier);
    vio__qos_destroy(dp);
    vio_memsys_destroy(dp->mem);
    vio_traffic_destroy(dp->traffic);
    if (dp->nic_rings)
        for (uint32_t q = 0; q < dp->nqueues; q++)
            free(dp->nic_rings[q].free_at);
    free(dp->nic_rings);
    free(dp->queue_worker);
    if (dp->nic_in)
        for (uint32_t q = 0; q < dp->nqueues; q++)
            free(dp->nic_in[q].items);
    free(dp->nic_in);
    if (dp->w)
        for (uint32_t i = 0; i < dp->nworkers; i++) {
            free(dp->w[i].queues);
            free(dp->w[i].fetch_in.items);
            vio__dp_async_free(&dp->w[i].as);
        }
    free(dp->w);
    free(dp->shared.free_at);
    free(dp->shared_refs);
    free(dp->accept);
    free(dp->shared_src);
    free(dp->shared_fetched);
    free(dp->region_produced);
    free(dp->region_flow);
    free(dp->flow_region);
    free(dp->last_shared);
    if (dp->g)
        for (uint32_t v = 0; v < dp->s->nvms; v++) {
            free(dp->g[v].ring.free_at);
            free(dp->g[v].in.items);
            free(dp->g[v].txf);
            free(dp->g[v].txslot);
            free(dp->g[v].txm);
            free(dp->g[v].txp);
            vio_vcpu_destroy(dp->g[v].vcpu);
        }
    vio__dp_mempool_destroy(dp);
    free(dp->g);
    vio__tx_destroy(dp);
    free(dp->occ);
    free(dp->dep);
    vio_tx_destroy(dp->tx);
    free(dp->txres);
    free(dp->agents);
    free(dp->stale);
    free(dp->is_stale);
    vio__agenda_free(&dp->agenda);
    free(dp);
}

void vio__dp_reset_stats(vio_datapath *dp)
{
    vio_memsys_reset_stats(dp->mem);
    if (dp->iommu)
        vio_iommu_reset_stats(dp->iommu);
    if (dp->tx)
        vio_tx_reset_stats(dp->tx);
    dp->tx_read_bytes = 0;
    dp->readback_sum = 0;
    vio__dp_mempool_reset_stats(dp);
    dp->pcie.tlps = dp->pcie.wire_bytes = 0;
    dp->pcie.busy = 0;
    dp->port.tlps = dp->port.stalls = 0;
    dp->enq_accepted = dp->enq_retries = 0;
    dp->swq_peak = dp->swq_len;
    dp->port.stall_ps = 0;
    dp->rxb_peak = dp->rxb_used;
    dp->events = dp->dma_writes = 0;
    vio_copier_reset_stats(dp->copier);
    for (uint32_t i = 0; i < dp->nworkers; i++) {
        dp_worker *w = &dp->w[i];
        w->busy = 0;
        w->batches = w->irqs = w->packets = w->fetches = 0;
        w->as.polls = w->as.reaped = 0;
    }
    for (uint32_t v = 0; v < dp->s->nvms; v++) {
        dp_guest *g = &dp->g[v];
        g->busy = g->host_poll = g->guest_spin = 0;
        g->interrupts = g->vm_exits = g->posted = g->batches = 0;
        g->signals = g->signals_suppressed = g->kicks = g->forwarded = g->fetch_commands = g->tx_retries = g->tx_irqs = 0;
        vio_vcpu_reset_stats(g->vcpu);
    }
    for (uint32_t v = 0; dp->tn && v < dp->s->nvms; v++) {
        dp_tenant *t = &dp->tn[v]; /* its DMA count keeps pacing attack_every */
        t->blocked_packets = t->rejected_posts = t->cross_tenant_bytes = t->pasid_refused = t->policed = 0;
        t->tx_attacks = t->tx_blocked_reads = t->tx_leaked_bytes = t->doorbell_faults = t->pasid_overrides = 0;
    }
}

void vio__dp_broken(vio_datapath *dp, const char *fmt, ...)
{
    if (dp->broken)
        return;
    dp->broken = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dp->broken_msg, sizeof dp->broken_msg, fmt, ap);
    va_end(ap);
}

uint32_t vio_datapath_agents(const vio_datapath *dp) { return dp->nagents; }

uint32_t vio_datapath_agent_core(const vio_datapath *dp, uint32_t agent) { return dp->agents[agent].core; }

const char *vio_datapath_agent_name(const vio_datapath *dp, uint32_t agent, char *buf, size_t len)
{
    const dp_agent *a = &dp->agents[agent];
    if (a->kind == DP_AGENT_NIC || (a->kind == DP_AGENT_WORKER && a->index == 0))
        snprintf(buf, len, "%s", a->ops->kind);
    else
        snprintf(buf, len, "%s%u", a->ops->kind, a->index);
    return buf;
}

vio_ps vio_datapath_next(const vio_datapath *dp, uint32_t agent)
{
    const dp_agent *a = &dp->agents[agent];
    return a->ops->next(dp, a->index);
}

uint32_t vio_datapath_first(const vio_datapath *dp, vio_ps *t)
{
    uint32_t a = vio__agenda_first(&dp->agenda);
    *t = vio__agenda_key(&dp->agenda, a);
    return *t == VIO_PS_NEVER || dp->broken ? UINT32_MAX : a;
}

void vio_datapath_step(vio_datapath *dp, uint32_t agent, vio_ps now)
{
    /* Past the maximum simulated duration every agent stops (time.h): the run
     * ends with an error instead of risking 64-bit time arithmetic. */
    if (now > VIO_MAX_SIM_PS) {
        dp->overrun = now;
        dp->broken = 1; /* ends both engines' loops; check_finished reports the overrun */
        return;
    }
    if (now < dp->now) {
        /* A step scheduled another agent's event before the step itself: a model bug. */
        char name[32];
        vio__dp_broken(dp, "causality violated: %s has an event at %llu ps, before %llu ps",
                       vio_datapath_agent_name(dp, agent, name, sizeof name), (unsigned long long)now,
                       (unsigned long long)dp->now);
        return;
    }
    dp->now = now;
    const dp_agent *a = &dp->agents[agent];
    a->ops->step(dp, a->index, now);
    /* Only the stepped agent and those it fed can have a new next event. */
    dp_wake(dp, agent);
    for (uint32_t i = 0; i < dp->nstale; i++) {
        uint32_t j = dp->stale[i];
        dp->is_stale[j] = 0;
        vio__agenda_set(&dp->agenda, j, vio_datapath_next(dp, j));
    }
    dp->nstale = 0;
    if (dp->events >= dp->progress_at) {
        dp->progress_at = dp->events + dp->progress_every;
        vio_datapath_progress p = {.packets = dp->arrivals.count, .total = dp->s->traffic.packets, .now = dp->now};
        dp->progress_cb(dp->progress_ctx, &p);
    }
}

void vio_datapath_set_progress(vio_datapath *dp, vio_datapath_progress_cb cb, void *ctx, uint64_t every)
{
    dp->progress_cb = cb;
    dp->progress_ctx = ctx;
    dp->progress_every = every ? every : 65536;
    dp->progress_at = cb ? dp->events + dp->progress_every : UINT64_MAX;
}

vio_ps vio_datapath_now(const vio_datapath *dp) { return dp->now; }

vio_ps vio_datapath_end(const vio_datapath *dp)
{
    vio_ps end = dp->now > dp->last_done ? dp->now : dp->last_done;
    for (uint32_t i = 0; i < dp->nworkers; i++)
        if (dp->w[i].busy_until > end)
            end = dp->w[i].busy_until;
    return dp->tx_done > end ? dp->tx_done : end;
}

int vio_datapath_run_sequential(vio_datapath *dp, vio_err *err)
{
    vio_ps t;
    uint32_t a;
    while ((a = vio_datapath_first(dp, &t)) != UINT32_MAX)
        vio_datapath_step(dp, a, t);
    return vio_datapath_check_finished(dp, err);
}

int vio_datapath_check_finished(const vio_datapath *dp, vio_err *err)
{
    uint64_t delivered = 0, dropped = 0;
    if (dp->overrun)
        return vio_err_set(err, VIO_ERUN,
                           "%s: variant %s: simulated time reached %.6g s, past the maximum simulated duration "
                           "(%.0f s): the packets in flight would take longer than that to drain",
                           dp->s->source, dp->v->name, (double)dp->overrun / (double)VIO_PS_PER_S,
                           (double)VIO_MAX_SIM_PS / (double)VIO_PS_PER_S);
    if (dp->broken)
        return vio_err_set(err, VIO_ERUN, "%s: variant %s: model invariant violated: %s", dp->s->source, dp->v->name,
                           dp->broken_msg);
    for (uint32_t s = 0; s < dp->shared.entries; s++)
        if (dp->shared_refs[s])
            return vio_err_set(err, VIO_ERUN, "%s: variant %s: shared ring slot %u still has %u readers at the end",
                               dp->s->source, dp->v->name, s, dp->shared_refs[s]);
    for (uint32_t v = 0; v < dp->s->nvms; v++) {
        delivered += dp->g[v].delivered;
        dropped += dp->g[v].dropped;
        if (dp->g[v].in.len)
            return vio_err_set(err, VIO_ERUN, "%s: variant %s: vm%u stopped with %u packets undelivered",
                               dp->s->source, dp->v->name, v, dp->g[v].in.len);
    }
    for (uint32_t q = 0; q < dp->nqueues; q++)
        if (dp->nic_in[q].len)
            return vio_err_set(err, VIO_ERUN, "%s: variant %s: host worker %u stopped with %u packets of NIC queue %u",
                               dp->s->source, dp->v->name, dp->queue_worker[q], dp->nic_in[q].len, q);
    for (uint32_t i = 0; i < dp->nworkers; i++) {
        if (dp->w[i].fetch_in.len)
            return vio_err_set(err, VIO_ERUN, "%s: variant %s: host worker %u stopped with %u fetch commands",
                               dp->s->source, dp->v->name, i, dp->w[i].fetch_in.len);
        const dp_async *a = &dp->w[i].as;
        if (a->nstaged || a->b_len || a->ops_len)
            return vio_err_set(err, VIO_ERUN,
                               "%s: variant %s: host worker %u stopped with copies on the engine (%u staged, %zu "
                               "batches in flight, %zu waiting)", dp->s->source, dp->v->name, i, a->nstaged, a->b_len,
                               a->ops_len);
    }
    if (vio_traffic_peek(dp->traffic) != VIO_PS_NEVER)
        return vio_err_set(err, VIO_ERUN, "%s: variant %s: traffic not exhausted", dp->s->source, dp->v->name);
    if (delivered + dropped != dp->offered)
        return vio_err_set(err, VIO_ERUN,
                           "%s: variant %s: %llu offered but %llu delivered + %llu dropped", dp->s->source,
                           dp->v->name, (unsigned long long)dp->offered, (unsigned long long)delivered,
                           (unsigned long long)dropped);
    return VIO_OK;
}

uint64_t vio_datapath_events(const vio_datapath *dp) { return dp->events; }
uint64_t vio_datapath_cache_accesses(const vio_datapath *dp) { return vio_memsys_accesses(dp->mem); }
uint64_t vio_datapath_delivered(const vio_datapath *dp)
{
    uint64_t n = 0;
    for (uint32_t v = 0; v < dp->s->nvms; v++)
        n += dp->g[v].delivered;
    return n;
}
