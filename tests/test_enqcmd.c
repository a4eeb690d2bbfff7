/* ENQCMD's Retry (issue 11 item 2): the NIC's shared work queue holds
 * platform.nic.swq_entries commands; the device takes each off, in order, once it
 * has fetched the transmit descriptors it names. Eight forwarders submit one
 * ENQCMD per frame (NAPI budget 1): with a 2-entry queue the flood finds it full
 * and is answered Retry; with the default 128 entries it never is. Either way no
 * command is lost or taken twice: every forwarded frame is transmitted once. */
#include "support.h"

#include <jansson.h>
#include <stdio.h>

/* tx_completion kernel (notify poll: the driver polls its write-backs): the TX
 * latency is the device's, not the wait for the next burst a reaping driver adds. */
#define VM(c)                                                                                                       \
    "{\"core\":" #c ",\"kind\":\"process\",\"touch_bytes\":64,\"forward\":true,\"budget\":1,\"process_cycles\":100," \
    "\"tx_completion\":\"kernel\"}"
#define FL(d) "{\"dst\":" #d ",\"rate_gbps\":5,\"size\":1500}"
#define SCEN                                                                                                        \
    "{\"name\":\"enqcmd\",\"seed\":7,\"platform\":{\"preset\":\"skylake-sp-6140\"},\"host\":{\"core\":0},\"vms\":["   \
    VM(1) "," VM(2) "," VM(3) "," VM(4) "," VM(5) "," VM(6) "," VM(7) "," VM(8) "],"                               \
    "\"traffic\":{\"packets\":16000,\"warmup_packets\":4000,\"flows\":[" FL(0) "," FL(1) "," FL(2) "," FL(3) ","      \
    FL(4) "," FL(5) "," FL(6) "," FL(7) "]},"                                                                       \
    "\"variants\":[{\"name\":\"enqcmd\",\"copy\":\"none\",\"notify\":\"poll\",\"tx_submit\":\"enqcmd\"},"            \
    "{\"name\":\"doorbell\",\"copy\":\"none\",\"notify\":\"poll\"}]}"

static json_t *run(const char *set)
{
    const char *sets[] = {set};
    vio_scenario *s = vio_test_load(SCEN, sets, set ? 1 : 0);
    json_t *doc = vio_test_run(s, VIO_ENGINE_SEQUENTIAL);
    vio_scenario_destroy(s);
    return doc;
}

/* Every measured frame the consumers received is transmitted exactly once. */
static void each_frame_once(const json_t *v)
{
    double sent = 0, delivered = vio_test_num(v, "packets.delivered");
    const json_t *vms = json_object_get(v, "vms");
    for (size_t i = 0; i < json_array_size(vms); i++)
        sent += vio_test_num(json_array_get(vms, i), "tx.packets");
    ck_assert_msg(sent == delivered, "%.0f frames sent for %.0f delivered", sent, delivered);
    ck_assert(vio_test_num(v, "packets.offered") == delivered + vio_test_num(v, "packets.dropped"));
}

START_TEST(t_a_full_queue_answers_retry_and_loses_nothing)
{
    json_t *small = run("platform.nic.swq_entries=2"), *deep = run(NULL);
    const json_t *es = vio_test_variant(small, "enqcmd"), *ed = vio_test_variant(deep, "enqcmd");
    double retries = vio_test_num(es, "forward.enqcmd.retries"), accepted = vio_test_num(es, "forward.enqcmd.accepted");
    printf("enqcmd: 2-entry queue %.0f accepted, %.0f retries, peak %.0f, TX latency mean %.1f ns; 128 entries %.0f "
           "retries, peak %.0f, TX latency mean %.1f ns\n",
           accepted, retries, vio_test_num(es, "forward.enqcmd.swq_peak"),
           vio_test_num(json_array_get(json_object_get(es, "vms"), 0), "tx.latency_ns.mean"),
           vio_test_num(ed, "forward.enqcmd.retries"), vio_test_num(ed, "forward.enqcmd.swq_peak"),
           vio_test_num(json_array_get(json_object_get(ed, "vms"), 0), "tx.latency_ns.mean"));
    ck_assert_msg(retries > 0, "a 2-entry shared work queue never answered Retry");
    ck_assert(vio_test_num(es, "forward.enqcmd.swq_peak") <= 2);
    ck_assert_double_eq(vio_test_num(ed, "forward.enqcmd.retries"), 0);
    ck_assert(vio_test_num(ed, "forward.enqcmd.swq_peak") > 2); /* it would have needed more */
    each_frame_once(es);
    each_frame_once(ed);
    /* The retries are counted per submitter too, and cost its core round trips. */
    double per = 0;
    const json_t *vms = json_object_get(es, "vms");
    for (size_t i = 0; i < json_array_size(vms); i++)
        per += vio_test_num(json_array_get(vms, i), "tx.enqcmd_retries");
    ck_assert(per > 0 && per <= retries);
    ck_assert(vio_test_num(json_array_get(vms, 0), "tx.latency_ns.mean") >
              vio_test_num(json_array_get(json_object_get(ed, "vms"), 0), "tx.latency_ns.mean"));
    /* Doorbells have no shared queue: nothing to retry. */
    ck_assert_double_eq(vio_test_num(vio_test_variant(small, "doorbell"), "forward.enqcmd.retries"), 0);
    each_frame_once(vio_test_variant(small, "doorbell"));
    json_decref(small);
    json_decref(deep);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("enqcmd");
    TCase *tc = tcase_create("enqcmd");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, t_a_full_queue_answers_retry_and_loses_nothing);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
