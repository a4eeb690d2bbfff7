/* Replacement policies: each policy's defining behaviour, way masks, determinism,
 * and the table that the scenario's choices string must match. */
#include "support.h"
#include "viosim/cache.h"
#include "viosim/repl.h"
#include "viosim/scenario.h"
#include "viosim/strategy.h"

#include <string.h>

static vio_repl *make(enum vio_repl_kind k, uint32_t ways, uint64_t seed)
{
    vio_repl *r = NULL;
    vio_err err = {{0}};
    ck_assert_msg(vio_repl_create(k, 4, ways, seed, 7, &r, &err) == VIO_OK, "%s", err.msg);
    return r;
}

START_TEST(test_table_matches_choices)
{
    /* Row k of the table is policy k (enum vio_repl_kind), the scenario's choices are its rows. */
    char joined[256] = "";
    const vio_repl_policy *t = vio_repl_table();
    ck_assert_str_eq(t[0].name, "lru");
    for (int i = 0; i < (int)VIO_REPL_COUNT; i++) {
        if (i)
            strcat(joined, "|");
        strcat(joined, t[i].name);
        ck_assert_ptr_nonnull(t[i].help);
        ck_assert_ptr_nonnull(t[i].source);
        ck_assert_int_eq(vio_repl_find(t[i].name), i);
    }
    char names[256];
    ck_assert_str_eq(joined, vio_axis_join(&vio_axis_replacement, "|", names, sizeof names));
    ck_assert_str_eq(t[VIO_REPL_RANDOM].name, "random");
    ck_assert_str_eq(t[VIO_REPL_PLRU].name, "plru");
    ck_assert_str_eq(t[VIO_REPL_SRRIP].name, "srrip");
    ck_assert_ptr_eq(vio_param_axis(vio_params_find("platform.llc.replacement")), &vio_axis_replacement);
    ck_assert_int_eq(vio_repl_find("fifo"), -1);
    ck_assert_int_eq(vio_repl_find("lr"), -1);
    vio_repl *r = NULL;
    vio_err err = {{0}};
    ck_assert_int_eq(vio_repl_create(VIO_REPL_COUNT, 4, 4, 1, 1, &r, &err), VIO_EINVAL);
    ck_assert_int_eq(vio_repl_create(VIO_REPL_LRU, 4, 33, 1, 1, &r, &err), VIO_EINVAL);
    ck_assert_ptr_null(r);
}
END_TEST

START_TEST(test_lru_evicts_least_recent)
{
    vio_repl *r = make(VIO_REPL_LRU, 4, 1);
    for (uint32_t w = 0; w < 4; w++)
        vio_repl_fill(r, 2, w);
    vio_repl_hit(r, 2, 0);
    ck_assert_uint_eq(vio_repl_victim(r, 2, 0xf), 1);
    vio_repl_hit(r, 2, 1);
    ck_assert_uint_eq(vio_repl_victim(r, 2, 0xf), 2);
    ck_assert_uint_eq(vio_repl_victim(r, 2, 0x9), 3); /* within ways {0, 3}: 3 is older */
    vio_repl_destroy(r);
}
END_TEST

START_TEST(test_plru_tree)
{
    /* 4 ways: after fills 0,1,2,3 the tree points at way 0; a hit on 0 moves it to way 2,
     * where true LRU would evict way 1 (the tree only remembers which half was used). */
    vio_repl *r = make(VIO_REPL_PLRU, 4, 1);
    for (uint32_t w = 0; w < 4; w++)
        vio_repl_fill(r, 0, w);
    ck_assert_uint_eq(vio_repl_victim(r, 0, 0xf), 0);
    vio_repl_hit(r, 0, 0);
    ck_assert_uint_eq(vio_repl_victim(r, 0, 0xf), 2);
    vio_repl_hit(r, 0, 2);
    ck_assert_uint_eq(vio_repl_victim(r, 0, 0xf), 1);
    vio_repl_hit(r, 0, 1);
    ck_assert_uint_eq(vio_repl_victim(r, 0, 0xf), 3);
    /* A mask steers the walk: only ways {0, 1} allowed. */
    ck_assert_uint_lt(vio_repl_victim(r, 0, 0x3), 2);
    vio_repl_destroy(r);
    /* 11 ways (no power of two): the victim is always a real way, and the mask is honoured. */
    r = make(VIO_REPL_PLRU, 11, 1);
    for (uint32_t i = 0; i < 200; i++) {
        uint32_t v = vio_repl_victim(r, 1, 0);
        ck_assert_uint_lt(v, 11);
        vio_repl_fill(r, 1, v);
        uint32_t io = vio_repl_victim(r, 1, 0x600);
        ck_assert(io == 9 || io == 10);
        vio_repl_fill(r, 1, io);
    }
    vio_repl_destroy(r);
}
END_TEST

START_TEST(test_srrip_is_scan_resistant)
{
    /* A line hit once (RRPV 0) survives a scan of never-reused lines (inserted at 2)
     * longer than the associativity, where LRU evicts it after `ways` new lines. */
    const uint32_t W = 4;
    vio_repl *s = make(VIO_REPL_SRRIP, W, 1), *l = make(VIO_REPL_LRU, W, 1);
    vio_repl *both[2] = {s, l};
    for (int k = 0; k < 2; k++) {
        for (uint32_t w = 0; w < W; w++)
            vio_repl_fill(both[k], 0, w);
        vio_repl_hit(both[k], 0, 0); /* way 0 holds the reused line */
    }
    int lru_kept = 1, srrip_kept = 1;
    for (int i = 0; i < 6; i++) { /* SRRIP keeps it through 2 ageing rounds of W-1 fills each */
        uint32_t v = vio_repl_victim(s, 0, 0);
        srrip_kept &= v != 0;
        vio_repl_fill(s, 0, v);
        v = vio_repl_victim(l, 0, 0);
        lru_kept &= v != 0;
        vio_repl_fill(l, 0, v);
    }
    ck_assert_int_eq(lru_kept, 0);
    ck_assert_int_eq(srrip_kept, 1);
    /* The first way at the distant value goes first; ties broken by lowest way. */
    vio_repl *t = make(VIO_REPL_SRRIP, W, 1);
    ck_assert_uint_eq(vio_repl_victim(t, 3, 0), 0); /* all start distant */
    for (uint32_t w = 0; w < W; w++)
        vio_repl_fill(t, 3, w);
    vio_repl_hit(t, 3, 1);
    ck_assert_uint_eq(vio_repl_victim(t, 3, 0), 0); /* ages 0,2,2,2 -> 1,3,3,3: way 0 */
    vio_repl_drop(t, 3, 2);
    ck_assert_uint_eq(vio_repl_victim(t, 3, 0x6), 2); /* masks: only {1, 2}; 2 was dropped (distant) */
    vio_repl_destroy(s);
    vio_repl_destroy(l);
    vio_repl_destroy(t);
}
END_TEST

START_TEST(test_random_is_seeded_uniform_and_masked)
{
    vio_repl *a = make(VIO_REPL_RANDOM, 8, 42), *b = make(VIO_REPL_RANDOM, 8, 42), *c = make(VIO_REPL_RANDOM, 8, 43);
    uint32_t hist[8] = {0};
    int differ = 0;
    for (int i = 0; i < 8000; i++) {
        uint32_t va = vio_repl_victim(a, 0, 0), vb = vio_repl_victim(b, 0, 0), vc = vio_repl_victim(c, 0, 0);
        ck_assert_uint_eq(va, vb); /* same seed, same stream: same choices */
        differ += va != vc;
        hist[va]++;
        uint32_t m = vio_repl_victim(a, 0, 0x30);
        ck_assert(m == 4 || m == 5);
        ck_assert_uint_eq(vio_repl_victim(b, 0, 0x30), m);
    }
    ck_assert_int_gt(differ, 1000);
    for (int w = 0; w < 8; w++) /* 1000 expected per way; 5 sigma is ~150 */
        ck_assert_msg(hist[w] > 850 && hist[w] < 1150, "way %d chosen %u times", w, hist[w]);
    vio_repl_destroy(a);
    vio_repl_destroy(b);
    vio_repl_destroy(c);
}
END_TEST

/* A cyclic working set of 1.5x the cache, in a cache of 256 sets x 4 ways: SRRIP
 * (like LRU) evicts every line before its reuse, DRRIP's set dueling switches the
 * follower sets to bimodal insertion and keeps most of the resident lines. Within
 * capacity both hit every time after the first pass. */
static double cyclic_hit_rate(enum vio_repl_kind k, uint32_t lines)
{
    vio_cache_config cfg = {.size_bytes = 256 * 4 * 64, .ways = 4, .repl = k, .seed = 1, .stream = 2};
    vio_cache *c = NULL;
    ck_assert_int_eq(vio_cache_create(&cfg, &c, NULL), VIO_OK);
    uint64_t hits = 0, refs = 0;
    for (int pass = 0; pass < 40; pass++)
        for (uint64_t l = 0; l < lines; l++) {
            int64_t s = vio_cache_find(c, l);
            if (pass >= 20) {
                refs++;
                hits += s >= 0;
            }
            if (s >= 0)
                vio_cache_touch(c, s);
            else
                vio_cache_insert(c, l, VIO_CACHE_ALL_WAYS, 0, NULL);
        }
    vio_cache_destroy(c);
    return (double)hits / (double)refs;
}

START_TEST(test_drrip_resists_thrashing)
{
    ck_assert(cyclic_hit_rate(VIO_REPL_SRRIP, 1536) < 0.05);
    double d = cyclic_hit_rate(VIO_REPL_DRRIP, 1536);
    /* The best any policy can do is to keep 1024 of the 1536 lines: 2/3. */
    ck_assert_msg(d > 0.45 && d <= 0.67, "drrip hit rate %.3f under a 1.5x cyclic set", d);
    ck_assert(cyclic_hit_rate(VIO_REPL_DRRIP, 1024) > 0.999);
    ck_assert(cyclic_hit_rate(VIO_REPL_SRRIP, 1024) > 0.999);
}
END_TEST

START_TEST(test_every_policy_in_a_cache)
{
    /* Through the cache: every policy keeps the way mask, never loses a resident line
     * it did not report as a victim, and a one-set cache works. */
    for (int k = 0; k < (int)VIO_REPL_COUNT; k++) {
        vio_cache *c = NULL;
        vio_cache_config cfg = {.size_bytes = 16 * 64, .ways = 16, .index = VIO_CACHE_INDEX_HASH,
                                .repl = (enum vio_repl_kind)k, .seed = 5};
        ck_assert_int_eq(vio_cache_create(&cfg, &c, NULL), VIO_OK);
        ck_assert_uint_eq(vio_cache_sets(c), 1);
        uint64_t resident = 0; /* lines 0..63 as a bitmap */
        for (uint64_t i = 0; i < 2000; i++) {
            uint64_t line = (i * 7919) % 64;
            int64_t s = vio_cache_find(c, line);
            if (s >= 0) {
                ck_assert(resident & (1ull << line));
                vio_cache_touch(c, s);
                continue;
            }
            ck_assert(!(resident & (1ull << line)));
            vio_cache_victim v;
            uint32_t mask = (i & 1) ? 0xc000u : VIO_CACHE_ALL_WAYS;
            s = vio_cache_insert(c, line, mask, 0, &v);
            if (i & 1)
                ck_assert_uint_ge(vio_cache_way_of(c, s), 14);
            if (v.valid) {
                ck_assert(resident & (1ull << v.line));
                resident &= ~(1ull << v.line);
            }
            resident |= 1ull << line;
        }
        ck_assert_int_eq(__builtin_popcountll(resident), 16);
        vio_cache_destroy(c);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("repl");
    TCase *tc = tcase_create("repl");
    tcase_add_test(tc, test_table_matches_choices);
    tcase_add_test(tc, test_lru_evicts_least_recent);
    tcase_add_test(tc, test_plru_tree);
    tcase_add_test(tc, test_srrip_is_scan_resistant);
    tcase_add_test(tc, test_random_is_seeded_uniform_and_masked);
    tcase_add_test(tc, test_every_policy_in_a_cache);
    tcase_add_test(tc, test_drrip_resists_thrashing);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
