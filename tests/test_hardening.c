/* Hardening (issue 13): what the loader refuses to read, how big numbers and
 * escaped text reach messages, list ranges that match the loader, resource
 * estimates against what the datapath really allocates, and simulated time at
 * the documented maximum duration. */
#include "support.h"

#include "datapath/results.h"
#include "viosim/datapath.h"
#include "viosim/estimate.h"
#include "viosim/time.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
/* From ASan's allocator interface (GCC ships the library, not always the header). */
size_t __sanitizer_get_current_allocated_bytes(void);
static size_t heap_in_use(void) { return __sanitizer_get_current_allocated_bytes(); }
#define UNDER_ASAN 1
#else
/* Large blocks are mmap'd (hblkhd), small ones come from the heap (uordblks). */
static size_t heap_in_use(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}
#define UNDER_ASAN 0
#endif

#define MIN "{'vms':[{'core':1},{'core':2}],'traffic':{'flows':[{'dst':0,'rate_gbps':1}]}"

/* Single quotes stand for double quotes, to keep the JSON readable here. */
static char *q(const char *sq)
{
    static char buf[8192];
    snprintf(buf, sizeof buf, "%s", sq);
    for (char *p = buf; *p; p++)
        if (*p == '\'')
            *p = '"';
    return buf;
}

static char tmp[256];
static void tmp_setup(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/viosim-hard-XXXXXX");
    ck_assert(mkdtemp(tmp) != NULL);
}
static void tmp_teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    ck_assert(system(cmd) == 0);
}

static void expect_file_err(const char *path, int code, const char *msg)
{
    vio_scenario *s = NULL;
    vio_err err = {{0}};
    alarm(20); /* a FIFO that blocks the open would hang here: fail the test instead */
    ck_assert_int_eq(vio_scenario_load_file(path, NULL, 0, &s, &err), code);
    alarm(0);
    ck_assert_ptr_null(s);
    ck_assert_str_eq(err.msg, msg);
}

START_TEST(test_refuses_what_is_not_a_regular_file)
{
    char path[300], want[512];
    snprintf(path, sizeof path, "%s/fifo.json", tmp);
    ck_assert(mkfifo(path, 0600) == 0);
    snprintf(want, sizeof want, "%s: is a FIFO, expected a regular file holding a scenario", path);
    expect_file_err(path, VIO_EIO, want);
    expect_file_err("/dev/zero", VIO_EIO, "/dev/zero: is a character device, expected a regular file holding a scenario");
    snprintf(want, sizeof want, "%s: is a directory, expected a regular file holding a scenario", tmp);
    expect_file_err(tmp, VIO_EIO, want);
}
END_TEST

START_TEST(test_refuses_a_file_over_the_size_limit_unread)
{
    /* A sparse file: one byte over the limit costs no disk, and must not be read. */
    char path[300], want[512];
    snprintf(path, sizeof path, "%s/huge.json", tmp);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert(fd >= 0 && ftruncate(fd, (off_t)VIO_SCENARIO_MAX_BYTES + 1) == 0);
    close(fd);
    snprintf(want, sizeof want, "%s: %llu bytes, more than the %llu a scenario file may hold", path,
             (unsigned long long)VIO_SCENARIO_MAX_BYTES + 1, (unsigned long long)VIO_SCENARIO_MAX_BYTES);
    size_t before = heap_in_use();
    expect_file_err(path, VIO_EIO, want);
    ck_assert_msg(heap_in_use() < before + (1u << 20), "the file was read into memory");
}
END_TEST

START_TEST(test_escape)
{
    char buf[64];
    const char in[] = "a\"b\\c\n\x01\xff\xc3\xa9\xc0\xaf\xed\xa0\x80";
    ck_assert_str_eq(vio_escape(buf, sizeof buf, in, sizeof in - 1),
                     "a\\\"b\\\\c\\n\\u0001\\xff\xc3\xa9\\xc0\\xaf\\xed\\xa0\\x80");
    /* Cut short: it says so, and never splits a UTF-8 sequence or an escape. */
    ck_assert_str_eq(vio_escape(buf, 9, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8), "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
    ck_assert_str_eq(vio_escape(buf, 8, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8), "\xc3\xa9\xc3\xa9...");
    ck_assert_str_eq(vio_escape(buf, 8, "ab\x01\x01", 4), "ab...");
    ck_assert_str_eq(vio_escape(buf, 5, "abcd", 4), "abcd");
    ck_assert_str_eq(vio_escape(buf, 1, "abcd", 4), "");
}
END_TEST

static void expect_err(const char *json_sq, const char *const *sets, size_t nsets, const char *msg)
{
    vio_scenario *s = NULL;
    vio_err err = {{0}};
    ck_assert_int_eq(vio_scenario_load_string(q(json_sq), "s.json", sets, nsets, &s, &err), VIO_EINVAL);
    ck_assert_str_eq(err.msg, msg);
}

START_TEST(test_messages_name_their_source)
{
    const char *a[] = {"vms[0].core=abc"};
    expect_err(MIN "}", a, 1, "--set vms[0].core=abc: vms[0].core: expected an integer, got the string \"abc\"");
    /* The last override that wrote a value is the one named. */
    const char *b2[] = {"vms[0].core=2", "vms[0]={\"core\":99}"};
    expect_err(MIN "}", b2, 2,
               "--set vms[0]={\\\"core\\\":99}: vms[0].core: core 99 does not exist (platform has 8 cores)");
    /* A value of the file is the file's, even with overrides elsewhere. */
    const char *c[] = {"seed=3"};
    expect_err(MIN ",'host':{'budget':0}}", c, 1, "s.json: host.budget: expected an integer in 1..4096, got 0");
    const char *d[] = {"seed=9223372036854775808"};
    expect_err(MIN "}", d, 1,
               "--set seed=9223372036854775808: seed: expected an integer in 0..9223372036854775807, got "
               "9223372036854775808");
    const char *e[] = {"name=\xff"};
    expect_err(MIN "}", e, 1, "--set name=\\xff: value is not valid UTF-8");
    expect_err(MIN ",'':1}", NULL, 0,
               "s.json: unknown key \"\" (expected one of: host, iommu, irq, name, platform, seed, tenants, traffic, "
               "variants, vms)");
}
END_TEST

/* The range `viosim list` shows for a parameter is what the loader checks:
 * a value just past either bound is rejected with exactly that text. */
START_TEST(test_ranges_are_what_the_loader_accepts)
{
    int checked = 0;
    for (const vio_param *p = vio_params_table(); p->path; p++) {
        if ((p->type != VIO_PT_U32 && p->type != VIO_PT_U64 && p->type != VIO_PT_DOUBLE) ||
            (p->flags & (VIO_PF_LIST | VIO_PF_ONE_OF)) || strstr(p->path, "size_mix") || strstr(p->path, "tenants"))
            continue;
        char path[128], set[200], range[96], want[256];
        size_t n = 0;
        for (const char *c = p->path; *c && n < sizeof path - 4; c++) {
            if (c[0] == '[' && c[1] == ']') {
                memcpy(path + n, "[0]", 3);
                n += 3;
                c++;
            } else {
                path[n++] = *c;
            }
        }
        path[n] = '\0';
        vio_param_range(p, range, sizeof range);
        int is_int = p->type != VIO_PT_DOUBLE;
        double over = p->max >= 9.2e18 ? 1e30 : is_int ? p->max + 1 : p->max * 2 + 1;
        snprintf(set, sizeof set, "%s=%.17g", path, over);
        const char *sets[] = {set};
        vio_scenario *s = NULL;
        vio_err err = {{0}};
        ck_assert_int_eq(vio_scenario_load_string(q(MIN ",'host':{'workers':[{'core':0}]},'variants':[{'name':'v'}]}"), "s.json", sets, 1, &s, &err),
                         VIO_EINVAL);
        snprintf(want, sizeof want, "expected %s in %s, got ", is_int ? "an integer" : "a number", range);
        ck_assert_msg(strstr(err.msg, want) != NULL, "%s: %s lacks \"%s\"", p->path, err.msg, want);
        /* And below the lower bound, or at an exclusive one. */
        double under = (p->flags & VIO_PF_MIN_EXCLUSIVE) ? p->min : p->min - 1;
        snprintf(set, sizeof set, "%s=%.17g", path, under);
        memset(&err, 0, sizeof err);
        ck_assert_int_eq(vio_scenario_load_string(q(MIN ",'host':{'workers':[{'core':0}]},'variants':[{'name':'v'}]}"), "s.json", sets, 1, &s, &err),
                         VIO_EINVAL);
        ck_assert_msg(strstr(err.msg, want) != NULL, "%s: %s lacks \"%s\"", p->path, err.msg, want);
        checked++;
    }
    ck_assert_int_ge(checked, 40);
    char range[96];
    ck_assert_str_eq(vio_param_range(vio_params_find("traffic.load"), range, sizeof range), "(0, 100]");
    ck_assert_str_eq(vio_param_range(vio_params_find("tenants[].pasid"), range, sizeof range), "1..1048575");
}
END_TEST

/* Heap the datapath of `variant` allocates, measured; and what the estimate says. */
static void measure(const char *name, const char *const *sets, size_t nsets, uint32_t variant, size_t *measured,
                    vio_estimate *e)
{
    vio_scenario *s = vio_test_load(name, sets, nsets);
    vio_estimate_variant(s, variant, e);
    size_t before = heap_in_use();
    vio_datapath *dp = NULL;
    vio_err err = {{0}};
    ck_assert_msg(vio_datapath_create(s, variant, &dp, &err) == VIO_OK, "%s", err.msg);
    *measured = heap_in_use() - before;
    vio_datapath_destroy(dp);
    vio_scenario_destroy(s);
}

START_TEST(test_memory_estimate_matches_allocation)
{
    static const struct {
        const char *name;
        const char *sets[4];
        uint32_t variant;
        const char *largest;
    } cases[] = {
        {"default.json", {NULL}, 0, "platform.llc.size_kib"},
        {"default.json", {"platform.llc.size_kib=65536", "platform.llc.ways=16"}, 1, "platform.llc.size_kib"},
        {"default.json", {"platform.l2.enabled=true", "platform.cores=64"}, 0, "platform.l2.size_kib"},
        /* The generic platform, where the rings outweigh the caches. */
        {"ddio-ring.json", {"platform.preset=\"none\"", "platform.nic.ring_entries=65536"}, 1, "platform.nic.ring_entries"},
        /* Non-inclusive: the snoop filter, allocated beside the LLC and larger than its
         * metadata here, was once left out of the estimate (ddio-ring.json on this preset
         * with 65536 entries: 20.2 MB estimated for 34.0 MB allocated). */
        {"default.json", {"platform.preset=\"skylake-sp-6140\""}, 0, "platform.llc.sf_ways"},
        {"pasid-isolation.json", {"iommu.iotlb_entries=65536", "iommu.iotlb_ways=32", "platform.ideal_memory=true"},
         1, "iommu.iotlb_entries"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t nsets = 0, got;
        while (nsets < 4 && cases[i].sets[nsets])
            nsets++;
        vio_estimate e;
        measure(cases[i].name, cases[i].sets, nsets, cases[i].variant, &got, &e);
        double ratio = (double)e.model_bytes / (double)got;
        fprintf(stderr, "estimate case %zu: %llu estimated, %zu allocated, largest %s\n", i,
                (unsigned long long)e.model_bytes, got, e.largest);
        ck_assert_msg(ratio > 0.9 && ratio < 1.1, "case %zu (%s): estimated %llu bytes, allocated %zu", i,
                      cases[i].name, (unsigned long long)e.model_bytes, got);
        ck_assert_msg(!strcmp(e.largest, cases[i].largest), "case %zu: largest %s, expected %s", i, e.largest,
                      cases[i].largest);
        ck_assert(e.bytes > e.model_bytes);
    }
}
END_TEST

START_TEST(test_estimate_names_the_largest_contributor)
{
    const char *sets[] = {"platform.cores=1024", "platform.l1.size_kib=1048576", "platform.l1.ways=16",
                          "platform.llc.size_kib=1048576", "platform.llc.ways=16"};
    vio_scenario *s = vio_test_load("default.json", sets, 5);
    vio_estimate e;
    vio_estimate_run(s, -1, 4, &e);
    ck_assert_str_eq(e.largest, "platform.l1.size_kib");
    ck_assert_str_eq(e.why, "1024 cores x 1048576 KiB");
    /* 16M lines of 32 B state per core, for 1024 cores; 4 such variants at once. */
    ck_assert_uint_ge(e.largest_bytes, 1024ull << 29);
    ck_assert_uint_ge(e.bytes, 4 * e.largest_bytes);
    vio_estimate one;
    vio_estimate_run(s, 0, 4, &one);
    ck_assert_uint_lt(one.bytes, 2 * e.largest_bytes);
    vio_scenario_destroy(s);
}
END_TEST

START_TEST(test_allocation_failure_names_file_and_path)
{
    if (UNDER_ASAN)
        return; /* ASan reserves terabytes of shadow: an address-space limit would stop it, not the model */
    /* 1 GiB of LLC needs 512 MiB of line state; leave the process less than that. */
    struct rlimit rl = {.rlim_cur = 256ull << 20, .rlim_max = RLIM_INFINITY};
    vio_scenario *s = vio_test_load("default.json",
                                    (const char *const[]){"platform.llc.size_kib=1048576", "platform.llc.ways=16"}, 2);
    ck_assert(getrlimit(RLIMIT_AS, &rl) == 0);
    rl.rlim_cur = 512ull << 20;
    ck_assert(setrlimit(RLIMIT_AS, &rl) == 0);
    vio_datapath *dp = NULL;
    vio_err err = {{0}};
    ck_assert_int_eq(vio_datapath_create(s, 0, &dp, &err), VIO_ENOMEM);
    ck_assert_msg(strstr(err.msg, "default.json: variant baseline: out of memory building the model") &&
                      strstr(err.msg, "largest: platform.llc.size_kib, 512.0 MiB for 1048576 KiB"),
                  "%s", err.msg);
    vio_scenario_destroy(s);
}
END_TEST

START_TEST(test_event_estimate_bounds_the_run)
{
    const char *names[] = {"default.json", "compare-delivery.json", "multicast.json", "ddio-ring.json",
                           "pasid-isolation.json", "iotlb-pressure.json"};
    const char *sets[] = {"traffic.packets=3000"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        vio_scenario *s = vio_test_load(names[i], sets, 1);
        for (uint32_t v = 0; v < s->nvariants; v++) {
            vio_estimate e;
            vio_estimate_variant(s, v, &e);
            vio_datapath *dp = NULL;
            vio_err err = {{0}};
            ck_assert(vio_datapath_create(s, v, &dp, &err) == VIO_OK);
            ck_assert_msg(vio_datapath_run_sequential(dp, &err) == VIO_OK, "%s", err.msg);
            uint64_t events = vio_datapath_events(dp);
            ck_assert_msg(events <= e.events && 4 * events >= e.events, "%s/%s: %llu events, estimated %llu",
                          names[i], s->variants[v].name, (unsigned long long)events, (unsigned long long)e.events);
            vio_datapath_destroy(dp);
        }
        vio_scenario_destroy(s);
    }
}
END_TEST

/* One flow of 3 constant-rate packets spaced so the arrivals span just under
 * the maximum simulated duration (VIO_MAX_SIM_PS): they load and run with exact
 * times; a little slower, the loader refuses. */
#define SLOW "{'vms':[{'core':1}],'traffic':{'packets':3,'flows':[{'dst':0,'arrival':'constant','rate_pps':%s}]}}"

START_TEST(test_time_at_the_maximum_duration)
{
    char text[512];
    const double max_s = (double)VIO_MAX_SIM_PS / VIO_PS_PER_S;
    /* Span = (packets + 1 first gap) / rate. */
    snprintf(text, sizeof text, SLOW, "4.0001e-5");
    vio_scenario *s = NULL;
    vio_err err = {{0}};
    ck_assert_msg(vio_scenario_load_string(q(text), "s.json", NULL, 0, &s, &err) == VIO_OK, "%s", err.msg);
    ck_assert(vio_scenario_arrival_span(s) < max_s && vio_scenario_arrival_span(s) > 0.999 * max_s);
    vio_datapath *dp = NULL;
    ck_assert(vio_datapath_create(s, 0, &dp, &err) == VIO_OK);
    ck_assert_msg(vio_datapath_run_sequential(dp, &err) == VIO_OK, "%s", err.msg);
    json_t *res = vio__datapath_results(dp);
    ck_assert(vio_test_num(res, "packets.delivered") == 3);
    /* A latency of microseconds at ~1e5 s: no time wrapped or lost precision. */
    double mean = vio_test_num(res, "latency_ns.mean"), max = vio_test_num(res, "latency_ns.max");
    ck_assert_msg(mean > 100 && max < 1e6, "latency mean %g max %g ns", mean, max);
    json_decref(res);
    vio_datapath_destroy(dp);
    vio_scenario_destroy(s);

    snprintf(text, sizeof text, SLOW, "3.9999e-5");
    memset(&err, 0, sizeof err);
    ck_assert_int_eq(vio_scenario_load_string(q(text), "s.json", NULL, 0, &s, &err), VIO_EINVAL);
    ck_assert_msg(!strncmp(err.msg, "s.json: traffic.packets: 3 packets at the offered rate span about 1e+05 s", 73),
                  "%s", err.msg);
}
END_TEST

START_TEST(test_run_stops_past_the_maximum_duration)
{
    /* Arrivals within the limit, but each packet costs the guest 1 s at 100 MHz
     * while they arrive every 0.5 s: the backlog drains past VIO_MAX_SIM_PS. */
    const char *text = "{'platform':{'freq_mhz':100},'vms':[{'core':1,'process_cycles':100000000,'ring_entries':65536}],"
                       "'traffic':{'packets':180000,'flows':[{'dst':0,'arrival':'constant','rate_pps':2}]}}";
    vio_scenario *s = NULL;
    vio_err err = {{0}};
    ck_assert_msg(vio_scenario_load_string(q(text), "s.json", NULL, 0, &s, &err) == VIO_OK, "%s", err.msg);
    vio_datapath *dp = NULL;
    ck_assert(vio_datapath_create(s, 0, &dp, &err) == VIO_OK);
    ck_assert_int_eq(vio_datapath_run_sequential(dp, &err), VIO_ERUN);
    ck_assert_msg(!strncmp(err.msg, "s.json: variant baseline: simulated time reached 100", 52) &&
                      strstr(err.msg, " s, past the maximum simulated duration (100000 s)"),
                  "%s", err.msg);
    vio_datapath_destroy(dp);
    vio_scenario_destroy(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hardening");
    TCase *tc = tcase_create("hardening");
    tcase_set_timeout(tc, 300);
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, test_refuses_what_is_not_a_regular_file);
    tcase_add_test(tc, test_refuses_a_file_over_the_size_limit_unread);
    tcase_add_test(tc, test_escape);
    tcase_add_test(tc, test_messages_name_their_source);
    tcase_add_test(tc, test_ranges_are_what_the_loader_accepts);
    tcase_add_test(tc, test_memory_estimate_matches_allocation);
    tcase_add_test(tc, test_estimate_names_the_largest_contributor);
    tcase_add_test(tc, test_allocation_failure_names_file_and_path);
    tcase_add_test(tc, test_event_estimate_bounds_the_run);
    tcase_add_test(tc, test_time_at_the_maximum_duration);
    tcase_add_test(tc, test_run_stops_past_the_maximum_duration);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
