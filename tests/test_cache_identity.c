/* The fast cache (lib/src/models/cache.c: fingerprint rows, valid masks, a set-index
 * memo) against the reference, the plain scan it replaced (cache_ref.inc, with the
 * replacement policies as they were, repl_ref.inc): on random access streams, for
 * every replacement policy, both index functions and geometries with and without a
 * power-of-two set count, every operation must give the same answer (set, slot,
 * victim, flags, sharers, counters). Lines are drawn so that some share their low
 * 32 bits (the fingerprint) and some are far above 2^32, so a fingerprint match that
 * is not a tag match is exercised. */
#include "support.h"
#include "viosim/cache.h"
#include "viosim/rng.h"

#include "cache_ref.inc"

typedef struct geometry {
    uint64_t size;
    uint32_t ways;
} geometry;

static const geometry geometries[] = {
    {32 * 1024, 8},            /* L1: 64 sets */
    {256 * 1024, 16},          /* L2-like: 256 sets x 16 ways */
    {36 * 11 * 64, 11},        /* 36 sets = 2^2 x 9 slices (Skylake-SP's shape, smaller) */
    {48 * 12 * 64, 12},        /* 48 sets = 2^4 x 3: a snoop filter's 12 ways */
    {1 * 11 * 64, 11},         /* one set */
    {9 * 3 * 64, 3},           /* 9 sets (no power-of-two factor), 3 ways: padded lanes */
    {16 * 32 * 64, 32},        /* 32 ways */
    {128 * 1 * 64, 1},         /* direct-mapped */
};

/* A line from a small pool (so lines hit, conflict and come back): the pool holds
 * lines at random, lines 2^32 apart (same fingerprint) and lines near 2^58. */
static uint64_t draw_line(vio_rng *r, const uint64_t *pool, uint32_t n) { return pool[vio_rng_below(r, n)]; }

static void check_stream(enum vio_repl_kind kind, enum vio_cache_index index, const geometry *g, uint64_t seed)
{
    vio_cache_config cfg = {.size_bytes = g->size, .ways = g->ways, .index = index, .repl = kind,
                            .seed = seed, .stream = 7};
    vio_cache *fast = NULL;
    ref_cache *ref = NULL;
    uint64_t nsets = g->size / ((uint64_t)g->ways * VIO_LINE_BYTES);
    if (index == VIO_CACHE_INDEX_SKX18 && (nsets % 18 || ((nsets / 18) & (nsets / 18 - 1)))) {
        /* not 18 slices x 2^k sets: refused, nothing to compare */
        ck_assert_int_eq(vio_cache_create(&cfg, &fast, NULL), VIO_EINVAL);
        return;
    }
    ck_assert_int_eq(vio_cache_create(&cfg, &fast, NULL), VIO_OK);
    ck_assert_int_eq(ref_cache_create(&cfg, &ref, NULL), VIO_OK);
    vio_rng r;
    vio_rng_seed(&r, seed, 99);
    uint32_t sets = vio_cache_sets(fast), lines = sets * g->ways;
    uint32_t npool = 3 * lines + 8;
    uint64_t *pool = malloc(npool * sizeof *pool);
    ck_assert_ptr_nonnull(pool);
    for (uint32_t i = 0; i < npool; i++) {
        switch (i % 4) {
        case 0: pool[i] = vio_rng_below(&r, 4u * lines); break;                /* dense, low */
        case 1: pool[i] = pool[i - 1] + (vio_rng_below(&r, 4) + 1) * (1ull << 32); break; /* same fingerprint */
        case 2: pool[i] = (1ull << 58) - 1 - vio_rng_below(&r, 1u << 20); break; /* highest line addresses */
        default: pool[i] = vio_rng_next(&r) >> 6; break;                       /* anywhere */
        }
    }
    for (uint32_t op = 0; op < 10000; op++) {
        uint64_t line = draw_line(&r, pool, npool);
        ck_assert_uint_eq(vio_cache_set_of(fast, line), ref_cache_set_of(ref, line));
        int64_t fs = vio_cache_find(fast, line), rs = ref_cache_find(ref, line);
        ck_assert_int_eq(fs, rs);
        uint64_t what = vio_rng_below(&r, 16);
        if (fs >= 0) {
            if (what < 9) {
                vio_cache_touch(fast, fs);
                ref_cache_touch(ref, rs);
            } else if (what < 12) {
                vio_cache_victim fv, rv;
                ck_assert_int_eq(vio_cache_invalidate(fast, line, &fv), ref_cache_invalidate(ref, line, &rv));
                ck_assert_int_eq(fv.valid, rv.valid);
                ck_assert_uint_eq(fv.line, rv.line);
                ck_assert_uint_eq(fv.flags, rv.flags);
                ck_assert_uint_eq(fv.sharers, rv.sharers);
            } else {
                uint32_t f = (uint32_t)vio_rng_below(&r, 16);
                uint64_t sh = vio_rng_next(&r);
                vio_cache_set_flags(fast, fs, f);
                ref_cache_set_flags(ref, rs, f);
                vio_cache_set_sharers(fast, fs, sh);
                ref_cache_set_sharers(ref, rs, sh);
            }
            ck_assert_uint_eq(vio_cache_flags(fast, fs), ref_cache_flags(ref, rs));
            ck_assert_uint_eq(vio_cache_sharers(fast, fs), ref_cache_sharers(ref, rs));
            ck_assert_uint_eq(vio_cache_way_of(fast, fs), ref_cache_way_of(ref, rs));
        } else if (what < 14) {
            /* A fill: all ways, a DDIO-like top-ways mask, a random mask, or one with
             * no way inside the associativity (treated as all ways). */
            uint32_t mask;
            switch (vio_rng_below(&r, 4)) {
            case 0: mask = VIO_CACHE_ALL_WAYS; break;
            case 1: mask = g->ways >= 2 ? 3u << (g->ways - 2) : 1u; break;
            case 2: mask = (uint32_t)vio_rng_next(&r); break;
            default: mask = g->ways < 32 ? ~0u << g->ways : 0u; break;
            }
            uint32_t flags = (uint32_t)vio_rng_below(&r, 16);
            vio_cache_victim fv, rv;
            int64_t fi = vio_cache_insert(fast, line, mask, flags, &fv);
            int64_t ri = ref_cache_insert(ref, line, mask, flags, &rv);
            ck_assert_int_eq(fi, ri);
            ck_assert_int_eq(fv.valid, rv.valid);
            ck_assert_uint_eq(fv.line, rv.line);
            ck_assert_uint_eq(fv.flags, rv.flags);
            ck_assert_uint_eq(fv.sharers, rv.sharers);
            ck_assert_int_eq(vio_cache_find(fast, line), fi);
        } else {
            /* Invalidating an absent line changes nothing. */
            ck_assert_int_eq(vio_cache_invalidate(fast, line, NULL), 0);
            ck_assert_int_eq(ref_cache_invalidate(ref, line, NULL), 0);
        }
    }
    ck_assert_uint_eq(vio_cache_evictions(fast), ref->evictions);
    /* Every resident line of the reference is resident at the same slot here. */
    for (size_t i = 0; i < (size_t)lines; i++)
        if (ref->tag[i] != REF_EMPTY_LINE)
            ck_assert_int_eq(vio_cache_find(fast, ref->tag[i]), (int64_t)i);
    free(pool);
    vio_cache_destroy(fast);
    ref_cache_destroy(ref);
}

START_TEST(test_same_decisions_as_reference)
{
    /* _i: the replacement policy. */
    enum vio_repl_kind kind = (enum vio_repl_kind)_i;
    for (int index = 0; index < (int)VIO_CACHE_INDEX_COUNT; index++)
        for (size_t g = 0; g < sizeof geometries / sizeof geometries[0]; g++)
            check_stream(kind, (enum vio_cache_index)index, &geometries[g], 1000u + g * 17u + (uint64_t)index);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cache_identity");
    TCase *tc = tcase_create("cache_identity");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_same_decisions_as_reference, 0, VIO_REPL_COUNT);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
