/* Validation (ctest -L validation): Ethernet line rate.
 *
 * Reference: IEEE 802.3 framing, each frame on the wire with 8 B of preamble and
 * start delimiter and a 12 B inter-frame gap: 64 B frames at 10 Gb/s are
 * 10^10 / (84 x 8) = 14.88 Mpps, 1518 B frames at 100 Gb/s 10^11 / (1538 x 8) =
 * 8.13 Mpps (the figures every NIC vendor and RFC 2544 test report quotes).
 *
 * The model, twice: (1) a flow offered at twice the wire's rate, through the
 * traffic generator and the wire at platform.nic.wire_mbps; the achieved packet
 * rate is what the wire lets through. (2) The same wire through the whole datapath
 * (NIC, rings, DMA, consumers): four flows at half the wire's rate each into four
 * bare-metal DPDK consumers (skylake-sp-6140, `copy: none`, polling, 100 cycles of
 * work and one header line touched per packet, as test_validation_direct.c's
 * forwarder without the transmit), so the consumers keep up and what they receive
 * is the line rate: every packet delivered, none dropped, at the wire's rate. With
 * VIOSIM_VALIDATION_OUT=DIR the points are also written to DIR/linerate.csv for
 * scripts/validate.sh. */
#include "support.h"
#include "viosim/traffic.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static double achieved_mpps(uint32_t wire_mbps, uint32_t size, const char *arrival)
{
    char json[320];
    snprintf(json, sizeof json,
             "{\"platform\":{\"nic\":{\"wire_mbps\":%u}},\"vms\":[{\"core\":1}],\"traffic\":{\"packets\":20000,"
             "\"flows\":[{\"dst\":0,\"arrival\":\"%s\",\"rate_gbps\":%g,\"size\":%u}]}}",
             wire_mbps, arrival, 2.0 * wire_mbps / 1000.0, size);
    vio_scenario *s = vio_test_load(json, NULL, 0);
    vio_traffic_gen *g;
    ck_assert_int_eq(vio_traffic_create(&s->traffic, s->seed, s->platform.nic_wire_mbps, &g, NULL), VIO_OK);
    vio_arrival_rec a;
    vio_ps first = 0, last = 0;
    uint64_t n = 0;
    while (vio_traffic_next(g, &a)) {
        if (n == 0)
            first = a.t_arrive;
        last = a.t_arrive;
        n++;
    }
    vio_traffic_destroy(g);
    vio_scenario_destroy(s);
    ck_assert_uint_eq(n, 20000);
    return (double)(n - 1) / ((double)(last - first) / 1e12) / 1e6;
}

/* (2): the measured packets' rate as the datapath reports it (throughput.mpps:
 * delivered packets over the measured span); `dropped` gets packets.dropped. */
static double datapath_mpps(uint32_t wire_mbps, uint32_t size, double *dropped)
{
    char json[1024];
    int n = snprintf(json, sizeof json,
                     "{\"seed\":1,\"platform\":{\"preset\":\"skylake-sp-6140\",\"nic\":{\"wire_mbps\":%u}},"
                     "\"host\":{\"core\":0},\"vms\":[",
                     wire_mbps);
    for (int i = 0; i < 4; i++)
        n += snprintf(json + n, sizeof json - (size_t)n,
                      "%s{\"core\":%d,\"kind\":\"process\",\"process_cycles\":100,\"touch_bytes\":64}", i ? "," : "",
                      i + 1);
    n += snprintf(json + n, sizeof json - (size_t)n, "],\"traffic\":{\"packets\":40000,\"warmup_packets\":10000,\"flows\":[");
    for (int i = 0; i < 4; i++)
        n += snprintf(json + n, sizeof json - (size_t)n,
                      "%s{\"dst\":%d,\"arrival\":\"constant\",\"rate_gbps\":%g,\"size\":%u}", i ? "," : "", i,
                      wire_mbps / 2000.0, size);
    n += snprintf(json + n, sizeof json - (size_t)n,
                  "]},\"variants\":[{\"name\":\"dpdk\",\"dma\":\"ddio\",\"copy\":\"none\",\"notify\":\"poll\"}]}");
    ck_assert_int_lt(n, (int)sizeof json);
    vio_scenario *s = vio_test_load(json, NULL, 0);
    json_t *doc = vio_test_run(s, VIO_ENGINE_SIMGRID);
    const json_t *v = vio_test_variant(doc, "dpdk");
    double mpps = vio_test_num(v, "throughput.mpps");
    *dropped = vio_test_num(v, "packets.dropped");
    ck_assert_uint_eq((uint64_t)vio_test_num(v, "packets.delivered"), 30000);
    json_decref(doc);
    vio_scenario_destroy(s);
    return mpps;
}

START_TEST(test_line_rate)
{
    FILE *f = vio_test_csv_open("linerate.csv",
                                "wire_gbps,frame_bytes,published_mpps,viosim_constant_mpps,viosim_poisson_mpps,viosim_datapath_mpps");
    static const struct {
        uint32_t mbps, size;
        double mpps;
    } t[] = {{10000, 64, 14.880952}, {100000, 1518, 8.127438}};
    for (int i = 0; i < 2; i++) {
        double c = achieved_mpps(t[i].mbps, t[i].size, "constant");
        double p = achieved_mpps(t[i].mbps, t[i].size, "poisson");
        double dropped, d = datapath_mpps(t[i].mbps, t[i].size, &dropped);
        printf("line rate %u B at %u Gb/s: published %.2f Mpps, viosim %.3f (constant) %.3f (poisson) %.3f (datapath, "
               "%.0f dropped)\n",
               t[i].size, t[i].mbps / 1000, t[i].mpps, c, p, d, dropped);
        if (f)
            fprintf(f, "%u,%u,%.4f,%.4f,%.4f,%.4f\n", t[i].mbps / 1000, t[i].size, t[i].mpps, c, p, d);
        /* Integral picoseconds: within 0.1 % of the exact figure. */
        ck_assert_msg(fabs(c - t[i].mpps) / t[i].mpps < 1e-3, "%.4f Mpps vs %.4f", c, t[i].mpps);
        ck_assert_msg(fabs(p - t[i].mpps) / t[i].mpps < 1e-3, "%.4f Mpps vs %.4f", p, t[i].mpps);
        /* Consumers that keep up lose nothing and receive at the wire's rate. */
        ck_assert_msg(dropped == 0, "%.0f packets dropped at %u B", dropped, t[i].size);
        ck_assert_msg(fabs(d - t[i].mpps) / t[i].mpps < 1e-3, "datapath %.4f Mpps vs %.4f", d, t[i].mpps);
    }
    if (f)
        fclose(f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("validation_linerate");
    TCase *tc = tcase_create("linerate");
    tcase_add_test(tc, test_line_rate);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
