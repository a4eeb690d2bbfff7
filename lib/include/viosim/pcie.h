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

#ifdef __cplusplus
}
#endif
#endif
