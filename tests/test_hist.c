/* The latency histogram: bucket bounds, quantile accuracy within 1 %, merge, mean. */
#include "support.h"
#include "viosim/hist.h"
#include "viosim/rng.h"

#include <math.h>
#include <stdlib.h>

static int cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

START_TEST(test_buckets_cover_values)
{
    uint64_t probes[] = {0, 1, 127, 128, 129, 255, 256, 1000, 123456789, 1ULL << 40, UINT64_MAX};
    for (size_t i = 0; i < sizeof probes / sizeof *probes; i++) {
        uint64_t lo, hi;
        uint32_t b = vio_hist_bucket_of(probes[i]);
        ck_assert_uint_lt(b, VIO_HIST_BUCKETS);
        vio_hist_bucket_bounds(b, &lo, &hi);
        ck_assert_uint_le(lo, probes[i]);
        ck_assert_uint_ge(hi, probes[i]);
        /* Bucket width at most 1/128 of its lower bound. */
        if (lo >= 128)
            ck_assert_uint_le(hi - lo + 1, lo / 128 + 1);
    }
    ck_assert_uint_eq(vio_hist_bucket_of(127) + 1, vio_hist_bucket_of(128));
}
END_TEST

START_TEST(test_quantiles_within_one_percent)
{
    enum { N = 100000 };
    uint64_t *v = malloc(N * sizeof *v);
    vio_rng r;
    vio_rng_seed(&r, 7, 1);
    vio_hist h;
    vio_hist_init(&h);
    for (int i = 0; i < N; i++) {
        /* A heavy-tailed spread from 100 ps to ~10 ms. */
        v[i] = 100 + (uint64_t)(exp(vio_rng_uniform(&r) * 18.0));
        vio_hist_add(&h, v[i]);
    }
    qsort(v, N, sizeof *v, cmp);
    double qs[] = {0.01, 0.5, 0.9, 0.99, 0.999};
    for (size_t i = 0; i < sizeof qs / sizeof *qs; i++) {
        uint64_t exact = v[(size_t)ceil(qs[i] * N) - 1];
        uint64_t got = vio_hist_quantile(&h, qs[i]);
        ck_assert_msg(fabs((double)got - (double)exact) <= 0.01 * (double)exact, "q%.3f: got %llu, exact %llu",
                      qs[i], (unsigned long long)got, (unsigned long long)exact);
    }
    ck_assert_uint_eq(vio_hist_quantile(&h, 1.0), v[N - 1]);
    ck_assert_uint_eq(vio_hist_quantile(&h, 0.0), v[0]);
    free(v);
}
END_TEST

START_TEST(test_mean_exact_and_merge)
{
    vio_hist a, b;
    vio_hist_init(&a);
    vio_hist_init(&b);
    ck_assert_uint_eq(vio_hist_quantile(&a, 0.5), 0);
    ck_assert(vio_hist_mean(&a) == 0.0);
    vio_hist_add(&a, 1000);
    vio_hist_add(&a, 3000);
    vio_hist_add(&b, UINT64_MAX);
    vio_hist_add(&b, UINT64_MAX); /* the 128-bit sum must not wrap */
    ck_assert(vio_hist_mean(&a) == 2000.0);
    vio_hist_merge(&a, &b);
    ck_assert_uint_eq(a.count, 4);
    ck_assert_uint_eq(a.min, 1000);
    ck_assert_uint_eq(a.max, UINT64_MAX);
    double expect = (4000.0 + 2.0 * (double)UINT64_MAX) / 4.0;
    ck_assert(fabs(vio_hist_mean(&a) - expect) / expect < 1e-12);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hist");
    TCase *tc = tcase_create("hist");
    tcase_add_test(tc, test_buckets_cover_values);
    tcase_add_test(tc, test_quantiles_within_one_percent);
    tcase_add_test(tc, test_mean_exact_and_merge);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
