/* The NIC's receive DMA arbiter (variants[].device_sched rr, wrr, drr): I/O
 * resource control at the device (US10310974; issue 11 item 6). Each receive
 * queue has its own part of the NIC's receive buffer (platform.nic.rx_buffer_kib
 * split evenly, as DCB splits a NIC's packet buffer among traffic classes: with
 * one buffer shared by all, tail drop would hand the buffer, and so the link, to
 * whoever arrives fastest, whatever the arbiter does). An arriving packet waits in
 * its queue's part; each time the DMA engine can start the next write (the link
 * is free and, with the IOMMU, a posted credit is back) the arbiter, the qos.h
 * policy of that name, picks the queue whose head packet is written next. Weights
 * are tenants[].weight (1 without tenants); DRR's quantum is
 * platform.nic.quantum_bytes.
 *
 * Limits: the engine decides one packet at a time when the link is free, so it
 * never overlaps two packets' writes; a packet's bytes leave the buffer when its
 * DMA starts (not when its last TLP has gone); fifo keeps the shared buffer. */
#include "datapath/dp_internal.h"
#include "datapath/strategies/strategies.h"

#include <stdlib.h>

int vio__nic_sched_init(vio_datapath *dp, vio_err *err)
{
    const vio_scenario *s = dp->s;
    const dp_device_sched *row = vio_axis_row(&vio_axis_device_sched, (size_t)dp->v->device_sched);
    if (!row || !row->policy)
        return VIO_OK;
    dp->rxq_cap = dp->rxb_bytes_cap / dp->nqueues;
    if (dp->rxq_cap < s->platform.nic_buffer_bytes)
        return vio_err_set(err, VIO_EINVAL,
                           "%s: variant \"%s\": device_sched %s splits platform.nic.rx_buffer_kib (%u KiB) among %u "
                           "queues: %llu bytes each, less than one platform.nic.buffer_bytes (%u)",
                           s->source ? s->source : "scenario", dp->v->name, row->name, s->platform.nic_rx_buffer_kib,
                           dp->nqueues, (unsigned long long)dp->rxq_cap, s->platform.nic_buffer_bytes);
    vio_qos_queue_cfg *cfg = calloc(dp->nqueues, sizeof *cfg);
    dp->rxq_used = calloc(dp->nqueues, sizeof *dp->rxq_used);
    dp->pend = calloc(dp->rxb_cap, sizeof *dp->pend);
    dp->pend_free = calloc(dp->rxb_cap, sizeof *dp->pend_free);
    if (!cfg || !dp->rxq_used || !dp->pend || !dp->pend_free) {
        free(cfg);
        return vio_err_set(err, VIO_ENOMEM, "datapath: out of memory");
    }
    for (uint32_t i = 0; i < dp->rxb_cap; i++)
        dp->pend_free[i] = dp->rxb_cap - 1 - i;
    dp->npend_free = dp->rxb_cap;
    for (uint32_t q = 0; q < dp->nqueues; q++) {
        cfg[q] = (vio_qos_queue_cfg){.weight = 1, .capacity = (uint32_t)(dp->rxq_cap / 64 + 1)};
        /* A tenant's queue pair is its VM's queue (one queue per VM with tenants). */
        for (uint32_t t = 0; t < s->ntenants && s->platform.nic_queues == 0; t++)
            if (s->tenants[t].vm == q)
                cfg[q].weight = s->tenants[t].weight;
    }
    int rc = vio_qos_create(row->policy, dp->nqueues, cfg, s->platform.nic_quantum_bytes, &dp->nic_sched, err);
    free(cfg);
    return rc;
}

void vio__nic_sched_destroy(vio_datapath *dp)
{
    vio_qos_destroy(dp->nic_sched);
    free(dp->rxq_used);
    free(dp->pend);
    free(dp->pend_free);
}

vio_ps vio__nic_sched_next(const vio_datapath *dp)
{
    if (!dp->nic_sched || !vio_qos_backlog(dp->nic_sched))
        return VIO_PS_NEVER;
    /* When the link could start the next write (a credit back, with the IOMMU),
     * never before the packet that made the backlog arrived. */
    vio_ps t = dp->iommu ? vio_pcie_port_ready(&dp->port, &dp->pcie, 0) : dp->pcie.free_at;
    return t > dp->nic_sched_clock ? t : dp->nic_sched_clock;
}

int vio__nic_sched_add(vio_datapath *dp, const vio_arrival_rec *a, uint8_t phase, uint32_t q)
{
    if (dp->rxq_used[q] + a->bytes > dp->rxq_cap || !dp->npend_free)
        return 0;
    uint32_t i = dp->pend_free[--dp->npend_free];
    if (vio_qos_enqueue(dp->nic_sched, q, a->bytes, i, NULL) != VIO_OK) {
        dp->npend_free++;
        return 0;
    }
    dp->pend[i] = (dp_pending){.a = *a, .phase = phase};
    dp->rxq_used[q] += a->bytes;
    dp->rxb_used += a->bytes;
    if (dp->rxb_used > dp->rxb_peak)
        dp->rxb_peak = dp->rxb_used;
    dp->nic_sched_clock = a->t_arrive;
    return 1;
}

int vio__nic_sched_pick(vio_datapath *dp, vio_ps now, vio_arrival_rec *a, uint8_t *phase, uint32_t *q)
{
    vio_qos_pick pk;
    dp->nic_sched_clock = now;
    if (!vio_qos_dequeue(dp->nic_sched, now, &pk, NULL)) {
        vio__dp_broken(dp, "nic: the receive arbiter had a backlog but picked nothing at %llu ps",
                       (unsigned long long)now);
        return 0;
    }
    *a = dp->pend[pk.cookie].a;
    *phase = dp->pend[pk.cookie].phase;
    *q = pk.queue;
    dp->pend_free[dp->npend_free++] = (uint32_t)pk.cookie;
    dp->rxq_used[pk.queue] -= pk.bytes;
    dp->rxb_used -= pk.bytes;
    return 1;
}
