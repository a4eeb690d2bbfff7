/* The copy engine driven as real software drives it (platform.dma_engine.completion):
 * spin and interrupt submit one descriptor per copy; poll-async (DPDK's vhost
 * async path) submits a turn's copies with one doorbell, lets the worker go on
 * while they are in flight, and hands each packet over at the worker's first
 * turn after its batch completes. Checked through the whole datapath. */
#include "support.h"

#include <stdio.h>
#include <string.h>

/* The patent's path (one copy into the shared LLC ring, posted interrupts), two
 * VMs at 6 Gb/s each, and a multicast flow so one turn holds several copies. */
static const char *scen =
    "{\"name\":\"dma-async\",\"platform\":{\"cores\":4},\"host\":{\"core\":0},"
    "\"vms\":[{\"core\":1},{\"core\":2}],"
    "\"traffic\":{\"packets\":6000,\"flows\":[{\"dst\":0,\"rate_gbps\":3,\"size\":1500},"
    "{\"dst\":1,\"rate_gbps\":3,\"size\":1500},{\"dst\":[0,1],\"rate_gbps\":1,\"size\":1500}]},"
    "\"variants\":[{\"name\":\"llc\",\"dma\":\"ddio\",\"copy\":\"llc\",\"notify\":\"posted\"},"
    "{\"name\":\"guest\",\"dma\":\"ddio\",\"copy\":\"guest\",\"notify\":\"posted\",\"copy_engine\":\"dma-engine\"},"
    "{\"name\":\"fetch\",\"dma\":\"ddio\",\"copy\":\"llc-on-fetch\",\"notify\":\"posted\"},"
    "{\"name\":\"llc-cpu\",\"dma\":\"ddio\",\"copy\":\"llc\",\"notify\":\"posted\",\"copy_engine\":\"cpu\"}]}";

typedef struct run {
    json_t *doc;
    const json_t *v[4];
} run;

static run run_mode(const char *mode, enum vio_engine_kind engine)
{
    char set[96];
    snprintf(set, sizeof set, "platform.dma_engine.completion=%s", mode);
    const char *sets[] = {set};
    vio_scenario *s = vio_test_load(scen, sets, 1);
    run r = {vio_test_run(s, engine), {NULL, NULL, NULL, NULL}};
    r.v[0] = vio_test_variant(r.doc, "llc");
    r.v[1] = vio_test_variant(r.doc, "guest");
    r.v[2] = vio_test_variant(r.doc, "fetch");
    r.v[3] = vio_test_variant(r.doc, "llc-cpu");
    for (int i = 0; i < 3; i++)
        ck_assert(vio_test_num(r.v[i], "packets.delivered") + vio_test_num(r.v[i], "packets.dropped") > 0);
    vio_scenario_destroy(s);
    return r;
}

START_TEST(test_poll_async_batches_doorbells_and_frees_the_worker)
{
    run spin = run_mode("spin", VIO_ENGINE_SEQUENTIAL);
    run irq = run_mode("interrupt", VIO_ENGINE_SEQUENTIAL);
    run as = run_mode("poll-async", VIO_ENGINE_SEQUENTIAL);
    for (int i = 0; i < 3; i++) {
        const json_t *a = as.v[i], *b = irq.v[i], *c = spin.v[i];
        double copies = vio_test_num(a, "copy.copies");
        ck_assert(copies > 0);
        /* One doorbell per copy without batching; poll-async rings one per turn
         * that copied, never more than the worker's turns, fewer than its copies. */
        ck_assert(vio_test_num(b, "copy.engine_doorbells") == vio_test_num(b, "copy.copies"));
        ck_assert(vio_test_num(c, "copy.engine_doorbells") == vio_test_num(c, "copy.copies"));
        double bells = vio_test_num(a, "copy.engine_doorbells");
        ck_assert_msg(bells < copies, "variant %d: %.0f doorbells for %.0f copies", i, bells, copies);
        ck_assert(bells <= vio_test_num(a, "stats.host.worker0.batches"));
        /* A worker with copies in flight polls their completion records: at least
         * one read per doorbell (none in interrupt mode). */
        ck_assert(vio_test_num(a, "copy.completion_polls") >= bells);
        ck_assert(vio_test_num(b, "copy.completion_polls") == 0);
        /* The worker is not blocked while its copies are in flight: a spinning
         * worker waits out the engine's 1000 ns on every copy; poll-async costs
         * it the descriptors, doorbells and completion reads only. */
        double busy_a = vio_test_num(a, "cores.0.busy_ns_per_packet");
        double busy_c = vio_test_num(c, "cores.0.busy_ns_per_packet");
        ck_assert_msg(busy_c > 1000.0, "spin: %.1f ns per packet", busy_c);
        ck_assert_msg(busy_a < 0.6 * busy_c, "poll-async %.1f vs spin %.1f ns per packet", busy_a, busy_c);
        ck_assert(busy_a < vio_test_num(b, "cores.0.busy_ns_per_packet"));
        /* No packet reaches its guest before its copy could be complete: the NIC's
         * DMA, the engine's latency and the copy's own stream. */
        ck_assert_msg(vio_test_num(a, "latency_ns.min") > 1000.0 + 150.0, "min latency %.1f ns",
                      vio_test_num(a, "latency_ns.min"));
        /* The same packets arrive and none is lost to the mode. */
        ck_assert(vio_test_num(a, "packets.delivered") == vio_test_num(b, "packets.delivered"));
    }
    /* Multicast on the shared ring: one copy for both destinations. */
    ck_assert(vio_test_num(as.v[0], "copy.copies") < vio_test_num(as.v[1], "copy.copies"));
    json_decref(spin.doc);
    json_decref(irq.doc);
    json_decref(as.doc);
}
END_TEST

/* dma.* are the NIC's writes; the copy engine's device writes are reported apart
 * (copy.engine_*, stats.copy.engine.*), though the memory system takes both alike. */
START_TEST(test_dma_stats_are_the_nics_the_engines_apart)
{
    run r = run_mode("poll-async", VIO_ENGINE_SEQUENTIAL);
    const json_t *eng = r.v[0], *cpu = r.v[3];
    /* The same arrivals, the same NIC writes, whatever primitive copies them. */
    ck_assert(vio_test_num(eng, "packets.dropped_at.nic_ring") == 0);
    ck_assert(vio_test_num(eng, "dma.writes") == vio_test_num(cpu, "dma.writes"));
    ck_assert_msg(vio_test_num(eng, "dma.lines") == vio_test_num(cpu, "dma.lines"), "dma.lines %.0f vs %.0f",
                  vio_test_num(eng, "dma.lines"), vio_test_num(cpu, "dma.lines"));
    /* The engine's: 1500 B = 24 lines per copy, counted once in results and stats. */
    double copies = vio_test_num(eng, "copy.copies");
    ck_assert(vio_test_num(eng, "copy.engine_lines") == 24 * copies);
    ck_assert(vio_test_num(eng, "stats.copy.engine.lines") == 24 * copies);
    ck_assert(vio_test_num(eng, "stats.copy.engine.doorbells") == vio_test_num(eng, "copy.engine_doorbells"));
    ck_assert(vio_test_num(eng, "stats.copy.engine.llc_write_hits") <= 24 * copies);
    /* The memory system's own tree still counts every device line write. */
    ck_assert(vio_test_num(eng, "stats.memsys.llc.dma_write.hits") + vio_test_num(eng, "stats.memsys.llc.dma_write.misses") ==
              vio_test_num(eng, "dma.lines") + 24 * copies);
    ck_assert(json_object_get(json_object_get(cpu, "stats"), "copy") == NULL);
    json_decref(r.doc);
}
END_TEST

START_TEST(test_poll_async_same_under_both_engines)
{
    run a = run_mode("poll-async", VIO_ENGINE_SEQUENTIAL);
    run b = run_mode("poll-async", VIO_ENGINE_SIMGRID);
    vio_test_assert_same_but_engine(a.doc, b.doc);
    json_decref(a.doc);
    json_decref(b.doc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dma_async");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_poll_async_batches_doorbells_and_frees_the_worker);
    tcase_add_test(tc, test_poll_async_same_under_both_engines);
    tcase_add_test(tc, test_dma_stats_are_the_nics_the_engines_apart);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
