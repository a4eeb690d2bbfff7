/* The PCIe link from the NIC to the host, one direction (device to memory).
 * A DMA write of B bytes is split into ceil(B / MPS) TLPs; each carries a fixed
 * overhead (header, sequence number, LCRC, framing; about 24 B per TLP at Gen3
 * per Neugebauer et al., SIGCOMM 2018). Transfers are serialised FIFO on the
 * link, then take the one-way latency to reach the memory controller. */
#ifndef VIOSIM_PCIE_H
#define VIOSIM_PCIE_H

#include "viosim/time.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vio_pcie {
    uint64_t bandwidth_mbps;
    vio_ps latency;
    uint32_t tlp_payload, tlp_overhead;
    vio_ps free_at;  /* when the link is next idle */
    uint64_t tlps, wire_bytes;
    vio_ps busy;     /* total serialisation time, for utilisation */
} vio_pcie;

void vio_pcie_init(vio_pcie *link, uint64_t bandwidth_mbps, uint32_t latency_ns, uint32_t tlp_payload,
                   uint32_t tlp_overhead);
/* Post a write of `bytes` ready at `now`; returns when its last byte lands in memory. */
vio_ps vio_pcie_write(vio_pcie *link, uint32_t bytes, vio_ps now);

/* The root port's inbound posted-request queue, for writes that the IOMMU must
 * translate before they go on to memory. PCIe flow control: the device sends a
 * posted TLP only while it holds a posted credit; the root port returns the
 * credit (UpdateFC) when the TLP leaves its queue, which a translated write does
 * once its translation is done and every posted write ahead of it has left
 * (posted writes do not pass one another: PCIe ordering rules, Relaxed Ordering
 * off). While translations wait for page walkers, credits stay out, the link
 * stops and the device's own buffer fills: the IOTLB wall costs bandwidth, not
 * only latency (pcie-bench: 64 B posted writes fall from 24.3 to 11.3 Gb/s with
 * 4 KiB pages past the IOTLB's reach; Neugebauer et al., SIGCOMM 2018).
 * Credit returns are taken as instantaneous (the DLLP's flight is not modelled). */
typedef struct vio_pcie_port {
    uint32_t credits;   /* posted header credits: TLPs the queue holds, >= 1 */
    vio_ps *release;    /* ring of `credits`: when each of the last TLPs left the queue */
    uint32_t head;      /* the slot of the next TLP: holds the release of the one `credits` before it */
    vio_ps last_release;/* the latest departure: the next posted TLP leaves no earlier */
    uint64_t tlps, stalls; /* TLPs sent through the port, and those that waited for a credit */
    vio_ps stall_ps;    /* total time TLPs waited for a credit with the link otherwise free */
} vio_pcie_port;

/* 0, or VIO_ENOMEM. */
int vio_pcie_port_init(vio_pcie_port *port, uint32_t credits);
void vio_pcie_port_free(vio_pcie_port *port);
/* Send one TLP of `bytes` payload (at most MPS), ready at `ready`, through the
 * port: it waits for a credit, then for the link; returns when it is in the root
 * port's queue (its serialisation ends). Each send must be followed by its commit. */
vio_ps vio_pcie_port_send(vio_pcie_port *port, vio_pcie *link, uint32_t bytes, vio_ps ready);
/* The TLP just sent may leave the queue at `translated`: it leaves then, or when
 * the previous one did if that is later, and returns its credit. Returns when it
 * reaches memory (the link's one-way latency after it leaves). */
vio_ps vio_pcie_port_commit(vio_pcie_port *port, const vio_pcie *link, vio_ps translated);
/* The earliest time a TLP ready at `ready` could start on the link (no change). */
vio_ps vio_pcie_port_ready(const vio_pcie_port *port, const vio_pcie *link, vio_ps ready);

#ifdef __cplusplus
}
#endif
#endif
