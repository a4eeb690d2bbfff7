/* traffic.replay_threads: ddio-bench's paced pcap replay (lib/src/models/traffic.c).
 * Properties: every record goes out once per thread, back to back, one flow and
 * one size; records are evenly spaced at the flows' total packet rate over the
 * threads; a record's flow is drawn in proportion to the flows' rates; the
 * sequence is the seed's (same seed, same sequence; another seed, another); and
 * with 0 threads the generator is the independent flows' one, without such groups. */
#include "support.h"
#include "viosim/traffic.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Two flows of 1500 B, `r0` and `r1` Gb/s, to VMs 0 and 1; `threads` replay threads. */
static vio_scenario *load(uint32_t threads, double r0, double r1, uint64_t seed, uint64_t packets)
{
    char json[640];
    snprintf(json, sizeof json,
             "{\"seed\":%llu,\"vms\":[{\"core\":1},{\"core\":2}],\"traffic\":{\"packets\":%llu,\"replay_threads\":%u,"
             "\"flows\":[{\"dst\":0,\"rate_gbps\":%g,\"size\":1500},{\"dst\":1,\"rate_gbps\":%g,\"size_mix\":"
             "[{\"bytes\":1500,\"weight\":1},{\"bytes\":64,\"weight\":1}]}]}}",
             (unsigned long long)seed, (unsigned long long)packets, threads, r0, r1);
    return vio_test_load(json, NULL, 0);
}

static vio_arrival_rec *arrivals(const vio_scenario *s, uint64_t *n)
{
    vio_traffic_gen *g;
    ck_assert_int_eq(vio_traffic_create(&s->traffic, s->seed, s->platform.nic_wire_mbps, &g, NULL), VIO_OK);
    vio_arrival_rec *a = calloc(s->traffic.packets, sizeof *a);
    ck_assert_ptr_nonnull(a);
    *n = 0;
    while (vio_traffic_next(g, &a[*n]))
        (*n)++;
    vio_traffic_destroy(g);
    ck_assert_uint_eq(*n, s->traffic.packets);
    return a;
}

START_TEST(test_replay_records_in_step)
{
    /* 10 Gb/s in all on a 100 Gb/s wire: the wire never holds a record back. */
    vio_scenario *s = load(4, 5, 5, 1, 40000);
    uint64_t n;
    vio_arrival_rec *a = arrivals(s, &n);
    uint64_t per_flow[2] = {0};
    for (uint64_t r = 0; r < n / 4; r++) {
        const vio_arrival_rec *c = &a[4 * r];
        for (int k = 1; k < 4; k++) { /* the 4 threads' copies: same flow and size, back to back */
            ck_assert_uint_eq(c[k].flow, c[0].flow);
            ck_assert_uint_eq(c[k].bytes, c[0].bytes);
            ck_assert_uint_eq(c[k].t_arrive - c[k - 1].t_arrive,
                              vio_bytes_to_ps(c[k].bytes + VIO_ETH_WIRE_OVERHEAD, s->platform.nic_wire_mbps));
        }
        per_flow[c[0].flow]++;
    }
    /* Records evenly spaced: the first copy of record r starts at r x period. The
     * flows' packet rate: 5 Gb/s of 1520 B frames + 5 Gb/s of (1520 + 84) / 2 B. */
    double pps = 5e9 / 8 / 1520.0 + 5e9 / 8 / ((1520.0 + 84.0) / 2);
    double period = 1e12 * 4 / pps;
    for (uint64_t r = 1; r < n / 4; r++) {
        vio_ps start = a[4 * r].t_arrive - vio_bytes_to_ps(a[4 * r].bytes + VIO_ETH_WIRE_OVERHEAD, s->platform.nic_wire_mbps);
        ck_assert_msg(llabs((long long)start - llround((double)r * period)) <= 1, "record %llu starts at %llu ps",
                      (unsigned long long)r, (unsigned long long)start);
    }
    /* A record's flow in proportion to the flows' packet rates (flow 1's smaller
     * packets: 1.47 times flow 0's rate), within 5 standard deviations. */
    double p1 = (5e9 / 8 / ((1520.0 + 84.0) / 2)) / pps, m = (double)(n / 4);
    ck_assert_msg(fabs((double)per_flow[1] - p1 * m) < 5 * sqrt(m * p1 * (1 - p1)), "flow 1: %llu of %.0f records",
                  (unsigned long long)per_flow[1], m);
    free(a);
    vio_scenario_destroy(s);
}
END_TEST

START_TEST(test_replay_wire_holds_back)
{
    /* 400 Gb/s offered on a 100 Gb/s wire: every frame follows the one before. */
    vio_scenario *s = load(4, 200, 200, 1, 4000);
    uint64_t n;
    vio_arrival_rec *a = arrivals(s, &n);
    for (uint64_t i = 100; i < n; i++)
        ck_assert_uint_eq(a[i].t_arrive - a[i - 1].t_arrive,
                          vio_bytes_to_ps(a[i].bytes + VIO_ETH_WIRE_OVERHEAD, s->platform.nic_wire_mbps));
    free(a);
    vio_scenario_destroy(s);
}
END_TEST

START_TEST(test_replay_seeded)
{
    uint64_t n;
    vio_scenario *s1 = load(4, 5, 5, 7, 4000), *s2 = load(4, 5, 5, 7, 4000), *s3 = load(4, 5, 5, 8, 4000);
    vio_arrival_rec *a = arrivals(s1, &n), *b = arrivals(s2, &n), *c = arrivals(s3, &n);
    int differ = 0;
    for (uint64_t i = 0; i < n; i++) {
        ck_assert_uint_eq(a[i].t_arrive, b[i].t_arrive);
        ck_assert_uint_eq(a[i].flow, b[i].flow);
        ck_assert_uint_eq(a[i].bytes, b[i].bytes);
        differ |= a[i].flow != c[i].flow;
    }
    ck_assert_msg(differ, "another seed gave the same flow sequence");
    /* 0 threads: independent flows; four frames of one flow back to back, what
     * every record of the replay is, are then rare. */
    vio_scenario *s0 = load(0, 5, 5, 7, 4000);
    vio_arrival_rec *d = arrivals(s0, &n);
    uint64_t groups = 0;
    for (uint64_t i = 0; i + 3 < n; i += 4) {
        int in_step = 1;
        for (int k = 1; k < 4; k++)
            in_step &= d[i + k].flow == d[i].flow &&
                       d[i + k].t_arrive - d[i + k - 1].t_arrive ==
                           vio_bytes_to_ps(d[i + k].bytes + VIO_ETH_WIRE_OVERHEAD, s0->platform.nic_wire_mbps);
        groups += (uint64_t)in_step;
    }
    ck_assert_msg(groups < n / 40, "independent flows: %llu groups of 4 in step", (unsigned long long)groups);
    free(a);
    free(b);
    free(c);
    free(d);
    vio_scenario_destroy(s0);
    vio_scenario_destroy(s1);
    vio_scenario_destroy(s2);
    vio_scenario_destroy(s3);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("traffic_replay");
    TCase *tc = tcase_create("replay");
    tcase_add_test(tc, test_replay_records_in_step);
    tcase_add_test(tc, test_replay_wire_holds_back);
    tcase_add_test(tc, test_replay_seeded);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
