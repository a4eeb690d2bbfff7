/* The results.json object of one variant. Names in the contract
 * (packets, latency_ns, throughput, caches, dma, interrupts, cores) are stable;
 * the rest are additions documented in docs/results.md. */
#include "datapath/dp_internal.h"
#include "datapath/results.h"

#include <stdio.h>

static double ns(uint64_t ps) { return (double)ps / 1000.0; }
static double ratio(uint64_t a, uint64_t b) { return b ? (double)a / (double)b : 0.0; }

json_t *vio__latency_json(const vio_hist *h)
{
    return json_pack("{s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "count", (json_int_t)h->count, "mean",
                     vio_hist_mean(h) / 1000.0, "min", h->count ? ns(h->min) : 0.0, "p50",
                     ns(vio_hist_quantile(h, 0.50)), "p90", ns(vio_hist_quantile(h, 0.90)), "p99",
                     ns(vio_hist_quantile(h, 0.99)), "p999", ns(vio_hist_quantile(h, 0.999)), "max",
                     ns(h->count ? h->max : 0));
}


/* The steady-state check: the two halves of the measured packets, their DMA write
 * hit rates (split exactly at the second half's first arrival) and mean latencies,
 * and a warning when they differ by more than the scenario's tolerances. */
static json_t *steady_json(const vio_datapath *dp, const vio_memsys_stats *ms)
{
    const vio_traffic *tr = &dp->s->traffic;
    int ddio = dp->dma->llc_write_hits;
    uint64_t l1 = dp->half1_done ? dp->half1_dma_lines : ms->dma_lines;
    uint64_t h1 = dp->half1_done ? dp->half1_dma_hits : ms->dma_llc_hits;
    uint64_t l2 = ms->dma_lines - l1, h2 = ms->dma_llc_hits - h1;
    double hit[2] = {ratio(h1, l1), ratio(h2, l2)};
    double lat[2] = {dp->lat_n[1] ? (double)dp->lat_sum[1] / (double)dp->lat_n[1] / 1000.0 : 0.0,
                     dp->lat_n[2] ? (double)dp->lat_sum[2] / (double)dp->lat_n[2] / 1000.0 : 0.0};
    uint64_t n1 = dp->half_at - tr->warmup_packets, n2 = tr->packets - dp->half_at;
    json_t *halves = json_array();
    for (int i = 0; i < 2; i++) {
        json_t *h = json_pack("{s:I,s:I,s:f}", "packets", (json_int_t)(i ? n2 : n1), "delivered",
                              (json_int_t)dp->lat_n[i + 1], "latency_mean_ns", lat[i]);
        json_object_set_new(h, "dma_write_hit_rate", ddio ? json_real(hit[i]) : json_null());
        json_array_append_new(halves, h);
    }
    double dpp = (hit[1] - hit[0]) * 100.0;
    double lo = lat[0] < lat[1] ? lat[0] : lat[1];
    double drel = lo > 0 ? (lat[1] - lat[0]) / lo : 0.0;
    int both = dp->lat_n[1] > 0 && dp->lat_n[2] > 0;
    int hit_bad = ddio && l1 && l2 && (dpp > tr->steady_hit_pp || -dpp > tr->steady_hit_pp);
    int lat_bad = both && (drel * 100.0 > tr->steady_latency_pct || -drel * 100.0 > tr->steady_latency_pct);
    char warn[320] = "";
    if (hit_bad || lat_bad) {
        int n = snprintf(warn, sizeof warn, "not in steady state:");
        if (hit_bad && n > 0 && (size_t)n < sizeof warn)
            n += snprintf(warn + n, sizeof warn - (size_t)n,
                          " DMA write hit rate %.1f %% then %.1f %% (%+.1f points, tolerance %g);", hit[0] * 100.0,
                          hit[1] * 100.0, dpp, tr->steady_hit_pp);
        if (lat_bad && n > 0 && (size_t)n < sizeof warn)
            n += snprintf(warn + n, sizeof warn - (size_t)n, " mean latency %.1f ns then %.1f ns (%+.1f %%, tolerance %g %%);",
                          lat[0], lat[1], drel * 100.0, tr->steady_latency_pct);
        if (n > 0 && (size_t)n < sizeof warn)
            snprintf(warn + n, sizeof warn - (size_t)n, " raise traffic.warmup_packets or traffic.packets");
    }
    json_t *o = json_pack("{s:I,s:o,s:{s:f,s:f},s:b,s:b}", "warmup_packets", (json_int_t)tr->warmup_packets,
                          "halves", halves, "tolerance", "dma_write_hit_rate_points", tr->steady_hit_pp,
                          "latency_mean_percent", tr->steady_latency_pct, "comparable", both, "steady",
                          !(hit_bad || lat_bad));
    json_object_set_new(o, "dma_write_hit_rate_change_points", ddio ? json_real(dpp) : json_null());
    json_object_set_new(o, "latency_mean_change_percent", json_real(drel * 100.0));
    json_object_set_new(o, "warning", warn[0] ? json_string(warn) : json_null());
    return o;
}

/* Little's law's L, measured by the event clock (dp_occupancy.c): the time average
 * of the packets in the system over the throughput's span. Its lambda and W are
 * throughput and latency_ns (delivered packets), plus the host's drops after
 * arrival (dropped, dropped_sojourn_ns_mean), which were in the system too. */
static json_t *occupancy_json(const vio_datapath *dp, vio_ps span)
{
    const dp_occ *t = &dp->occ[dp->s->nvms];
    return json_pack("{s:f,s:f,s:I,s:I,s:I,s:I,s:I,s:f}", "interval_ns", ns(span), "mean_packets",
                     span ? vio__dp_occ_area(t) / (double)span : 0.0, "max_packets", (json_int_t)t->max, "arrivals",
                     (json_int_t)t->arrivals, "departures", (json_int_t)t->departures, "in_system_at_end",
                     (json_int_t)t->in_system_at_end, "dropped", (json_int_t)t->dropped, "dropped_sojourn_ns_mean",
                     t->dropped ? ns(t->drop_sojourn_ps) / (double)t->dropped : 0.0);
}

json_t *vio__datapath_results(const vio_datapath *dp)
{
    const vio_scenario *s = dp->s;
    vio_memsys_stats ms;
    vio_memsys_get_stats(dp->mem, &ms);
    /* dma.* are the NIC's writes: the memory system counts the copy engine's
     * device writes with them, the engine keeps its own (copy.engine_*). */
    vio_copier_stats cs;
    vio_copier_get_stats(dp->copier, &cs);
    ms.dma_lines -= cs.dma_lines;
    ms.dma_llc_hits -= cs.dma_llc_hits;
    ms.dma_partial_lines -= cs.dma_partial_lines;
    ms.dma_partial_llc_hits -= cs.dma_partial_llc_hits;
    vio_hist all;
    vio_hist_init(&all);
    uint64_t delivered = 0, dropped = 0, bytes = 0, irqs = 0, exits = 0, posted = 0;
    uint64_t gl[VIO_LVL_COUNT] = {0};
    json_t *vms = json_array();
    for (uint32_t v = 0; v < s->nvms; v++) {
        const dp_guest *g = &dp->g[v];
        vio_hist_merge(&all, &g->latency);
        delivered += g->delivered;
        dropped += g->dropped;
        bytes += g->bytes;
        irqs += g->interrupts;
        exits += g->vm_exits;
        posted += g->posted;
        for (int l = 0; l < VIO_LVL_COUNT; l++)
            gl[l] += vio_memsys_core_reads(dp->mem, g->core, (enum vio_level)l);
        json_t *gv = json_pack("{s:i,s:i,s:s,s:{s:I,s:I,s:I},s:o,s:I,s:I,s:I}", "vm", (int)v, "core",
                                             (int)g->core, "kind",
                                             s->vms[v].kind == VIO_CONSUMER_PROCESS ? "process" : "vm", "packets",
                                             "offered", (json_int_t)g->offered, "delivered",
                                             (json_int_t)g->delivered, "dropped", (json_int_t)g->dropped,
                                             "latency_ns", vio__latency_json(&g->latency), "interrupts",
                                             (json_int_t)g->interrupts, "vm_exits", (json_int_t)g->vm_exits,
                                             "forwarded", (json_int_t)g->forwarded);
        if (dp->tx && s->vms[v].forward) /* what it transmitted (dp_tx.c) */
            json_object_set_new(gv, "tx", vio__tx_json(dp, g));
        json_array_append_new(vms, gv);
    }
    vio_ps span = dp->last_done > dp->first_arrival ? dp->last_done - dp->first_arrival : 0;
    double secs = (double)span / 1e12;
    uint64_t greads = 0;
    for (int l = 0; l < VIO_LVL_COUNT; l++)
        greads += gl[l];

    /* Every core with its role: the host workers, the VMs, then the cores nothing runs on.
     * utilization: 1.0 for a core that spins (it is never free for other work);
     * work_utilization: the measured share of the span spent handling events. */
    json_t *cores = json_array();
    uint64_t host_batches = 0, host_irqs = 0, fetches = 0;
    for (uint32_t i = 0; i < dp->nworkers; i++) {
        const dp_worker *w = &dp->w[i];
        host_batches += w->batches;
        host_irqs += w->irqs;
        fetches += w->fetches;
        double work = ratio(w->busy, span), u = dp->v->host_poll ? 1.0 : work;
        json_array_append_new(cores, json_pack("{s:i,s:s,s:f,s:f,s:f,s:i}", "id", (int)w->core, "role", "host",
                                               "utilization", u > 1.0 ? 1.0 : u, "busy_ns_per_packet",
                                               w->packets ? ns(w->busy) / (double)w->packets : 0.0,
                                               "work_utilization", work > 1.0 ? 1.0 : work, "worker", (int)i));
    }
    for (uint32_t v = 0; v < s->nvms; v++) {
        const dp_guest *g = &dp->g[v];
        char role[32];
        snprintf(role, sizeof role, "vm%u", v);
        double w = ratio(g->busy, span), u = dp->notify->spins ? 1.0 : w;
        json_array_append_new(cores, json_pack("{s:i,s:s,s:f,s:f,s:f}", "id", (int)g->core, "role", role,
                                               "utilization", u > 1.0 ? 1.0 : u, "busy_ns_per_packet",
                                               g->delivered ? ns(g->busy) / (double)g->delivered : 0.0,
                                               "work_utilization", w > 1.0 ? 1.0 : w));
    }

    for (uint32_t c = 0; c < s->platform.cores; c++) {
        int used = 0;
        for (uint32_t a = 1; a < dp->nagents; a++)
            used |= dp->agents[a].core == c;
        if (!used)
            json_array_append_new(cores, json_pack("{s:i,s:s,s:f,s:f,s:f}", "id", (int)c, "role", "idle",
                                                   "utilization", 0.0, "busy_ns_per_packet", 0.0,
                                                   "work_utilization", 0.0));
    }

    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(dp->v->name));
    json_object_set_new(o, "strategy",
                        json_pack("{s:s,s:s,s:s,s:i,s:i,s:b,s:s}", "dma", dp->dma->name, "copy",
                                  dp->copy->name, "notify", dp->notify->name, "coalesce_packets",
                                  (int)dp->v->coalesce_packets, "coalesce_ns", (int)dp->v->coalesce_ns, "host_poll",
                                  (int)dp->v->host_poll, "iommu", vio_axis_name(&vio_axis_iommu, (size_t)dp->v->iommu)));
    json_object_set_new(json_object_get(o, "strategy"), "device_sched",
                        json_string(vio_axis_name(&vio_axis_device_sched, (size_t)dp->v->device_sched)));
    char hash[65];
    vio_arrival_hash_hex(&dp->arrivals, hash);
    json_object_set_new(o, "arrival_sha256", json_string(hash));
    json_object_set_new(o, "packets",
                        json_pack("{s:I,s:I,s:I,s:{s:I,s:I,s:I}}", "offered", (json_int_t)dp->offered, "delivered",
                                  (json_int_t)delivered, "dropped", (json_int_t)dropped, "dropped_at", "nic_ring",
                                  (json_int_t)dp->dropped_nic, "guest_ring", (json_int_t)dp->dropped_guest_ring,
                                  "shared_ring", (json_int_t)dp->dropped_shared));
    json_object_set_new(json_object_get(json_object_get(o, "packets"), "dropped_at"), "iommu",
                        json_integer((json_int_t)dp->dropped_iommu));
    json_object_set_new(json_object_get(json_object_get(o, "packets"), "dropped_at"), "policer",
                        json_integer((json_int_t)dp->dropped_policed));
    json_object_set_new(json_object_get(json_object_get(o, "packets"), "dropped_at"), "nic_buffer",
                        json_integer((json_int_t)dp->dropped_nic_buffer));
    json_object_set_new(o, "latency_ns", vio__latency_json(&all));
    json_object_set_new(o, "throughput", json_pack("{s:f,s:f}", "mpps", secs > 0 ? delivered / secs / 1e6 : 0.0,
                                                   "gbps", secs > 0 ? bytes * 8.0 / secs / 1e9 : 0.0));
    json_t *caches = json_pack("{s:{s:I,s:I},s:{s:I,s:I}}", "l1", "hits", (json_int_t)ms.l1_hits, "misses",
                               (json_int_t)ms.l1_misses, "llc", "hits", (json_int_t)ms.llc_hits, "misses",
                               (json_int_t)ms.llc_misses);
    if (s->platform.l2.enabled)
        json_object_set_new(caches, "l2",
                            json_pack("{s:I,s:I}", "hits", (json_int_t)ms.l2_hits, "misses", (json_int_t)ms.l2_misses));
    json_object_set_new(caches, "dram", json_pack("{s:I,s:I}", "reads", (json_int_t)ms.dram_reads, "writes",
                                                  (json_int_t)ms.dram_writes));
    json_object_set_new(caches, "llc_copy_unread_evictions", json_integer((json_int_t)ms.llc_copy_unread_evictions));
    json_object_set_new(o, "caches", caches);
    /* Where the guests' reads of descriptors and payload were served: the
     * quantity copy-to-LLC is meant to move from DRAM to the LLC. */
    json_object_set_new(o, "guest_reads",
                        json_pack("{s:I,s:f,s:f,s:f,s:f,s:f}", "lines", (json_int_t)greads, "l1",
                                  ratio(gl[VIO_LVL_L1], greads), "l2", ratio(gl[VIO_LVL_L2], greads), "llc",
                                  ratio(gl[VIO_LVL_LLC], greads), "remote_core", ratio(gl[VIO_LVL_REMOTE], greads),
                                  "dram", ratio(gl[VIO_LVL_DRAM], greads)));
    json_object_set_new(o, "dma", json_pack("{s:I,s:I,s:f,s:I}", "writes", (json_int_t)dp->dma_writes, "lines",
                                            (json_int_t)ms.dma_lines, "llc_write_hit_rate",
                                            dp->dma->llc_write_hits ? ratio(ms.dma_llc_hits, ms.dma_lines) : 0.0,
                                            "unread_evictions", (json_int_t)ms.dma_unread_evictions));
    /* What pcm-pcie's ItoM-HIT-RATE counts (ddio-bench's metric): on Skylake-SP it
     * programs the CHAs' TOR_INSERTS (event 0x35) for requests from the IIO (PRQ)
     * with opcode ItoM (0x248), hits and misses, i.e. one count per full-line
     * inbound write; partial-line writes are another opcode (RFO, 0x200) that it
     * counts apart (intel/pcm pcm-pcie.cpp, cpucounters.cpp programPCIeCounters).
     * llc_write_hit_rate above counts both. */
    {
        uint64_t full = ms.dma_lines - ms.dma_partial_lines, full_hits = ms.dma_llc_hits - ms.dma_partial_llc_hits;
        json_t *d = json_object_get(o, "dma");
        json_object_set_new(d, "itom_lines", json_integer((json_int_t)full));
        json_object_set_new(d, "itom_hit_rate",
                            dp->dma->llc_write_hits ? json_real(ratio(full_hits, full)) : json_real(0.0));
    }
    /* The devices' reads (PCIeRdCur): the NIC reading forwarded packets back. DDIO
     * serves them from the LLC (or a core's cache) and never allocates for them. */
    json_object_set_new(json_object_get(o, "dma"), "device_reads",
                        json_pack("{s:I,s:I,s:I,s:f,s:f}", "lines", (json_int_t)ms.dev_read_lines, "llc_hits",
                                  (json_int_t)ms.dev_read_llc_hits, "snooped", (json_int_t)ms.dev_read_snoops,
                                  "llc_hit_rate", ratio(ms.dev_read_llc_hits, ms.dev_read_lines), "cache_hit_rate",
                                  ratio(ms.dev_read_llc_hits + ms.dev_read_snoops, ms.dev_read_lines)));
    vio_tx_stats tx = {0};
    if (dp->tx)
        vio_tx_stats_get(dp->tx, &tx);
    json_object_set_new(o, "forward",
                        json_pack("{s:I,s:I,s:I,s:f,s:I}", "packets", (json_int_t)tx.packets, "read_requests",
                                  (json_int_t)tx.reads, "read_bytes", (json_int_t)dp->tx_read_bytes,
                                  "readback_mean_ns", tx.packets ? ns(dp->readback_sum) / (double)tx.packets : 0.0,
                                  "tag_waits", (json_int_t)tx.tag_waits));
    /* ENQCMD: commands the shared work queue accepted, Retry answers, its high-water mark. */
    json_object_set_new(json_object_get(o, "forward"), "enqcmd",
                        json_pack("{s:I,s:I,s:I}", "accepted", (json_int_t)dp->enq_accepted, "retries",
                                  (json_int_t)dp->enq_retries, "swq_peak", (json_int_t)dp->swq_peak));
    json_object_set_new(o, "steady_state", steady_json(dp, &ms));
    /* Sampled mode (platform.llc.sample_sets): the cache figures are estimates from
     * 1 in one_in LLC sets; exact runs have no such key. */
    vio_memsys_sampling smp;
    vio_memsys_get_sampling(dp->mem, &smp);
    if (smp.one_in)
        json_object_set_new(o, "sampling",
                            json_pack("{s:s,s:i,s:I,s:I,s:I}", "mode", "llc-set-sampling", "llc_sets_one_in",
                                      (int)smp.one_in, "simulated_accesses", (json_int_t)smp.simulated,
                                      "replayed_accesses", (json_int_t)smp.replayed, "bootstrap_accesses",
                                      (json_int_t)smp.bootstrap));
    json_object_set_new(o, "occupancy", occupancy_json(dp, span));
    for (uint32_t v = 0; v < s->nvms; v++)
        json_object_set_new(json_array_get(vms, v), "occupancy_mean_packets",
                            json_real(span ? vio__dp_occ_area(&dp->occ[v]) / (double)span : 0.0));
    /* The host's copy primitive (viosim/copy.h) and what it did; `ideal` is no real
     * store, only the upper bound of a copy into the LLC. The copy engine's writes
     * are device writes, reported here and not in dma.*. */
    uint64_t copies = 0;
    for (int e = 0; e < (int)VIO_ENGINE_COUNT; e++)
        copies += cs.copies[e];
    const char *engine = vio__copy_engine_name(dp->engine);
    uint64_t polls = 0;
    for (uint32_t i = 0; i < dp->nworkers; i++)
        polls += dp->w[i].as.polls;
    json_object_set_new(o, "copy",
                        json_pack("{s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:I,s:I,s:I}", "engine", engine, "upper_bound",
                                  dp->engine == VIO_ENGINE_IDEAL, "copies", (json_int_t)copies, "lines_demoted",
                                  (json_int_t)cs.lines_demoted, "nt_lines", (json_int_t)cs.nt_lines,
                                  "engine_descriptors", (json_int_t)cs.dma_descriptors, "engine_lines",
                                  (json_int_t)cs.dma_lines, "engine_queue_ns_mean",
                                  cs.dma_descriptors ? (double)cs.dma_queue_ps / 1000.0 / (double)cs.dma_descriptors
                                                     : 0.0,
                                  "engine_llc_write_hit_rate", ratio(cs.dma_llc_hits, cs.dma_lines),
                                  "engine_doorbells", (json_int_t)cs.dma_doorbells, "engine_batched_descriptors",
                                  (json_int_t)cs.dma_batched, "completion_polls", (json_int_t)polls));
    json_object_set_new(o, "interrupts",
                        json_pack("{s:I,s:I,s:I,s:I}", "delivered", (json_int_t)irqs, "vm_exits", (json_int_t)exits,
                                  "posted", (json_int_t)posted, "host_irqs",
                                  (json_int_t)host_irqs));
    /* The exits and wake-ups of the vCPUs (viosim/vcpu.h), and the event index at work. */
    vio_vcpu_stats ex = {0};
    uint64_t signals = 0, suppressed = 0, kicks = 0;
    vio_ps hpoll = 0, gspin = 0;
    for (uint32_t v = 0; v < s->nvms; v++) {
        const dp_guest *g = &dp->g[v];
        vio_vcpu_stats st;
        vio_vcpu_get_stats(g->vcpu, &st);
        ex.exits_hlt += st.exits_hlt;
        ex.exits_irq += st.exits_irq;
        ex.exits_eoi += st.exits_eoi;
        ex.exits_kick += st.exits_kick;
        ex.wakeups_polled += st.wakeups_polled;
        ex.wakeups_blocked += st.wakeups_blocked;
        signals += g->signals;
        /* taken by a poll without an interrupt (signals after a warm-up may include its packets) */
        suppressed += g->delivered > g->signals ? g->delivered - g->signals : 0;
        kicks += g->kicks;
        hpoll += g->host_poll;
        gspin += g->guest_spin;
    }
    json_object_set_new(o, "exits",
                        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f}", "hlt", (json_int_t)ex.exits_hlt,
                                  "external_interrupt", (json_int_t)ex.exits_irq, "eoi", (json_int_t)ex.exits_eoi,
                                  "kick", (json_int_t)ex.exits_kick, "wakeups_polled", (json_int_t)ex.wakeups_polled,
                                  "wakeups_blocked", (json_int_t)ex.wakeups_blocked, "halt_poll_ns", ns(hpoll),
                                  "guest_poll_ns", ns(gspin)));
    json_object_set_new(o, "signals",
                        json_pack("{s:I,s:I,s:I}", "raised", (json_int_t)signals, "suppressed",
                                  (json_int_t)suppressed, "guest_kicks", (json_int_t)kicks));
    json_object_set_new(o, "iommu", vio__pasid_results(dp));
    json_object_set_new(o, "cores", cores);
    json_object_set_new(o, "vms", vms);
    /* Back-pressure (IOMMU on): TLPs that waited for a posted credit at the root
     * port and for how long, and the NIC receive buffer's high-water mark. */
    json_object_set_new(o, "pcie", json_pack("{s:I,s:f,s:I,s:f,s:I}", "tlps", (json_int_t)dp->pcie.tlps, "utilization",
                                             ratio(dp->pcie.busy, span), "credit_stalls", (json_int_t)dp->port.stalls,
                                             "credit_stall_ns", ns(dp->port.stall_ps), "nic_buffer_peak_bytes",
                                             (json_int_t)dp->rxb_peak));
    json_object_set_new(o, "sim", json_pack("{s:f,s:I,s:I,s:I,s:I}", "duration_ns", ns(span), "events",
                                            (json_int_t)dp->events, "cache_accesses",
                                            (json_int_t)vio_memsys_accesses(dp->mem), "host_batches",
                                            (json_int_t)host_batches, "fetches", (json_int_t)fetches));
    /* Everything registered by name (dp_stats.c), as one tree. */
    json_object_set_new(o, "stats", vio__stats_json(dp->stats));
    return o;
}
