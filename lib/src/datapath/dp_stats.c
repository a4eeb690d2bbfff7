/* The statistics registry dumped as one tree (viosim/stats.h): each dot in a
 * name opens a JSON object, in registration order; a counter is an integer, a
 * histogram of picoseconds the latency object of results.json (in ns). */
#include "datapath/dp_internal.h"
#include "datapath/results.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Once, when the datapath is built: every counter below stays where it is
 * bumped; the registry only records its address (no cost per event). */
int vio__dp_register_stats(vio_datapath *dp, vio_err *err)
{
    int rc = vio_stats_create(&dp->stats, err);
    if (rc != VIO_OK)
        return rc;
    /* The caches of the cores something runs on (an idle core's stay empty). */
    uint32_t *cores = malloc((dp->nagents ? dp->nagents : 1) * sizeof *cores), n = 0;
    if (!cores)
        return vio_err_set(err, VIO_ENOMEM, "datapath: out of memory");
    for (uint32_t a = 0; a < dp->nagents; a++) {
        uint32_t c = dp->agents[a].core, seen = 0;
        for (uint32_t i = 0; i < n; i++)
            seen |= cores[i] == c;
        if (c != UINT32_MAX && !seen)
            cores[n++] = c;
    }
    rc = vio_memsys_register_stats(dp->mem, dp->stats, "memsys", cores, n, err);
    free(cores);
    if (rc == VIO_OK && dp->engine == VIO_ENGINE_DMA)
        rc = vio_copier_register_stats(dp->copier, dp->stats, "copy", err);
    for (uint32_t i = 0; rc == VIO_OK && i < dp->nworkers; i++) {
        const dp_worker *w = &dp->w[i];
        rc = vio_stats_counter(dp->stats, &w->packets, "packets this worker took off its NIC queues", err,
                               "host.worker%u.packets", i);
        if (rc == VIO_OK)
            rc = vio_stats_counter(dp->stats, &w->batches, "its poll batches", err, "host.worker%u.batches", i);
        if (rc == VIO_OK)
            rc = vio_stats_counter(dp->stats, &w->irqs, "MSI-X / doorbell wake-ups of the idle worker", err,
                                   "host.worker%u.irqs", i);
        if (rc == VIO_OK)
            rc = vio_stats_counter(dp->stats, &w->fetches, "copies made on a guest's fetch command", err,
                                   "host.worker%u.fetches", i);
    }
    for (uint32_t v = 0; rc == VIO_OK && v < dp->s->nvms; v++) {
        const dp_guest *g = &dp->g[v];
        rc = vio_stats_counter(dp->stats, &g->batches, "NAPI batches (guest steps)", err, "guests.vm%u.batches", v);
        if (rc == VIO_OK)
            rc = vio_stats_counter(dp->stats, &g->signals, "interrupts the host raised to it", err,
                                   "guests.vm%u.signals", v);
        if (rc == VIO_OK)
            rc = vio_stats_counter(dp->stats, &g->kicks, "doorbells it rang (refill kicks, fetch commands)", err,
                                   "guests.vm%u.kicks", v);
        if (rc == VIO_OK && dp->copy->ops.must_fetch)
            rc = vio_stats_counter(dp->stats, &g->fetch_commands,
                                   "fetch commands it rang (copy on fetch; each names up to vms[].fetch_batch packets)",
                                   err, "guests.vm%u.fetch_commands", v);
        if (rc == VIO_OK)
            rc = vio__dp_mempool_register(dp, v, err);
        if (rc == VIO_OK && dp->copy->direct && dp->s->vms[v].forward)
            rc = vio_stats_counter(dp->stats, &g->forwarded, "packets it sent back out (direct delivery)", err,
                                   "guests.vm%u.forwarded", v);
        if (rc == VIO_OK && dp->copy->direct && dp->s->vms[v].forward && g->txc == DP_TXC_INTERRUPT)
            rc = vio_stats_counter(dp->stats, &g->tx_irqs,
                                   "transmit completion interrupts that found its core idle (dp_tx.c)", err,
                                   "guests.vm%u.tx_interrupts", v);
    }
    /* Little's law (dp_occupancy.c): per consumer, then the total. */
    for (uint32_t v = 0; rc == VIO_OK && v <= dp->s->nvms; v++) {
        const dp_occ *o = &dp->occ[v];
        char who[16];
        if (v < dp->s->nvms)
            snprintf(who, sizeof who, "vm%u", v);
        else
            snprintf(who, sizeof who, "total");
        static const struct {
            size_t off;
            const char *name, *help;
        } c[] = {
            {offsetof(dp_occ, packet_ps), "packet_ps", "integral of the packets in the system over the interval, ps x packets"},
            {offsetof(dp_occ, arrivals), "arrivals", "measured copies that entered the system (accepted by the NIC)"},
            {offsetof(dp_occ, departures), "departures", "of those, how many left it within the interval"},
            {offsetof(dp_occ, dropped), "dropped", "departures that were drops by the host (full guest or shared ring)"},
            {offsetof(dp_occ, drop_sojourn_ps), "drop_sojourn_ps", "time the dropped ones spent in the system, ps"},
            {offsetof(dp_occ, max), "max", "most packets in the system at once"},
            {offsetof(dp_occ, in_system_at_end), "in_system_at_end", "still in the system when the interval ended"},
        };
        for (size_t i = 0; rc == VIO_OK && i < sizeof c / sizeof c[0]; i++)
            rc = vio_stats_counter(dp->stats, (const uint64_t *)(const void *)((const char *)o + c[i].off), c[i].help,
                                   err, "occupancy.%s.%s", who, c[i].name);
    }
    return rc;
}

json_t *vio__stats_json(const vio_stats *st)
{
    json_t *root = json_object();
    for (size_t i = 0; root && i < vio_stats_count(st); i++) {
        const vio_stat *s = vio_stats_at(st, i);
        json_t *obj = root;
        const char *name = s->name, *dot;
        char comp[160];
        /* The registry refused a statistic that is also a group: every prefix is an object. */
        while ((dot = strchr(name, '.')) != NULL) {
            size_t n = (size_t)(dot - name);
            memcpy(comp, name, n);
            comp[n] = '\0';
            json_t *child = json_object_get(obj, comp);
            if (!child) {
                child = json_object();
                json_object_set_new(obj, comp, child);
            }
            obj = child;
            name = dot + 1;
        }
        json_object_set_new(obj, name,
                            s->kind == VIO_STAT_HIST ? vio__latency_json(s->hist) : json_integer((json_int_t)*s->counter));
    }
    return root;
}
