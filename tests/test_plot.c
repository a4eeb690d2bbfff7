/* `viosim plot`: every figure it promises is a non-empty PNG and SVG drawn
 * from a CSV viosim wrote, and a figure with nothing to show is not drawn. */
#include "cli_harness.h"
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCEN(name) VIOSIM_SOURCE_DIR "/scenarios/" name

/* DIR/plots/NAME.png is a PNG, NAME.svg an SVG, both beside NAME.csv. */
static void assert_figure(const char *dir, const char *name)
{
    char path[1200];
    struct stat st;
    snprintf(path, sizeof path, "%s/plots/%s.png", dir, name);
    ck_assert_msg(stat(path, &st) == 0 && st.st_size > 1000, "%s missing or nearly empty", path);
    FILE *f = fopen(path, "rb");
    unsigned char sig[8] = {0};
    ck_assert(f && fread(sig, 1, 8, f) == 8);
    fclose(f);
    ck_assert_msg(!memcmp(sig, "\x89PNG\r\n\x1a\n", 8), "%s is not a PNG", path);
    snprintf(path, sizeof path, "%s/plots/%s.svg", dir, name);
    char *svg = vio_test_read_file(path);
    ck_assert_msg(svg && strstr(svg, "<svg") && strlen(svg) > 1000, "%s is not an SVG", path);
    free(svg);
    snprintf(path, sizeof path, "%s/plots/%s.csv", dir, name);
    ck_assert_msg(stat(path, &st) == 0 && st.st_size > 10, "%s: no data behind the figure", path);
}

static void assert_no_figure(const char *dir, const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/plots/%s.png", dir, name);
    ck_assert_msg(access(path, F_OK) != 0, "%s drawn with nothing to show", path);
}

START_TEST(test_run_figures)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", in_tmp("run"));
    run_ok("run", SCEN("compare-delivery.json"), "-o", dir, "--quiet", "-j", "4", "--set", "traffic.packets=1000");
    cli_result r = cli("plot", dir);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    ck_assert(strstr(r.out, "latency-cdf.png") != NULL);
    cli_free(&r);
    assert_figure(dir, "latency-cdf");
    assert_figure(dir, "guest-reads");
    /* No IOMMU in this scenario: no tenant figures. */
    assert_no_figure(dir, "tenants-blocked");
    assert_no_figure(dir, "tenants-cross-bytes");
    /* The CDF's data: each variant's latency quantiles in µs (they are a few µs), fractions 0..1. */
    char path[1200];
    snprintf(path, sizeof path, "%s/plots/latency-cdf.csv", dir);
    char *csv = vio_test_read_file(path);
    ck_assert_msg(!strncmp(csv, "baseline,baseline fraction,", 27), "%s", csv);
    free(csv);

    snprintf(dir, sizeof dir, "%s", in_tmp("pasid"));
    run_ok("run", SCEN("pasid-isolation.json"), "-o", dir, "--quiet", "-j", "3", "--set", "traffic.packets=2000");
    run_ok("plot", dir, "--quiet");
    assert_figure(dir, "tenants-blocked");
    assert_figure(dir, "tenants-cross-bytes");
    assert_figure(dir, "drops");
}
END_TEST

START_TEST(test_sweep_figures)
{
    char sw[1024], dir[1024], text[1024];
    snprintf(sw, sizeof sw, "%s", in_tmp("r.sweep.json"));
    snprintf(dir, sizeof dir, "%s", in_tmp("sweep"));
    snprintf(text, sizeof text,
             "{ \"scenario\": \"%s\", \"replications\": 2, \"set\": { \"traffic.packets\": 1000 },"
             "  \"grid\": [ { \"path\": \"platform.nic.ring_entries\", \"log2\": [128, 512] } ] }",
             SCEN("ddio-ring.json"));
    write_file(sw, text);
    run_ok("sweep", sw, "-o", dir, "--quiet", "-j", "2");
    run_ok("plot", dir, "--quiet");
    assert_figure(dir, "latency-mean");
    assert_figure(dir, "latency-p99");
    assert_figure(dir, "throughput");
    assert_figure(dir, "drop-rate");
    assert_figure(dir, "dma-write-hits"); /* ddio-ring has a DDIO variant */
    assert_no_figure(dir, "iotlb-hit-rate"); /* and no IOMMU */
    assert_no_figure(dir, "cross-tenant-bytes");
    /* The metric's CSV: x, then a mean and a CI column per variant. */
    char path[1200];
    snprintf(path, sizeof path, "%s/plots/dma-write-hits.csv", dir);
    char *csv = vio_test_read_file(path);
    ck_assert_msg(!strncmp(csv, "platform.nic.ring_entries,dram,dram ci95,ddio,ddio ci95\n128,", 58), "%s", csv);
    free(csv);
    /* --format=png draws no SVG. */
    snprintf(dir, sizeof dir, "%s", in_tmp("sweep/plots"));
    rm_rf(dir);
    snprintf(dir, sizeof dir, "%s", in_tmp("sweep"));
    run_ok("plot", dir, "--quiet", "--format=png");
    snprintf(path, sizeof path, "%s/plots/throughput.svg", dir);
    ck_assert(access(path, F_OK) != 0);
    /* Not a run, not a sweep: bad input. */
    cli_result r = cli("plot", in_tmp("nothing"));
    ck_assert_int_eq(r.status, 2);
    assert_one_line(&r);
    cli_free(&r);
}
END_TEST

/* The IOMMU figures of a sweep: the IOTLB hit rate against the working set (the
 * ring entries each queue cycles its buffers through), and, against the offered
 * load, blocked transactions and cross-tenant bytes with throughput, drops and p99. */
START_TEST(test_sweep_figures_iommu)
{
    char sw[1024], dir[1024], text[1024], path[1200];
    snprintf(sw, sizeof sw, "%s", in_tmp("iotlb.sweep.json"));
    snprintf(dir, sizeof dir, "%s", in_tmp("iotlb"));
    snprintf(text, sizeof text,
             "{ \"scenario\": \"%s\", \"replications\": 1, \"set\": { \"traffic.packets\": 1000 },"
             "  \"grid\": [ { \"path\": \"platform.nic.ring_entries\", \"log2\": [64, 256] } ] }",
             SCEN("iotlb-pressure.json"));
    write_file(sw, text);
    run_ok("sweep", sw, "-o", dir, "--quiet", "-j", "2");
    run_ok("plot", dir, "--quiet", "--format=both");
    assert_figure(dir, "iotlb-hit-rate");
    assert_no_figure(dir, "cross-tenant-bytes"); /* no adversary in this scenario */
    snprintf(path, sizeof path, "%s/plots/iotlb-hit-rate.csv", dir);
    char *csv = vio_test_read_file(path);
    ck_assert_msg(csv && !strncmp(csv, "platform.nic.ring_entries,no-iommu,no-iommu ci95,pasid-4k,", 58), "%s", csv);
    free(csv);

    snprintf(sw, sizeof sw, "%s", in_tmp("tenants.sweep.json"));
    snprintf(dir, sizeof dir, "%s", in_tmp("tenants"));
    snprintf(text, sizeof text,
             "{ \"scenario\": \"%s\", \"replications\": 2, \"set\": { \"traffic.packets\": 1000 },"
             "  \"grid\": [ { \"path\": \"traffic.load\", \"values\": [0.5, 1] } ] }",
             SCEN("pasid-isolation.json"));
    write_file(sw, text);
    run_ok("sweep", sw, "-o", dir, "--quiet", "-j", "2");
    run_ok("plot", dir, "--quiet");
    const char *const drawn[] = {"cross-tenant-bytes", "iommu-blocked", "throughput", "drop-rate", "latency-p99"};
    for (size_t i = 0; i < sizeof drawn / sizeof *drawn; i++) {
        assert_figure(dir, drawn[i]);
        snprintf(path, sizeof path, "%s/plots/%s.csv", dir, drawn[i]);
        csv = vio_test_read_file(path);
        ck_assert_msg(csv && !strncmp(csv, "traffic.load,", 13), "%s: %s", path, csv);
        free(csv);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plot");
    TCase *tc = tcase_create("plot");
    tcase_set_timeout(tc, 600);
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, test_run_figures);
    tcase_add_test(tc, test_sweep_figures);
    tcase_add_test(tc, test_sweep_figures_iommu);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
