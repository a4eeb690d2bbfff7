/* Set sampling's internal state (memsys_sample.c: outcomes, the per-line
 * primitives; memsys_sample_run.c: which lines are sampled, whole buffers). */
#ifndef VIOSIM_MEMSYS_SAMPLE_H
#define VIOSIM_MEMSYS_SAMPLE_H

#include "models/cache_internal.h"
#include "models/memsys_internal.h"

enum kind {
    K_READ = 0,
    K_WRITE,
    K_WRITE_LLC,
    K_IO_READ,
    K_DEV_READ,
    K_DMA_LLC,       /* + 1: a partial line */
    K_DMA_DRAM = K_DMA_LLC + 2, /* + 1: a partial line */
    K_DEMOTE = K_DMA_DRAM + 2,
    K_WRITE_NT,
    K_COUNT
};

#define NST (sizeof(vio_memsys_stats) / sizeof(uint64_t))
_Static_assert(sizeof(vio_memsys_stats) % sizeof(uint64_t) == 0, "vio_memsys_stats is all uint64_t counters");
/* The counters one access changes: the memory system's, then those of the
 * accessing core's L1 and L2, the LLC and the snoop filter. */
#define NCTR (NST + 4u * VIO__CACHE_COUNTERS)
_Static_assert(NCTR <= 256, "counter indices are 8-bit");
#define RING 32u   /* outcomes kept per class: the recent window the draws follow */
#define MAXD 14u   /* counter changes an outcome may carry (more: not kept) */

typedef struct outcome {
    vio_ps base;         /* latency without DRAM queueing */
    uint8_t result;      /* served level, hit or demoted: what the primitive reports */
    uint8_t xfers;       /* DRAM transfers made */
    uint8_t waits;       /* ... of them, the first `waits` delay the access */
    uint8_t n;           /* counter changes */
    uint8_t idx[MAXD];   /* counter index (NCTR space) */
    uint16_t d[MAXD];    /* its increase */
} outcome;

/* The last RING outcomes of a class (a draw takes one of them, uniformly). */
typedef struct ring {
    uint32_t count, head;
    outcome o[RING];
} ring;

/* Which lines are sampled, memoised per 4 KiB page (64 lines): ring and mempool
 * buffers are reused, and a buffer's lines are met twice per packet (written by the
 * device, read by the host's copy; written by the copy, read by the guest), so the
 * LLC index would be computed again for each. A pure cache of page_sets():
 * results do not depend on it. */
#define MEMO_BITS 12u
typedef struct memo_e {
    uint64_t page; /* line >> 6, plus 1 (0: empty) */
    uint64_t in;   /* bit j: line j of the page is sampled */
} memo_e;

struct vio__ms_sample {
    uint32_t one_in;
    uint8_t *in;          /* per LLC set: 1 when sampled */
    uint32_t agents;      /* cores + 1: the last is the devices' (no core) */
    ring **fine;          /* [kind][agent][multi][region] */
    ring *mid[K_COUNT * 2 * VIO_MEMSYS_REGIONS]; /* [kind][multi][region]: any agent */
    ring *coarse[K_COUNT * 2]; /* [kind][multi]: any agent, any region */
    uint32_t nexact;
    uint64_t exact_lo[VIO_MEMSYS_EXACT_RANGES], exact_hi[VIO_MEMSYS_EXACT_RANGES]; /* lines, [lo, hi) */
    uint64_t ***ctr;      /* [agent][NCTR]: where each counter is */
    uint64_t **blk;       /* [agent][5]: the same counters as five arrays (memsys, L1, L2, LLC, SF) */
    uint64_t sink[2 * VIO__CACHE_COUNTERS]; /* the absent caches' counters (no L2, no SF, a device) */
    vio_memsys_sampling st;
    uint64_t kept;        /* outcomes kept (keep) */
    int slow_index;       /* page_sets found the LLC index without the structure it uses */
    memo_e memo[1u << MEMO_BITS];
};

static inline uint64_t vio__smp_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A line's address region (2^43 bytes: rings, buffers and interrupt lines apart). */
static inline unsigned vio__smp_region(uint64_t line)
{
    return (unsigned)((line >> (VIO_MEMSYS_REGION_SHIFT - 6u)) % VIO_MEMSYS_REGIONS);
}

static inline unsigned vio__smp_dma_kind(enum vio_dma_target target, uint32_t bytes)
{
    return (target == VIO_DMA_TO_DRAM ? K_DMA_DRAM : K_DMA_LLC) + (bytes < VIO_LINE_BYTES);
}

/* An outcome for `line` of class `kind`, drawn uniformly from the class's ring (its
 * own, else a coarser one; a hash of the line and the access count: deterministic),
 * or NULL when none has an outcome yet. */
const outcome *vio__smp_draw(vio_memsys *ms, unsigned kind, uint32_t agent, uint64_t line);
/* Bit j: line first + j is sampled, for the bits of `need` (within first's page). */
uint64_t vio__smp_sampled_mask(vio_memsys *ms, uint64_t first, uint64_t need);
/* One access simulated exactly, its outcome kept (in: the line is sampled, not a bootstrap). */
vio_ps vio__smp_sim_core(vio_memsys *ms, uint32_t core, uint64_t line, int write, vio_ps now, enum vio_level *served,
                         int in);
vio_ps vio__smp_sim_write_llc(vio_memsys *ms, uint32_t core, uint64_t line, vio_ps now, int in);
vio_ps vio__smp_sim_dev_read(vio_memsys *ms, uint64_t line, vio_ps now, int *hit, int in);
vio_ps vio__smp_sim_dma(vio_memsys *ms, enum vio_dma_target target, uint64_t line, uint32_t bytes, vio_ps now, int in);

#endif
