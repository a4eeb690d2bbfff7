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

/* The per-fill and per-hit dispatch is compiled into the cache's inline fill and
 * lookup (cache_internal.h), which the hierarchy compiles into its paths. */
#if defined(__GNUC__)
#define VIO__REPL_INLINE __attribute__((always_inline))
#else
#define VIO__REPL_INLINE
#endif

/* `mask`'s ways within `all` (a structure's associativity), or all of them if none
 * is: the way mask of a fill (vio__cache_mask) and of a victim choice (vio_repl_victim).
 *
 * Written without a conditional on purpose. `m &= all; m ? m : all` compiles to an
 * AND feeding a CMOV, which GCC 12.2's x86 peephole2 pass (Debian 12.2.0-14,
 * gen_peephole2_175 at i386.md:21882, `-fdump-rtl-peephole2`) rewrites wrongly when
 * `all` is loaded from memory just before: it retargets the load to the CMOV's
 * destination and inverts the condition, but the AND still reads the load's old
 * register, which now holds whatever the caller left there (`andl %eax, %ecx` at the
 * top of llc_fill, before anything sets %eax). That is why forcing the fill inline
 * into memsys_coh.c changed results (`-fno-peephole2` alone makes that build
 * correct), and the two LTO problems of docs/performance.md had the same signature
 * (the mask's AND reading a register not yet loaded with `all`). The form below has
 * no CMOV to rewrite. */
static inline uint32_t vio__ways_within(uint32_t mask, uint32_t all)
{
    uint32_t m = mask & all;
    return m | (all & (0u - (uint32_t)(m == 0)));
}

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
};

/* plru: an access to the leaf at heap node n (leaves + way, n < 64) sets the tree's
 * bits to (bits & ~vio__plru_path[n]) | vio__plru_left[n]: every node on its path
 * points away from it, as the walk up the tree does (repl.c builds the tables). */
extern const uint64_t vio__plru_path[2 * VIO_REPL_MAX_WAYS], vio__plru_left[2 * VIO_REPL_MAX_WAYS];

static inline uint64_t *vio__repl_set(vio_repl *r, uint32_t set) { return r->state + (size_t)set * r->words; }

/* srrip / drrip: way w's 2-bit re-reference prediction value in the set's word. */
static inline uint64_t vio__rrpv_set(uint64_t b, uint32_t w, uint32_t v)
{
    return (b & ~(3ull << (2u * w))) | ((uint64_t)v << (2u * w));
}

static inline void vio__lru_touch(vio_repl *r, uint64_t *set, uint32_t way) { set[way] = ++r->clock; }
static inline void vio__plru_touch(vio_repl *r, uint64_t *set, uint32_t way)
{
    uint32_t n = r->leaves + way;
    set[0] = (set[0] & ~vio__plru_path[n]) | vio__plru_left[n];
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
void vio__drrip_fill(vio_repl *r, uint64_t *set, uint32_t way); /* repl.c: the table's op */

/* drrip (repl.c's comment has the mechanism and the source): the leader sets, the
 * selector and the bimodal draw, for the fill of way `way` of set `s`. */
#define VIO__DRRIP_PSEL_MAX 1023u
#define VIO__DRRIP_LEADER_PERIOD 64u /* one SRRIP and one BRRIP leader in every 64 sets */
#define VIO__DRRIP_NEAR_ONE_IN 32u
/* vio_rng_below(g, VIO__DRRIP_NEAR_ONE_IN) with the bound a constant: the same draws
 * rejected (those >= UINT64_MAX - UINT64_MAX % n) and the same remainder, without
 * its two 64-bit divisions by a variable. */
static inline uint64_t vio__drrip_draw(vio_rng *g)
{
    const uint64_t n = VIO__DRRIP_NEAR_ONE_IN, limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = vio_rng_next(g);
    while (x >= limit);
    return x % n;
}
static inline void vio__drrip_fill_at(vio_repl *r, uint32_t s, uint32_t way)
{
    uint32_t k = s % VIO__DRRIP_LEADER_PERIOD;
    int brrip;
    if (k == 0) { /* SRRIP leader: a fill is a miss */
        brrip = 0;
        if (r->psel < VIO__DRRIP_PSEL_MAX)
            r->psel++;
    } else if (k == VIO__DRRIP_LEADER_PERIOD / 2 + 1) { /* BRRIP leader */
        brrip = 1;
        if (r->psel > 0)
            r->psel--;
    } else {
        brrip = r->psel > VIO__DRRIP_PSEL_MAX / 2;
    }
    uint32_t v = 2;
    if (brrip && vio__drrip_draw(&r->rng) != 0)
        v = 3;
    uint64_t *set = vio__repl_set(r, s);
    set[0] = vio__rrpv_set(set[0], way, v);
}

static inline uint32_t vio__lru_victim(vio_repl *r, uint64_t *set, uint32_t mask)
{
    (void)r;
    uint32_t pick = (uint32_t)__builtin_ctz(mask);
    for (uint32_t m = mask & (mask - 1); m; m &= m - 1) {
        uint32_t w = (uint32_t)__builtin_ctz(m);
        if (set[w] < set[pick])
            pick = w;
    }
    return pick;
}
static inline uint32_t vio__plru_victim(vio_repl *r, uint64_t *set, uint32_t mask)
{
    if (mask == r->all && r->ways == r->leaves) {
        /* Every leaf allowed: the walk never turns back, it just follows the bits. */
        uint64_t bits = set[0];
        uint32_t node = 1;
        while (node < r->leaves)
            node = 2 * node + (uint32_t)((bits >> node) & 1u);
        return node - r->leaves;
    }
    uint32_t node = 1, span = r->leaves, first = 0;
    while (span > 1) {
        span >>= 1;
        uint64_t half = (1ull << span) - 1u;
        uint64_t left = half << first, right = half << (first + span);
        int go_right = (int)((set[0] >> node) & 1u);
        if (!(mask & (go_right ? right : left)))
            go_right = !go_right;
        node = 2 * node + (uint32_t)go_right;
        if (go_right)
            first += span;
    }
    return first;
}

/* srrip / drrip victims. */
/* Bit 2w set for every way w of `mask`: the low bit of each way's 2-bit field. */
static inline uint64_t vio__spread2(uint32_t mask)
{
    uint64_t x = mask;
    x = (x | x << 16) & 0x0000ffff0000ffffull;
    x = (x | x << 8) & 0x00ff00ff00ff00ffull;
    x = (x | x << 4) & 0x0f0f0f0f0f0f0f0full;
    x = (x | x << 2) & 0x3333333333333333ull;
    return (x | x << 1) & 0x5555555555555555ull;
}
/* The first allowed way at RRPV 3; else the first at the allowed maximum, after
 * ageing every allowed way by 3 - max (as repeated increments would, so that way
 * reaches 3 first). All 32 fields at once: field w's high and low bits. */
static inline uint32_t vio__srrip_victim(vio_repl *r, uint64_t *set, uint32_t mask)
{
    /* The unmasked selector is the low 2 x ways bits of 0101...: no spreading needed. */
    uint64_t sel = mask != r->all ? vio__spread2(mask)
                   : r->ways == 32 ? 0x5555555555555555ull : 0x5555555555555555ull & ((1ull << (2u * r->ways)) - 1u);
    uint64_t b = set[0];
    uint64_t hi = (b >> 1) & sel, lo = b & sel;
    uint64_t at3 = hi & lo;
    if (at3)
        return (uint32_t)__builtin_ctzll(at3) / 2u;
    uint64_t at_top = hi ? hi : lo ? lo : sel; /* the fields at the maximum (2, 1 or 0) */
    uint32_t top = hi ? 2u : lo ? 1u : 0u;
    /* Every allowed value is <= top, so adding 3 - top carries into no other field. */
    set[0] = b + (3u - top) * sel;
    return (uint32_t)__builtin_ctzll(at_top) / 2u;
}

/* vio_repl_victim for a mask already within the ways and not empty (random: its own call). */
VIO__REPL_INLINE static inline uint32_t vio__repl_victim(vio_repl *r, uint32_t set, uint32_t mask)
{
    switch (r->kind) {
    case VIO_REPL_LRU: return vio__lru_victim(r, vio__repl_set(r, set), mask);
    case VIO_REPL_PLRU: return vio__plru_victim(r, vio__repl_set(r, set), mask);
    case VIO_REPL_SRRIP:
    case VIO_REPL_DRRIP: return vio__srrip_victim(r, vio__repl_set(r, set), mask);
    default: return vio_repl_victim(r, set, mask);
    }
}

VIO__REPL_INLINE static inline void vio__repl_hit(vio_repl *r, uint32_t set, uint32_t way)
{
    switch (r->kind) {
    case VIO_REPL_LRU: vio__lru_touch(r, vio__repl_set(r, set), way); break;
    case VIO_REPL_PLRU: vio__plru_touch(r, vio__repl_set(r, set), way); break;
    case VIO_REPL_SRRIP:
    case VIO_REPL_DRRIP: vio__srrip_hit(r, vio__repl_set(r, set), way); break;
    default: break; /* random: no state */
    }
}

VIO__REPL_INLINE static inline void vio__repl_fill(vio_repl *r, uint32_t set, uint32_t way)
{
    switch (r->kind) {
    case VIO_REPL_LRU: vio__lru_touch(r, vio__repl_set(r, set), way); break;
    case VIO_REPL_PLRU: vio__plru_touch(r, vio__repl_set(r, set), way); break;
    case VIO_REPL_SRRIP: vio__srrip_fill(r, vio__repl_set(r, set), way); break;
    case VIO_REPL_DRRIP: vio__drrip_fill_at(r, set, way); break;
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
