/* Several host workers (vhost threads, each on its own core) with a map from
 * NIC queues to workers, and the SimGrid engine's clock. */
#include "support.h"

#include "datapath/dp_internal.h"
#include "viosim/engine.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Two VMs, one NIC queue each, offered enough that one worker is ~90 % busy. */
static const char *two_queues =
    "{\"name\":\"workers\",\"platform\":{\"cores\":6},%s\"vms\":[{\"core\":1},{\"core\":2}],"
    "\"traffic\":{\"packets\":4000,\"flows\":[{\"dst\":0,\"rate_gbps\":9,\"size\":1500},"
    "{\"dst\":1,\"rate_gbps\":9,\"size\":1500}]},\"variants\":[{\"name\":\"baseline\"}]}";

static vio_scenario *load_hosts(const char *host)
{
    char json[1024];
    snprintf(json, sizeof json, two_queues, host);
    return vio_test_load(json, NULL, 0);
}

START_TEST(test_two_workers_serve_two_queues_in_parallel)
{
    vio_scenario *one = load_hosts("\"host\":{\"core\":0},");
    vio_scenario *two = load_hosts("\"host\":{\"workers\":[{\"core\":0},{\"core\":5}]},");
    ck_assert_uint_eq(one->nworkers, 1);
    ck_assert_uint_eq(two->nworkers, 2);
    json_t *a = vio_test_run(one, VIO_ENGINE_SEQUENTIAL), *b = vio_test_run(two, VIO_ENGINE_SEQUENTIAL);
    const json_t *x = vio_test_variant(a, "baseline"), *y = vio_test_variant(b, "baseline");
    ck_assert(vio_test_num(x, "packets.delivered") == 4000 && vio_test_num(y, "packets.delivered") == 4000);
    /* The same packets, the same per-packet work: only the queueing behind one core goes. */
    double l1 = vio_test_num(x, "latency_ns.mean"), l2 = vio_test_num(y, "latency_ns.mean");
    ck_assert_msg(l2 < 0.7 * l1, "mean latency: one worker %.1f ns, two workers %.1f ns", l1, l2);
    double p1 = vio_test_num(x, "latency_ns.p99"), p2 = vio_test_num(y, "latency_ns.p99");
    ck_assert_msg(p2 < p1, "p99: one worker %.1f ns, two workers %.1f ns", p1, p2);
    /* Both workers are listed with their role and each carries half the load. */
    const json_t *cores = json_object_get(y, "cores");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(cores, 0), "role")), "host");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(cores, 1), "role")), "host");
    ck_assert_int_eq(vio_test_num(y, "cores.1.id"), 5);
    ck_assert_int_eq(vio_test_num(y, "cores.1.worker"), 1);
    double w0 = vio_test_num(y, "cores.0.work_utilization"), w1 = vio_test_num(y, "cores.1.work_utilization");
    double w = vio_test_num(x, "cores.0.work_utilization");
    ck_assert_msg(w0 > 0.3 * w && w0 < 0.7 * w && w1 > 0.3 * w && w1 < 0.7 * w,
                  "work: one worker %.3f, two workers %.3f + %.3f", w, w0, w1);
    /* Every core appears, with its role: 2 workers, 2 VMs, 2 idle. */
    ck_assert_uint_eq(json_array_size(cores), 6);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(cores, 5), "role")), "idle");
    /* And the SimGrid engine agrees to the byte. */
    json_t *c = vio_test_run(two, VIO_ENGINE_SIMGRID);
    vio_test_assert_same_but_engine(b, c);
    json_decref(a);
    json_decref(b);
    json_decref(c);
    vio_scenario_destroy(one);
    vio_scenario_destroy(two);
}
END_TEST

START_TEST(test_queue_map_routes_each_queue_to_its_worker)
{
    /* Only VM 1 gets traffic; its queue (1) is mapped to the worker on core 0. */
    const char *sets[] = {"traffic.flows[0].dst=1"};
    char json[1024];
    snprintf(json, sizeof json, two_queues,
             "\"host\":{\"workers\":[{\"core\":5,\"queues\":[0]},{\"core\":0,\"queues\":[1]}]},");
    vio_scenario *s = vio_test_load(json, sets, 1);
    json_t *doc = vio_test_run(s, VIO_ENGINE_SEQUENTIAL);
    const json_t *v = vio_test_variant(doc, "baseline");
    ck_assert_int_eq(vio_test_num(v, "cores.0.id"), 5);
    ck_assert(vio_test_num(v, "cores.0.work_utilization") == 0.0); /* queue 0 gets nothing */
    ck_assert(vio_test_num(v, "cores.1.work_utilization") > 0.5);
    ck_assert(vio_test_num(v, "packets.delivered") == 4000);
    json_decref(doc);
    vio_scenario_destroy(s);
}
END_TEST

static void expect_error(const char *host, const char *msg)
{
    char json[1024];
    snprintf(json, sizeof json, two_queues, host);
    vio_scenario *s = NULL;
    vio_err err = {{0}};
    ck_assert_int_eq(vio_scenario_load_string(json, "w.json", NULL, 0, &s, &err), VIO_EINVAL);
    ck_assert_msg(strstr(err.msg, msg) != NULL, "got: %s", err.msg);
    ck_assert_ptr_null(s);
}

START_TEST(test_worker_errors_name_the_path)
{
    expect_error("\"host\":{\"workers\":[{\"core\":0},{\"core\":1}]},", "vms[0].core: core 1 is a host core");
    expect_error("\"host\":{\"workers\":[{\"core\":0},{\"core\":0}]},",
                 "host.workers[1].core: core 0 is already host.workers[0]'s");
    expect_error("\"host\":{\"workers\":[{\"core\":0,\"queues\":[2]}]},",
                 "host.workers[0].queues[0]: queue 2 does not exist (the NIC has 2 receive queues)");
    expect_error("\"host\":{\"workers\":[{\"core\":0,\"queues\":[0,0]}]},", "host.workers[0].queues[1]: queue 0 is listed twice");
    expect_error("\"host\":{\"workers\":[{\"core\":0,\"queues\":[0,1]},{\"core\":5,\"queues\":[1]}]},",
                 "host.workers[1].queues[0]: queue 1 is already served by host.workers[0]");
    expect_error("\"host\":{\"workers\":[{\"core\":0,\"queues\":[0]},{\"core\":5}]},",
                 "host.workers[1].queues: expected a list of queues");
    expect_error("\"host\":{\"workers\":[{\"core\":0,\"queues\":[0]}]},",
                 "host.workers: expected every one of the 2 NIC queues served by a worker, got 1");
    expect_error("\"host\":{\"workers\":[{\"queues\":[0]}]},", "host.workers[0].core: required key missing");
    expect_error("\"host\":{\"workers\":[{\"core\":0,\"queues\":\"all\"}]},",
                 "host.workers[0].queues: expected a list of NIC queue indices, got a string");
}
END_TEST

START_TEST(test_simgrid_clock_follows_model_time)
{
    /* Light load: events microseconds apart. SimGrid's clock ends equal to the end
     * of the model's work and never lags an event by more than the quantum. */
    const char *sets[] = {"traffic.packets=1500", "traffic.load=0.1"};
    vio_scenario *s = vio_test_load("compare-delivery.json", sets, 2);
    json_t *doc = vio_test_run(s, VIO_ENGINE_SIMGRID);
    const json_t *vars = json_object_get(doc, "variants");
    for (size_t i = 0; i < json_array_size(vars); i++) {
        const json_t *v = json_array_get(vars, i);
        double end = vio_test_num(v, "engine.model_end_ns"), clock = vio_test_num(v, "engine.clock_ns");
        double lag = vio_test_num(v, "engine.max_clock_lag_ns");
        ck_assert_msg(fabs(clock - end) <= 1e-3, "SimGrid clock %.3f ns, model end %.3f ns", clock, end);
        /* The run spans ~1.5 ms: the clock had to follow, not jump once at the end. */
        ck_assert(end > 1e6);
        ck_assert_msg(lag > 0 && lag <= VIO_ENGINE_QUANTUM_PS / 1000.0, "SimGrid's clock lagged by %.3f ns (quantum %.0f ns)",
                      lag, VIO_ENGINE_QUANTUM_PS / 1000.0);
        ck_assert(vio_test_num(v, "engine.simgrid_calls") > 0);
    }
    json_decref(doc);
    vio_scenario_destroy(s);
}
END_TEST

/* One worker owning both queues; queue 0 flooded (small packets far above what
 * the worker can serve), queue 1 lightly loaded. */
static const char *flood =
    "{\"name\":\"flood\",\"platform\":{\"cores\":4,\"nic\":{\"ring_entries\":256}},"
    "\"host\":{\"core\":0,\"budget\":%u,\"budget_bytes\":%u},\"vms\":[{\"core\":1},{\"core\":2}],"
    "\"traffic\":{\"packets\":6000,\"flows\":[{\"dst\":0,\"rate_gbps\":40,\"size\":%u},"
    "{\"dst\":1,\"rate_gbps\":0.5,\"size\":%u}]},\"variants\":[{\"name\":\"baseline\"}]}";

typedef struct turns {
    uint64_t turns, contested; /* worker turns with packets; turns that found both queues ready */
    uint32_t max_served, max_waits;
    uint64_t max_bytes, max_bypassed; /* most bytes in one turn; most q0 packets served while q1 waited */
} turns;

/* Run the datapath step by step; around every worker step, see what it took off each queue. */
static turns watch_turns(uint32_t budget, uint32_t budget_bytes, uint32_t size)
{
    char json[1024];
    snprintf(json, sizeof json, flood, budget, budget_bytes, size, size);
    vio_scenario *s = vio_test_load(json, NULL, 0);
    vio_datapath *dp = NULL;
    vio_err err = {{0}};
    ck_assert_int_eq(vio_datapath_create(s, 0, &dp, &err), VIO_OK);
    ck_assert_uint_eq(dp->nworkers, 1);
    ck_assert_uint_eq(dp->w[0].nq, 2);
    turns r = {0};
    uint32_t waits = 0;      /* consecutive turns queue 1 was ready and not served */
    uint64_t bypassed = 0;   /* queue-0 packets served since queue 1 became ready */
    vio_ps t;
    uint32_t a;
    while ((a = vio_datapath_first(dp, &t)) != UINT32_MAX) {
        if (a != dp->w[0].agent) {
            vio_datapath_step(dp, a, t);
            continue;
        }
        uint32_t before[2], ready[2];
        uint64_t bytes = 0;
        for (int q = 0; q < 2; q++) {
            const dp_pkt *h = dp_fifo_peek(&dp->nic_in[q], 0);
            before[q] = dp->nic_in[q].len;
            ready[q] = h && h->t_ready <= t;
        }
        vio_datapath_step(dp, a, t);
        uint32_t served[2] = {before[0] - dp->nic_in[0].len, before[1] - dp->nic_in[1].len};
        if (!served[0] && !served[1])
            continue;
        /* One queue per turn, at most one budget of packets. */
        ck_assert_msg(!(served[0] && served[1]), "one turn served both queues (%u + %u)", served[0], served[1]);
        int q = served[0] ? 0 : 1;
        ck_assert(ready[q]);
        bytes = (uint64_t)served[q] * size;
        r.turns++;
        r.contested += ready[0] && ready[1];
        if (served[q] > r.max_served)
            r.max_served = served[q];
        if (bytes > r.max_bytes)
            r.max_bytes = bytes;
        /* Queue 1 ready at a turn's start but not served: that turn is the flood's, and the next must be its. */
        if (ready[1] && q == 0) {
            waits++;
            bypassed += served[0];
        } else if (q == 1) {
            waits = 0;
            bypassed = 0;
        }
        if (waits > r.max_waits)
            r.max_waits = waits;
        if (bypassed > r.max_bypassed)
            r.max_bypassed = bypassed;
    }
    ck_assert_msg(vio_datapath_check_finished(dp, &err) == VIO_OK, "%s", err.msg);
    /* The flood really is one: the NIC dropped some of queue 0's packets. */
    ck_assert_uint_gt(dp->dropped_nic, 0);
    vio_datapath_destroy(dp);
    vio_scenario_destroy(s);
    return r;
}

START_TEST(test_a_flooded_queue_does_not_starve_the_other)
{
    turns r = watch_turns(16, 1 << 20, 64);
    /* Not vacuous: many turns found both queues with packets ready. */
    ck_assert_msg(r.contested >= 20, "only %llu contested turns", (unsigned long long)r.contested);
    /* Round-robin: a ready queue 1 waits one turn at most, behind one budget of the flood. */
    ck_assert_msg(r.max_waits <= 1, "queue 1 was passed over %u turns in a row", r.max_waits);
    ck_assert_msg(r.max_bypassed <= 16, "queue 1 waited while %llu flood packets were served",
                  (unsigned long long)r.max_bypassed);
    /* The packet budget bounds a turn, and the flood fills it. */
    ck_assert_uint_eq(r.max_served, 16);
}
END_TEST

START_TEST(test_the_byte_budget_bounds_a_turn)
{
    /* 1500-byte packets, 4000 bytes a turn: the turn ends after the packet that
     * reaches the weight (vhost checks after each), so 3 packets, never more. */
    turns r = watch_turns(256, 4000, 1500);
    ck_assert_uint_eq(r.max_served, 3);
    ck_assert_uint_le(r.max_bytes, 4000 + 1500 - 1);
    ck_assert_msg(r.max_waits <= 1, "queue 1 was passed over %u turns in a row", r.max_waits);
    /* The packet weight alone (bytes unbounded) lets the same flood take longer turns. */
    turns big = watch_turns(256, 1 << 30, 1500);
    ck_assert_uint_gt(big.max_served, 3);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("workers");
    TCase *tc = tcase_create("workers");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_two_workers_serve_two_queues_in_parallel);
    tcase_add_test(tc, test_queue_map_routes_each_queue_to_its_worker);
    tcase_add_test(tc, test_worker_errors_name_the_path);
    tcase_add_test(tc, test_simgrid_clock_follows_model_time);
    tcase_add_test(tc, test_a_flooded_queue_does_not_starve_the_other);
    tcase_add_test(tc, test_the_byte_budget_bounds_a_turn);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
