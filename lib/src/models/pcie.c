#include "viosim/pcie.h"

#include "viosim/viosim.h"

#include <stdlib.h>

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

int vio_pcie_port_init(vio_pcie_port *port, uint32_t credits)
{
    *port = (vio_pcie_port){0};
    port->credits = credits ? credits : 1;
    port->release = calloc(port->credits, sizeof *port->release);
    return port->release ? 0 : VIO_ENOMEM;
}

void vio_pcie_port_free(vio_pcie_port *port)
{
    free(port->release);
    port->release = NULL;
}

vio_ps vio_pcie_port_ready(const vio_pcie_port *port, const vio_pcie *link, vio_ps ready)
{
    vio_ps t = ready > link->free_at ? ready : link->free_at;
    vio_ps credit = port->release[port->head]; /* the TLP `credits` back has left: its credit is back */
    return credit > t ? credit : t;
}

vio_ps vio_pcie_port_send(vio_pcie_port *port, vio_pcie *link, uint32_t bytes, vio_ps ready)
{
    vio_ps free_link = ready > link->free_at ? ready : link->free_at;
    vio_ps start = vio_pcie_port_ready(port, link, ready);
    if (start > free_link) {
        port->stalls++;
        port->stall_ps += start - free_link;
    }
    port->tlps++;
    return vio_pcie_write(link, bytes, start) - link->latency;
}

vio_ps vio_pcie_port_commit(vio_pcie_port *port, const vio_pcie *link, vio_ps translated)
{
    vio_ps leave = translated > port->last_release ? translated : port->last_release;
    port->last_release = leave;
    port->release[port->head] = leave;
    port->head = (port->head + 1) % port->credits;
    return leave + link->latency;
}
