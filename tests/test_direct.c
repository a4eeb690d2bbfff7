/* Direct delivery (copy none): the NIC DMAs into the consumer's own ring, with no
 * host copy; a forwarder's packets are read back by the NIC (non-allocating device
 * reads) before their slot is free. Also the warm-up and the steady-state check. */
#include "support.h"
#include "viosim/memsys.h"

#include <stdio.h>
#include <string.h>

/* ---- the memory system's non-allocating device read ---- */

static vio_memsys *make(void)
{
    vio_memsys_config c = {
        .cores = 4, .freq_mhz = 2000,
        .l1 = {.size_bytes = 32 * 1024, .ways = 8}, .l1_hit_cycles = 4,
        .llc = {.size_bytes = 704 * 1024, .ways = 11}, .llc_hit_cycles = 50, .c2c_cycles = 200,
        .io_ways = 2, .dram_latency_ns = 90, .dram_bandwidth_mbps = 1000000, .mlp = 1,
    };
    vio_memsys *ms = NULL;
    vio_err err = {{0}};
    ck_assert_msg(vio_memsys_create(&c, &ms, &err) == VIO_OK, "%s", err.msg);
    return ms;
}

START_TEST(test_device_read_does_not_allocate)
{
    vio_memsys *ms = make();
    uint32_t hits = 99;
    /* A miss comes from DRAM and fills nothing: the next device read misses again,
     * and so does a core's read. */
    ck_assert_uint_eq(vio_memsys_dev_read(ms, 0x10000, 128, 0, &hits), 25000 + 90000);
    ck_assert_uint_eq(hits, 0);
    ck_assert_int_lt(vio_cache_find(vio_memsys_llc(ms), 0x10000 / 64), 0);
    ck_assert_int_lt(vio_cache_find(vio_memsys_llc(ms), 0x10040 / 64), 0);
    vio_memsys_dev_read(ms, 0x10000, 64, 1000000, &hits);
    ck_assert_uint_eq(hits, 0);
    enum vio_level lvl;
    vio_memsys_read(ms, 0, 0x10000, 2000000, &lvl);
    ck_assert_int_eq(lvl, VIO_LVL_DRAM);
    /* The IOMMU's read, by contrast, fills the LLC. */
    vio_memsys_io_read(ms, 0x20000, 0);
    ck_assert_int_ge(vio_cache_find(vio_memsys_llc(ms), 0x20000 / 64), 0);
    vio_memsys_stats st;
    vio_memsys_get_stats(ms, &st);
    ck_assert_uint_eq(st.dev_read_lines, 3);
    ck_assert_uint_eq(st.dev_read_llc_hits, 0);
    vio_memsys_reset_stats(ms);
    vio_memsys_get_stats(ms, &st);
    ck_assert_uint_eq(st.dev_read_lines + st.dram_reads + st.llc_hits, 0);
    ck_assert_uint_eq(vio_memsys_core_reads(ms, 0, VIO_LVL_DRAM), 0);
    vio_memsys_destroy(ms);
}
END_TEST

START_TEST(test_device_read_hits_ddio_lines_and_snoops_cores)
{
    vio_memsys *ms = make();
    uint32_t hits = 0;
    /* Where DDIO wrote the packet, the device's read is served by the LLC. */
    vio_memsys_dma_write(ms, VIO_DMA_TO_LLC_DDIO, 0x40000, 1500, 0);
    ck_assert_uint_eq(vio_memsys_dev_read(ms, 0x40000, 512, 0, &hits), 25000);
    ck_assert_uint_eq(hits, 8);
    /* A line a core holds modified is snooped out of it; the owner keeps it. */
    vio_memsys_stream(ms, 1, VIO_STREAM_WRITE, 0x50000, 16, 0);
    ck_assert_uint_eq(vio_memsys_dev_read(ms, 0x50000, 16, 0, &hits), 100000); /* 200 cycles at 2 GHz */
    ck_assert_uint_eq(hits, 1);
    enum vio_level lvl;
    vio_memsys_read(ms, 1, 0x50000, 0, &lvl);
    ck_assert_int_eq(lvl, VIO_LVL_L1);
    vio_memsys_stats st;
    vio_memsys_get_stats(ms, &st);
    ck_assert_uint_eq(st.dev_read_lines, 9);
    ck_assert_uint_eq(st.dev_read_llc_hits, 8);
    ck_assert_uint_eq(st.dev_read_snoops, 1);
    vio_memsys_destroy(ms);
}
END_TEST

/* ---- the datapath ---- */

/* One consumer on core 1 (host on core 0), one constant-rate flow of 1500 B. */
static json_t *run(const char *vm, const char *traffic, const char *nic, const char *variants)
{
    char json[2048];
    snprintf(json, sizeof json,
             "{\"name\":\"direct\",\"platform\":{\"cores\":4,\"nic\":{%s}},\"host\":{\"core\":0},"
             "\"vms\":[{\"core\":1%s}],\"traffic\":{%s,\"flows\":[{\"dst\":0,\"arrival\":\"constant\","
             "\"rate_gbps\":5,\"size\":1500}]},\"variants\":[%s]}",
             nic, vm, traffic, variants);
    vio_scenario *s = vio_test_load(json, NULL, 0);
    json_t *doc = vio_test_run(s, VIO_ENGINE_SEQUENTIAL);
    vio_scenario_destroy(s);
    return doc;
}

START_TEST(test_copy_none_does_no_host_work)
{
    json_t *doc = run("", "\"packets\":2000", "\"ring_entries\":256",
                      "{\"name\":\"none\",\"dma\":\"ddio\",\"copy\":\"none\",\"notify\":\"poll\"},"
                      "{\"name\":\"guest\",\"dma\":\"ddio\",\"copy\":\"guest\",\"notify\":\"poll\"}");
    const json_t *n = vio_test_variant(doc, "none"), *g = vio_test_variant(doc, "guest");
    ck_assert_int_eq(vio_test_num(n, "packets.delivered"), 2000);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(n, "cores"), 0), "role")),
                     "host");
    ck_assert(vio_test_num(n, "sim.host_batches") == 0);
    ck_assert(vio_test_num(n, "cores.0.work_utilization") == 0);
    ck_assert(vio_test_num(n, "cores.0.busy_ns_per_packet") == 0);
    ck_assert(vio_test_num(n, "interrupts.host_irqs") == 0);
    /* The same traffic through the host copy does keep the host busy. */
    ck_assert(vio_test_num(g, "sim.host_batches") > 0);
    ck_assert(vio_test_num(g, "cores.0.work_utilization") > 0.01);
    json_decref(doc);
}
END_TEST

START_TEST(test_consumer_reads_hit_where_ddio_put_the_packet)
{
    json_t *doc = run("", "\"packets\":2000", "\"ring_entries\":256",
                      "{\"name\":\"ddio\",\"dma\":\"ddio\",\"copy\":\"none\",\"notify\":\"poll\"},"
                      "{\"name\":\"dram\",\"dma\":\"dram\",\"copy\":\"none\",\"notify\":\"poll\"}");
    const json_t *d = vio_test_variant(doc, "ddio"), *m = vio_test_variant(doc, "dram");
    /* Descriptor and payload, all in the LLC where the NIC's writes put them. */
    ck_assert_msg(vio_test_num(d, "guest_reads.llc") > 0.99, "ddio: %.3f from the LLC",
                  vio_test_num(d, "guest_reads.llc"));
    ck_assert(vio_test_num(d, "guest_reads.dram") == 0);
    ck_assert_msg(vio_test_num(m, "guest_reads.dram") > 0.99, "dram: %.3f from DRAM",
                  vio_test_num(m, "guest_reads.dram"));
    ck_assert(vio_test_num(d, "latency_ns.mean") < vio_test_num(m, "latency_ns.mean"));
    json_decref(doc);
}
END_TEST

START_TEST(test_forward_reads_match_the_packets)
{
    json_t *doc = run(",\"forward\":true,\"touch_bytes\":64", "\"packets\":2000", "\"ring_entries\":256",
                      "{\"name\":\"ddio\",\"dma\":\"ddio\",\"copy\":\"none\",\"notify\":\"poll\"},"
                      "{\"name\":\"dram\",\"dma\":\"dram\",\"copy\":\"none\",\"notify\":\"poll\"}");
    const json_t *d = vio_test_variant(doc, "ddio"), *m = vio_test_variant(doc, "dram");
    for (int k = 0; k < 2; k++) {
        const json_t *v = k ? m : d;
        double n = vio_test_num(v, "packets.delivered");
        ck_assert_int_eq(n, 2000);
        ck_assert_int_eq(vio_test_num(v, "forward.packets"), n);
        ck_assert_int_eq(vio_test_num(v, "vms.0.forwarded"), n);
        /* Per packet: its 16 B descriptor, then 1500 B in requests of at most 512 B
         * (512 + 512 + 476; a 2 KiB buffer never crosses a 4 KiB boundary). */
        ck_assert_int_eq(vio_test_num(v, "forward.read_requests"), 4 * n);
        ck_assert_int_eq(vio_test_num(v, "forward.read_bytes"), 1516 * n);
        ck_assert_int_eq(vio_test_num(v, "dma.device_reads.lines"), 25 * n); /* 1 + 24 lines */
        ck_assert_int_gt(vio_test_num(v, "forward.readback_mean_ns"), 500);
    }
    /* With DDIO the payload is read back from the LLC; the descriptor is snooped
     * from the consumer's cache, where it wrote it. Without DDIO only that line and
     * the header line the consumer read (filled into the inclusive LLC) are cached. */
    ck_assert_msg(vio_test_num(d, "dma.device_reads.llc_hit_rate") > 0.9, "%.3f",
                  vio_test_num(d, "dma.device_reads.llc_hit_rate"));
    ck_assert(vio_test_num(d, "dma.device_reads.cache_hit_rate") == 1.0);
    ck_assert_int_eq(vio_test_num(m, "dma.device_reads.llc_hits"), 2000);  /* the header line (inclusive LLC) */
    ck_assert_int_eq(vio_test_num(m, "dma.device_reads.snooped"), 2000);   /* the descriptor, modified */
    ck_assert(vio_test_num(d, "forward.readback_mean_ns") < vio_test_num(m, "forward.readback_mean_ns"));
    json_decref(doc);
}
END_TEST

START_TEST(test_slot_not_reused_before_its_read_back)
{
    /* A ring of 2 under a packet every 400 ns: a receiver frees its slot well within
     * 800 ns; a forwarder's slot stays taken until the NIC has read it back (a link
     * round trip and more), so it must lose packets, and at most 2 slots are ever
     * held: throughput x read-back time <= 2 (Little's law on the ring). */
    const char *v = "{\"name\":\"v\",\"dma\":\"ddio\",\"copy\":\"none\",\"notify\":\"poll\"}";
    const char *rate = "\"packets\":3000";
    char json[2048];
    const char *shape =
        "{\"name\":\"ring2\",\"platform\":{\"cores\":4,\"nic\":{\"ring_entries\":2}},\"host\":{\"core\":0},"
        "\"vms\":[{\"core\":1,\"process_cycles\":100%s}],\"traffic\":{%s,\"flows\":[{\"dst\":0,"
        "\"arrival\":\"constant\",\"rate_pps\":2500000,\"size\":1500}]},\"variants\":[%s]}";
    snprintf(json, sizeof json, shape, "", rate, v);
    vio_scenario *s1 = vio_test_load(json, NULL, 0);
    snprintf(json, sizeof json, shape, ",\"forward\":true,\"touch_bytes\":64", rate, v);
    vio_scenario *s2 = vio_test_load(json, NULL, 0);
    json_t *rx = vio_test_run(s1, VIO_ENGINE_SEQUENTIAL), *fw = vio_test_run(s2, VIO_ENGINE_SEQUENTIAL);
    const json_t *r = vio_test_variant(rx, "v"), *f = vio_test_variant(fw, "v");
    ck_assert_msg(vio_test_num(r, "packets.dropped") == 0, "receiver dropped %.0f",
                  vio_test_num(r, "packets.dropped"));
    ck_assert_msg(vio_test_num(f, "packets.dropped_at.nic_ring") > 500, "forwarder dropped %.0f",
                  vio_test_num(f, "packets.dropped_at.nic_ring"));
    double held = vio_test_num(f, "throughput.mpps") * vio_test_num(f, "forward.readback_mean_ns") / 1000.0;
    ck_assert_msg(held <= 2.0, "throughput x read-back = %.3f slots, more than the ring's 2", held);
    /* Both engines agree to the byte. */
    json_t *sg = vio_test_run(s2, VIO_ENGINE_SIMGRID);
    vio_test_assert_same_but_engine(fw, sg);
    json_decref(sg);
    json_decref(rx);
    json_decref(fw);
    vio_scenario_destroy(s1);
    vio_scenario_destroy(s2);
}
END_TEST

START_TEST(test_touch_bytes_64_touches_one_line)
{
    const char *v = "{\"name\":\"v\",\"dma\":\"ddio\",\"copy\":\"none\",\"notify\":\"poll\"}";
    json_t *one = run(",\"touch_bytes\":64", "\"packets\":1000", "\"ring_entries\":256", v);
    json_t *all = run("", "\"packets\":1000", "\"ring_entries\":256", v);
    /* Per packet: the descriptor line, then the touched lines of the payload. */
    ck_assert_int_eq(vio_test_num(vio_test_variant(one, "v"), "guest_reads.lines"), 2 * 1000);
    ck_assert_int_eq(vio_test_num(vio_test_variant(all, "v"), "guest_reads.lines"), 25 * 1000);
    json_decref(one);
    json_decref(all);
}
END_TEST

START_TEST(test_warmup_excludes_the_first_packets)
{
    /* A ring of 256 buffers: the first pass writes cold lines (DDIO write misses),
     * later passes hit. Leaving out 1000 packets leaves out the misses. */
    const char *v = "{\"name\":\"v\",\"dma\":\"ddio\",\"copy\":\"none\",\"notify\":\"poll\"}";
    json_t *cold = run("", "\"packets\":3000", "\"ring_entries\":256", v);
    json_t *warm = run("", "\"packets\":3000,\"warmup_packets\":1000", "\"ring_entries\":256", v);
    const json_t *c = vio_test_variant(cold, "v"), *w = vio_test_variant(warm, "v");
    ck_assert_int_eq(vio_test_num(c, "packets.offered"), 3000);
    ck_assert_int_eq(vio_test_num(w, "packets.offered"), 2000);
    ck_assert_int_eq(vio_test_num(w, "packets.delivered"), 2000);
    ck_assert_int_eq(vio_test_num(w, "latency_ns.count"), 2000);
    ck_assert_int_eq(vio_test_num(w, "vms.0.packets.offered"), 2000);
    /* The NIC's counters split exactly at the first measured packet: 24 payload
     * lines and the descriptor's line each. */
    ck_assert_int_eq(vio_test_num(w, "dma.lines"), 25 * 2000);
    ck_assert_int_eq(vio_test_num(c, "dma.lines"), 25 * 3000);
    ck_assert(vio_test_num(w, "dma.llc_write_hit_rate") == 1.0);
    ck_assert_msg(vio_test_num(c, "dma.llc_write_hit_rate") < 0.95, "%.3f",
                  vio_test_num(c, "dma.llc_write_hit_rate"));
    /* The cores' counters start there too: about 2000 packets' reads, not 3000. */
    ck_assert_int_le(vio_test_num(w, "guest_reads.lines"), 25 * 2000 + 25 * 2);
    ck_assert_int_ge(vio_test_num(w, "guest_reads.lines"), 25 * 2000 - 25 * 2);
    ck_assert_int_eq(vio_test_num(w, "steady_state.warmup_packets"), 1000);
    json_decref(cold);
    json_decref(warm);
}
END_TEST

START_TEST(test_steady_state_check_warns_on_a_drifting_run)
{
    /* 512 buffers, 1000 packets: the first half writes cold buffers (misses), the
     * second reuses them (hits): not a steady state. After a warm-up of 600 both
     * halves hit. */
    const char *v = "{\"name\":\"v\",\"dma\":\"ddio\",\"copy\":\"none\",\"notify\":\"poll\"}";
    json_t *drift = run("", "\"packets\":1000", "\"ring_entries\":512", v);
    json_t *steady = run("", "\"packets\":1600,\"warmup_packets\":600", "\"ring_entries\":512", v);
    const json_t *d = json_object_get(vio_test_variant(drift, "v"), "steady_state");
    const json_t *s = json_object_get(vio_test_variant(steady, "v"), "steady_state");
    ck_assert(vio_test_num(d, "halves.0.dma_write_hit_rate") < 0.1);
    ck_assert(vio_test_num(d, "halves.1.dma_write_hit_rate") > 0.9);
    ck_assert_int_eq(vio_test_num(d, "halves.0.packets"), 500);
    ck_assert(json_is_false(json_object_get(d, "steady")));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(d, "warning")), "DMA write hit rate"));
    ck_assert(json_is_true(json_object_get(s, "steady")));
    ck_assert(json_is_null(json_object_get(s, "warning")));
    ck_assert(vio_test_num(s, "halves.0.dma_write_hit_rate") == 1.0);
    json_decref(drift);
    json_decref(steady);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("direct");
    TCase *m = tcase_create("memsys");
    tcase_add_test(m, test_device_read_does_not_allocate);
    tcase_add_test(m, test_device_read_hits_ddio_lines_and_snoops_cores);
    suite_add_tcase(s, m);
    TCase *d = tcase_create("datapath");
    tcase_add_test(d, test_copy_none_does_no_host_work);
    tcase_add_test(d, test_consumer_reads_hit_where_ddio_put_the_packet);
    tcase_add_test(d, test_forward_reads_match_the_packets);
    tcase_add_test(d, test_slot_not_reused_before_its_read_back);
    tcase_add_test(d, test_touch_bytes_64_touches_one_line);
    tcase_add_test(d, test_warmup_excludes_the_first_packets);
    tcase_add_test(d, test_steady_state_check_warns_on_a_drifting_run);
    suite_add_tcase(s, d);
    return s;
}

int main(void) { return vio_test_run_suite(suite()); }
