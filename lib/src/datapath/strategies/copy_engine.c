/* variants[].copy_engine: the primitive the host's copies use (viosim/copy.h,
 * models/memsys_copy.c), for the baseline's copy into each guest's buffer and
 * for the copy into the shared LLC ring alike. Where the copied lines end up,
 * and so what the guest's read costs, follows from the memory model.
 *
 * auto gives the baseline vhost's memcpy (cpu) and US11412059's variants the one
 * real engine that puts a copy in the LLC on the modelled Skylake-SP: a copy
 * engine writing through DDIO (CLDEMOTE needs Sapphire Rapids or later; NT
 * stores go to DRAM). `ideal` stays selectable as the upper bound. */
#include "datapath/strategies/strategies.h"

static const dp_copy_engine table[] = {
    {"auto", "the copy strategy's own: cpu for copy guest, dma-engine for llc and llc-on-fetch", VIO_ENGINE_COUNT, 0},
    {"cpu", "ordinary stores (memcpy): each line read for ownership, left modified in the host core's L1/L2; the "
            "guest's read is a cross-core transfer",
     VIO_ENGINE_CPU, 0},
    {"cpu-cldemote",
     "ordinary stores, then CLDEMOTE of each line: it leaves the host's private caches for the LLC (needs "
     "platform.cldemote: Tremont, Sapphire Rapids and later)",
     VIO_ENGINE_CPU_CLDEMOTE, 1},
    {"cpu-nt", "non-temporal stores: write combining to DRAM, every cached copy invalidated; the guest misses to DRAM",
     VIO_ENGINE_CPU_NT, 0},
    {"dma-engine",
     "a copy engine (I/OAT, DSA): the host submits a descriptor; the engine's writes go through DDIO into the LLC's "
     "I/O ways; completion polled or by interrupt (platform.dma_engine.*)",
     VIO_ENGINE_DMA, 0},
    {"ideal",
     "UPPER BOUND, no real store does this: whole-line stores into the LLC with no read for ownership and no "
     "private copy",
     VIO_ENGINE_IDEAL, 0},
};

const vio_axis vio_axis_copy_engine = {"copy_engine", "variants[].copy_engine", "the primitive of the host's copies",
                                       VIO_AXIS_ROWS(dp_copy_engine, table, sizeof table / sizeof table[0])};

const char *vio__copy_engine_name(enum vio_copy_engine e)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].engine == e)
            return table[i].name;
    return "?";
}
