/* I/O resource control in the host (US10310974, "input/output computing resource
 * control"): once each tenant's I/O is confined to its own queue pair, the host
 * can share its service and its cache among the queue pairs.
 *
 * Service (variants[].io_sched, strategies/io_sched.c). A host worker serves its
 * queue pairs one per turn, in rotation; the row says what a turn may take
 * (vhost's weights by default; rr, wrr, drr shorten it, by tenants[].weight and
 * host.quantum_bytes). A victim's packet then waits for at most one turn of each
 * other queue, not for the flood's whole budget. A flood still loses its excess
 * at its own NIC ring, and only there.
 *
 * Cache (variants[].cat). Each tenant's VM core gets its tenants[].cat_ways as
 * its class of service's capacity bitmask (Intel CAT): its fills allocate only
 * there (memsys.h). The host core and the device keep theirs (all ways, and the
 * DDIO ways). */
#include "datapath/dp_internal.h"
#include "datapath/strategies/strategies.h"

#include <stdlib.h>

int vio__qos_init(vio_datapath *dp, vio_err *err)
{
    const vio_scenario *s = dp->s;
    int rc = VIO_OK;
    if (dp->v->cat)
        for (uint32_t i = 0; rc == VIO_OK && i < s->ntenants; i++)
            rc = vio_memsys_set_cat(dp->mem, s->vms[s->tenants[i].vm].core, s->tenants[i].cat_ways, err);
    dp->io_sched = vio_axis_row(&vio_axis_io_sched, (size_t)dp->v->io_sched);
    if (rc != VIO_OK || !dp->io_sched->weighted)
        return rc;
    for (uint32_t i = 0; i < dp->nworkers; i++) {
        dp_worker *w = &dp->w[i];
        w->weight = calloc(w->nq ? w->nq : 1, sizeof *w->weight);
        w->deficit = calloc(w->nq ? w->nq : 1, sizeof *w->deficit);
        if (!w->weight || !w->deficit)
            return vio_err_set(err, VIO_ENOMEM, "datapath: out of memory");
        /* A tenant's queue pair is its VM's queue (one queue per VM with tenants). */
        for (uint32_t k = 0; k < w->nq; k++) {
            w->weight[k] = 1;
            for (uint32_t t = 0; t < s->ntenants && s->platform.nic_queues == 0; t++)
                if (s->tenants[t].vm == w->queues[k])
                    w->weight[k] = s->tenants[t].weight;
        }
    }
    return VIO_OK;
}

void vio__qos_destroy(vio_datapath *dp)
{
    for (uint32_t i = 0; dp->w && i < dp->nworkers; i++) {
        free(dp->w[i].weight);
        free(dp->w[i].deficit);
    }
}
