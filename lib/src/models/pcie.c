#include "viosim/pcie.h"

void vio_pcie_init(vio_pcie *link, uint64_t bandwidth_mbps, uint32_t latency_ns, uint32_t tlp_payload,
                   uint32_t tlp_overhead)
{
    *link = (vio_pcie){0};
    link->bandwidth_mbps = bandwidth_mbps;
    link->latency = (vio_ps)latency_ns * VIO_PS_PER_NS;
    link->tlp_payload = tlp_payload ? tlp_payload : 256;
    link->tlp_overhead = tlp_overhead;
}

vio_ps vio_pcie_write(vio_pcie *link, uint32_t bytes, vio_ps now)
{
    uint32_t tlps = (bytes + link->tlp_payload - 1) / link->tlp_payload;
    if (tlps == 0)
        tlps = 1;
    uint64_t wire = (uint64_t)bytes + (uint64_t)tlps * link->tlp_overhead;
    vio_ps xfer = vio_bytes_to_ps(wire, link->bandwidth_mbps);
    vio_ps start = link->free_at > now ? link->free_at : now;
    link->free_at = start + xfer;
    link->tlps += tlps;
    link->wire_bytes += wire;
    link->busy += xfer;
    return link->free_at + link->latency;
}
