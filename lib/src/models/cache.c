/* Set-associative cache: tags in one flat array, sets contiguous, true LRU by
 * a per-line stamp (the smallest stamp among the allowed ways is the victim).
 * Associativity is small (<= 32), so a linear scan of a set is the fast path. */
#include "viosim/cache.h"

#include <stdlib.h>

#define EMPTY_LINE UINT64_MAX

struct vio_cache {
    uint32_t ways, sets;
    uint64_t set_mask;  /* sets - 1 when sets is a power of two, else 0 (use modulo) */
    unsigned set_bits;  /* log2(sets) for the hash fold */
    int hash_index;
    uint64_t clock; /* LRU stamp source; 64 bits never wraps in a run */
    /* Tag and LRU stamp side by side: a set's scan reads one contiguous run. */
    struct way {
        uint64_t tag; /* line address, EMPTY_LINE when invalid */
        uint64_t stamp;
    } *w;
    /* Coherence state, read only on a hit or a fill: one array, one miss. */
    struct meta {
        uint64_t sharers;
        uint32_t flags;
    } *m;
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
    if (sets > (1u << 24))
        return vio_err_set(err, VIO_EINVAL, "cache: %llu sets is more than the model supports (16M)",
                           (unsigned long long)sets);
    vio_cache *c = calloc(1, sizeof *c);
    size_t n = (size_t)sets * cfg->ways;
    if (c) {
        c->w = calloc(n, sizeof *c->w);
        c->m = calloc(n, sizeof *c->m);
    }
    if (!c || !c->w || !c->m) {
        vio_cache_destroy(c);
        return vio_err_set(err, VIO_ENOMEM, "cache: out of memory for %zu lines", n);
    }
    for (size_t i = 0; i < n; i++)
        c->w[i].tag = EMPTY_LINE;
    c->ways = cfg->ways;
    c->sets = (uint32_t)sets;
    c->hash_index = cfg->hash_index;
    if ((sets & (sets - 1)) == 0) {
        c->set_mask = sets - 1;
        while ((1ULL << c->set_bits) < sets)
            c->set_bits++;
    } else {
        c->set_bits = 16;
    }
    *out = c;
    return VIO_OK;
}

void vio_cache_destroy(vio_cache *c)
{
    if (!c)
        return;
    free(c->w);
    free(c->m);
    free(c);
}

uint32_t vio_cache_ways(const vio_cache *c) { return c->ways; }
uint32_t vio_cache_sets(const vio_cache *c) { return c->sets; }
uint32_t vio_cache_set_of(const vio_cache *c, uint64_t line)
{
    if (c->hash_index) {
        /* XOR-fold every higher group of index-width bits onto the low ones. */
        uint64_t h = line;
        for (uint64_t x = line >> c->set_bits; x; x >>= c->set_bits)
            h ^= x;
        line = h;
    }
    return c->set_mask ? (uint32_t)(line & c->set_mask) : (uint32_t)(line % c->sets);
}

int64_t vio_cache_find(const vio_cache *c, uint64_t line)
{
    const struct way *set = c->w + (size_t)vio_cache_set_of(c, line) * c->ways;
    for (uint32_t w = 0; w < c->ways; w++)
        if (set[w].tag == line)
            return (int64_t)(set - c->w) + w;
    return -1;
}

void vio_cache_touch(vio_cache *c, int64_t slot) { c->w[slot].stamp = ++c->clock; }

int64_t vio_cache_insert(vio_cache *c, uint64_t line, uint32_t way_mask, uint32_t flags,
                         vio_cache_victim *victim)
{
    uint32_t all = c->ways == 32 ? 0xffffffffu : ((1u << c->ways) - 1u);
    if ((way_mask & all) == 0)
        way_mask = all;
    size_t base = (size_t)vio_cache_set_of(c, line) * c->ways;
    size_t pick = SIZE_MAX;
    uint64_t oldest = UINT64_MAX;
    for (uint32_t w = 0; w < c->ways; w++) {
        if (!(way_mask & (1u << w)))
            continue;
        size_t s = base + w;
        if (c->w[s].tag == EMPTY_LINE) {
            pick = s;
            break;
        }
        if (c->w[s].stamp < oldest) {
            oldest = c->w[s].stamp;
            pick = s;
        }
    }
    vio_cache_victim v = {0, 0, 0, 0};
    if (c->w[pick].tag != EMPTY_LINE) {
        v.valid = 1;
        v.line = c->w[pick].tag;
        v.flags = c->m[pick].flags;
        v.sharers = c->m[pick].sharers;
        c->evictions++;
    }
    if (victim)
        *victim = v;
    c->w[pick].tag = line;
    c->w[pick].stamp = ++c->clock;
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
    c->w[s].tag = EMPTY_LINE;
    c->w[s].stamp = 0;
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
