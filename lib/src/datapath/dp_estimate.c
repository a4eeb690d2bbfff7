/* Resource estimates (estimate.h), from the sizes of what vio_datapath_create
 * and the engine allocate. Kept beside the datapath so a new allocation there
 * has its estimate next to it; test_estimate.c compares both. */
#include "viosim/estimate.h"

#include "datapath/dp_internal.h"
#include "viosim/cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct part {
    const char *path;
    uint64_t bytes;
    char why[96];
} part;

static void add(vio_estimate *e, part *p)
{
    e->model_bytes += p->bytes;
    if (p->bytes > e->largest_bytes) {
        e->largest = p->path;
        e->largest_bytes = p->bytes;
        memcpy(e->why, p->why, sizeof e->why);
    }
}

static uint64_t cache_bytes(const vio_cache_params *p)
{
    vio_cache_config c = {.size_bytes = p->size_kib * 1024, .ways = p->ways, .repl = (enum vio_repl_kind)p->replacement};
    return vio_cache_footprint(&c);
}

void vio_estimate_variant(const vio_scenario *s, uint32_t variant, vio_estimate *e)
{
    const vio_platform *pf = &s->platform;
    const vio_variant *v = &s->variants[variant < s->nvariants ? variant : 0];
    memset(e, 0, sizeof *e);
    part p;
    /* Ideal memory keeps no cache state (memsys.c). */
    if (!pf->ideal_memory) {
        p = (part){"platform.l1.size_kib", pf->cores * cache_bytes(&pf->l1), ""};
        snprintf(p.why, sizeof p.why, "%u cores x %llu KiB", pf->cores, (unsigned long long)pf->l1.size_kib);
        add(e, &p);
        if (pf->l2.enabled) {
            p = (part){"platform.l2.size_kib", pf->cores * cache_bytes(&pf->l2), ""};
            snprintf(p.why, sizeof p.why, "%u cores x %llu KiB", pf->cores, (unsigned long long)pf->l2.size_kib);
            add(e, &p);
        }
        p = (part){"platform.llc.size_kib", cache_bytes(&pf->llc), ""};
        snprintf(p.why, sizeof p.why, "%llu KiB", (unsigned long long)pf->llc.size_kib);
        add(e, &p);
        if (!pf->llc_inclusive) {
            /* A non-inclusive LLC's snoop filter (memsys.c): the LLC's sets, sf_ways
             * entries each, LRU. On Skylake-SP's 24.75 MiB it is as large as the LLC's
             * own metadata. */
            uint64_t sets = pf->llc.ways ? pf->llc.size_kib * 1024 / VIO_LINE_BYTES / pf->llc.ways : 0;
            vio_cache_config sf = {.size_bytes = sets * pf->llc_sf_ways * VIO_LINE_BYTES, .ways = pf->llc_sf_ways,
                                   .repl = VIO_REPL_LRU};
            p = (part){"platform.llc.sf_ways", vio_cache_footprint(&sf), ""};
            snprintf(p.why, sizeof p.why, "snoop filter: %llu sets x %u ways", (unsigned long long)sets,
                     pf->llc_sf_ways);
            add(e, &p);
        }
    }
    /* Each NIC queue: its ring's free times, and its share of the host's input queue. */
    uint64_t nq = pf->nic_queues ? pf->nic_queues : s->nvms;
    p = (part){"platform.nic.ring_entries", nq * pf->nic_ring_entries * (sizeof(vio_ps) + sizeof(dp_pkt)), ""};
    snprintf(p.why, sizeof p.why, "%llu queues x %u entries", (unsigned long long)nq, pf->nic_ring_entries);
    add(e, &p);
    /* The NIC's receive buffer (one record per 64 bytes of it), with an arbiter its
     * waiting packets and their queues, and the root port's posted credits. */
    uint64_t rxb = (uint64_t)pf->nic_rx_buffer_kib * 1024 / 64 + 1;
    p = (part){"platform.nic.rx_buffer_kib",
               rxb * (sizeof(struct dp_rxbuf) + sizeof(dp_pending) + sizeof(uint32_t) + 16) +
                   (uint64_t)pf->pcie_posted_credits * sizeof(vio_ps),
               ""};
    snprintf(p.why, sizeof p.why, "%u KiB in records of 64 B", pf->nic_rx_buffer_kib);
    add(e, &p);
    /* Each guest: its state, ring and input queue; each VM is also an engine actor. */
    uint64_t ring = 0;
    for (uint32_t i = 0; i < s->nvms; i++)
        ring += s->vms[i].ring_entries;
    p = (part){"vms", s->nvms * (uint64_t)sizeof(dp_guest) + ring * (sizeof(vio_ps) + sizeof(dp_pkt)), ""};
    snprintf(p.why, sizeof p.why, "%u VMs, %llu ring entries in all", s->nvms, (unsigned long long)ring);
    add(e, &p);
    /* Direct delivery (datapath.c build_agents, dp_mempool.c): a consumer's input
     * queue holds a whole NIC ring when that is larger than its own; a forwarder
     * keeps a transmit batch; a mempool its ring, slot map, cache and transmit hold. */
    const dp_copy_strategy *copy = vio_axis_row(&vio_axis_copy, (size_t)v->copy);
    if (copy->direct) {
        uint64_t b = 0, bufs = 0;
        for (uint32_t i = 0; i < s->nvms; i++) {
            const vio_vm_params *vm = &s->vms[i];
            if (pf->nic_ring_entries > vm->ring_entries)
                b += (uint64_t)(pf->nic_ring_entries - vm->ring_entries) * sizeof(dp_pkt);
            if (vm->forward)
                b += vm->budget * (sizeof(vio_tx_frame) + sizeof(uint32_t) + sizeof(uint8_t) + sizeof(vio_tx_result));
            if (vm->mempool) {
                uint64_t hold = (uint64_t)vm->tx_ring_entries + vm->tx_queue;
                b += (uint64_t)vm->mempool_buffers * sizeof(uint32_t) + pf->nic_ring_entries * sizeof(uint32_t) +
                     (vm->mempool_cache * 3ull / 2 + 1) * sizeof(uint32_t) + hold * (sizeof(vio_ps) + sizeof(uint32_t));
                bufs += vm->mempool_buffers;
            }
        }
        p = (part){bufs ? "vms[].mempool_buffers" : "platform.nic.ring_entries", b, ""};
        snprintf(p.why, sizeof p.why, "direct delivery: consumer queues, transmit batches, %llu mempool buffers",
                 (unsigned long long)bufs);
        add(e, &p);
    }
    /* Little's law's occupancy counters (dp_occupancy.c), made at creation; its heap
     * of pending departures grows during the run, to at most every copy in flight
     * (bounded by the rings): part of the peak only (below). */
    p = (part){"vms", (s->nvms + 1ull) * sizeof(dp_occ), ""};
    snprintf(p.why, sizeof p.why, "occupancy of %u consumers", s->nvms);
    add(e, &p);
    uint64_t run_growth = (ring + nq * pf->nic_ring_entries) * sizeof(dp_occ_dep);
    /* Every shared region's ring (per-vm: one per VM and per multicast destination set). */
    uint32_t *fr = malloc(((size_t)s->traffic.nflows + 1) * sizeof *fr);
    uint64_t regions = fr ? vio__shared_regions(s, v, fr, NULL) : s->nvms + s->traffic.nflows;
    free(fr);
    uint64_t shared = regions * s->host.shared_ring_entries;
    p = (part){"host.shared_ring_entries",
               shared * (sizeof(vio_ps) * 2 + sizeof(uint32_t) + sizeof(dp_pkt)) +
                   s->nvms * (sizeof(dp_pkt) + sizeof(uint32_t)) + regions * (sizeof(uint64_t) + sizeof(uint32_t)),
               ""};
    snprintf(p.why, sizeof p.why, "%llu regions x %u slots", (unsigned long long)regions, s->host.shared_ring_entries);
    add(e, &p);
    /* Flows: generator state and destination lists. */
    uint64_t dst = 0;
    for (uint32_t i = 0; i < s->traffic.nflows; i++)
        dst += s->traffic.flows[i].ndst;
    p = (part){"traffic.flows", s->traffic.nflows * 64ull + dst * sizeof(uint32_t), ""};
    snprintf(p.why, sizeof p.why, "%u flows", s->traffic.nflows);
    add(e, &p);
    /* PASID machinery: the tenants, and with the IOMMU on its caches (as dp_pasid.c configures them). */
    int translated = ((const dp_iommu_mode *)vio_axis_row(&vio_axis_iommu, (size_t)v->iommu))->page_size != 0;
    if (translated || s->ntenants > 0) {
        uint64_t b = s->nvms * (sizeof(dp_tenant) + 512ull);
        if (translated) {
            vio_iommu_config cfg;
            vio_iommu_config_default(&cfg);
            cfg.iotlb_entries = s->iommu.iotlb_entries;
            cfg.iotlb_ways = s->iommu.iotlb_ways;
            cfg.devtlb_entries = s->iommu.devtlb_entries;
            cfg.psc_entries = s->iommu.psc_entries;
            cfg.walkers = s->iommu.walkers;
            cfg.fault_log_entries = s->iommu.fault_log;
            b += vio_iommu_footprint(&cfg) + s->nvms * 1024ull; /* two mappings per tenant */
        }
        p = (part){"iommu.iotlb_entries", b, ""};
        snprintf(p.why, sizeof p.why, "%u IOTLB entries, %u tenants", s->iommu.iotlb_entries, s->nvms);
        add(e, &p);
    }
    e->model_bytes += sizeof(vio_datapath) + 4096; /* the memory system's own state */
    /* The engine: one stack per actor (NIC, host, VMs), and the results document. */
    uint64_t actors = 2ull + s->nvms;
    e->bytes = e->model_bytes + run_growth + actors * (VIO_ACTOR_STACK_BYTES + 8192ull) + VIO_PROCESS_BASE_BYTES;
    if (actors * VIO_ACTOR_STACK_BYTES > e->largest_bytes) {
        e->largest = "vms";
        e->largest_bytes = actors * VIO_ACTOR_STACK_BYTES;
        snprintf(e->why, sizeof e->why, "%llu engine actors x %u KiB stacks", (unsigned long long)actors,
                 VIO_ACTOR_STACK_BYTES >> 10);
    }
    /* Steps: the NIC's one per packet; at most one host batch per packet; at most
     * one guest batch per destination copy, and one more when it waits on a fetch. */
    double ndst = 0, pps = 0;
    for (uint32_t i = 0; i < s->traffic.nflows; i++) {
        const vio_flow *f = &s->traffic.flows[i];
        double r = f->rate_pps > 0 ? f->rate_pps : f->rate_gbps * 1e9 / 8.0 / (f->sizes[0].bytes + 20.0);
        ndst += r * f->ndst;
        pps += r;
    }
    double per_packet = 2.0 + (double)copy->guest_steps * ndst / pps;
    /* A copy engine driven poll-async: at most one more host turn per packet, to reap it. */
    const dp_copy_engine *ce = vio_axis_row(&vio_axis_copy_engine, (size_t)v->copy_engine);
    enum vio_copy_engine eng = ce->engine == VIO_ENGINE_COUNT ? copy->engine : ce->engine;
    if (eng == VIO_ENGINE_DMA && s->platform.dma_engine_completion == VIO_DMA_ASYNC)
        per_packet += 1.0;
    /* A receive arbiter (device_sched): one more NIC step per packet, to serve it. */
    const dp_device_sched *ds = vio_axis_row(&vio_axis_device_sched, (size_t)v->device_sched);
    if (ds && ds->policy)
        per_packet += 1.0;
    e->events = (uint64_t)((double)s->traffic.packets * per_packet + 0.5);
    e->arrival_s = vio_scenario_arrival_span(s);
}

void vio_estimate_run(const vio_scenario *s, int variant, unsigned jobs, vio_estimate *out)
{
    uint32_t first = variant >= 0 ? (uint32_t)variant : 0;
    uint32_t last = variant >= 0 ? (uint32_t)variant + 1 : s->nvariants;
    uint64_t top[VIO_MAX_VARIANTS] = {0}; /* the largest per-variant figures, descending */
    vio_estimate e, best = {0};
    uint64_t events = 0;
    if (jobs == 0)
        jobs = 1;
    for (uint32_t i = first; i < last && i < s->nvariants; i++) {
        vio_estimate_variant(s, i, &e);
        events += e.events;
        if (e.bytes > best.bytes)
            best = e;
        uint64_t b = e.bytes;
        for (unsigned k = 0; k < VIO_MAX_VARIANTS && b; k++)
            if (b > top[k]) {
                uint64_t t = top[k];
                top[k] = b;
                b = t;
            }
    }
    *out = best;
    out->events = events;
    out->bytes = 0;
    for (unsigned k = 0; k < jobs && k < VIO_MAX_VARIANTS; k++)
        out->bytes += top[k];
}
