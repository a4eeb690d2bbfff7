/* Outbound submission: doorbells reach only their owner's queue pair; ENQCMD's
 * PASID cannot be forged; a full shared work queue answers Retry. */
#include "support.h"
#include "viosim/submit.h"

#define NS VIO_PS_PER_NS

static vio_submit *s;

static void setup(void)
{
    vio_submit_config cfg = {.queue_pairs = 4, .swq_entries = 2, .link_latency = 250 * NS, .issue_ps = 20 * NS};
    ck_assert_int_eq(vio_submit_create(&cfg, &s, NULL), VIO_OK);
    /* Tenants 10 and 11 own queue pairs 0 and 1; their threads run with PASIDs
     * 0x100 and 0x101. */
    ck_assert_int_eq(vio_submit_map_doorbell(s, 0, 10, NULL), VIO_OK);
    ck_assert_int_eq(vio_submit_map_doorbell(s, 1, 11, NULL), VIO_OK);
    ck_assert_int_eq(vio_submit_set_thread_pasid(s, 10, 0x100, NULL), VIO_OK);
    ck_assert_int_eq(vio_submit_set_thread_pasid(s, 11, 0x101, NULL), VIO_OK);
}

static void teardown(void) { vio_submit_destroy(s); }

START_TEST(t_own_doorbell_posted)
{
    vio_submit_result r;
    ck_assert_int_eq(vio_submit_doorbell(s, 10, 0, 1000 * NS, &r), VIO_OK);
    ck_assert_int_eq(r.status, VIO_SUBMIT_OK);
    ck_assert_uint_eq(r.queue_pair, 0);
    ck_assert_uint_eq(r.core_done, 1020 * NS);  /* posted: the core goes on at once */
    ck_assert_uint_eq(r.at_device, 1270 * NS); /* one link latency later */
}
END_TEST

START_TEST(t_foreign_doorbell_faults)
{
    /* Tenant 10 stores to tenant 11's doorbell, and to one nobody was given. */
    vio_submit_result r;
    ck_assert_int_eq(vio_submit_doorbell(s, 10, 1, 0, &r), VIO_OK);
    ck_assert_int_eq(r.status, VIO_SUBMIT_PAGE_FAULT);
    ck_assert_uint_eq(r.at_device, VIO_PS_NEVER); /* the device never sees it */
    ck_assert_int_eq(vio_submit_doorbell(s, 10, 3, 0, &r), VIO_OK);
    ck_assert_int_eq(r.status, VIO_SUBMIT_PAGE_FAULT);
    ck_assert_int_eq(vio_submit_doorbell(s, 10, 4, 0, &r), VIO_EINVAL); /* beyond the BAR */
    /* Remapping the page to tenant 10 takes it away from 11. */
    ck_assert_int_eq(vio_submit_map_doorbell(s, 1, 10, NULL), VIO_OK);
    ck_assert_int_eq(vio_submit_doorbell(s, 10, 1, 0, &r), VIO_OK);
    ck_assert_int_eq(r.status, VIO_SUBMIT_OK);
    ck_assert_int_eq(vio_submit_doorbell(s, 11, 1, 0, &r), VIO_OK);
    ck_assert_int_eq(r.status, VIO_SUBMIT_PAGE_FAULT);
    vio_submit_stats st;
    vio_submit_stats_get(s, &st);
    ck_assert_uint_eq(st.doorbells, 4);
    ck_assert_uint_eq(st.doorbell_faults, 3);
}
END_TEST

START_TEST(t_enqcmd_pasid_cannot_be_forged)
{
    /* Tenant 10 writes tenant 11's PASID into its command: the CPU replaces it
     * with IA32_PASID, so the device receives 0x100, never 0x101. */
    vio_submit_result r;
    ck_assert_int_eq(vio_submit_enqcmd(s, 10, 0x101, 0, &r), VIO_OK);
    ck_assert_int_eq(r.status, VIO_SUBMIT_OK);
    ck_assert_uint_eq(r.pasid, 0x100);
    ck_assert_uint_eq(r.at_device, 270 * NS);
    ck_assert_uint_eq(r.core_done, 520 * NS); /* non-posted: the core waits for the answer */
    uint32_t p;
    ck_assert(vio_submit_swq_pop(s, &p));
    ck_assert_uint_eq(p, 0x100);
    vio_submit_stats st;
    vio_submit_stats_get(s, &st);
    ck_assert_uint_eq(st.pasid_overrides, 1);
    /* A thread whose MSR the kernel never set cannot ENQCMD at all (#GP). */
    ck_assert_int_eq(vio_submit_enqcmd(s, 12, 0x100, 0, &r), VIO_EINVAL);
}
END_TEST

START_TEST(t_enqcmd_full_queue_retries)
{
    vio_submit_result r;
    ck_assert_int_eq(vio_submit_enqcmd(s, 10, 0x100, 0, &r), VIO_OK);
    ck_assert_int_eq(vio_submit_enqcmd(s, 11, 0x101, 0, &r), VIO_OK);
    ck_assert_int_eq(vio_submit_enqcmd(s, 10, 0x100, 0, &r), VIO_OK);
    ck_assert_int_eq(r.status, VIO_SUBMIT_RETRY); /* 2 entries: full */
    uint32_t p;
    ck_assert(vio_submit_swq_pop(s, &p));
    ck_assert_uint_eq(p, 0x100); /* FIFO */
    ck_assert_int_eq(vio_submit_enqcmd(s, 10, 0x100, 0, &r), VIO_OK);
    ck_assert_int_eq(r.status, VIO_SUBMIT_OK);
    ck_assert(vio_submit_swq_pop(s, &p));
    ck_assert_uint_eq(p, 0x101);
    ck_assert(vio_submit_swq_pop(s, &p));
    ck_assert(!vio_submit_swq_pop(s, &p));
    vio_submit_stats st;
    vio_submit_stats_get(s, &st);
    ck_assert_uint_eq(st.enqcmds, 4);
    ck_assert_uint_eq(st.enqcmd_retries, 1);
    ck_assert_str_eq(vio_submit_status_name(VIO_SUBMIT_RETRY), "retry");
}
END_TEST

int main(void)
{
    Suite *su = suite_create("submit");
    TCase *tc = tcase_create("submit");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, t_own_doorbell_posted);
    tcase_add_test(tc, t_foreign_doorbell_faults);
    tcase_add_test(tc, t_enqcmd_pasid_cannot_be_forged);
    tcase_add_test(tc, t_enqcmd_full_queue_retries);
    suite_add_tcase(su, tc);
    return vio_test_run_suite(su);
}
