/* Replacement policies: one table, one state array per structure (see repl.h). */
#include "viosim/repl.h"
#include "viosim/strategy.h"

#include "viosim/rng.h"

#include "models/repl_internal.h"

#include <stdlib.h>

/* ---- lru: one stamp per way, the smallest in the mask is the victim ---- */

static uint32_t lru_words(uint32_t ways) { return ways; }
static uint32_t lru_victim(vio_repl *r, uint64_t *set, uint32_t mask)
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
static void lru_drop(vio_repl *r, uint64_t *set, uint32_t way)
{
    (void)r;
    set[way] = 0;
}

/* ---- random: no state, a uniform draw among the ways of the mask ---- */

static uint32_t none_words(uint32_t ways)
{
    (void)ways;
    return 0;
}
static void none_touch(vio_repl *r, uint64_t *set, uint32_t way)
{
    (void)r;
    (void)set;
    (void)way;
}
static uint32_t random_victim(vio_repl *r, uint64_t *set, uint32_t mask)
{
    (void)set;
    uint64_t k = vio_rng_below(&r->rng, (uint64_t)__builtin_popcount(mask));
    while (k--)
        mask &= mask - 1;
    return (uint32_t)__builtin_ctz(mask);
}

/* ---- plru: a binary tree of leaves-1 bits over the ways (heap order, root = bit 1).
 * A bit says which half holds the pseudo-least-recently-used way: 0 left, 1 right.
 * An access points every node on its path away from the accessed way. With a way
 * mask the walk enters a half only if it holds an allowed way. Non-power-of-two
 * associativity (11 ways) uses a 16-leaf tree whose missing leaves are never allowed. */

static uint32_t plru_words(uint32_t ways)
{
    (void)ways;
    return 1;
}
static uint32_t plru_victim(vio_repl *r, uint64_t *set, uint32_t mask)
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

/* ---- srrip: 2-bit re-reference prediction values, 32 of them in one word.
 * Insert with RRPV 2 ("long"), a hit sets 0, the victim is the first way with
 * RRPV 3, ageing every allowed way until one has it (Jaleel et al., ISCA 2010). */

/* Bit 2w set for every way w of `mask`: the low bit of each way's 2-bit field. */
static uint64_t spread2(uint32_t mask)
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
static uint32_t srrip_victim(vio_repl *r, uint64_t *set, uint32_t mask)
{
    (void)r;
    uint64_t b = set[0], sel = spread2(mask);
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
static void srrip_drop(vio_repl *r, uint64_t *set, uint32_t way)
{
    (void)r;
    set[0] = vio__rrpv_set(set[0], way, 3);
}

/* ---- drrip: dynamic RRIP (Jaleel et al., ISCA 2010, Sec. 4). Two groups of
 * leader sets always insert with SRRIP (RRPV 2) or with bimodal RRIP (BRRIP:
 * RRPV 3, "distant", except one fill in 32 at 2); a 10-bit saturating selector
 * counts their misses (a miss in an SRRIP leader counts up, in a BRRIP leader
 * down) and every other set inserts as the leaders that miss less. Under a cyclic
 * working set larger than the cache, SRRIP (like LRU) evicts each line before its
 * reuse, while BRRIP keeps most of the resident lines and lets only the new ones
 * churn: the hit rate degrades gradually with the overload instead of collapsing.
 * Hits and victims are SRRIP's. Set dueling of this kind is what Wong measured on
 * Ivy Bridge's L3 (blog.stuffedcow.net, 2013: an adaptive policy resembling DIP /
 * DRRIP). */

#define PSEL_MAX 1023u
#define LEADER_PERIOD 64u /* one SRRIP and one BRRIP leader in every 64 sets */
#define BRRIP_NEAR_ONE_IN 32u

void vio__drrip_fill(vio_repl *r, uint64_t *set, uint32_t way)
{
    uint32_t s = (uint32_t)((size_t)(set - r->state) / r->words), k = s % LEADER_PERIOD;
    int brrip;
    if (k == 0) { /* SRRIP leader: a fill is a miss */
        brrip = 0;
        if (r->psel < PSEL_MAX)
            r->psel++;
    } else if (k == LEADER_PERIOD / 2 + 1) { /* BRRIP leader */
        brrip = 1;
        if (r->psel > 0)
            r->psel--;
    } else {
        brrip = r->psel > PSEL_MAX / 2;
    }
    uint32_t v = 2;
    if (brrip && vio_rng_below(&r->rng, BRRIP_NEAR_ONE_IN) != 0)
        v = 3;
    set[0] = vio__rrpv_set(set[0], way, v);
}

static const vio_repl_policy table[VIO_REPL_COUNT] = {
    [VIO_REPL_LRU] = {"lru", "true least-recently-used: the way touched longest ago is evicted",
     "textbook baseline (Hennessy & Patterson, Computer Architecture, 6th ed., Sec. 2.3 / App. B)",
     {lru_words, vio__lru_touch, vio__lru_touch, lru_victim, lru_drop}},
    [VIO_REPL_RANDOM] = {"random", "uniform random victim from the structure's own seeded stream",
     "textbook baseline; seeded per structure from the scenario seed, so runs are reproducible",
     {none_words, none_touch, none_touch, random_victim, none_touch}},
    [VIO_REPL_PLRU] = {"plru", "tree pseudo-LRU: ways-1 bits point away from the most recent access",
     "tree-PLRU of Intel L1/L2 caches before Ice Lake (Abel & Reineke, ISPASS 2014; uops.info/cache.html)",
     {plru_words, vio__plru_touch, vio__plru_touch, plru_victim, none_touch}},
    [VIO_REPL_SRRIP] = {"srrip", "2-bit static RRIP: insert at RRPV 2, hit to 0, evict the first RRPV 3, ageing the set",
     "Jaleel et al., \"High performance cache replacement using re-reference interval prediction (RRIP)\", "
     "ISCA 2010; Intel L3 since Ivy Bridge uses this quad-age family (Wong, blog.stuffedcow.net 2013; "
     "Abel & Reineke, nanoBench, ISPASS 2019: QLRU variants)",
     {plru_words, vio__srrip_hit, vio__srrip_fill, srrip_victim, srrip_drop}},
    [VIO_REPL_DRRIP] = {"drrip", "dynamic RRIP: set dueling between SRRIP and bimodal (thrash-resistant) insertion",
     "Jaleel et al., ISCA 2010, Sec. 4 (DRRIP, 10-bit PSEL, BRRIP epsilon 1/32); adaptive L3 insertion on "
     "Intel since Ivy Bridge (Wong, blog.stuffedcow.net 2013, \"Intel Ivy Bridge cache replacement policy\")",
     {plru_words, vio__srrip_hit, vio__drrip_fill, srrip_victim, srrip_drop}},
};

const vio_repl_policy *vio_repl_table(void) { return table; }

/* `platform.*.replacement` and the IOTLB's policy name a row of this table. */
const vio_axis vio_axis_replacement = {"replacement", "platform.llc.replacement",
                                       "replacement policy of a cache or TLB (also platform.l1, l2)",
                                       VIO_AXIS_ROWS(vio_repl_policy, table, VIO_REPL_COUNT)};

int vio_repl_find(const char *name)
{
    for (int i = 0; name && i < (int)VIO_REPL_COUNT; i++) {
        const char *a = table[i].name, *b = name;
        while (*a && *a == *b)
            a++, b++;
        if (!*a && !*b)
            return i;
    }
    return -1;
}

uint64_t vio_repl_footprint(enum vio_repl_kind kind, uint32_t sets, uint32_t ways)
{
    if ((unsigned)kind >= VIO_REPL_COUNT)
        return sizeof(vio_repl);
    return sizeof(vio_repl) + (uint64_t)sets * table[kind].ops.words(ways) * sizeof(uint64_t);
}

int vio_repl_create(enum vio_repl_kind kind, uint32_t sets, uint32_t ways, uint64_t seed, uint64_t stream,
                    vio_repl **out, vio_err *err)
{
    *out = NULL;
    if ((unsigned)kind >= VIO_REPL_COUNT)
        return vio_err_set(err, VIO_EINVAL, "replacement: policy %u does not exist", (unsigned)kind);
    if (ways == 0 || ways > VIO_REPL_MAX_WAYS || sets == 0)
        return vio_err_set(err, VIO_EINVAL, "replacement: %u sets x %u ways (ways must be 1..%u)", sets, ways,
                           VIO_REPL_MAX_WAYS);
    vio_repl *r = calloc(1, sizeof *r);
    if (!r)
        return vio_err_set(err, VIO_ENOMEM, "replacement: out of memory");
    r->kind = kind;
    r->ops = &table[kind].ops;
    r->sets = sets;
    r->ways = ways;
    r->words = r->ops->words(ways);
    r->all = ways == 32 ? 0xffffffffu : (1u << ways) - 1u;
    r->leaves = 2;
    while (r->leaves < ways)
        r->leaves <<= 1;
    for (uint32_t w = 0; w < ways; w++) { /* plru: each way's path, as the walk up the tree sets it */
        uint64_t keep = UINT64_MAX, set = 0;
        for (uint32_t node = r->leaves + w; node > 1; node >>= 1) {
            uint32_t parent = node >> 1;
            keep &= ~(1ull << parent);
            if (!(node & 1u)) /* came from the left: the LRU side is the right */
                set |= 1ull << parent;
        }
        r->plru_keep[w] = keep;
        r->plru_set[w] = set;
    }
    vio_rng_seed(&r->rng, seed, stream);
    if (r->words) {
        r->state = calloc((size_t)sets * r->words, sizeof *r->state);
        if (!r->state) {
            free(r);
            return vio_err_set(err, VIO_ENOMEM, "replacement: out of memory for %u sets", sets);
        }
        r->psel = PSEL_MAX / 2 + 1; /* drrip: start undecided, leaning to neither */
        if (kind == VIO_REPL_SRRIP || kind == VIO_REPL_DRRIP) /* every way starts at "distant" */
            for (uint32_t s = 0; s < sets; s++)
                r->state[s] = UINT64_MAX;
    }
    *out = r;
    return VIO_OK;
}

void vio_repl_destroy(vio_repl *r)
{
    if (!r)
        return;
    free(r->state);
    free(r);
}

enum vio_repl_kind vio_repl_kind_of(const vio_repl *r) { return r->kind; }

static uint64_t *set_of(vio_repl *r, uint32_t set) { return r->state + (size_t)set * r->words; }

void vio_repl_hit(vio_repl *r, uint32_t set, uint32_t way) { r->ops->hit(r, set_of(r, set), way); }
void vio_repl_fill(vio_repl *r, uint32_t set, uint32_t way) { r->ops->fill(r, set_of(r, set), way); }
void vio_repl_drop(vio_repl *r, uint32_t set, uint32_t way) { r->ops->drop(r, set_of(r, set), way); }

/* noipa: GCC 12.2 (Debian 12.2.0-14), in the LTO build the CLI links, inlined this
 * into vio_cache_insert and computed `mask &= r->all` from a register holding the
 * caller's `flags` argument instead of r->all (disassembly: `and %ecx,%edi` before
 * r->all is loaded); with flags 0 every masked fill (DDIO's I/O ways, CAT) then
 * chose its victim among all ways, so the CLI's DDIO write hit rates were those of
 * an unrestricted LLC (the ddio-bench ways target: 99.9 % instead of 65 %) while
 * the tests, linked without LTO, saw the right ones. test_cache_identity_lto runs
 * the identity test on the LTO build. */
__attribute__((noipa)) uint32_t vio_repl_victim(vio_repl *r, uint32_t set, uint32_t mask)
{
    mask &= r->all;
    if (!mask)
        mask = r->all;
    return r->ops->victim(r, set_of(r, set), mask);
}
