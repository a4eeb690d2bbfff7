/* Internal helpers of the cache model for the hierarchy (memsys).
 *
 * The hierarchy makes about ten cache operations per line access (L1, L2, LLC
 * and snoop-filter lookups, fills and their victims' directory updates), so the
 * hot ones are here as inline functions on the cache's layout: memsys_coh.c
 * compiles them into its own paths, passing a set it already knows instead of
 * recomputing it, and cache.c's public calls are these same functions. */
#ifndef VIOSIM_CACHE_INTERNAL_H
#define VIOSIM_CACHE_INTERNAL_H

#include "viosim/cache.h"

#include "models/repl_internal.h"

#include <stddef.h>
#if defined(__SSE2__) && !defined(VIO_CACHE_SCALAR)
#include <emmintrin.h>
#endif

/* Let `c` use the set-index memo of `from` when both index the same way (same set
 * count and index function: the snoop filter and the LLC), so a line's hashed set,
 * computed for one, serves the other. Returns 1 if shared, 0 if the geometries
 * differ (then `c` keeps its own). `from` must outlive `c`. */
int vio__cache_share_index(vio_cache *c, const vio_cache *from);

/* The cache's counters as one index space, for the sampled mode's replays
 * (memsys_sample.c): k < VIO_CLS_COUNT: hits of class k; k < 2 * VIO_CLS_COUNT:
 * misses of class k - VIO_CLS_COUNT; k == 2 * VIO_CLS_COUNT: evictions. */
#define VIO__CACHE_COUNTERS (2u * VIO_CLS_COUNT + 1u)
uint64_t *vio__cache_counter(vio_cache *c, unsigned k);

/* The lookup is compiled into each of the hierarchy's call sites (GCC, clang). */
#if defined(__GNUC__)
#define VIO__INLINE_ALWAYS __attribute__((always_inline))
#else
#define VIO__INLINE_ALWAYS
#endif

#define VIO__EMPTY_LINE UINT64_MAX
#define VIO__EMPTY_HALF UINT32_MAX
#define VIO__MEMO_SLOTS 8u /* recent (line, set) pairs of a hashed index, direct-mapped by the line's low bits */

struct vio__index_memo {
    uint64_t line[VIO__MEMO_SLOTS];
    uint32_t set[VIO__MEMO_SLOTS];
};

struct vio_cache {
    uint32_t ways, sets;
    uint32_t stride;    /* fingerprint lanes per set: ways rounded up to a multiple of 4 */
    uint64_t set_mask;  /* sets - 1 when sets is a power of two, else 0 (use modulo) */
    unsigned set_bits;  /* width of one fold group of the hash (0 with one set) */
    /* Hash index with sets = 2^low_bits x slices (slices odd, > 1): see vio_cache_set_of. */
    unsigned low_bits;
    uint32_t slices;
    enum vio_cache_index index;
    int hashed;         /* the set comes from vio__cache_hash_set (a hashed index and more than one set) */
    uint32_t all;       /* mask of every way */
    /* Per set, `stride` lanes each: the low and high 32 bits of each way's line
     * address (VIO__EMPTY_LINE when the way is empty). Lane set * stride + way; a slot
     * handle (m[], the policy) is set * ways + way. */
    uint32_t *lo, *hi;
    /* Coherence state, read only on a hit or a fill: one array, one miss. */
    struct vio__cache_meta {
        uint64_t sharers;
        uint32_t flags;
        uint32_t aux; /* the hierarchy's own word for the line (memsys: its LLC set), in the padding */
    } *m;
    /* Hashed index only: recent set indices (a pointer, so const lookups may fill it;
     * shared with a structure of the same geometry, vio__cache_share_index). */
    struct vio__index_memo *memo;
    int owns_memo;
    vio_repl *repl;
    uint64_t hits[VIO_CLS_COUNT], misses[VIO_CLS_COUNT];
    uint64_t evictions;
};

/* The hashed index, computed: vio__cache_hash_in (below, inline into the lookups'
 * set computation), and the same as a call (cache.c). */
static inline uint32_t vio__cache_hash_in(const vio_cache *c, uint64_t line);
uint32_t vio__cache_hash_set(const vio_cache *c, uint64_t line);

/* Set index of `line` (vio_cache_set_of). */
static inline uint32_t vio__cache_set(const vio_cache *c, uint64_t line)
{
    if (!c->hashed)
        return c->set_mask ? (uint32_t)(line & c->set_mask) : (uint32_t)(line % c->sets);
    struct vio__index_memo *mm = c->memo;
    uint32_t k = (uint32_t)line & (VIO__MEMO_SLOTS - 1u);
    if (mm->line[k] != line) {
        mm->line[k] = line;
        mm->set[k] = vio__cache_hash_in(c, line);
    }
    return mm->set[k];
}

#if defined(__SSE2__) && !defined(VIO_CACHE_SCALAR)
/* Bits 0..3: which of the four lanes at `row` equal the key. */
static inline uint32_t vio__cache_lanes4(const uint32_t *row, __m128i k)
{
    __m128i v = _mm_load_si128((const __m128i *)(const void *)row);
    return (uint32_t)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(v, k)));
}
#endif

/* Bit w: lane w of a set's row equals `key` (lanes 0..stride-1). The usual
 * strides (8-way L1, 11- or 12-way LLC and snoop filter, 16-way L2) are unrolled. */
static inline uint32_t vio__cache_match(const uint32_t *row, uint32_t key, uint32_t stride)
{
    uint32_t m = 0;
#if defined(__SSE2__) && !defined(VIO_CACHE_SCALAR)
    __m128i k = _mm_set1_epi32((int)key);
    switch (stride) {
    case 4:
        return vio__cache_lanes4(row, k);
    case 8:
        return vio__cache_lanes4(row, k) | vio__cache_lanes4(row + 4, k) << 4;
    case 12:
        return vio__cache_lanes4(row, k) | vio__cache_lanes4(row + 4, k) << 4 | vio__cache_lanes4(row + 8, k) << 8;
    case 16:
        return vio__cache_lanes4(row, k) | vio__cache_lanes4(row + 4, k) << 4 | vio__cache_lanes4(row + 8, k) << 8 |
               vio__cache_lanes4(row + 12, k) << 12;
    default:
        for (uint32_t i = 0; i < stride; i += 4)
            m |= vio__cache_lanes4(row + i, k) << i;
    }
#else /* portable fallback: the same mask, one lane at a time */
    for (uint32_t i = 0; i < stride; i++)
        m |= (uint32_t)(row[i] == key) << i;
#endif
    return m;
}

/* Slot of `line` in `set`, or -1: the ways whose low half matches, lowest first,
 * confirmed on the high half (an empty way's never matches: see cache.c's top). */
VIO__INLINE_ALWAYS static inline int64_t vio__cache_find_in(const vio_cache *c, uint32_t set, uint64_t line)
{
    size_t row = (size_t)set * c->stride;
    uint32_t cand = vio__cache_match(c->lo + row, (uint32_t)line, c->stride) & c->all;
    for (; cand; cand &= cand - 1) {
        uint32_t w = (uint32_t)__builtin_ctz(cand);
        if (c->hi[row + w] == (uint32_t)(line >> 32))
            return (int64_t)((size_t)set * c->ways + w);
    }
    return -1;
}

static inline int64_t vio__cache_find(const vio_cache *c, uint64_t line)
{
    return vio__cache_find_in(c, vio__cache_set(c, line), line);
}

static inline void vio__cache_touch(vio_cache *c, int64_t slot)
{
    uint32_t s = (uint32_t)slot;
    vio__repl_hit(c->repl, s / c->ways, s % c->ways);
}

/* vio_cache_insert into `set` (the line's set, the line not resident) with a way
 * mask already reduced to the associativity and not empty; the line's aux word is
 * `aux`, the victim's is returned in *victim_aux (when valid). */
VIO__INLINE_ALWAYS static inline int64_t vio__cache_fill_aux(vio_cache *c, uint32_t set, uint64_t line,
                                                             uint32_t way_mask, uint32_t flags, uint32_t aux,
                                                             vio_cache_victim *victim, uint32_t *victim_aux)
{
    size_t base = (size_t)set * c->ways, row = (size_t)set * c->stride;
    uint32_t empty = vio__cache_match(c->hi + row, VIO__EMPTY_HALF, c->stride) & way_mask; /* an empty way first */
    uint32_t way = empty ? (uint32_t)__builtin_ctz(empty) : vio__repl_victim(c->repl, set, way_mask);
    size_t pick = base + way;
    if (c->hi[row + way] != VIO__EMPTY_HALF) {
        victim->valid = 1;
        victim->line = (uint64_t)c->hi[row + way] << 32 | c->lo[row + way];
        victim->flags = c->m[pick].flags;
        victim->sharers = c->m[pick].sharers;
        *victim_aux = c->m[pick].aux;
        c->evictions++;
    } else {
        victim->valid = 0;
        victim->line = 0;
        victim->flags = 0;
        victim->sharers = 0;
    }
    c->lo[row + way] = (uint32_t)line;
    c->hi[row + way] = (uint32_t)(line >> 32);
    vio__repl_fill(c->repl, set, way);
    c->m[pick].flags = flags;
    c->m[pick].sharers = 0;
    c->m[pick].aux = aux;
    return (int64_t)pick;
}

VIO__INLINE_ALWAYS static inline int64_t vio__cache_fill_in(vio_cache *c, uint32_t set, uint64_t line, uint32_t way_mask,
                                         uint32_t flags, vio_cache_victim *victim)
{
    uint32_t aux;
    return vio__cache_fill_aux(c, set, line, way_mask, flags, 0, victim, &aux);
}

/* The way mask vio_cache_insert uses for `way_mask`: its ways within the
 * associativity, or every way if none is (vio__ways_within, repl_internal.h). */
static inline uint32_t vio__cache_mask(const vio_cache *c, uint32_t way_mask)
{
    return vio__ways_within(way_mask, c->all);
}

/* Empty the resident slot `slot` (vio_cache_invalidate once the line is found). */
static inline void vio__cache_drop_slot(vio_cache *c, int64_t slot)
{
    uint32_t s = (uint32_t)slot, set = s / c->ways, way = s % c->ways;
    c->lo[(size_t)set * c->stride + way] = VIO__EMPTY_HALF;
    c->hi[(size_t)set * c->stride + way] = VIO__EMPTY_HALF;
    vio__repl_drop(c->repl, set, way);
    c->m[s].flags = 0;
    c->m[s].sharers = 0;
}

/* vio_cache_insert, inline. */
static inline int64_t vio__cache_insert(vio_cache *c, uint64_t line, uint32_t way_mask, uint32_t flags,
                                        vio_cache_victim *victim)
{
    return vio__cache_fill_in(c, vio__cache_set(c, line), line, vio__cache_mask(c, way_mask), flags, victim);
}

/* vio_cache_invalidate, inline, of `line` found at slot `s` (-1: not resident). */
static inline int vio__cache_invalidate_at(vio_cache *c, int64_t s, uint64_t line, vio_cache_victim *removed)
{
    if (s < 0)
        return 0;
    if (removed) {
        removed->valid = 1;
        removed->line = line;
        removed->flags = c->m[s].flags;
        removed->sharers = c->m[s].sharers;
    }
    vio__cache_drop_slot(c, s);
    return 1;
}
static inline int vio__cache_invalidate(vio_cache *c, uint64_t line, vio_cache_victim *removed)
{
    return vio__cache_invalidate_at(c, vio__cache_find(c, line), line, removed);
}

static inline uint32_t vio__cache_way_of(const vio_cache *c, int64_t slot) { return (uint32_t)((uint64_t)slot % c->ways); }
static inline uint32_t vio__cache_aux(const vio_cache *c, int64_t slot) { return c->m[slot].aux; }
static inline void vio__cache_set_aux(vio_cache *c, int64_t slot, uint32_t a) { c->m[slot].aux = a; }
static inline uint32_t vio__cache_flags(const vio_cache *c, int64_t slot) { return c->m[slot].flags; }
static inline void vio__cache_set_flags(vio_cache *c, int64_t slot, uint32_t f) { c->m[slot].flags = f; }
static inline uint64_t vio__cache_sharers(const vio_cache *c, int64_t slot) { return c->m[slot].sharers; }
static inline void vio__cache_set_sharers(vio_cache *c, int64_t slot, uint64_t sh) { c->m[slot].sharers = sh; }
static inline void vio__cache_count(vio_cache *c, enum vio_access_class cls, int hit)
{
    if (hit)
        c->hits[cls]++;
    else
        c->misses[cls]++;
}

/* Skylake-SP's measured slice hash for 18 LLC slices (cache_slice.c: McCalpin,
 * TACC TR-2021-03, the tables and why); small and inline. */
extern const uint8_t vio__skx18_base[4096];
extern const uint64_t vio__skx18_perm_mask[12];
extern const uint16_t vio__skx18_sel_lo[1024], vio__skx18_sel_hi[1024];

/* The physical address a model line address stands for: the model's regions
 * (2^43 apart) laid out 8 GiB apart in a 256 GiB physical space, a layout
 * assumption (where the OS put the memory), not a property of the hash. */
static inline uint64_t vio__skx18_paddr(uint64_t line)
{
    uint64_t a = line << 6; /* byte address; a line address is below 2^58 */
    return (a & ((1ull << 33) - 1u)) | (((a >> 43) & 31u) << 33);
}

/* The slice 0..17: the base sequence at address bits 6..17 XORed with the
 * selector, whose bit k is the parity of the address under mask k (here by the
 * two tables of cache_slice.c). */
static inline uint32_t vio__skx18_slice(uint64_t line)
{
    uint64_t pa = vio__skx18_paddr(line);
    uint32_t sel = (uint32_t)vio__skx18_sel_lo[(pa >> 18) & 1023u] ^ vio__skx18_sel_hi[(pa >> 28) & 1023u];
    return vio__skx18_base[((uint32_t)(pa >> 6) & 4095u) ^ sel];
}

static inline uint32_t vio__cache_hash_in(const vio_cache *c, uint64_t line)
{
    if (c->index != VIO_CACHE_INDEX_HASH) /* the measured Skylake-SP index: slice, then the set within it */
        return vio__skx18_slice(line) * (c->sets / 18u) + (uint32_t)(line & (c->sets / 18u - 1u));
    /* XOR-fold every higher group of index-width bits onto the low ones. */
    uint64_t h = line;
    for (uint64_t x = line >> c->set_bits; x; x >>= c->set_bits)
        h ^= x;
    if (c->set_mask)
        return (uint32_t)(h & c->set_mask);
    /* A slice count that is not a power of two: the slice is a hash of the whole
     * line address, the set within the slice its (folded) low bits, as on Intel
     * parts whose slice hash maps every address bit onto 18 or 28 slices (Maurice
     * et al., RAID 2015; Yarom et al., "Mapping the Intel last-level cache", IACR
     * ePrint 2015/905). A plain fold reduced modulo the set count would load two
     * thirds of the sets twice as much as the rest; every slice gets the same share
     * here. The mixer is the splitmix64 finaliser (any balanced hash would do). */
    uint64_t z = line + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    uint32_t slice = (uint32_t)(z % c->slices);
    return (slice << c->low_bits) | (uint32_t)(h & ((1ull << c->low_bits) - 1u));
}

#endif
