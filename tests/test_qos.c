/* I/O resource control: token buckets, RR/WRR/DRR across queue pairs, Jain's index. */
#include "support.h"
#include "viosim/qos.h"
#include "viosim/strategy.h"

#include <math.h>
#include <string.h>

#define NS VIO_PS_PER_NS
#define LINK_MBPS 100000ULL /* a 100 Gb/s server */

static vio_qos *s;

static void setup(void) { s = NULL; }
static void teardown(void) { vio_qos_destroy(s); }

/* A deterministic packet-size stream (xorshift), 64..1500 bytes. */
static uint32_t size_at(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return 64 + (uint32_t)(*x % 1437);
}

/* Keep every queue backlogged (refilled to `depth`) and serve `n` packets on a
 * link of LINK_MBPS; sizes: fixed per queue (sizes[i] > 0) or random (0). Returns
 * the time the last packet finished. */
static vio_ps serve_backlogged(uint32_t nq, const uint32_t *sizes, uint64_t n, uint32_t depth)
{
    uint64_t x = 88172645463325252ULL;
    vio_ps t = 0;
    for (uint64_t k = 0; k < n;) {
        for (uint32_t i = 0; i < nq; i++) {
            vio_qos_queue_stats st;
            vio_qos_queue_stats_get(s, i, &st);
            for (uint32_t b = st.backlog; b < depth; b++)
                ck_assert_int_eq(vio_qos_enqueue(s, i, sizes[i] ? sizes[i] : size_at(&x), k, NULL), VIO_OK);
        }
        vio_qos_pick p;
        vio_ps next;
        if (vio_qos_dequeue(s, t, &p, &next)) {
            t += vio_bytes_to_ps(p.bytes, LINK_MBPS);
            k++;
        } else {
            ck_assert_uint_ne(next, VIO_PS_NEVER);
            ck_assert_uint_gt(next, t);
            t = next;
        }
    }
    return t;
}

static uint64_t served_bytes(uint32_t i)
{
    vio_qos_queue_stats st;
    ck_assert_int_eq(vio_qos_queue_stats_get(s, i, &st), VIO_OK);
    return st.served_bytes;
}

static uint64_t served(uint32_t i)
{
    vio_qos_queue_stats st;
    ck_assert_int_eq(vio_qos_queue_stats_get(s, i, &st), VIO_OK);
    return st.served;
}

START_TEST(t_tbf_exact)
{
    vio_tbf b;
    ck_assert_int_eq(vio_tbf_init(&b, 1000, 1500, NULL), VIO_OK); /* 1 Gb/s, one packet of burst */
    ck_assert(vio_tbf_take(&b, 1500, 0));
    ck_assert(!vio_tbf_take(&b, 1, 0));
    /* 1500 B at 1 Gb/s = 12 us to refill. */
    ck_assert_uint_eq(vio_tbf_ready_at(&b, 1500, 0), 12 * VIO_PS_PER_US);
    ck_assert(!vio_tbf_take(&b, 1500, 12 * VIO_PS_PER_US - 1));
    ck_assert(vio_tbf_take(&b, 1499, 12 * VIO_PS_PER_US - 1));
    ck_assert_uint_eq(vio_tbf_ready_at(&b, 1600, 0), VIO_PS_NEVER); /* beyond the burst */
    /* A long idle spell fills the bucket, never beyond its depth (and never overflows). */
    ck_assert(vio_tbf_take(&b, 1500, 1000 * VIO_PS_PER_S));
    ck_assert(!vio_tbf_take(&b, 1, 1000 * VIO_PS_PER_S));
    ck_assert_int_eq(vio_tbf_init(&b, 1000, 0, NULL), VIO_EINVAL);
    ck_assert_int_eq(vio_tbf_init(&b, 0, 0, NULL), VIO_OK); /* no limit */
    ck_assert(vio_tbf_take(&b, 1u << 30, 0));
}
END_TEST

START_TEST(t_rate_limit_holds_flood)
{
    /* Queue 0 floods, limited to 2 Gb/s with a 3000 B burst; queue 1 is unlimited
     * but sends only when asked. Over 20 ms the flood gets its rate within 2 %. */
    vio_qos_queue_cfg cfg[2] = {{.weight = 1, .rate_mbps = 2000, .burst_bytes = 3000, .capacity = 64},
                                {.weight = 1, .capacity = 64}};
    ck_assert_int_eq(vio_qos_create("drr", 2, cfg, 1500, &s, NULL), VIO_OK);
    vio_ps t = 0, end = 20 * 1000 * VIO_PS_PER_US;
    uint64_t x = 7;
    while (t < end) {
        vio_qos_queue_stats st;
        vio_qos_queue_stats_get(s, 0, &st);
        while (st.backlog < 64) { /* the flood never lets its queue run dry */
            ck_assert_int_eq(vio_qos_enqueue(s, 0, size_at(&x), 0, NULL), VIO_OK);
            st.backlog++;
        }
        vio_qos_pick p;
        vio_ps next;
        if (vio_qos_dequeue(s, t, &p, &next)) {
            ck_assert_uint_eq(p.queue, 0);
            t += vio_bytes_to_ps(p.bytes, LINK_MBPS);
        } else {
            t = next;
        }
    }
    double gbps = (double)served_bytes(0) * 8 / ((double)t / 1e12) / 1e9;
    ck_assert_msg(fabs(gbps - 2.0) / 2.0 < 0.02, "flood got %.4f Gb/s, limit 2", gbps);
    /* And never more than rate x time + burst. */
    ck_assert_uint_le(served_bytes(0), (uint64_t)(2e9 / 8 * ((double)t / 1e12)) + 3000);
}
END_TEST

START_TEST(t_drr_shares_bytes_by_weight)
{
    /* Weights 1:2:4 with different packet sizes: DRR shares BYTES by weight. */
    vio_qos_queue_cfg cfg[3] = {{.weight = 1, .capacity = 32}, {.weight = 2, .capacity = 32}, {.weight = 4, .capacity = 32}};
    ck_assert_int_eq(vio_qos_create("drr", 3, cfg, 1500, &s, NULL), VIO_OK);
    static const uint32_t sizes[3] = {1500, 0, 64}; /* full-size, random, tiny */
    serve_backlogged(3, sizes, 60000, 16);
    double total = (double)(served_bytes(0) + served_bytes(1) + served_bytes(2));
    for (uint32_t i = 0; i < 3; i++) {
        double share = (double)served_bytes(i) / total, want = (double)cfg[i].weight / 7.0;
        ck_assert_msg(fabs(share - want) / want < 0.05, "queue %u: byte share %.4f, weight share %.4f", i, share, want);
    }
}
END_TEST

START_TEST(t_wrr_shares_packets_not_bytes)
{
    /* The same load under WRR: packets follow the weights, bytes do not (the
     * 64-byte queue gets 4/7 of the packets but a sliver of the bytes). */
    vio_qos_queue_cfg cfg[3] = {{.weight = 1, .capacity = 32}, {.weight = 2, .capacity = 32}, {.weight = 4, .capacity = 32}};
    ck_assert_int_eq(vio_qos_create("wrr", 3, cfg, 1500, &s, NULL), VIO_OK);
    static const uint32_t sizes[3] = {1500, 0, 64};
    serve_backlogged(3, sizes, 70000, 16);
    double n = (double)(served(0) + served(1) + served(2));
    for (uint32_t i = 0; i < 3; i++) {
        double share = (double)served(i) / n, want = (double)cfg[i].weight / 7.0;
        ck_assert_msg(fabs(share - want) / want < 0.01, "queue %u: packet share %.4f, weight share %.4f", i, share, want);
    }
    double total = (double)(served_bytes(0) + served_bytes(1) + served_bytes(2));
    ck_assert((double)served_bytes(2) / total < 0.5 * 4.0 / 7.0);
}
END_TEST

START_TEST(t_rr_equal_packets)
{
    vio_qos_queue_cfg cfg[4] = {{.weight = 1, .capacity = 8}, {.weight = 9, .capacity = 8}, {.weight = 1, .capacity = 8},
                                {.weight = 1, .capacity = 8}};
    ck_assert_int_eq(vio_qos_create("rr", 4, cfg, 1500, &s, NULL), VIO_OK);
    static const uint32_t sizes[4] = {64, 1500, 0, 512};
    serve_backlogged(4, sizes, 4000, 4);
    for (uint32_t i = 0; i < 4; i++)
        ck_assert_uint_eq(served(i), 1000); /* weights ignored: one each in turn */
}
END_TEST

START_TEST(t_idle_queue_keeps_no_credit)
{
    /* DRR: a queue that was empty does not bank credit for later bursts, and a
     * lone backlogged queue gets the whole server. */
    vio_qos_queue_cfg cfg[2] = {{.weight = 1, .capacity = 64}, {.weight = 1, .capacity = 64}};
    ck_assert_int_eq(vio_qos_create("drr", 2, cfg, 500, &s, NULL), VIO_OK);
    for (int k = 0; k < 40; k++)
        ck_assert_int_eq(vio_qos_enqueue(s, 0, 1000, (uint64_t)k, NULL), VIO_OK);
    vio_qos_pick p;
    for (int k = 0; k < 20; k++) {
        ck_assert(vio_qos_dequeue(s, 0, &p, NULL));
        ck_assert_uint_eq(p.queue, 0);
        ck_assert_uint_eq(p.cookie, (uint64_t)k); /* FIFO within a queue */
    }
    for (int k = 0; k < 20; k++)
        ck_assert_int_eq(vio_qos_enqueue(s, 1, 1000, 100 + (uint64_t)k, NULL), VIO_OK);
    /* From now on they alternate: queue 1 has no banked credit to burst with. */
    int run = 0, last = -1, longest = 0;
    for (int k = 0; k < 40; k++) {
        ck_assert(vio_qos_dequeue(s, 0, &p, NULL));
        run = (int)p.queue == last ? run + 1 : 1;
        last = (int)p.queue;
        longest = run > longest ? run : longest;
    }
    ck_assert_int_le(longest, 2);
    vio_ps next;
    ck_assert(!vio_qos_dequeue(s, 0, &p, &next));
    ck_assert_uint_eq(next, VIO_PS_NEVER);
}
END_TEST

START_TEST(t_drops_and_errors)
{
    vio_err err = {{0}};
    vio_qos_queue_cfg cfg[1] = {{.weight = 1, .rate_mbps = 1000, .burst_bytes = 1500, .capacity = 2}};
    ck_assert_int_eq(vio_qos_create("fifo", 1, cfg, 1500, &s, &err), VIO_EINVAL);
    ck_assert(strstr(err.msg, "unknown policy \"fifo\"") != NULL);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(vio_qos_create("rr", 1, cfg, 0, &s, NULL), VIO_EINVAL);
    cfg[0].weight = 0;
    ck_assert_int_eq(vio_qos_create("rr", 1, cfg, 1, &s, NULL), VIO_EINVAL);
    cfg[0].weight = 1;
    ck_assert_int_eq(vio_qos_create("rr", 1, cfg, 1, &s, NULL), VIO_OK);
    ck_assert_int_eq(vio_qos_enqueue(s, 0, 1600, 0, NULL), VIO_EINVAL); /* beyond the burst */
    ck_assert_int_eq(vio_qos_enqueue(s, 1, 100, 0, NULL), VIO_EINVAL);
    ck_assert_int_eq(vio_qos_enqueue(s, 0, 0, 0, NULL), VIO_EINVAL);
    ck_assert_int_eq(vio_qos_enqueue(s, 0, 1500, 0, NULL), VIO_OK);
    ck_assert_int_eq(vio_qos_enqueue(s, 0, 1500, 1, NULL), VIO_OK);
    ck_assert_int_eq(vio_qos_enqueue(s, 0, 1500, 2, NULL), 1); /* full: dropped */
    vio_qos_queue_stats st;
    vio_qos_queue_stats_get(s, 0, &st);
    ck_assert_uint_eq(st.enqueued, 3);
    ck_assert_uint_eq(st.dropped, 1);
    ck_assert_uint_eq(st.backlog, 2);
    /* Rate limited: the second packet waits 12 us. */
    vio_qos_pick p;
    vio_ps next;
    ck_assert(vio_qos_dequeue(s, 0, &p, &next));
    ck_assert(!vio_qos_dequeue(s, 0, &p, &next));
    ck_assert_uint_eq(next, 12 * VIO_PS_PER_US);
    ck_assert(vio_qos_dequeue(s, next, &p, NULL));
    ck_assert_uint_eq(p.cookie, 1);
}
END_TEST

START_TEST(t_policy_table)
{
    const vio_qos_policy *p = vio_qos_policies();
    int n = 0;
    for (; p[n].name; n++) {
        ck_assert_ptr_nonnull(p[n].help);
        ck_assert_ptr_nonnull(p[n].ops);
        ck_assert_ptr_eq(vio_qos_policy_find(p[n].name), &p[n]);
    }
    ck_assert_int_eq(n, 3);
    ck_assert_ptr_null(vio_qos_policy_find("wfq"));
    /* The host's io_sched axis is "vhost" then the same policies by name (a
     * service order per turn, strategies/io_sched.c), in order. */
    ck_assert_uint_eq(vio_axis_io_sched.count, (size_t)n + 1);
    ck_assert_str_eq(vio_axis_name(&vio_axis_io_sched, 0), "vhost");
    for (int i = 0; i < n; i++)
        ck_assert_str_eq(vio_axis_name(&vio_axis_io_sched, (size_t)i + 1), p[i].name);
}
END_TEST

START_TEST(t_jain_index)
{
    const double eq[4] = {3, 3, 3, 3}, hog[4] = {12, 0, 0, 0}, two[2] = {1, 3};
    ck_assert(fabs(vio_jain_index(eq, 4) - 1.0) < 1e-12);
    ck_assert(fabs(vio_jain_index(hog, 4) - 0.25) < 1e-12);
    ck_assert(fabs(vio_jain_index(two, 2) - 16.0 / 20.0) < 1e-12);
}
END_TEST

START_TEST(t_maxmin_shares)
{
    /* 10 to share among demands 1, 2, 8, 20: 1 and 2 are met, 8 and 20 split the 7 left. */
    const double d[4] = {8, 1, 20, 2};
    double sh[4];
    vio_maxmin_shares(d, 4, 10.0, sh);
    ck_assert(fabs(sh[0] - 3.5) < 1e-12 && fabs(sh[1] - 1) < 1e-12 && fabs(sh[2] - 3.5) < 1e-12 &&
              fabs(sh[3] - 2) < 1e-12);
    /* Enough for everyone: every demand met. */
    vio_maxmin_shares(d, 4, 100.0, sh);
    for (int i = 0; i < 4; i++)
        ck_assert(fabs(sh[i] - d[i]) < 1e-12);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("qos");
    TCase *tc = tcase_create("qos");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, t_tbf_exact);
    tcase_add_test(tc, t_rate_limit_holds_flood);
    tcase_add_test(tc, t_drr_shares_bytes_by_weight);
    tcase_add_test(tc, t_wrr_shares_packets_not_bytes);
    tcase_add_test(tc, t_rr_equal_packets);
    tcase_add_test(tc, t_idle_queue_keeps_no_credit);
    tcase_add_test(tc, t_drops_and_errors);
    tcase_add_test(tc, t_policy_table);
    tcase_add_test(tc, t_jain_index);
    tcase_add_test(tc, t_maxmin_shares);
    suite_add_tcase(su, tc);
    return vio_test_run_suite(su);
}
