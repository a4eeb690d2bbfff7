/* Copy primitives: how a host core moves a packet from one buffer to another,
 * and where the copy's lines end up in the memory hierarchy (memsys.h).
 *
 *   cpu           ordinary stores (memcpy): each destination line is read for
 *                 ownership and left modified in the copying core's L1/L2, so the
 *                 next reader on another core takes a cross-core transfer (HITM).
 *   cpu-cldemote  ordinary stores, then CLDEMOTE of each line: the line leaves the
 *                 core's private caches for the LLC (Intel SDM Vol. 2A, CLDEMOTE;
 *                 Tremont, Sapphire Rapids and later). The next reader hits the LLC.
 *   cpu-nt        non-temporal stores (MOVNTDQ etc.): write combining, the line is
 *                 written to DRAM and every cached copy invalidated (SDM Vol. 1,
 *                 10.4.6.2). The next reader misses to DRAM.
 *   dma-engine    a copy engine (I/OAT / CBDMA, DSA): the core writes a descriptor
 *                 and rings a doorbell; the engine reads the source like any I/O
 *                 agent and its writes are device writes (DDIO: the LLC's I/O ways),
 *                 counted as such by the memory system; completion is polled or
 *                 signalled by an interrupt.
 *   ideal         whole-line stores that allocate in the LLC with no read for
 *                 ownership and no private copy. No x86 store does this: an UPPER
 *                 BOUND of what a copy "to the LLC" can buy.
 *
 * Plain C, no engine: callers pass the time and get the core's cost back. The
 * copy engine is one shared resource (descriptors are served in order). */
#ifndef VIOSIM_COPY_H
#define VIOSIM_COPY_H

#include "viosim/memsys.h"
#include "viosim/stats.h"
#include "viosim/time.h"
#include "viosim/viosim.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum vio_copy_engine {
    VIO_ENGINE_CPU = 0,
    VIO_ENGINE_CPU_CLDEMOTE,
    VIO_ENGINE_CPU_NT,
    VIO_ENGINE_DMA,
    VIO_ENGINE_IDEAL,
    VIO_ENGINE_COUNT
};

/* How the core learns that the engine's copy is done. */
enum vio_dma_completion {
    VIO_DMA_POLL = 0,  /* spin: one descriptor per copy, the core spins on its completion record */
    VIO_DMA_INTERRUPT, /* one descriptor per copy; the core goes on; the engine's MSI-X tells it (it pays the handler) */
    VIO_DMA_ASYNC,     /* poll-async: a burst of descriptors per doorbell (vio_copier_submit), completions
                        * polled by the core when it next looks (DPDK's vhost async path over dmadev) */
};

typedef struct vio_copier_config {
    uint32_t freq_mhz;
    uint32_t cldemote_cycles;    /* issue cost of one CLDEMOTE */
    uint32_t dma_submit_cycles;  /* core: one submission, i.e. one doorbell (MOVDIR64B of a descriptor to the portal) */
    uint32_t dma_desc_cycles;    /* core: write one work descriptor into the batch's ring (batches of 2 or more) */
    uint32_t dma_latency_ns;     /* engine: descriptor fetch to completion write, beyond the data */
    uint64_t dma_bandwidth_mbps; /* engine: streaming rate of one copy */
    enum vio_dma_completion dma_completion;
    uint32_t dma_irq_cycles;     /* core: the completion interrupt's handler (interrupt mode) */
    enum vio_dma_target dma_target; /* where the engine's writes go (DDIO or DRAM, as the NIC's) */
} vio_copier_config;

/* The cost of one copy. */
typedef struct vio_copy_cost {
    vio_ps core; /* time the copying core is busy, from `now` */
    vio_ps done; /* absolute time the data is in place and the core knows it */
    vio_ps debt; /* core time paid later, off the copy's path (the completion interrupt) */
} vio_copy_cost;

typedef struct vio_copier_stats {
    uint64_t copies[VIO_ENGINE_COUNT];
    uint64_t lines_demoted;   /* CLDEMOTEs that moved a line (the core held it) */
    uint64_t nt_lines;        /* full lines written by non-temporal stores */
    uint64_t dma_descriptors; /* copies the engine served */
    uint64_t dma_lines;       /* lines the engine wrote (device writes: the memory system counts them too) */
    uint64_t dma_llc_hits;    /* of them, writes that found the line in the LLC (DDIO write update) */
    uint64_t dma_partial_lines, dma_partial_llc_hits; /* of them, partial-line writes, and their hits */
    uint64_t dma_doorbells;   /* submissions: one per copy (spin, interrupt) or per burst (poll-async) */
    uint64_t dma_batched;     /* descriptors submitted in a batch of two or more (one doorbell for all) */
    vio_ps dma_queue_ps;      /* total time descriptors waited for the engine */
} vio_copier_stats;

typedef struct vio_copier vio_copier;

/* The copier borrows `ms` (it must outlive the copier). */
int vio_copier_create(const vio_copier_config *cfg, vio_memsys *ms, vio_copier **out, vio_err *err);
void vio_copier_destroy(vio_copier *c);

/* Copy [src, src+bytes) to [dst, dst+bytes) with engine `e` on behalf of `core`
 * at `now`: the core reads the source (cpu engines; the engine reads it itself)
 * and writes the destination. */
void vio_copier_copy(vio_copier *c, enum vio_copy_engine e, uint32_t core, uint64_t src, uint64_t dst,
                     uint32_t bytes, vio_ps now, vio_copy_cost *out);
/* A small store by the core itself next to a copy (a used-ring descriptor): the
 * engine's CPU-side primitive (dma-engine: ordinary stores, the engine is for bulk
 * data). Returns the core's latency. */
vio_ps vio_copier_store(vio_copier *c, enum vio_copy_engine e, uint32_t core, uint64_t dst, uint32_t bytes,
                        vio_ps now);

/* The asynchronous, batched use of the copy engine (VIO_DMA_ASYNC), as DPDK's
 * dmadev drives DSA: rte_dma_copy() without the SUBMIT flag only writes a work
 * descriptor; rte_dma_submit() rings the doorbell once for all of them: a batch
 * descriptor naming the n work descriptors (DPDK drivers/dma/idxd, __submit; a
 * burst of one is submitted as the work descriptor itself), with ONE completion
 * record for the batch. The engine serves submissions in order, the source lines
 * read as a device reads them, and writes every copy as device writes.
 *
 * vio_copier_submit: core `core` submits the n copies of d[] at `now`; returns
 * the core's cost (the descriptors, then one doorbell) and sets *done to when
 * the batch's completion record is written: every copy of the batch is complete
 * then, none is visible as complete before (one record per batch). The core
 * does not wait; it learns of the completion when it next reads the record. */
typedef struct vio_dma_desc {
    uint64_t src, dst;
    uint32_t bytes;
} vio_dma_desc;
vio_ps vio_copier_submit(vio_copier *c, uint32_t core, const vio_dma_desc *d, uint32_t n, vio_ps now, vio_ps *done);
/* The core's cost of reading one completion record (rte_dma_completed): a line
 * the engine wrote, found where the memory model put it (the LLC with DDIO). */
vio_ps vio_copier_poll_cost(const vio_copier *c);

void vio_copier_get_stats(const vio_copier *c, vio_copier_stats *out);
/* Register the engine's counters under PREFIX.engine.* (results "stats"). */
int vio_copier_register_stats(const vio_copier *c, vio_stats *st, const char *prefix, vio_err *err);
/* Zero the counters, keeping the engine's queue: the end of a warm-up. */
void vio_copier_reset_stats(vio_copier *c);

#ifdef __cplusplus
}
#endif
#endif
