/* Set-associative cache: tags in one flat array, sets contiguous; the
 * replacement state lives in a vio_repl (repl.h), apart from the tags, so the
 * layout does not depend on the policy. Associativity is small (<= 32), so a
 * linear scan of a set's tags is the fast path. */
#include "viosim/cache.h"
#include "viosim/strategy.h"

#include <stdlib.h>

/* The index functions, registered by name (platform.llc.index); the row of
 * enum value k is table[k] by construction. */
typedef struct index_row {
    const char *name, *help;
} index_row;
static const index_row index_table[VIO_CACHE_INDEX_COUNT] = {
    [VIO_CACHE_INDEX_MODULO] = {"modulo", "the low line-address bits select the set (line mod sets)"},
    [VIO_CACHE_INDEX_HASH] = {"hash", "an XOR fold of every index-width group of line-address bits (Intel's "
                                      "LLC slice/set hash, Maurice et al., RAID 2015)"},
};
const vio_axis vio_axis_cache_index = {"index", "platform.llc.index", "how a line address selects its cache set",
                                       VIO_AXIS_ROWS(index_row, index_table, VIO_CACHE_INDEX_COUNT)};

#define EMPTY_LINE UINT64_MAX

struct vio_cache {
    uint32_t ways, sets;
    uint64_t set_mask;  /* sets - 1 when sets is a power of two, else 0 (use modulo) */
    unsigned set_bits;  /* width of one fold group of the hash (0 with one set) */
    /* Hash index with sets = 2^low_bits x slices (slices odd, > 1): see vio_cache_set_of. */
    unsigned low_bits;
    uint32_t slices;
    enum vio_cache_index index;
    uint32_t all;       /* mask of every way */
    uint64_t *tag;      /* line address per slot, EMPTY_LINE when invalid */
    /* Coherence state, read only on a hit or a fill: one array, one miss. */
    struct meta {
        uint64_t sharers;
        uint32_t flags;
    } *m;
    vio_repl *repl;
    uint64_t hits[VIO_CLS_COUNT], misses[VIO_CLS_COUNT];
    uint64_t evictions;
};

int vio_cache_create(const vio_cache_config *cfg, vio_cache **out, vio_err *err)
{
    *out = NULL;
    if (cfg->ways == 0 || cfg->ways > VIO_CACHE_MAX_WAYS)
        return vio_err_set(err, VIO_EINVAL, "cache: ways must be 1..%u, got %u", VIO_CACHE_MAX_WAYS, cfg->ways);
    uint64_t way_bytes = (uint64_t)cfg->ways * VIO_LINE_BYTES;
    if (cfg->size_bytes == 0 || cfg->size_bytes % way_bytes != 0)
        return vio_err_set(err, VIO_EINVAL,
                           "cache: size %llu bytes is not a multiple of ways x 64 B (%llu)",
                           (unsigned long long)cfg->size_bytes, (unsigned long long)way_bytes);
    uint64_t sets = cfg->size_bytes / way_bytes;
    if (sets > VIO_CACHE_MAX_SETS)
        return vio_err_set(err, VIO_EINVAL, "cache: %llu sets is more than the model supports (16M)",
                           (unsigned long long)sets);
    if ((unsigned)cfg->index >= VIO_CACHE_INDEX_COUNT)
        return vio_err_set(err, VIO_EINVAL, "cache: index function %u does not exist", (unsigned)cfg->index);
    vio_cache *c = calloc(1, sizeof *c);
    size_t n = (size_t)sets * cfg->ways;
    int rc = VIO_OK;
    if (c) {
        c->tag = malloc(n * sizeof *c->tag);
        c->m = calloc(n, sizeof *c->m);
        rc = vio_repl_create(cfg->repl, (uint32_t)sets, cfg->ways, cfg->seed, cfg->stream, &c->repl, err);
    }
    if (rc != VIO_OK) {
        vio_cache_destroy(c);
        return rc;
    }
    if (!c || !c->tag || !c->m) {
        vio_cache_destroy(c);
        return vio_err_set(err, VIO_ENOMEM, "cache: out of memory for %zu lines", n);
    }
    for (size_t i = 0; i < n; i++)
        c->tag[i] = EMPTY_LINE;
    c->ways = cfg->ways;
    c->sets = (uint32_t)sets;
    c->index = cfg->index;
    c->all = cfg->ways == 32 ? 0xffffffffu : (1u << cfg->ways) - 1u;
    if ((sets & (sets - 1)) == 0) {
        c->set_mask = sets - 1;
        while ((1ULL << c->set_bits) < sets)
            c->set_bits++;
    } else {
        /* Not a power of two (Skylake-SP: 18 slices x 2048 sets = 36864 = 2^12 x 9):
         * the power-of-two factor is indexed like a power-of-two cache, the odd
         * factor by a slice hash (vio_cache_set_of). */
        while (((sets >> c->low_bits) & 1u) == 0)
            c->low_bits++;
        c->slices = (uint32_t)(sets >> c->low_bits);
        c->set_bits = c->low_bits ? c->low_bits : 16;
    }
    *out = c;
    return VIO_OK;
}

uint64_t vio_cache_footprint(const vio_cache_config *cfg)
{
    uint64_t lines = cfg->size_bytes / VIO_LINE_BYTES;
    uint64_t sets = cfg->ways ? lines / cfg->ways : 0;
    return sizeof(vio_cache) + lines * (sizeof(uint64_t) + sizeof(struct meta)) +
           vio_repl_footprint(cfg->repl, (uint32_t)sets, cfg->ways);
}

void vio_cache_destroy(vio_cache *c)
{
    if (!c)
        return;
    free(c->tag);
    free(c->m);
    vio_repl_destroy(c->repl);
    free(c);
}

uint32_t vio_cache_ways(const vio_cache *c) { return c->ways; }
uint32_t vio_cache_sets(const vio_cache *c) { return c->sets; }
uint32_t vio_cache_set_of(const vio_cache *c, uint64_t line)
{
    if (c->sets == 1)
        return 0; /* one set: nothing to select (and a fold of 0-bit groups would never end) */
    if (c->index != VIO_CACHE_INDEX_HASH)
        return c->set_mask ? (uint32_t)(line & c->set_mask) : (uint32_t)(line % c->sets);
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

int64_t vio_cache_find(const vio_cache *c, uint64_t line)
{
    const uint64_t *set = c->tag + (size_t)vio_cache_set_of(c, line) * c->ways;
    for (uint32_t w = 0; w < c->ways; w++)
        if (set[w] == line)
            return (int64_t)(set - c->tag) + w;
    return -1;
}

void vio_cache_touch(vio_cache *c, int64_t slot)
{
    uint32_t s = (uint32_t)slot;
    vio_repl_hit(c->repl, s / c->ways, s % c->ways);
}

int64_t vio_cache_insert(vio_cache *c, uint64_t line, uint32_t way_mask, uint32_t flags,
                         vio_cache_victim *victim)
{
    if ((way_mask & c->all) == 0)
        way_mask = c->all;
    way_mask &= c->all;
    uint32_t set = vio_cache_set_of(c, line);
    size_t base = (size_t)set * c->ways;
    uint32_t way = UINT32_MAX;
    for (uint32_t m = way_mask; m; m &= m - 1) { /* an empty way first, lowest index */
        uint32_t w = (uint32_t)__builtin_ctz(m);
        if (c->tag[base + w] == EMPTY_LINE) {
            way = w;
            break;
        }
    }
    if (way == UINT32_MAX)
        way = vio_repl_victim(c->repl, set, way_mask);
    size_t pick = base + way;
    vio_cache_victim v = {0, 0, 0, 0};
    if (c->tag[pick] != EMPTY_LINE) {
        v.valid = 1;
        v.line = c->tag[pick];
        v.flags = c->m[pick].flags;
        v.sharers = c->m[pick].sharers;
        c->evictions++;
    }
    if (victim)
        *victim = v;
    c->tag[pick] = line;
    vio_repl_fill(c->repl, set, way);
    c->m[pick].flags = flags;
    c->m[pick].sharers = 0;
    return (int64_t)pick;
}

int vio_cache_invalidate(vio_cache *c, uint64_t line, vio_cache_victim *removed)
{
    int64_t s = vio_cache_find(c, line);
    if (s < 0)
        return 0;
    if (removed) {
        removed->valid = 1;
        removed->line = line;
        removed->flags = c->m[s].flags;
        removed->sharers = c->m[s].sharers;
    }
    c->tag[s] = EMPTY_LINE;
    vio_repl_drop(c->repl, (uint32_t)s / c->ways, (uint32_t)s % c->ways);
    c->m[s].flags = 0;
    c->m[s].sharers = 0;
    return 1;
}

uint32_t vio_cache_flags(const vio_cache *c, int64_t slot) { return c->m[slot].flags; }
void vio_cache_set_flags(vio_cache *c, int64_t slot, uint32_t flags) { c->m[slot].flags = flags; }
uint64_t vio_cache_sharers(const vio_cache *c, int64_t slot) { return c->m[slot].sharers; }
void vio_cache_set_sharers(vio_cache *c, int64_t slot, uint64_t sharers) { c->m[slot].sharers = sharers; }
uint32_t vio_cache_way_of(const vio_cache *c, int64_t slot) { return (uint32_t)((uint64_t)slot % c->ways); }

void vio_cache_count(vio_cache *c, enum vio_access_class cls, int hit)
{
    if (hit)
        c->hits[cls]++;
    else
        c->misses[cls]++;
}
uint64_t vio_cache_hits(const vio_cache *c, enum vio_access_class cls) { return c->hits[cls]; }
uint64_t vio_cache_misses(const vio_cache *c, enum vio_access_class cls) { return c->misses[cls]; }
uint64_t vio_cache_evictions(const vio_cache *c) { return c->evictions; }

void vio_cache_reset_stats(vio_cache *c)
{
    for (int k = 0; k < VIO_CLS_COUNT; k++)
        c->hits[k] = c->misses[k] = 0;
    c->evictions = 0;
}

const char *vio_access_class_name(enum vio_access_class cls)
{
    static const char *const names[VIO_CLS_COUNT] = {
        [VIO_CLS_CPU_READ] = "cpu_read", [VIO_CLS_CPU_WRITE] = "cpu_write", [VIO_CLS_DMA_WRITE] = "dma_write",
        [VIO_CLS_WALK] = "walk", [VIO_CLS_DEV_READ] = "dev_read"};
    return (unsigned)cls < VIO_CLS_COUNT ? names[cls] : "?";
}

int vio_cache_register_stats(const vio_cache *c, vio_stats *st, const char *prefix, unsigned classes, vio_err *err)
{
    int rc = VIO_OK;
    for (int k = 0; rc == VIO_OK && k < VIO_CLS_COUNT; k++) {
        if (!(classes & (1u << k)))
            continue;
        const char *n = vio_access_class_name((enum vio_access_class)k);
        rc = vio_stats_counter(st, &c->hits[k], "lookups of this class that hit", err, "%s.%s.hits", prefix, n);
        if (rc == VIO_OK)
            rc = vio_stats_counter(st, &c->misses[k], "lookups of this class that missed", err, "%s.%s.misses",
                                   prefix, n);
    }
    if (rc == VIO_OK)
        rc = vio_stats_counter(st, &c->evictions, "valid lines evicted by a fill", err, "%s.evictions", prefix);
    return rc;
}
