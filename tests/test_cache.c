/* The set-associative cache: LRU order, conflict misses, way masks. */
#include "support.h"
#include "viosim/cache.h"
#include "models/cache_internal.h"

#include <string.h>

static vio_cache *make(uint64_t size, uint32_t ways)
{
    vio_cache *c = NULL;
    vio_cache_config cfg = {.size_bytes = size, .ways = ways};
    ck_assert_int_eq(vio_cache_create(&cfg, &c, NULL), VIO_OK);
    return c;
}

START_TEST(test_geometry_and_bad_config)
{
    vio_cache *c = make(32 * 1024, 8);
    ck_assert_uint_eq(vio_cache_sets(c), 64);
    ck_assert_uint_eq(vio_cache_ways(c), 8);
    vio_cache_destroy(c);
    vio_err err = {{0}};
    vio_cache_config bad = {.size_bytes = 1000, .ways = 8};
    ck_assert_int_eq(vio_cache_create(&bad, &c, &err), VIO_EINVAL);
    ck_assert_ptr_null(c);
    ck_assert_str_eq(err.msg, "cache: size 1000 bytes is not a multiple of ways x 64 B (512)");
    vio_cache_config zero = {.size_bytes = 4096, .ways = 0};
    ck_assert_int_eq(vio_cache_create(&zero, &c, NULL), VIO_EINVAL);
}
END_TEST

START_TEST(test_lru_order)
{
    /* One set of 4 ways: lines 0, S, 2S, ... all map to set 0. */
    vio_cache *c = make(4 * 64 * 16, 4);
    uint64_t S = vio_cache_sets(c);
    for (uint64_t i = 0; i < 4; i++)
        vio_cache_insert(c, i * S, VIO_CACHE_ALL_WAYS, 0, NULL);
    /* Touch line 0 so line S becomes least recently used. */
    vio_cache_touch(c, vio_cache_find(c, 0));
    vio_cache_victim v;
    vio_cache_insert(c, 4 * S, VIO_CACHE_ALL_WAYS, 0, &v);
    ck_assert_int_eq(v.valid, 1);
    ck_assert_uint_eq(v.line, S);
    ck_assert_int_ge(vio_cache_find(c, 0), 0);
    ck_assert_int_lt(vio_cache_find(c, S), 0);
    /* Next victim is 2S, then 3S: insertion order among the untouched. */
    vio_cache_insert(c, 5 * S, VIO_CACHE_ALL_WAYS, 0, &v);
    ck_assert_uint_eq(v.line, 2 * S);
    vio_cache_insert(c, 6 * S, VIO_CACHE_ALL_WAYS, 0, &v);
    ck_assert_uint_eq(v.line, 3 * S);
    ck_assert_uint_eq(vio_cache_evictions(c), 3);
    vio_cache_destroy(c);
}
END_TEST

START_TEST(test_conflict_misses)
{
    /* 2-way cache: three lines in one set thrash even though the cache is nearly empty. */
    vio_cache *c = make(2 * 64 * 128, 2);
    uint64_t S = vio_cache_sets(c);
    uint64_t lines[3] = {7, 7 + S, 7 + 2 * S};
    int misses = 0;
    for (int round = 0; round < 10; round++)
        for (int i = 0; i < 3; i++) {
            int64_t s = vio_cache_find(c, lines[i]);
            if (s >= 0) {
                vio_cache_touch(c, s);
            } else {
                misses++;
                vio_cache_insert(c, lines[i], VIO_CACHE_ALL_WAYS, 0, NULL);
            }
        }
    ck_assert_int_eq(misses, 30); /* LRU with a cyclic pattern one larger than the set: all miss */
    /* Lines in distinct sets never conflict. */
    for (uint64_t i = 0; i < S; i++)
        vio_cache_insert(c, 1000 * S + i, VIO_CACHE_ALL_WAYS, 0, NULL);
    for (uint64_t i = 0; i < S; i++)
        ck_assert_int_ge(vio_cache_find(c, 1000 * S + i), 0);
    vio_cache_destroy(c);
}
END_TEST

START_TEST(test_way_mask_confines_allocation)
{
    /* 11 ways, mask of the top 2 (the DDIO default): only 2 lines of a set may be
     * allocated through the mask, and they never displace lines in other ways. */
    vio_cache *c = make(11 * 64 * 8, 11);
    uint64_t S = vio_cache_sets(c);
    uint32_t io = (1u << 9) | (1u << 10);
    for (uint64_t i = 0; i < 9; i++)
        vio_cache_insert(c, i * S, VIO_CACHE_ALL_WAYS, 0, NULL); /* fills ways 0..8 */
    for (uint64_t i = 100; i < 110; i++) {
        int64_t s = vio_cache_insert(c, i * S, io, VIO_LINE_DMA_UNREAD, NULL);
        uint32_t w = vio_cache_way_of(c, s);
        ck_assert(w == 9 || w == 10);
    }
    for (uint64_t i = 0; i < 9; i++)
        ck_assert_int_ge(vio_cache_find(c, i * S), 0); /* CPU lines untouched */
    int resident = 0;
    for (uint64_t i = 100; i < 110; i++)
        resident += vio_cache_find(c, i * S) >= 0;
    ck_assert_int_eq(resident, 2);
    /* An empty mask falls back to all ways. */
    int64_t s = vio_cache_insert(c, 500 * S, 0, 0, NULL);
    ck_assert_int_ge(s, 0);
    vio_cache_destroy(c);
}
END_TEST

START_TEST(test_flags_sharers_invalidate_counters)
{
    vio_cache *c = make(4096, 4);
    int64_t s = vio_cache_insert(c, 42, VIO_CACHE_ALL_WAYS, VIO_LINE_DIRTY, NULL);
    ck_assert_uint_eq(vio_cache_flags(c, s), VIO_LINE_DIRTY);
    vio_cache_set_sharers(c, s, 0x5);
    vio_cache_victim v;
    ck_assert_int_eq(vio_cache_invalidate(c, 42, &v), 1);
    ck_assert_uint_eq(v.sharers, 0x5);
    ck_assert_uint_eq(v.flags, VIO_LINE_DIRTY);
    ck_assert_int_eq(vio_cache_invalidate(c, 42, NULL), 0);
    ck_assert_int_lt(vio_cache_find(c, 42), 0);
    vio_cache_count(c, VIO_CLS_CPU_READ, 1);
    vio_cache_count(c, VIO_CLS_CPU_READ, 0);
    vio_cache_count(c, VIO_CLS_DMA_WRITE, 0);
    ck_assert_uint_eq(vio_cache_hits(c, VIO_CLS_CPU_READ), 1);
    ck_assert_uint_eq(vio_cache_misses(c, VIO_CLS_CPU_READ), 1);
    ck_assert_uint_eq(vio_cache_misses(c, VIO_CLS_DMA_WRITE), 1);
    ck_assert_uint_eq(vio_cache_hits(c, VIO_CLS_DMA_WRITE), 0);
    vio_cache_destroy(c);
}
END_TEST

START_TEST(test_any_geometry_indexes)
{
    /* Regression: one set (1 KiB, 16 ways) under the hash index used to loop for ever
     * folding 0-bit groups. Every geometry, both index functions, maps into range. */
    const struct {
        uint64_t size;
        uint32_t ways;
    } g[] = {{1024, 16}, {64, 1}, {2048, 32}, {11 * 64 * 3, 11}, {11 * 64 * 1024, 11}, {704 * 1024, 11},
             {36 * 11 * 64, 11}, {18 * 16 * 64, 16}};
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++)
        for (int idx = 0; idx < (int)VIO_CACHE_INDEX_COUNT; idx++) {
            vio_cache *c = NULL;
            vio_cache_config cfg = {.size_bytes = g[i].size, .ways = g[i].ways, .index = (enum vio_cache_index)idx};
            uint64_t nsets = g[i].size / (g[i].ways * 64ull);
            if (idx == VIO_CACHE_INDEX_SKX18 && (nsets % 18 || ((nsets / 18) & (nsets / 18 - 1)))) {
                vio_err e = {0};
                ck_assert_int_eq(vio_cache_create(&cfg, &c, &e), VIO_EINVAL); /* not 18 x 2^k sets */
                ck_assert_ptr_nonnull(strstr(e.msg, "skx18"));
                continue;
            }
            ck_assert_int_eq(vio_cache_create(&cfg, &c, NULL), VIO_OK);
            uint32_t sets = vio_cache_sets(c), seen_max = 0;
            for (uint64_t line = 0; line < 5000; line++) {
                uint32_t s = vio_cache_set_of(c, line * 977 + ((line % 5) << 40));
                ck_assert_uint_lt(s, sets);
                seen_max = s > seen_max ? s : seen_max;
            }
            ck_assert_uint_eq(seen_max, sets - 1); /* every set reachable in this sample */
            vio_cache_destroy(c);
        }
}
END_TEST

/* Skylake-SP's LLC, 36864 sets (18 slices x 2048): with the hash index, a ring of
 * 2 KiB buffers holding 1 KiB packets (only the first 16 lines of every 32 written)
 * still spreads over every set, about evenly, as Intel's slice hash spreads every
 * line; a fold reduced modulo the set count would leave half of the sets unused. */
START_TEST(test_hash_index_spreads_over_slices)
{
    vio_cache_config cfg = {.size_bytes = 25344ull * 1024, .ways = 11, .index = VIO_CACHE_INDEX_HASH};
    vio_cache *c = NULL;
    ck_assert_int_eq(vio_cache_create(&cfg, &c, NULL), VIO_OK);
    ck_assert_uint_eq(vio_cache_sets(c), 36864);
    static uint32_t load[36864];
    memset(load, 0, sizeof load);
    uint64_t base = (2ull << 43) / 64, n = 0;
    for (uint64_t b = 0; b < 8192; b++)
        for (uint64_t l = 0; l < 16; l++, n++)
            load[vio_cache_set_of(c, base + b * 32 + l)]++;
    uint32_t empty = 0, over = 0;
    for (uint32_t s = 0; s < 36864; s++) {
        empty += load[s] == 0;
        over += load[s] > 12;
    }
    /* 131072 lines over 36864 sets: 3.56 per set; Poisson would leave 2.9 % empty. */
    ck_assert_msg(empty < 36864 / 20, "%u sets unused", empty);
    ck_assert_msg(over < 36864 / 1000, "%u sets over 12 lines", over);
    vio_cache_destroy(c);
}
END_TEST

/* Skylake-SP's measured 18-slice hash (index skx18, McCalpin, TACC TR-2021-03).
 * Expected slices from an independent reading of the report's two tables (the base
 * sequence and the permutation masks), done outside the model: addresses below
 * 256 KiB take the base sequence as it is; above, the index is XORed with the
 * parities of the masked address bits. */
START_TEST(test_skx18_index_is_the_measured_hash)
{
    vio_cache_config cfg = {.size_bytes = 25344ull * 1024, .ways = 11, .index = VIO_CACHE_INDEX_SKX18};
    vio_cache *c = NULL;
    ck_assert_int_eq(vio_cache_create(&cfg, &c, NULL), VIO_OK);
    ck_assert_uint_eq(vio_cache_sets(c), 36864);
    const struct {
        uint64_t byte_addr;
        uint32_t slice;
    } v[] = {
        {0x0, 0},           {0x40, 11},         {0x3c0, 15},                   /* base sequence, no permutation */
        {0x40000, 13},      {0x40140, 1},       /* bit 18: selector 0x865 */
        {0x123456740, 4},   {0x1ffffffc0, 15},  /* selectors 0xb98, 0x0fd */
        {(3ull << 43) + 0x12c3d4e40, 12},        /* a model region: at physical 3 x 8 GiB + offset */
        {(5ull << 43) + 0x40000, 1},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint64_t line = v[i].byte_addr / 64;
        uint32_t set = vio_cache_set_of(c, line);
        ck_assert_msg(set / 2048 == v[i].slice, "0x%llx: slice %u, expected %u", (unsigned long long)v[i].byte_addr,
                      set / 2048, v[i].slice);
        ck_assert_uint_eq(set % 2048, (uint32_t)(line % 2048)); /* set within the slice: address bits 6..16 */
    }
    /* The selector tables the lookup uses are the masks' parities (cache_slice.c). */
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t off = x & ((1ull << 33) - 64u), region = (x >> 40) & 31u;
        uint64_t pa = region << 33 | off; /* where the model puts region `region`'s offset `off` */
        uint32_t sel = 0;
        for (unsigned k = 0; k < 12; k++) {
            uint64_t m = pa & vio__skx18_perm_mask[k];
            unsigned par = 0;
            for (; m; m &= m - 1)
                par ^= 1u;
            sel |= par << k;
        }
        ck_assert_uint_eq(vio__skx18_slice((region << 43 | off) / 64), vio__skx18_base[((pa >> 6) & 4095u) ^ sel]);
    }
    /* Every aligned 256 KiB block (4096 lines) holds each slice 192 or 232 times:
     * the base sequence's counts, which a binary permutation cannot change; and two
     * lines of one block never share a set (2 lines per set index, other slices). */
    static uint16_t per_set[36864];
    for (uint64_t blk = 0; blk < 64; blk++) {
        uint64_t first = (blk * 7919u + 13u) * 4096u; /* blocks all over the 256 GiB */
        uint32_t count[18] = {0};
        memset(per_set, 0, sizeof per_set);
        for (uint64_t l = first; l < first + 4096; l++) {
            uint32_t set = vio_cache_set_of(c, l);
            count[set / 2048]++;
            ck_assert_uint_le(++per_set[set], 1);
        }
        uint32_t light = 0;
        for (int k = 0; k < 18; k++) {
            ck_assert_msg(count[k] == 192 || count[k] == 232, "block %llu slice %d: %u lines",
                          (unsigned long long)blk, k, count[k]);
            light += count[k] == 192;
        }
        ck_assert_uint_eq(light, 2);
    }
    vio_cache_destroy(c);
}
END_TEST

START_TEST(test_modulo_and_hash_index)
{
    /* Modulo: lines a multiple of the set count apart share a set; the hash spreads
     * a power-of-two stride (rings 2 MiB apart) over many sets. */
    vio_cache *m = NULL, *h = NULL;
    vio_cache_config cm = {.size_bytes = 1024 * 11 * 64, .ways = 11, .index = VIO_CACHE_INDEX_MODULO};
    vio_cache_config ch = cm;
    ch.index = VIO_CACHE_INDEX_HASH;
    ck_assert_int_eq(vio_cache_create(&cm, &m, NULL), VIO_OK);
    ck_assert_int_eq(vio_cache_create(&ch, &h, NULL), VIO_OK);
    uint32_t hashed_sets[64];
    for (uint64_t i = 0; i < 64; i++) {
        uint64_t line = i * (2u << 20) / 64; /* one ring every 2 MiB */
        ck_assert_uint_eq(vio_cache_set_of(m, line), 0);
        hashed_sets[i] = vio_cache_set_of(h, line);
    }
    int distinct = 0;
    for (int i = 0; i < 64; i++) {
        int dup = 0;
        for (int j = 0; j < i; j++)
            dup |= hashed_sets[j] == hashed_sets[i];
        distinct += !dup;
    }
    ck_assert_int_ge(distinct, 32);
    vio_cache_destroy(m);
    vio_cache_destroy(h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cache");
    TCase *tc = tcase_create("cache");
    tcase_add_test(tc, test_geometry_and_bad_config);
    tcase_add_test(tc, test_lru_order);
    tcase_add_test(tc, test_conflict_misses);
    tcase_add_test(tc, test_way_mask_confines_allocation);
    tcase_add_test(tc, test_flags_sharers_invalidate_counters);
    tcase_add_test(tc, test_any_geometry_indexes);
    tcase_add_test(tc, test_modulo_and_hash_index);
    tcase_add_test(tc, test_skx18_index_is_the_measured_hash);
    tcase_add_test(tc, test_hash_index_spreads_over_slices);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
