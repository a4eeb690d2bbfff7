/* variants[].io_sched: the order in which a host worker serves the queue pairs
 * (NIC queues) it owns, I/O resource control at the host (US10310974). Every row
 * is a rotation over the owned queues with a packet ready, one queue per turn
 * (dp_host.c); the rows differ in what one turn may take:
 *
 *   vhost  vhost-net's own weights: host.budget packets or host.budget_bytes
 *          bytes (drivers/vhost/net.c, vhost_exceeds_weight). The default: a
 *          flooded queue delays another by up to one such turn (256 packets).
 *   rr     one packet per turn (packet round-robin).
 *   wrr    tenants[].weight packets per turn.
 *   drr    deficit round-robin (Shreedhar & Varghese, SIGCOMM 1995): each turn
 *          adds weight x host.quantum_bytes to the queue's credit and takes the
 *          packets that fit in it; the rest carries to its next turn, and a
 *          queue that runs dry loses its credit (so bytes, not packets, are
 *          shared by weight).
 *
 * A turn still stops at the vhost weights (host.budget, host.budget_bytes): the
 * policies only shorten it. Each turn pays host.batch_cycles, so short turns
 * trade the host's per-turn overhead for a victim's wait. The device-side
 * schedulers with the same names are models/qos.c (vio_axis_qos). */
#include "datapath/dp_internal.h"

static void vhost_grant(const vio_datapath *dp, dp_worker *w, uint32_t k, dp_turn *turn)
{
    (void)w, (void)k;
    *turn = (dp_turn){dp->s->host.budget, dp->s->host.budget_bytes, 0};
}

static void rr_grant(const vio_datapath *dp, dp_worker *w, uint32_t k, dp_turn *turn)
{
    (void)w, (void)k;
    *turn = (dp_turn){1, dp->s->host.budget_bytes, 0};
}

static void wrr_grant(const vio_datapath *dp, dp_worker *w, uint32_t k, dp_turn *turn)
{
    uint32_t n = w->weight[k];
    *turn = (dp_turn){n < dp->s->host.budget ? n : dp->s->host.budget, dp->s->host.budget_bytes, 0};
}

static void drr_grant(const vio_datapath *dp, dp_worker *w, uint32_t k, dp_turn *turn)
{
    w->deficit[k] += (uint64_t)w->weight[k] * dp->s->host.quantum_bytes;
    *turn = (dp_turn){dp->s->host.budget, w->deficit[k], 1};
}

static void drr_end(const vio_datapath *dp, dp_worker *w, uint32_t k, uint64_t left, int backlog)
{
    (void)dp;
    w->deficit[k] = backlog ? left : 0;
}

static const dp_io_sched table[] = {
    {"vhost",
     "vhost-net's turns: one queue until host.budget packets or host.budget_bytes bytes, then the next with a "
     "packet ready",
     0, {vhost_grant, NULL}},
    {"rr", "round-robin, one packet per queue pair per turn", 0, {rr_grant, NULL}},
    {"wrr", "weighted round-robin: tenants[].weight packets per queue pair per turn", 1, {wrr_grant, NULL}},
    {"drr", "deficit round-robin: tenants[].weight x host.quantum_bytes bytes of credit per queue pair per turn", 1,
     {drr_grant, drr_end}},
};

const vio_axis vio_axis_io_sched = {
    "io_sched", "variants[].io_sched", "the order a host worker serves its queue pairs in (US10310974)",
    VIO_AXIS_ROWS(dp_io_sched, table, sizeof table / sizeof table[0])};
