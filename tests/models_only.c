/* Links against viosim_models alone (no SimGrid, no jansson): the plain-C
 * models are reusable from another simulator. Exercises one line through the
 * memory system so the link pulls in the cache, the hierarchy and the utilities. */
#include "viosim/memsys.h"

#include <stdio.h>

int main(void)
{
    vio_memsys_config c = {
        .cores = 2, .freq_mhz = 2000,
        .l1 = {.size_bytes = 32 * 1024, .ways = 8}, .l1_hit_cycles = 4,
        .llc = {.size_bytes = 1024 * 1024, .ways = 16}, .llc_hit_cycles = 40,
        .c2c_cycles = 100, .io_ways = 2, .dram_latency_ns = 80, .dram_bandwidth_mbps = 100000, .mlp = 4,
    };
    vio_memsys *ms;
    vio_err err = {{0}};
    if (vio_memsys_create(&c, &ms, &err) != VIO_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    enum vio_level a, b;
    vio_memsys_read(ms, 0, 4096, 0, &a);
    vio_memsys_read(ms, 0, 4096, 1000000, &b);
    vio_memsys_destroy(ms);
    /* First a DRAM fill, then an L1 hit: the model ran, not only linked. */
    return (a == VIO_LVL_DRAM && b == VIO_LVL_L1) ? 0 : 1;
}
