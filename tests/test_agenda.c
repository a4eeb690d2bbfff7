/* The engine's agenda: the first agent in (time, index) order, against a brute-force scan. */
#include "support.h"

#include "util/agenda.h"
#include "viosim/rng.h"

static uint32_t brute_first(const vio__agenda *a)
{
    uint32_t best = 0;
    for (uint32_t i = 1; i < a->n; i++)
        if (a->key[i] < a->key[best])
            best = i;
    return best;
}

START_TEST(test_matches_scan_with_ties_and_never)
{
    uint32_t sizes[] = {1, 2, 3, 7, 64, 258};
    vio_rng r;
    vio_rng_seed(&r, 3, 0);
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        vio__agenda a;
        ck_assert_int_eq(vio__agenda_init(&a, sizes[k]), 0);
        ck_assert_uint_eq(vio__agenda_first(&a), 0); /* all NEVER: the lowest index */
        for (int step = 0; step < 5000; step++) {
            uint32_t i = (uint32_t)vio_rng_below(&r, sizes[k]);
            /* Few distinct times, so ties are common; some agents go idle. */
            vio_ps t = vio_rng_below(&r, 5) == 0 ? VIO_PS_NEVER : vio_rng_below(&r, 8);
            vio__agenda_set(&a, i, t);
            ck_assert_uint_eq(vio__agenda_first(&a), brute_first(&a));
        }
        vio__agenda_free(&a);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("agenda");
    TCase *tc = tcase_create("agenda");
    tcase_add_test(tc, test_matches_scan_with_ties_and_never);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
