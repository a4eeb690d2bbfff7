/* Set-associative cache. Each set keeps its line addresses split in two rows of
 * 32-bit lanes (padded to a multiple of four lanes): the low halves, which one
 * SSE2 compare per four ways searches, and the high halves, read only to confirm
 * a match, so lookups are exact at any address; an empty way holds UINT64_MAX,
 * whose high half no line address has (a line is a byte address / 64), so one
 * compare of the high row finds the empty ways. The replacement state lives in a vio_repl (repl.h), apart from the
 * tags, so the layout does not depend on the policy. A small memo of recent
 * (line, set) pairs spares the hashed index its recomputation: one line access
 * looks the same line up several times (private caches, snoop filter, LLC).
 * Decisions (set, way, victim) are those of the plain scan the cache had before
 * (tests/cache_ref.inc; test_cache_identity compares the two). */
#include "viosim/cache.h"
#include "viosim/strategy.h"

#include "models/cache_internal.h"

#include <stdlib.h>
#include <string.h>

#define EMPTY_LINE VIO__EMPTY_LINE
#define MEMO_SLOTS VIO__MEMO_SLOTS

/* The index functions, registered by name (platform.llc.index); the row of
 * enum value k is table[k] by construction. */
typedef struct index_row {
    const char *name, *help;
} index_row;
static const index_row index_table[VIO_CACHE_INDEX_COUNT] = {
    [VIO_CACHE_INDEX_MODULO] = {"modulo", "the low line-address bits select the set (line mod sets)"},
    [VIO_CACHE_INDEX_HASH] = {"hash", "an XOR fold of every index-width group of line-address bits (Intel's "
                                      "LLC slice/set hash, Maurice et al., RAID 2015)"},
    [VIO_CACHE_INDEX_SKX18] = {"skx18", "Skylake-SP's measured 18-slice hash (McCalpin, TACC TR-2021-03, 2021: a "
                                        "4096-entry base sequence of slices under XOR permutations of address "
                                        "bits 18-37), the set within the slice from address bits 6-16; needs "
                                        "18 x 2^k sets"},
};
const vio_axis vio_axis_cache_index = {"index", "platform.llc.index", "how a line address selects its cache set",
                                       VIO_AXIS_ROWS(index_row, index_table, VIO_CACHE_INDEX_COUNT)};

static uint32_t stride_of(uint32_t ways) { return (ways + 3u) & ~3u; }

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
    if (cfg->index == VIO_CACHE_INDEX_SKX18 && (sets % 18 != 0 || ((sets / 18) & (sets / 18 - 1)) != 0))
        return vio_err_set(err, VIO_EINVAL,
                           "cache: index skx18 needs 18 slices x a power of two sets, got %llu sets (%llu KiB, "
                           "%u ways)",
                           (unsigned long long)sets, (unsigned long long)(cfg->size_bytes / 1024), cfg->ways);
    vio_cache *c = calloc(1, sizeof *c);
    size_t n = (size_t)sets * cfg->ways;
    uint32_t stride = stride_of(cfg->ways);
    int rc = VIO_OK;
    if (c) {
        c->m = calloc(n, sizeof *c->m);
        /* 16-byte rows for the SSE2 loads; the size is a multiple of 16 (stride % 4 == 0). */
        c->lo = aligned_alloc(16, (size_t)sets * stride * sizeof *c->lo);
        c->hi = aligned_alloc(16, (size_t)sets * stride * sizeof *c->hi);
        if (cfg->index != VIO_CACHE_INDEX_MODULO) {
            c->memo = malloc(sizeof *c->memo);
            c->owns_memo = 1;
        }
        rc = vio_repl_create(cfg->repl, (uint32_t)sets, cfg->ways, cfg->seed, cfg->stream, &c->repl, err);
    }
    if (rc != VIO_OK) {
        vio_cache_destroy(c);
        return rc;
    }
    if (!c || !c->m || !c->lo || !c->hi || (cfg->index != VIO_CACHE_INDEX_MODULO && !c->memo)) {
        vio_cache_destroy(c);
        return vio_err_set(err, VIO_ENOMEM, "cache: out of memory for %zu lines", n);
    }
    /* Every lane empty; padding lanes too (they are outside every way mask). */
    memset(c->lo, 0xff, (size_t)sets * stride * sizeof *c->lo);
    memset(c->hi, 0xff, (size_t)sets * stride * sizeof *c->hi);
    for (uint32_t i = 0; c->memo && i < MEMO_SLOTS; i++) {
        c->memo->line[i] = EMPTY_LINE; /* no line address is UINT64_MAX (a byte address / 64) */
        c->memo->set[i] = 0;
    }
    c->ways = cfg->ways;
    c->sets = (uint32_t)sets;
    c->stride = stride;
    c->index = cfg->index;
    c->hashed = c->memo != NULL && sets > 1; /* one set: nothing to select */
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
    return sizeof(vio_cache) + (cfg->index != VIO_CACHE_INDEX_MODULO ? sizeof(struct vio__index_memo) : 0) +
           lines * sizeof(struct vio__cache_meta) + sets * (uint64_t)stride_of(cfg->ways) * 2u * sizeof(uint32_t) +
           vio_repl_footprint(cfg->repl, (uint32_t)sets, cfg->ways);
}

void vio_cache_destroy(vio_cache *c)
{
    if (!c)
        return;
    free(c->m);
    free(c->lo);
    free(c->hi);
    if (c->owns_memo)
        free(c->memo);
    vio_repl_destroy(c->repl);
    free(c);
}

int vio__cache_share_index(vio_cache *c, const vio_cache *from)
{
    if (c->sets != from->sets || c->index != from->index || !from->memo)
        return 0;
    if (c->owns_memo)
        free(c->memo);
    c->memo = from->memo;
    c->owns_memo = 0;
    return 1;
}

uint32_t vio_cache_ways(const vio_cache *c) { return c->ways; }
uint32_t vio_cache_sets(const vio_cache *c) { return c->sets; }

/* The hashed index, computed (vio__cache_hash_in, cache_internal.h). */
uint32_t vio__cache_hash_set(const vio_cache *c, uint64_t line) { return vio__cache_hash_in(c, line); }

uint32_t vio_cache_set_of(const vio_cache *c, uint64_t line) { return vio__cache_set(c, line); }

int64_t vio_cache_find(const vio_cache *c, uint64_t line) { return vio__cache_find(c, line); }

void vio_cache_touch(vio_cache *c, int64_t slot) { vio__cache_touch(c, slot); }

/* noipa: GCC 12.2's LTO build of a constant-propagated clone of this function
 * read the way mask's AND from a register its callers never set (observed: fills
 * into way 12 of an 11-way set, a heap overrun); kept a plain function, it is
 * compiled as written. test_cache_identity and the goldens check the result. */
__attribute__((noipa)) int64_t vio_cache_insert(vio_cache *c, uint64_t line, uint32_t way_mask, uint32_t flags,
                         vio_cache_victim *victim)
{
    vio_cache_victim v;
    int64_t slot = vio__cache_fill_in(c, vio__cache_set(c, line), line, vio__cache_mask(c, way_mask), flags, &v);
    if (victim)
        *victim = v;
    return slot;
}

int vio_cache_invalidate(vio_cache *c, uint64_t line, vio_cache_victim *removed)
{
    return vio__cache_invalidate(c, line, removed);
}

uint32_t vio_cache_flags(const vio_cache *c, int64_t slot) { return c->m[slot].flags; }
void vio_cache_set_flags(vio_cache *c, int64_t slot, uint32_t flags) { c->m[slot].flags = flags; }
uint64_t vio_cache_sharers(const vio_cache *c, int64_t slot) { return c->m[slot].sharers; }
void vio_cache_set_sharers(vio_cache *c, int64_t slot, uint64_t sharers) { c->m[slot].sharers = sharers; }
uint32_t vio_cache_way_of(const vio_cache *c, int64_t slot) { return (uint32_t)((uint64_t)slot % c->ways); }

void vio_cache_count(vio_cache *c, enum vio_access_class cls, int hit) { vio__cache_count(c, cls, hit); }
uint64_t vio_cache_hits(const vio_cache *c, enum vio_access_class cls) { return c->hits[cls]; }
uint64_t vio_cache_misses(const vio_cache *c, enum vio_access_class cls) { return c->misses[cls]; }
uint64_t vio_cache_evictions(const vio_cache *c) { return c->evictions; }

uint64_t *vio__cache_counter(vio_cache *c, unsigned k)
{
    return k < VIO_CLS_COUNT ? &c->hits[k] : k < 2u * VIO_CLS_COUNT ? &c->misses[k - VIO_CLS_COUNT] : &c->evictions;
}

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
