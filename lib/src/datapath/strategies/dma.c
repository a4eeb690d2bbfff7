/* variants[].dma: where the NIC's inbound DMA writes land (dp_nic.c hands every
 * payload and descriptor write-back to vio_memsys_dma_write with the row's target). */
#include "datapath/strategies/strategies.h"

static const dp_dma_strategy table[] = {
    {"dram", "NIC DMA writes go to DRAM and invalidate cached copies (no DDIO)", VIO_DMA_TO_DRAM, 0},
    {"ddio", "DDIO: DMA updates a line already in the LLC, else allocates only into io_ways LLC ways",
     VIO_DMA_TO_LLC_DDIO, 1},
};

const vio_axis vio_axis_dma = {"dma", "variants[].dma", "where the NIC's inbound DMA lands",
                               VIO_AXIS_ROWS(dp_dma_strategy, table, sizeof table / sizeof table[0])};
