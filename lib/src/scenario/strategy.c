#include "viosim/strategy.h"

#include "viosim/scenario.h"

static const vio_strategy table[] = {
    {"dma", "dram", VIO_DMA_DRAM, "NIC DMA writes go to DRAM and invalidate cached copies (no DDIO)"},
    {"dma", "ddio", VIO_DMA_DDIO,
     "DDIO: DMA updates a line already in the LLC, else allocates only into io_ways LLC ways"},
    {"copy", "guest", VIO_COPY_GUEST, "baseline: the host copies each packet into every destination guest's buffer"},
    {"copy", "llc", VIO_COPY_LLC,
     "US11412059: the host copies each packet once into a ring in the LLC shared with the VMs"},
    {"copy", "llc-on-fetch", VIO_COPY_LLC_ON_FETCH,
     "US11412059: the copy into the shared LLC ring happens when the first destination guest sends a fetch command"},
    {"notify", "exit", VIO_NOTIFY_EXIT, "emulated interrupt: a VM exit, software injection, VM entry"},
    {"notify", "posted", VIO_NOTIFY_POSTED, "posted / direct injection into the VM's core, no VM exit"},
    {"notify", "poll", VIO_NOTIFY_POLL, "no interrupt: the guest core spins on its ring"},
    {0, 0, 0, 0},
};

const vio_strategy *vio_strategy_table(void) { return table; }
