/* Replacement policies: one table, one state array per structure (see repl.h). */
#include "viosim/repl.h"
#include "viosim/strategy.h"

#include "viosim/rng.h"

#include "models/repl_internal.h"

#include <stdlib.h>

/* ---- lru: one stamp per way, the smallest in the mask is the victim ---- */

static uint32_t lru_words(uint32_t ways) { return ways; }
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
/* The plru path tables of repl_internal.h, for heap nodes 0..63 (32 leaves at most):
 * node m's parent is m / 2; the walk up from n clears each ancestor's bit and sets
 * it when it arrives from the left child (the LRU side is then the right). */
#define PLRU_UP(m) ((m) > 1 ? 1ull << ((m) >> 1) : 0u)
#define PLRU_UPL(m) ((m) > 1 && !((m) & 1u) ? 1ull << ((m) >> 1) : 0u)
#define PLRU_PATH(n) (PLRU_UP(n) | PLRU_UP((n) >> 1) | PLRU_UP((n) >> 2) | PLRU_UP((n) >> 3) | PLRU_UP((n) >> 4) | \
                      PLRU_UP((n) >> 5))
#define PLRU_LEFT(n) (PLRU_UPL(n) | PLRU_UPL((n) >> 1) | PLRU_UPL((n) >> 2) | PLRU_UPL((n) >> 3) | \
                      PLRU_UPL((n) >> 4) | PLRU_UPL((n) >> 5))
#define PLRU_ROW8(F, b) F(b), F(b + 1), F(b + 2), F(b + 3), F(b + 4), F(b + 5), F(b + 6), F(b + 7)
#define PLRU_TABLE(F)                                                                                              \
    {PLRU_ROW8(F, 0u), PLRU_ROW8(F, 8u), PLRU_ROW8(F, 16u), PLRU_ROW8(F, 24u), PLRU_ROW8(F, 32u), PLRU_ROW8(F, 40u), \
     PLRU_ROW8(F, 48u), PLRU_ROW8(F, 56u)}
const uint64_t vio__plru_path[2 * VIO_REPL_MAX_WAYS] = PLRU_TABLE(PLRU_PATH);
const uint64_t vio__plru_left[2 * VIO_REPL_MAX_WAYS] = PLRU_TABLE(PLRU_LEFT);

/* ---- srrip: 2-bit re-reference prediction values, 32 of them in one word.
 * Insert with RRPV 2 ("long"), a hit sets 0, the victim is the first way with
 * RRPV 3, ageing every allowed way until one has it (Jaleel et al., ISCA 2010). */

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

/* The dueling itself is vio__drrip_fill_at (repl_internal.h, inline for the caches). */
void vio__drrip_fill(vio_repl *r, uint64_t *set, uint32_t way)
{
    vio__drrip_fill_at(r, (uint32_t)((size_t)(set - r->state) / r->words), way);
}

static const vio_repl_policy table[VIO_REPL_COUNT] = {
    [VIO_REPL_LRU] = {"lru", "true least-recently-used: the way touched longest ago is evicted",
     "textbook baseline (Hennessy & Patterson, Computer Architecture, 6th ed., Sec. 2.3 / App. B)",
     {lru_words, vio__lru_touch, vio__lru_touch, vio__lru_victim, lru_drop}},
    [VIO_REPL_RANDOM] = {"random", "uniform random victim from the structure's own seeded stream",
     "textbook baseline; seeded per structure from the scenario seed, so runs are reproducible",
     {none_words, none_touch, none_touch, random_victim, none_touch}},
    [VIO_REPL_PLRU] = {"plru", "tree pseudo-LRU: ways-1 bits point away from the most recent access",
     "tree-PLRU of Intel L1/L2 caches before Ice Lake (Abel & Reineke, ISPASS 2014; uops.info/cache.html)",
     {plru_words, vio__plru_touch, vio__plru_touch, vio__plru_victim, none_touch}},
    [VIO_REPL_SRRIP] = {"srrip", "2-bit static RRIP: insert at RRPV 2, hit to 0, evict the first RRPV 3, ageing the set",
     "Jaleel et al., \"High performance cache replacement using re-reference interval prediction (RRIP)\", "
     "ISCA 2010; Intel L3 since Ivy Bridge uses this quad-age family (Wong, blog.stuffedcow.net 2013; "
     "Abel & Reineke, nanoBench, ISPASS 2019: QLRU variants)",
     {plru_words, vio__srrip_hit, vio__srrip_fill, vio__srrip_victim, srrip_drop}},
    [VIO_REPL_DRRIP] = {"drrip", "dynamic RRIP: set dueling between SRRIP and bimodal (thrash-resistant) insertion",
     "Jaleel et al., ISCA 2010, Sec. 4 (DRRIP, 10-bit PSEL, BRRIP epsilon 1/32); adaptive L3 insertion on "
     "Intel since Ivy Bridge (Wong, blog.stuffedcow.net 2013, \"Intel Ivy Bridge cache replacement policy\")",
     {plru_words, vio__srrip_hit, vio__drrip_fill, vio__srrip_victim, srrip_drop}},
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
    vio_rng_seed(&r->rng, seed, stream);
    if (r->words) {
        r->state = calloc((size_t)sets * r->words, sizeof *r->state);
        if (!r->state) {
            free(r);
            return vio_err_set(err, VIO_ENOMEM, "replacement: out of memory for %u sets", sets);
        }
        r->psel = VIO__DRRIP_PSEL_MAX / 2 + 1; /* drrip: start undecided, leaning to neither */
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
    /* Every way if none of `mask` is within the associativity (vio__ways_within:
     * the GCC 12.2 peephole2 wrong-code its shape avoids had the signature above). */
    return r->ops->victim(r, set_of(r, set), vio__ways_within(mask, r->all));
}
