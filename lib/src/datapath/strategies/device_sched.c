/* variants[].device_sched: how the NIC's receive DMA engine shares the link among
 * its receive queues (I/O resource control at the device, US10310974; item 6 of
 * issue 11: "device and host service across queue pairs").
 *
 *   fifo  the baseline: every packet is DMAed in arrival order, as soon as the
 *         link (and, with the IOMMU, a posted credit) lets it; one receive
 *         buffer shared by every queue.
 *   rr, wrr, drr
 *         the receive buffer is split evenly among the queues (as DCB splits a
 *         NIC's packet buffer among traffic classes) and, each time the link can
 *         take the next write, the DMA engine picks the queue whose head packet
 *         goes next with the qos.h policy of that name: rr one packet per queue
 *         per round, wrr tenants[].weight packets, drr tenants[].weight x
 *         platform.nic.quantum_bytes bytes of credit (Shreedhar & Varghese,
 *         SIGCOMM 1995). The device is the bottleneck only when the link is
 *         slower than what arrives (a slower slot, or IOMMU back-pressure): then
 *         these rows decide who gets it.
 *
 * The rows are the qos.h scheduler table's (models/qos.c, vio_axis_qos), the
 * same shape as the host's variants[].io_sched. */
#include "datapath/strategies/strategies.h"

static const dp_device_sched table[] = {
    {"fifo", "arrival order: each packet is DMAed as soon as the link lets it (one shared receive buffer)", NULL},
    {"rr", "the NIC's receive DMA engine serves its queues round-robin, one packet each per round", "rr"},
    {"wrr", "weighted round-robin at the device: tenants[].weight packets per queue per round", "wrr"},
    {"drr", "deficit round-robin at the device: tenants[].weight x platform.nic.quantum_bytes bytes per queue per round",
     "drr"},
};

const vio_axis vio_axis_device_sched = {
    "device_sched", "variants[].device_sched", "how the NIC's receive DMA engine shares the link among its queues",
    VIO_AXIS_ROWS(dp_device_sched, table, sizeof table / sizeof table[0])};
