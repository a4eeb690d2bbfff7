/* Pass 3 of loading: rules that relate two values, checked once every value is
 * known to be individually valid. Flow destinations and packet sizes against
 * the NIC buffer are checked while flows load (scenario_load.c), where the
 * exact JSON path of the offending entry is at hand. */
#include "scenario/scenario_internal.h"

#include "datapath/strategies/strategies.h"

#include "viosim/cache.h"
#include "viosim/strategy.h"
#include "viosim/time.h"
#include "viosim/traffic.h"

#include <stdio.h>
#include <string.h>

/* A cache is ways x sets x 64-byte lines: the size must split into whole sets. */
static int check_cache(const vio__ld *ld, const char *name, const vio_cache_params *c)
{
    unsigned long long bytes = c->size_kib * 1024ull, way_bytes = c->ways * 64ull;
    if (bytes % way_bytes != 0) {
        char path[64];
        snprintf(path, sizeof path, "platform.%s.size_kib", name);
        return vio__ld_fail(ld, path,
                            "expected a multiple of ways x 64 B = %llu B, got %llu KiB (it would give %.2f sets)",
                            way_bytes, (unsigned long long)c->size_kib, (double)bytes / (double)way_bytes);
    }
    if (bytes / way_bytes > VIO_CACHE_MAX_SETS) {
        char path[64];
        snprintf(path, sizeof path, "platform.%s.size_kib", name);
        return vio__ld_fail(ld, path, "%llu KiB in %u ways gives %llu sets, more than the model's %u", 
                            (unsigned long long)c->size_kib, c->ways, bytes / way_bytes, VIO_CACHE_MAX_SETS);
    }
    return VIO_OK;
}

/* Mean packets per second a flow offers at the scenario's load. */
static double flow_pps(const vio_scenario *s, const vio_flow *f) { return vio_traffic_flow_pps(&s->traffic, f); }

double vio_scenario_arrival_span(const vio_scenario *s)
{
    double pps = 0, slowest_gap = 0;
    uint32_t largest = 0;
    for (uint32_t i = 0; i < s->traffic.nflows; i++) {
        const vio_flow *f = &s->traffic.flows[i];
        double p = flow_pps(s, f);
        pps += p;
        if (1.0 / p > slowest_gap)
            slowest_gap = 1.0 / p;
        for (uint32_t k = 0; k < f->nsizes; k++)
            if (f->sizes[k].bytes > largest)
                largest = f->sizes[k].bytes;
    }
    /* Arrivals are paced by the offered rate, and never closer than the wire allows;
     * each flow starts at a random phase within its first gap. */
    double by_rate = (double)s->traffic.packets / pps;
    double by_wire = (double)s->traffic.packets * (largest + VIO_ETH_WIRE_OVERHEAD) * 8.0 /
                     ((double)s->platform.nic_wire_mbps * 1e6);
    return (by_rate > by_wire ? by_rate : by_wire) + slowest_gap;
}

/* Time stays far from 64-bit overflow only within VIO_MAX_SIM_PS (time.h). */
static int check_duration(const vio__ld *ld)
{
    const vio_scenario *s = ld->s;
    const double max_s = (double)VIO_MAX_SIM_PS / (double)VIO_PS_PER_S;
    char path[64];
    for (uint32_t i = 0; i < s->traffic.nflows; i++) {
        const vio_flow *f = &s->traffic.flows[i];
        double gap = 1.0 / flow_pps(s, f);
        if (gap > max_s) {
            snprintf(path, sizeof path, "traffic.flows[%u].%s", i, f->rate_pps > 0 ? "rate_pps" : "rate_gbps");
            return vio__ld_fail(ld, path,
                                "one packet every %.3g s (at traffic.load %g) is slower than the maximum simulated "
                                "duration allows (%.0f s)",
                                gap, s->traffic.load, max_s);
        }
    }
    double span = vio_scenario_arrival_span(s);
    if (span > max_s)
        return vio__ld_fail(ld, "traffic.packets",
                            "%llu packets at the offered rate span about %.3g s of simulated time, more than the "
                            "maximum simulated duration (%.0f s): offer fewer packets or raise the rates",
                            (unsigned long long)s->traffic.packets, span, max_s);
    return VIO_OK;
}

static int check_core(const vio__ld *ld, const char *path, uint32_t core)
{
    uint32_t cores = ld->s->platform.cores;
    if (core >= cores)
        return vio__ld_fail(ld, path, "core %u does not exist (platform has %u cores)", core, cores);
    return VIO_OK;
}

/* Whether the tenant's adversary attacks another tenant (its row says). */
static int needs_victim(const vio_tenant_params *t)
{
    return ((const dp_adversary *)vio_axis_row(&vio_axis_adversary, (size_t)t->adversary))->needs_victim;
}

/* Modes where each consumer owns exactly one NIC queue (IOMMU tenants, direct
 * delivery): no explicit queue count, and every flow goes to one destination. */
static int check_queue_per_consumer(const vio__ld *ld, const char *queue, const char *consumer, const char *when,
                                    const char *why)
{
    const vio_scenario *s = ld->s;
    if (s->platform.nic_queues != 0)
        return vio__ld_fail(ld, "platform.nic.queues", "expected 0 (one %s) when %s, got %u", queue, when,
                            s->platform.nic_queues);
    for (uint32_t f = 0; f < s->traffic.nflows; f++)
        if (s->traffic.flows[f].ndst != 1) {
            char path[64];
            snprintf(path, sizeof path, "traffic.flows[%u].dst", f);
            return vio__ld_fail(ld, path, "expected one %s when %s (%s)", consumer, when, why);
        }
    return VIO_OK;
}

/* PASID-tagged I/O: tenants name existing VMs, and Tag IDs, PASIDs and VMs are
 * one-to-one, so the Tag ID -> queue pair -> PASID mapping can be inverted. */
static int check_tenants(const vio__ld *ld)
{
    const vio_scenario *s = ld->s;
    char path[64];
    int iommu = 0;
    for (uint32_t i = 0; i < s->nvariants; i++)
        iommu |= ((const dp_iommu_mode *)vio_axis_row(&vio_axis_iommu, (size_t)s->variants[i].iommu))->page_size != 0;
    const vio_iommu_params *io = &s->iommu;
    if (io->iotlb_ways > io->iotlb_entries || io->iotlb_entries % io->iotlb_ways != 0)
        return vio__ld_fail(ld, "iommu.iotlb_ways", "expected a divisor of iommu.iotlb_entries (%u), got %u",
                            io->iotlb_entries, io->iotlb_ways);
    /* The fully associative caches rank at most 32 ways (repl.h); above that they
     * are 32-way sets. */
    if (io->devtlb_entries > 32 && io->devtlb_entries % 32)
        return vio__ld_fail(ld, "iommu.devtlb_entries", "expected at most 32 or a multiple of 32, got %u",
                            io->devtlb_entries);
    if (io->psc_entries > 32 && io->psc_entries % 32)
        return vio__ld_fail(ld, "iommu.psc_entries", "expected at most 32 or a multiple of 32, got %u",
                            io->psc_entries);
    for (uint32_t i = 0; i < s->ntenants; i++) {
        const vio_tenant_params *t = &s->tenants[i];
        snprintf(path, sizeof path, "tenants[%u].vm", i);
        if (t->vm >= s->nvms)
            return vio__ld_fail(ld, path, "VM %u does not exist (scenario has %u VMs)", t->vm, s->nvms);
        for (uint32_t j = 0; j < i; j++) {
            const vio_tenant_params *u = &s->tenants[j];
            if (u->vm == t->vm)
                return vio__ld_fail(ld, path, "VM %u already has a tenant (tenants[%u])", t->vm, j);
            if (u->tag == t->tag) {
                snprintf(path, sizeof path, "tenants[%u].tag", i);
                return vio__ld_fail(ld, path, "Tag ID %u is already tenants[%u]'s", t->tag, j);
            }
            if (u->pasid == t->pasid) {
                snprintf(path, sizeof path, "tenants[%u].pasid", i);
                return vio__ld_fail(ld, path, "PASID %u is already tenants[%u]'s", t->pasid, j);
            }
        }
        if (t->cat_ways) {
            /* Intel CAT: one contiguous run of ways within the LLC (SDM vol. 3B, 17.19). */
            uint32_t ways = s->platform.llc.ways, all = ways >= 32 ? UINT32_MAX : (1u << ways) - 1u;
            uint32_t low = t->cat_ways & (0u - t->cat_ways);
            snprintf(path, sizeof path, "tenants[%u].cat_ways", i);
            if ((t->cat_ways & ~all) || ((t->cat_ways + low) & t->cat_ways))
                return vio__ld_fail(ld, path,
                                    "expected one contiguous run of bits within the LLC's %u ways (0x1..0x%x), got 0x%x",
                                    ways, all, t->cat_ways);
        }
        if (needs_victim(t)) {
            snprintf(path, sizeof path, "tenants[%u].victim", i);
            if (t->victim >= s->nvms)
                return vio__ld_fail(ld, path, "VM %u does not exist (scenario has %u VMs)", t->victim, s->nvms);
            if (t->victim == t->vm)
                return vio__ld_fail(ld, path, "a tenant cannot attack itself (VM %u)", t->vm);
        }
    }
    if (!iommu && s->ntenants == 0)
        return VIO_OK;
    /* Every VM's queue needs a tenant once tenants are listed: an untagged queue
     * pair's DMAs would all fault, which is never what a scenario means. */
    for (uint32_t v = 0; s->ntenants > 0 && v < s->nvms; v++) {
        uint32_t found = 0;
        for (uint32_t i = 0; i < s->ntenants; i++)
            found |= s->tenants[i].vm == v;
        if (!found) {
            snprintf(path, sizeof path, "vms[%u]", v);
            return vio__ld_fail(ld, "tenants",
                                "VM %u has no tenant (with tenants listed, every VM's queue pair needs a Tag ID)", v);
        }
        for (uint32_t i = 0; i < s->ntenants; i++)
            if (needs_victim(&s->tenants[i]) && s->tenants[i].victim == v)
                found = 2;
    }
    if (!iommu)
        return VIO_OK;
    /* A queue pair belongs to one tenant: the NIC steers each VM's flows to its own queue. */
    return check_queue_per_consumer(ld, "queue pair per VM", "VM", "a variant turns the IOMMU on",
                                    "a queue pair belongs to one tenant; multicast across tenants is not modelled");
}

/* Host workers: each on its own core; queue lists name existing queues, each
 * served by exactly one worker, or are all empty (the round-robin default). */
static int check_workers(const vio__ld *ld)
{
    const vio_scenario *s = ld->s;
    char path[64];
    int rc;
    uint32_t nq = s->platform.nic_queues ? s->platform.nic_queues : s->nvms, listed = 0;
    for (uint32_t i = 0; i < s->nworkers; i++) {
        const vio_worker_params *w = &s->workers[i];
        snprintf(path, sizeof path, "host.workers[%u].core", i);
        if ((rc = check_core(ld, path, w->core)))
            return rc;
        for (uint32_t j = 0; j < i; j++)
            if (s->workers[j].core == w->core)
                return vio__ld_fail(ld, path, "core %u is already host.workers[%u]'s", w->core, j);
        listed += w->nqueues > 0;
        for (uint32_t k = 0; k < w->nqueues; k++) {
            snprintf(path, sizeof path, "host.workers[%u].queues[%u]", i, k);
            if (w->queues[k] >= nq)
                return vio__ld_fail(ld, path, "queue %u does not exist (the NIC has %u receive queues)",
                                    w->queues[k], nq);
            for (uint32_t j = 0; j < i; j++)
                for (uint32_t m = 0; m < s->workers[j].nqueues; m++)
                    if (s->workers[j].queues[m] == w->queues[k])
                        return vio__ld_fail(ld, path, "queue %u is already served by host.workers[%u]",
                                            w->queues[k], j);
        }
    }
    if (listed == 0)
        return VIO_OK;
    for (uint32_t i = 0; i < s->nworkers; i++)
        if (s->workers[i].nqueues == 0) {
            snprintf(path, sizeof path, "host.workers[%u].queues", i);
            return vio__ld_fail(ld, path, "expected a list of queues (other workers list theirs)");
        }
    uint32_t served = 0;
    for (uint32_t i = 0; i < s->nworkers; i++)
        served += s->workers[i].nqueues;
    if (served != nq)
        return vio__ld_fail(ld, "host.workers", "expected every one of the %u NIC queues served by a worker, got %u",
                            nq, served);
    return VIO_OK;
}

/* Direct delivery (copy none): each consumer owns its NIC queue; a process
 * consumer and forwarding exist only there; warm-up leaves packets to measure. */
static int check_direct(const vio__ld *ld)
{
    const vio_scenario *s = ld->s;
    char path[64];
    if (s->traffic.warmup_packets >= s->traffic.packets)
        return vio__ld_fail(ld, "traffic.warmup_packets",
                            "expected fewer than traffic.packets (%llu), got %llu: nothing would be measured",
                            (unsigned long long)s->traffic.packets, (unsigned long long)s->traffic.warmup_packets);
    int none = 0;
    for (uint32_t i = 0; i < s->nvariants; i++) {
        const vio_variant *v = &s->variants[i];
        int direct = ((const dp_copy_strategy *)vio_axis_row(&vio_axis_copy, (size_t)v->copy))->direct;
        none |= direct;
        for (uint32_t m = 0; m < s->nvms; m++) {
            if (direct)
                continue;
            if (s->vms[m].kind == VIO_CONSUMER_PROCESS) {
                snprintf(path, sizeof path, "vms[%u].kind", m);
                return vio__ld_fail(ld, path,
                                    "a process consumer needs copy \"none\" on every variant (variants[%u] \"%s\" "
                                    "has a host copy into guest memory)", i, v->name);
            }
            if (s->vms[m].forward) {
                snprintf(path, sizeof path, "vms[%u].forward", m);
                return vio__ld_fail(ld, path,
                                    "forwarding is modelled with copy \"none\" only (variants[%u] \"%s\" copies "
                                    "through the host, whose transmit path is not modelled)", i, v->name);
            }
        }
    }
    if (!none)
        return VIO_OK;
    /* The NIC delivers straight into the consumer's ring: one queue per consumer. */
    return check_queue_per_consumer(ld, "queue per consumer", "consumer", "a variant has copy \"none\"",
                                    "the NIC delivers into one queue; replicating a packet to several is not modelled");
}

int vio__ld_check(const vio__ld *ld)
{
    const vio_scenario *s = ld->s;
    const vio_platform *pf = &s->platform;
    int rc;
    char path[64];
    if ((rc = check_cache(ld, "l1", &pf->l1)) || (rc = check_cache(ld, "l2", &pf->l2)) ||
        (rc = check_cache(ld, "llc", &pf->llc)))
        return rc;
    unsigned long long llc_sets = pf->llc.size_kib * 1024ull / (pf->llc.ways * 64ull);
    int skx18 = !strcmp(vio_axis_name(&vio_axis_cache_index, (size_t)pf->llc.index), "skx18");
    if (skx18 && (llc_sets % 18 || ((llc_sets / 18) & (llc_sets / 18 - 1))))
        return vio__ld_fail(ld, "platform.llc.index",
                            "skx18 (Skylake-SP's 18-slice hash) needs an LLC of 18 slices x a power of two sets; "
                            "platform.llc.size_kib %llu at %u ways gives %llu sets",
                            (unsigned long long)pf->llc.size_kib, pf->llc.ways, llc_sets);
    if (pf->io_ways > pf->llc.ways)
        return vio__ld_fail(ld, "platform.io_ways", "expected at most platform.llc.ways (%u), got %u",
                            pf->llc.ways, pf->io_ways);
    if (pf->io_reuse_ways > pf->llc.ways - pf->io_ways)
        return vio__ld_fail(ld, "platform.io_reuse_ways",
                            "expected at most platform.llc.ways - platform.io_ways (%u), got %u",
                            pf->llc.ways - pf->io_ways, pf->io_reuse_ways);
    if (pf->llc_sample_sets & (pf->llc_sample_sets - 1u))
        return vio__ld_fail(ld, "platform.llc.sample_sets", "expected 0 (exact) or a power of two, got %u",
                            pf->llc_sample_sets);
    if ((rc = check_core(ld, "host.core", s->host.core)))
        return rc;
    if ((rc = check_workers(ld)))
        return rc;
    if ((rc = check_duration(ld)))
        return rc;
    if ((rc = check_tenants(ld)))
        return rc;
    if ((rc = check_direct(ld)))
        return rc;
    /* Each VM owns its core: the model has no vCPU scheduler, and the host core runs the host path. */
    for (uint32_t i = 0; i < s->nvms; i++) {
        snprintf(path, sizeof path, "vms[%u].core", i);
        if ((rc = check_core(ld, path, s->vms[i].core)))
            return rc;
        for (uint32_t w = 0; w < s->nworkers; w++) {
            if (s->vms[i].core != s->workers[w].core)
                continue;
            if (!s->workers[0].queues) /* the default worker: no host.workers listed */
                return vio__ld_fail(ld, path, "core %u is the host core (host.core)", s->vms[i].core);
            return vio__ld_fail(ld, path, "core %u is a host core (host.workers[%u])", s->vms[i].core, w);
        }
        for (uint32_t j = 0; j < i; j++)
            if (s->vms[j].core == s->vms[i].core)
                return vio__ld_fail(ld, path, "core %u is already used by vms[%u]", s->vms[i].core, j);
    }
    for (uint32_t i = 0; i < s->nvariants; i++) {
        const vio_variant *v = &s->variants[i];
        /* Waiting for N packets with no timer would strand the last few forever. */
        if (v->coalesce_packets > 1 && v->coalesce_ns == 0) {
            snprintf(path, sizeof path, "variants[%u].coalesce_ns", i);
            return vio__ld_fail(ld, path,
                                "expected a timeout > 0 when coalesce_packets is %u (or the last packets would "
                                "never raise an interrupt)",
                                v->coalesce_packets);
        }
        /* CLDEMOTE is a NOP where the cores lack it: a cpu-cldemote variant would
         * silently be a cpu one. */
        const dp_copy_engine *e = vio_axis_row(&vio_axis_copy_engine, (size_t)v->copy_engine);
        if (e && e->needs_cldemote && !s->platform.cldemote) {
            snprintf(path, sizeof path, "variants[%u].copy_engine", i);
            return vio__ld_fail(ld, path,
                                "%s needs CLDEMOTE, which this platform lacks (platform.cldemote is false: "
                                "Skylake-SP has none; Tremont, Sapphire Rapids and later do)",
                                e->name);
        }
    }
    for (uint32_t i = 0; i < s->nvariants; i++)
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(s->variants[i].name, s->variants[j].name) == 0) {
                snprintf(path, sizeof path, "variants[%u].name", i);
                char q[VIO_NAME_MAX * 2];
                return vio__ld_fail(ld, path, "duplicate variant name \"%s\" (also variants[%u])",
                                    vio_escape(q, sizeof q, s->variants[i].name, strlen(s->variants[i].name)), j);
            }
    return VIO_OK;
}
