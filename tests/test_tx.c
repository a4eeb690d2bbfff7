/* The transmit path wired into the datapath (issue 11 item 3): a forwarding
 * consumer's doorbell, the device's reads over PCIe translated under its queue
 * pair's PASID, the wire, the completion write-back and MSI-X (dp_tx.c). */
#include "support.h"

#include "viosim/time.h"

#include <stdio.h>
#include <string.h>

/* Process consumers on direct delivery that forward what they receive. */
static json_t *run_json(const char *json)
{
    vio_scenario *s = vio_test_load(json, NULL, 0);
    json_t *doc = vio_test_run(s, VIO_ENGINE_SEQUENTIAL);
    vio_scenario_destroy(s);
    return doc;
}

/* One 1500 B frame on an idle machine with free memory: its TX latency, from the
 * doorbell store to the completion the driver sees, is the sum of the fixed costs
 * of each step, worked out here from the parameters (the scenario's defaults). */
START_TEST(test_single_frame_latency_is_the_sum_of_its_costs)
{
    const char *json =
        "{\"name\":\"tx1\",\"platform\":{\"ideal_memory\":true},\"host\":{\"core\":0},"
        "\"vms\":[{\"core\":1,\"kind\":\"process\",\"forward\":true,\"tx_completion\":\"kernel\"}],"
        "\"traffic\":{\"packets\":1,\"flows\":[{\"dst\":0,\"rate_gbps\":1,\"size\":1500}]},"
        "\"variants\":[{\"name\":\"irq\",\"dma\":\"ddio\",\"copy\":\"none\",\"notify\":\"posted\"}]}";
    vio_scenario *s = vio_test_load(json, NULL, 0);
    json_t *doc = vio_test_run(s, VIO_ENGINE_SEQUENTIAL);
    const vio_platform *p = &s->platform;
    const uint64_t bw = p->pcie_bandwidth_mbps, ovh = p->pcie_tlp_overhead, mps = p->pcie_tlp_payload;
    const vio_ps L = (vio_ps)p->pcie_latency_ns * VIO_PS_PER_NS;
    const vio_ps hdr = vio_bytes_to_ps(ovh, bw); /* a read request: a header upstream */
    /* 1. The doorbell: the core's uncached store, then a posted write across the link. */
    vio_ps want = (vio_ps)p->nic_doorbell_ns * VIO_PS_PER_NS + L;
    /* 2. The descriptor read: request up, (free) memory, one completion down. */
    want += hdr + L + vio_bytes_to_ps(16 + ovh, bw) + L;
    /* 3. The payload: requests of at most MRRS issued back to back (32 tags: none
     *    waits); their completions (MPS each) follow each other down the link. */
    const uint32_t frame = 1500;
    vio_ps down = 0;
    for (uint32_t off = 0; off < frame; off += p->pcie_mrrs) {
        uint32_t len = frame - off < p->pcie_mrrs ? frame - off : p->pcie_mrrs;
        down += vio_bytes_to_ps(len + (len + mps - 1) / mps * ovh, bw);
    }
    want += hdr + L + down + L;
    /* 4. The wire: the frame plus preamble, SFD and inter-frame gap (20 B), store and forward. */
    want += vio_bytes_to_ps(frame + 20, p->nic_wire_mbps);
    /* 5. The completion write-back, then MSI-X (a 4 B posted write), then the link. */
    want += vio_bytes_to_ps(16 + ovh, bw) + vio_bytes_to_ps(4 + ovh, bw) + L;
    const json_t *v = vio_test_variant(doc, "irq");
    ck_assert_int_eq(vio_test_num(v, "vms.0.tx.packets"), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_array_get(json_object_get(v, "vms"), 0), "tx"),
                                                       "completion")),
                     "interrupt");
    double got = vio_test_num(v, "vms.0.tx.latency_ns.min");
    ck_assert_msg(got * 1000.0 > (double)want - 0.5 && got * 1000.0 < (double)want + 0.5,
                  "TX latency %.3f ns, the sum of the fixed costs is %.3f ns", got, (double)want / 1000.0);
    json_decref(doc);
    vio_scenario_destroy(s);
}
END_TEST

/* A forwarder's transmit completions (dp_tx.c). With interrupts (a kernel
 * driver: one MSI-X vector per queue pair) a completion costs its core a handler
 * only when it finds the core idle. At a low rate every completion does: one
 * transmit interrupt per frame, and the core's time per packet grows by at least
 * the handler (host.irq_cycles + vms[].irq_cycles) over a consumer that does not
 * forward, by no more than that plus the descriptor store and the doorbell. Near
 * line rate the completions come while the core polls and fold into its polls; a
 * spinning kernel driver polls its write-backs and takes none. A
 * DPDK process (auto: reap) takes no transmit interrupt: its next burst sees the
 * write-back, so its TX latency runs to that burst and the last one is unseen. */
static json_t *run_forwarder(const char *txc, double gbps, const char *notify, uint32_t packets)
{
    char json[1024], fwd[96];
    snprintf(fwd, sizeof fwd, txc ? "\"forward\":true,\"tx_completion\":\"%s\"" : "\"forward\":false", txc);
    snprintf(json, sizeof json,
             "{\"name\":\"txirq\",\"host\":{\"core\":0},"
             "\"vms\":[{\"core\":1,\"kind\":\"process\",%s,\"touch_bytes\":64}],"
             "\"traffic\":{\"packets\":%u,\"flows\":[{\"dst\":0,\"rate_gbps\":%g,\"size\":1500,\"arrival\":\"%s\"}]},"
             "\"variants\":[{\"name\":\"v\",\"dma\":\"ddio\",\"copy\":\"none\",\"notify\":\"%s\"}]}",
             fwd, packets, gbps, gbps < 1 ? "constant" : "poisson", notify);
    return run_json(json);
}

static const char *txs(const json_t *v, const char *key)
{
    return json_string_value(json_object_get(json_object_get(json_array_get(json_object_get(v, "vms"), 0), "tx"), key));
}

START_TEST(test_tx_completion_interrupt_costs_an_idle_core)
{
    const uint32_t n = 200;
    json_t *fwd = run_forwarder("kernel", 0.1, "posted", n), *rx = run_forwarder(NULL, 0.1, "posted", n);
    const json_t *v = vio_test_variant(fwd, "v"), *r = vio_test_variant(rx, "v");
    ck_assert_str_eq(txs(v, "completion"), "interrupt");
    ck_assert_int_eq(vio_test_num(v, "vms.0.packets.delivered"), n);
    ck_assert_int_eq(vio_test_num(v, "vms.0.tx.packets"), n);
    ck_assert_int_eq(vio_test_num(v, "vms.0.tx.interrupts"), n); /* 120 us apart: each completion finds it idle */
    ck_assert_int_eq(vio_test_num(v, "vms.0.interrupts"), 2 * n);
    ck_assert_int_eq(vio_test_num(r, "vms.0.interrupts"), n);
    vio_scenario *s = vio_test_load("{\"name\":\"d\",\"vms\":[{\"core\":1}],\"traffic\":{\"packets\":1,"
                                    "\"flows\":[{\"dst\":0,\"rate_gbps\":1,\"size\":64}]},"
                                    "\"variants\":[{\"name\":\"v\"}]}",
                                    NULL, 0);
    const double handler = (double)(s->host.irq_cycles + s->vms[0].irq_cycles) * 1000.0 / s->platform.freq_mhz;
    const double doorbell = s->platform.nic_doorbell_ns;
    vio_scenario_destroy(s);
    double more = vio_test_num(v, "cores.1.busy_ns_per_packet") - vio_test_num(r, "cores.1.busy_ns_per_packet");
    ck_assert_msg(more >= handler - 0.5 && more <= handler + doorbell + 100.0,
                  "a forwarded packet costs its core %.1f ns more; the handler is %.1f ns, the doorbell %.1f ns", more,
                  handler, doorbell);
    json_decref(fwd);
    /* The same DPDK process reaping its completions: no transmit interrupt, no handler. */
    json_t *reap = run_forwarder("auto", 0.1, "posted", n);
    v = vio_test_variant(reap, "v");
    ck_assert_str_eq(txs(v, "completion"), "reap");
    ck_assert_int_eq(vio_test_num(v, "vms.0.tx.interrupts"), 0);
    ck_assert_int_eq(vio_test_num(v, "vms.0.interrupts"), n);
    more = vio_test_num(v, "cores.1.busy_ns_per_packet") - vio_test_num(r, "cores.1.busy_ns_per_packet");
    ck_assert_msg(more > 0 && more <= doorbell + 100.0, "reaping, a forwarded packet costs its core %.1f ns more", more);
    /* Each completion is seen by the next packet's burst, 120 us later; the last by none. */
    ck_assert_int_eq(vio_test_num(v, "vms.0.tx.latency_ns.count"), n - 1);
    ck_assert_int_eq(vio_test_num(v, "vms.0.tx.unseen"), 1);
    ck_assert_msg(vio_test_num(v, "vms.0.tx.latency_ns.min") > 100000.0, "reaped TX latency %.1f ns",
                  vio_test_num(v, "vms.0.tx.latency_ns.min"));
    json_decref(reap);
    json_decref(rx);
    /* Near line rate the core is rarely idle when a write-back lands. */
    json_t *busy = run_forwarder("kernel", 40, "posted", 20000);
    v = vio_test_variant(busy, "v");
    double delivered = vio_test_num(v, "vms.0.packets.delivered"), tx = vio_test_num(v, "vms.0.tx.interrupts");
    ck_assert_msg(tx > 0 && tx < delivered / 20, "%.0f transmit interrupts for %.0f packets near line rate", tx,
                  delivered);
    json_decref(busy);
    json_t *poll = run_forwarder("kernel", 0.1, "poll", n);
    v = vio_test_variant(poll, "v");
    ck_assert_str_eq(txs(v, "completion"), "poll");
    ck_assert_int_eq(vio_test_num(v, "vms.0.tx.interrupts"), 0);
    ck_assert_int_eq(vio_test_num(v, "vms.0.tx.latency_ns.count"), n);
    json_decref(poll);
}
END_TEST

/* Two tenants that forward, the first an adversary against the second. */
static json_t *run_attack_by(const char *adversary, const char *iommu, uint32_t packets, const char *submit)
{
    char json[2048];
    snprintf(json, sizeof json,
             "{\"name\":\"txadv\",\"host\":{\"core\":0},"
             "\"vms\":[{\"core\":1,\"kind\":\"process\",\"forward\":true,\"touch_bytes\":64},"
             "{\"core\":2,\"kind\":\"process\",\"forward\":true,\"touch_bytes\":64}],"
             "\"tenants\":[{\"vm\":0,\"tag\":10,\"pasid\":4096,\"name\":\"mallory\",\"adversary\":\"%s\",\"victim\":1},"
             "{\"vm\":1,\"tag\":11,\"pasid\":4097,\"name\":\"alice\"}],"
             "\"traffic\":{\"packets\":%u,\"flows\":[{\"dst\":0,\"rate_gbps\":5,\"size\":1500},"
             "{\"dst\":1,\"rate_gbps\":5,\"size\":1500}]},"
             "\"variants\":[{\"name\":\"v\",\"dma\":\"ddio\",\"copy\":\"none\",\"notify\":\"poll\",\"iommu\":\"%s\","
             "\"tx_submit\":\"%s\"}]}",
             adversary, packets, iommu, submit);
    return run_json(json);
}

static json_t *run_attack(const char *adversary, const char *iommu, uint32_t packets)
{
    return run_attack_by(adversary, iommu, packets, "doorbell");
}

static const json_t *tx_of(const json_t *v, int tenant)
{
    return json_object_get(json_array_get(json_object_get(json_object_get(v, "iommu"), "tenants"), (size_t)tenant),
                           "tx");
}

static double txn(const json_t *v, int tenant, const char *key)
{
    const json_t *x = json_object_get(tx_of(v, tenant), key);
    ck_assert_msg(x != NULL, "tenants[%d].tx.%s missing", tenant, key);
    return json_number_value(x);
}

/* A transmit descriptor naming the victim's buffer: with PASID translation the
 * number is not mapped in the adversary's space, every such read is blocked and
 * nothing of the victim's leaves; without the IOMMU the NIC sends the victim's
 * data, and the owner tags catch every byte. */
START_TEST(test_foreign_buffer_transmit_is_blocked_by_the_iommu)
{
    json_t *on = run_attack("tx-foreign-buffer", "4k", 2000), *off = run_attack("tx-foreign-buffer", "off", 2000);
    const json_t *von = vio_test_variant(on, "v"), *voff = vio_test_variant(off, "v");
    double fwd = vio_test_num(von, "vms.0.forwarded");
    ck_assert(fwd > 900);
    /* IOMMU: every frame of mallory's is blocked, none sent, nothing leaked. */
    ck_assert(txn(von, 0, "packets") == 0);
    ck_assert(txn(von, 0, "blocked") == fwd);
    ck_assert(txn(von, 0, "blocked_reads") == fwd);
    ck_assert(txn(von, 0, "leaked_bytes") == 0);
    ck_assert(vio_test_num(von, "iommu.cross_tenant_bytes") == 0);
    ck_assert(vio_test_num(von, "iommu.faults.fl_not_present") >= fwd);
    /* ... and alice transmits everything she received. */
    ck_assert(txn(von, 1, "packets") == vio_test_num(von, "vms.1.forwarded"));
    ck_assert(txn(von, 1, "blocked") == 0);
    /* No IOMMU: the same attack sends alice's bytes, 1500 per frame, detected. */
    double fwd_off = vio_test_num(voff, "vms.0.forwarded");
    ck_assert(txn(voff, 0, "packets") == fwd_off);
    ck_assert(txn(voff, 0, "leaked_bytes") == 1500 * fwd_off);
    ck_assert(vio_test_num(voff, "iommu.cross_tenant_bytes") >= 1500 * fwd_off);
    json_decref(on);
    json_decref(off);
}
END_TEST

/* A store to another queue pair's doorbell page: not in the adversary's page
 * tables, it faults in the CPU and never reaches the device (with or without the
 * IOMMU: the MMU stops it); the victim's transmits are untouched. */
START_TEST(test_foreign_doorbell_faults)
{
    static const char *modes[] = {"2m", "off"};
    for (int m = 0; m < 2; m++) {
        json_t *doc = run_attack("tx-foreign-doorbell", modes[m], 2000);
        const json_t *v = vio_test_variant(doc, "v");
        ck_assert(txn(v, 0, "doorbell_faults") > 0);
        ck_assert(txn(v, 0, "packets") == vio_test_num(v, "vms.0.forwarded"));
        ck_assert(txn(v, 1, "packets") == vio_test_num(v, "vms.1.forwarded"));
        ck_assert(txn(v, 1, "doorbell_faults") == 0);
        ck_assert(vio_test_num(v, "iommu.cross_tenant_bytes") == 0);
        json_decref(doc);
    }
}
END_TEST

/* Transmit work that names the victim's PASID: with ENQCMD the CPU replaces the
 * command's PASID by the thread's IA32_PASID (which only the kernel writes), with
 * a doorbell the NIC stamps the queue pair's own PASID from its context; either
 * way every frame is read under the adversary's own PASID and nothing of the
 * victim's is read. */
START_TEST(test_forged_pasid_is_replaced)
{
    static const char *submit[] = {"enqcmd", "doorbell"};
    for (int k = 0; k < 2; k++) {
        json_t *doc = run_attack_by("tx-forged-pasid", "4k", 2000, submit[k]);
        const json_t *v = vio_test_variant(doc, "v");
        ck_assert_str_eq(json_string_value(json_object_get(tx_of(v, 0), "submit")), submit[k]);
        double fwd = vio_test_num(v, "vms.0.forwarded");
        ck_assert(txn(v, 0, "pasid_overrides") > 0);
        ck_assert(txn(v, 0, "packets") == fwd);
        ck_assert(txn(v, 0, "blocked") == 0);
        ck_assert(txn(v, 0, "leaked_bytes") == 0);
        ck_assert(txn(v, 1, "packets") == vio_test_num(v, "vms.1.forwarded"));
        ck_assert(vio_test_num(v, "iommu.cross_tenant_bytes") == 0);
        json_decref(doc);
    }
}
END_TEST

/* ENQCMD is non-posted: the consumer's core waits a link round trip where the
 * doorbell's posted store lets it go on, while the NIC sees the work at the same
 * time; so every frame is still sent and the consumer's core is busier. */
START_TEST(test_enqcmd_costs_the_core_a_round_trip)
{
    json_t *db = run_attack_by("none", "2m", 2000, "doorbell"), *eq = run_attack_by("none", "2m", 2000, "enqcmd");
    const json_t *vd = vio_test_variant(db, "v"), *ve = vio_test_variant(eq, "v");
    ck_assert(txn(ve, 1, "packets") == txn(vd, 1, "packets"));
    ck_assert_str_eq(json_string_value(json_object_get(tx_of(ve, 1), "submit")), "enqcmd");
    double bd = vio_test_num(vd, "cores.2.busy_ns_per_packet"), be = vio_test_num(ve, "cores.2.busy_ns_per_packet");
    ck_assert_msg(be > bd + 100, "consumer busy per packet: doorbell %.1f ns, enqcmd %.1f ns", bd, be);
    json_decref(db);
    json_decref(eq);
}
END_TEST

/* A process tenant on direct delivery (issue 11 item 1: a container or process
 * drives its queue pair itself, no host copy): its receive DMAs are translated
 * under its PASID and land in its own memory, the host core does nothing, and
 * every frame goes back out with TX throughput and latency per tenant; the device
 * reads of packets DDIO left in the LLC hit there, with DMA to DRAM they do not. */
START_TEST(test_tenant_tx_results)
{
    const char *shape =
        "{\"name\":\"txok\",\"host\":{\"core\":0},"
        "\"vms\":[{\"core\":1,\"kind\":\"process\",\"forward\":true,\"touch_bytes\":64}],"
        "\"tenants\":[{\"vm\":0,\"tag\":10,\"pasid\":4096,\"name\":\"bob\"}],"
        "\"traffic\":{\"packets\":3000,\"flows\":[{\"dst\":0,\"rate_gbps\":10,\"size\":1500}]},"
        "\"variants\":[{\"name\":\"ddio\",\"dma\":\"ddio\",\"copy\":\"none\",\"notify\":\"poll\",\"iommu\":\"2m\"},"
        "{\"name\":\"dram\",\"dma\":\"dram\",\"copy\":\"none\",\"notify\":\"poll\",\"iommu\":\"2m\"}]}";
    json_t *doc = run_json(shape);
    const json_t *d = vio_test_variant(doc, "ddio"), *m = vio_test_variant(doc, "dram");
    for (int k = 0; k < 2; k++) {
        const json_t *v = k ? m : d;
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(v, "vms"), 0), "kind")),
                         "process");
        ck_assert(vio_test_num(v, "vms.0.packets.delivered") == 3000);
        ck_assert(vio_test_num(v, "iommu.translations") >= 3 * 3000); /* rx: descriptor, payload, write-back */
        ck_assert(vio_test_num(v, "iommu.cross_tenant_bytes") == 0);
        ck_assert(vio_test_num(v, "cores.0.utilization") == 0); /* no host copy */
        ck_assert(txn(v, 0, "packets") == 3000);
        ck_assert(txn(v, 0, "blocked") == 0);
        /* 10 Gb/s offered, forwarded in full */
        ck_assert_msg(txn(v, 0, "throughput_gbps") > 9.0 && txn(v, 0, "throughput_gbps") < 11.0, "%.3f",
                      txn(v, 0, "throughput_gbps"));
        ck_assert(vio_test_num(tx_of(v, 0), "latency_ns.mean") > 0);
    }
    ck_assert_msg(txn(d, 0, "device_read_hit_rate") > 0.9, "ddio %.3f", txn(d, 0, "device_read_hit_rate"));
    ck_assert_msg(txn(m, 0, "device_read_hit_rate") < txn(d, 0, "device_read_hit_rate") - 0.5, "dram %.3f",
                  txn(m, 0, "device_read_hit_rate"));
    /* Reads from DRAM take longer: the TX latency shows it. */
    ck_assert(vio_test_num(tx_of(m, 0), "latency_ns.mean") > vio_test_num(tx_of(d, 0), "latency_ns.mean"));
    json_decref(doc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tx");
    TCase *tc = tcase_create("tx");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_single_frame_latency_is_the_sum_of_its_costs);
    tcase_add_test(tc, test_foreign_buffer_transmit_is_blocked_by_the_iommu);
    tcase_add_test(tc, test_foreign_doorbell_faults);
    tcase_add_test(tc, test_tenant_tx_results);
    tcase_add_test(tc, test_forged_pasid_is_replaced);
    tcase_add_test(tc, test_enqcmd_costs_the_core_a_round_trip);
    tcase_add_test(tc, test_tx_completion_interrupt_costs_an_idle_core);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
