/* Replacement policies for set-associative structures (caches, TLBs).
 *
 * One registered table of policies {name, one-line help, source, ops}; a cache
 * or a TLB owns a vio_repl instance that keeps the policy's per-set state apart
 * from its tags, so the structure's data layout does not depend on the policy.
 * The structure itself picks an invalid way first (every policy here does the
 * same); the policy is asked only to rank valid ways:
 *
 *   hit(set, way)         a lookup hit `way`
 *   fill(set, way)        `way` was just filled with a new line
 *   victim(set, mask)     which way of `mask` (all valid, mask != 0) to evict
 *   drop(set, way)        `way` was invalidated (its state no longer matters)
 *
 * A way mask restricts the victim to some ways (DDIO's I/O ways, Intel CAT):
 * every policy honours it by ranking only the ways inside the mask. */
#ifndef VIOSIM_REPL_H
#define VIOSIM_REPL_H

#include "viosim/viosim.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VIO_REPL_MAX_WAYS 32u

/* Policy indices: row k of the table is policy k (a test checks each row's
 * name). A scenario names a policy and the loader finds its row by that name
 * (vio_axis_replacement, viosim/strategy.h). */
enum vio_repl_kind { VIO_REPL_LRU = 0, VIO_REPL_RANDOM, VIO_REPL_PLRU, VIO_REPL_SRRIP, VIO_REPL_DRRIP, VIO_REPL_COUNT };

typedef struct vio_repl vio_repl;

typedef struct vio_repl_ops {
    /* 64-bit state words one set needs for `ways` ways. */
    uint32_t (*words)(uint32_t ways);
    void (*hit)(vio_repl *r, uint64_t *set, uint32_t way);
    void (*fill)(vio_repl *r, uint64_t *set, uint32_t way);
    uint32_t (*victim)(vio_repl *r, uint64_t *set, uint32_t mask);
    void (*drop)(vio_repl *r, uint64_t *set, uint32_t way);
} vio_repl_ops;

typedef struct vio_repl_policy {
    const char *name;
    const char *help;   /* one line */
    const char *source; /* where the mechanism is described */
    vio_repl_ops ops;
} vio_repl_policy;

/* The registered policies, VIO_REPL_COUNT rows, lru first. */
const vio_repl_policy *vio_repl_table(void);
/* Row index of `name`, or -1. */
int vio_repl_find(const char *name);

/* Per-structure state for `sets` x `ways` under policy `kind`. (`seed`, `stream`)
 * seed the policy's private random stream (random replacement): give each
 * structure its own stream so runs are deterministic and independent. */
/* Bytes vio_repl_create allocates for this geometry (resource estimates). */
uint64_t vio_repl_footprint(enum vio_repl_kind kind, uint32_t sets, uint32_t ways);
int vio_repl_create(enum vio_repl_kind kind, uint32_t sets, uint32_t ways, uint64_t seed, uint64_t stream,
                    vio_repl **out, vio_err *err);
void vio_repl_destroy(vio_repl *r);
enum vio_repl_kind vio_repl_kind_of(const vio_repl *r);

void vio_repl_hit(vio_repl *r, uint32_t set, uint32_t way);
void vio_repl_fill(vio_repl *r, uint32_t set, uint32_t way);
/* The way among `mask` (every way in it valid; 0 or out-of-range bits mean all ways) to evict. */
uint32_t vio_repl_victim(vio_repl *r, uint32_t set, uint32_t mask);
void vio_repl_drop(vio_repl *r, uint32_t set, uint32_t way);

#ifdef __cplusplus
}
#endif
#endif
