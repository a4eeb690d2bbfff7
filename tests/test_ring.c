/* Descriptor rings and stage queues: full, empty, wrap-around, and the NIC's
 * drop on a full ring, driven through the datapath's agent interface. */
#include "support.h"

#include "datapath/dp_internal.h"

#include <stdio.h>
#include <stdlib.h>

START_TEST(test_fifo_full_empty_wrap)
{
    dp_pkt items[4];
    dp_fifo f = {.items = items, .cap = 4, .head = 0, .len = 0};
    ck_assert_ptr_null(dp_fifo_peek(&f, 0)); /* empty */
    uint32_t next_in = 0, next_out = 0;
    /* Many rounds of partial fills push head around the ring several times. */
    for (int round = 0; round < 10; round++) {
        int n = 1 + round % 4;
        for (int i = 0; i < n; i++) {
            dp_pkt p = {.slot = next_in++};
            ck_assert_int_eq(dp_fifo_push(&f, &p), 0);
        }
        if (n == 4) {
            dp_pkt extra = {.slot = 999};
            ck_assert_int_eq(dp_fifo_push(&f, &extra), -1); /* full: refused, nothing lost */
            ck_assert_uint_eq(f.len, 4);
        }
        ck_assert_uint_eq(dp_fifo_peek(&f, (uint32_t)n - 1)->slot, next_in - 1);
        ck_assert_ptr_null(dp_fifo_peek(&f, (uint32_t)n));
        for (int i = 0; i < n; i++)
            ck_assert_uint_eq(dp_fifo_pop(&f).slot, next_out++); /* FIFO order across the wrap */
        ck_assert_uint_eq(f.len, 0);
    }
    ck_assert_uint_gt(next_out, 4 * 2); /* wrapped more than twice */
}
END_TEST

static vio_datapath *make_dp(const char *extra_host, uint64_t packets, double rate_pps)
{
    char json[1024];
    snprintf(json, sizeof json,
             "{\"name\":\"ring\",\"platform\":{\"cores\":2,\"nic\":{\"ring_entries\":4}},"
             "\"host\":{\"core\":0%s},\"vms\":[{\"core\":1}],"
             "\"traffic\":{\"packets\":%llu,\"flows\":[{\"dst\":0,\"arrival\":\"constant\",\"rate_pps\":%g,"
             "\"size\":64}]}}",
             extra_host, (unsigned long long)packets, rate_pps);
    vio_scenario *s = vio_test_load(json, NULL, 0);
    vio_datapath *dp = NULL;
    vio_err err = {{0}};
    ck_assert_msg(vio_datapath_create(s, 0, &dp, &err) == VIO_OK, "%s", err.msg);
    return dp;
}

START_TEST(test_nic_ring_full_drops_then_recovers)
{
    /* A host that takes 1 ms to wake: the NIC fills its 4 descriptors and drops the
     * rest of a burst; once the host has run, descriptors come back and reception resumes. */
    vio_datapath *dp = make_dp(",\"irq_cycles\":2600000", 12, 10e6);
    /* Step the agents in the model's own order until the NIC has seen 6 arrivals. */
    int arrivals = 0;
    while (arrivals < 6) {
        vio_ps t;
        uint32_t best = vio_datapath_first(dp, &t);
        ck_assert_uint_lt(best, vio_datapath_agents(dp));
        ck_assert_uint_eq(t, vio_datapath_next(dp, best)); /* the agenda is current */
        arrivals += best == VIO_AGENT_NIC;
        vio_datapath_step(dp, best, t);
    }
    /* Arrivals 100 ns apart, the host still in its 1 ms wake-up: 4 accepted, 2 dropped. */
    ck_assert_uint_eq(dp->nic_rings[0].produced, 4);
    ck_assert_uint_eq(dp->dropped_nic, 2);
    ck_assert_uint_eq(dp->nic_in[0].len + dp->w[0].packets, 4);
    vio_err err = {{0}};
    ck_assert_msg(vio_datapath_run_sequential(dp, &err) == VIO_OK, "%s", err.msg);
    /* The other 6 arrivals also came while the host slept (they are 100 ns apart): dropped too. */
    ck_assert_uint_eq(dp->dropped_nic, 8);
    ck_assert_uint_eq(vio_datapath_delivered(dp), 4);
    const vio_scenario *s = dp->s;
    vio_datapath_destroy(dp);
    vio_scenario_destroy((vio_scenario *)s);
}
END_TEST

START_TEST(test_nic_ring_wraps_without_loss)
{
    /* 200 packets through a 4-descriptor ring at a rate the host keeps up with. */
    vio_datapath *dp = make_dp("", 200, 100e3);
    vio_err err = {{0}};
    ck_assert_msg(vio_datapath_run_sequential(dp, &err) == VIO_OK, "%s", err.msg);
    ck_assert_uint_eq(dp->dropped_nic, 0);
    ck_assert_uint_eq(dp->nic_rings[0].produced, 200); /* 50 times round the ring */
    ck_assert_uint_eq(vio_datapath_delivered(dp), 200);
    const vio_scenario *s = dp->s;
    vio_datapath_destroy(dp);
    vio_scenario_destroy((vio_scenario *)s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ring");
    TCase *tc = tcase_create("ring");
    tcase_add_test(tc, test_fifo_full_empty_wrap);
    tcase_add_test(tc, test_nic_ring_full_drops_then_recovers);
    tcase_add_test(tc, test_nic_ring_wraps_without_loss);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
