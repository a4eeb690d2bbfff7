/* Internal view of the replacement policies for the caches (cache_internal.h):
 * the state's layout and the per-access updates (hit, fill, drop) as inline
 * functions, so a cache's lookup and fill need no call into repl.c but for a
 * victim or a drrip fill. The registered table's ops (repl.c) are these same
 * functions; vio_repl_hit / fill / drop dispatch through that table. */
#ifndef VIOSIM_REPL_INTERNAL_H
#define VIOSIM_REPL_INTERNAL_H

#include "viosim/repl.h"
#include "viosim/rng.h"

#include <stddef.h>

struct vio_repl {
    enum vio_repl_kind kind;
    const vio_repl_ops *ops;
    uint32_t sets, ways, words; /* words: state words per set */
    uint32_t all;               /* mask of the ways 0..ways-1 */
    uint32_t leaves;            /* plru: ways rounded up to a power of two (>= 2) */
    uint64_t clock;             /* lru: stamp source; 64 bits never wrap in a run */
    uint64_t *state;            /* sets * words */
    vio_rng rng;                /* random, drrip: the structure's own stream */
    uint32_t psel;              /* drrip: the policy selector, 0..PSEL_MAX */
    /* plru: an access to way w sets the tree to (bits & plru_keep[w]) | plru_set[w],
     * the nodes on w's path pointing away from it (what the walk up the tree does). */
    uint64_t plru_keep[VIO_REPL_MAX_WAYS], plru_set[VIO_REPL_MAX_WAYS];
};

static inline uint64_t *vio__repl_set(vio_repl *r, uint32_t set) { return r->state + (size_t)set * r->words; }

/* srrip / drrip: way w's 2-bit re-reference prediction value in the set's word. */
static inline uint64_t vio__rrpv_set(uint64_t b, uint32_t w, uint32_t v)
{
    return (b & ~(3ull << (2u * w))) | ((uint64_t)v << (2u * w));
}

static inline void vio__lru_touch(vio_repl *r, uint64_t *set, uint32_t way) { set[way] = ++r->clock; }
static inline void vio__plru_touch(vio_repl *r, uint64_t *set, uint32_t way)
{
    set[0] = (set[0] & r->plru_keep[way]) | r->plru_set[way];
}
static inline void vio__srrip_hit(vio_repl *r, uint64_t *set, uint32_t way)
{
    (void)r;
    set[0] = vio__rrpv_set(set[0], way, 0);
}
static inline void vio__srrip_fill(vio_repl *r, uint64_t *set, uint32_t way)
{
    (void)r;
    set[0] = vio__rrpv_set(set[0], way, 2);
}
void vio__drrip_fill(vio_repl *r, uint64_t *set, uint32_t way); /* repl.c: the set dueling */

static inline void vio__repl_hit(vio_repl *r, uint32_t set, uint32_t way)
{
    switch (r->kind) {
    case VIO_REPL_LRU: vio__lru_touch(r, vio__repl_set(r, set), way); break;
    case VIO_REPL_PLRU: vio__plru_touch(r, vio__repl_set(r, set), way); break;
    case VIO_REPL_SRRIP:
    case VIO_REPL_DRRIP: vio__srrip_hit(r, vio__repl_set(r, set), way); break;
    default: break; /* random: no state */
    }
}

static inline void vio__repl_fill(vio_repl *r, uint32_t set, uint32_t way)
{
    switch (r->kind) {
    case VIO_REPL_LRU: vio__lru_touch(r, vio__repl_set(r, set), way); break;
    case VIO_REPL_PLRU: vio__plru_touch(r, vio__repl_set(r, set), way); break;
    case VIO_REPL_SRRIP: vio__srrip_fill(r, vio__repl_set(r, set), way); break;
    case VIO_REPL_DRRIP: vio__drrip_fill(r, vio__repl_set(r, set), way); break;
    default: break;
    }
}

static inline void vio__repl_drop(vio_repl *r, uint32_t set, uint32_t way)
{
    uint64_t *s = vio__repl_set(r, set);
    switch (r->kind) {
    case VIO_REPL_LRU: s[way] = 0; break;
    case VIO_REPL_SRRIP:
    case VIO_REPL_DRRIP: s[0] = vio__rrpv_set(s[0], way, 3); break;
    default: break; /* plru keeps its tree, random has none */
    }
}

#endif
