/* Scenario loading: one test per class of error with its exact message,
 * defaults, --set, canonical text, broadcast and size mixes, the parameter
 * table and its Markdown reference, and a small mutation fuzz (run it under
 * ASan/UBSan: VIOSIM_SANITIZE=ON). JSON below is written with ' for " and
 * converted by q(). */
#include "support.h"
#include "viosim/scenario.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#define MIN_VMS "'vms':[{'core':1},{'core':2}]"
#define MIN_FLOWS "'traffic':{'flows':[{'dst':0,'rate_gbps':10}]}"
#define MINIMAL "{" MIN_VMS "," MIN_FLOWS "}"

/* Single quotes to double quotes; caller frees. */
static char *q(const char *s)
{
    char *out = strdup(s);
    ck_assert_ptr_nonnull(out);
    for (char *p = out; *p; p++)
        if (*p == '\'')
            *p = '"';
    return out;
}

static int load_sets(const char *json_sq, const char *const *sets, size_t nsets, vio_scenario **s, vio_err *err)
{
    char *json = q(json_sq);
    memset(err, 0, sizeof *err);
    int rc = vio_scenario_load_string(json, "s.json", sets, nsets, s, err);
    free(json);
    if (rc != VIO_OK)
        ck_assert_ptr_null(*s);
    else
        ck_assert_str_eq(err->msg, "");
    return rc;
}

static vio_scenario *load_ok(const char *json_sq)
{
    vio_scenario *s = NULL;
    vio_err err;
    int rc = load_sets(json_sq, NULL, 0, &s, &err);
    ck_assert_msg(rc == VIO_OK, "unexpected error: %s", err.msg);
    return s;
}

static void expect_set_err(const char *json_sq, const char *const *sets, size_t nsets, const char *msg)
{
    vio_scenario *s = NULL;
    vio_err err;
    int rc = load_sets(json_sq, sets, nsets, &s, &err);
    ck_assert_int_eq(rc, VIO_EINVAL);
    ck_assert_str_eq(err.msg, msg);
}

static void expect_err(const char *json_sq, const char *msg) { expect_set_err(json_sq, NULL, 0, msg); }

/* Every element `json` reaches along `path` ("vms[].core": each element of vms,
 * then its core); calls fn on each leaf (NULL when a key is missing). */
static void walk_path(json_t *json, const char *path, void (*fn)(json_t *, const vio_param *), const vio_param *p)
{
    if (!*path) {
        fn(json, p);
        return;
    }
    char key[128];
    size_t n = strcspn(path, ".[");
    ck_assert_uint_lt(n, sizeof key);
    memcpy(key, path, n);
    key[n] = '\0';
    json_t *v = json_is_object(json) ? json_object_get(json, key) : NULL;
    const char *rest = path + n;
    if (!strncmp(rest, "[]", 2)) {
        rest += 2;
        if (*rest == '.')
            rest++;
        if (!v)
            return; /* an optional list the scenario leaves out (size_mix when size is given) */
        ck_assert_msg(json_is_array(v), "%s: %s is not an array in the canonical text", p->path, key);
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) walk_path(e, rest, fn, p);
        return;
    }
    if (*rest == '.')
        rest++;
    if (!v) {
        fn(NULL, p);
        return;
    }
    walk_path(v, rest, fn, p);
}

/* The canonical value of p equals the table's default (numbers compared as numbers:
 * 10 and 10.0 are one value). */
static void leaf_is_default(json_t *v, const vio_param *p)
{
    ck_assert_msg(v != NULL, "%s: missing from the canonical text", p->path);
    json_error_t e;
    json_t *d = json_loads(p->dflt, JSON_DECODE_ANY, &e);
    ck_assert_msg(d != NULL, "%s: default %s is not JSON", p->path, p->dflt);
    int same = json_is_number(d) && json_is_number(v) ? json_number_value(d) == json_number_value(v)
                                                      : json_equal(d, v);
    char *got = json_dumps(v, JSON_ENCODE_ANY);
    ck_assert_msg(same, "%s: canonical %s, table default %s", p->path, got, p->dflt);
    free(got);
    json_decref(d);
}

/* Counts the leaves of the canonical text (scalars outside arrays of scalars). */
static size_t count_leaves(json_t *v)
{
    if (json_is_object(v)) {
        size_t n = 0;
        const char *k;
        json_t *e;
        json_object_foreach(v, k, e) n += count_leaves(e);
        return n;
    }
    if (json_is_array(v)) {
        size_t n = 0, i;
        json_t *e;
        int scalars = 1;
        json_array_foreach(v, i, e) if (json_is_object(e) || json_is_array(e)) scalars = 0;
        if (scalars)
            return json_array_size(v) ? 1 : 0; /* dst: [0, 2] is one parameter; [] holds none */
        json_array_foreach(v, i, e) n += count_leaves(e);
        return n;
    }
    return 1;
}

static size_t leaves_seen;
static void leaf_seen(json_t *v, const vio_param *p)
{
    (void)p;
    if (v)
        leaves_seen++;
}

/* The minimal scenario's canonical text: keys sorted, every parameter the table
 * gives a default shows that default, and it holds nothing the table does not declare. */
static void check_canonical_shows_table_defaults(const char *canonical)
{
    json_error_t e;
    json_t *root = json_loads(canonical, 0, &e);
    ck_assert_msg(root != NULL, "canonical text is not JSON: %s", e.text);
    char *sorted = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq(sorted, canonical);
    free(sorted);
    /* Values that the minimal scenario gives, or that the loader derives rather than defaults. */
    static const char *const given[] = {"vms[].core", "traffic.flows[].dst", "traffic.flows[].rate_gbps", NULL};
    size_t checked = 0;
    leaves_seen = 0;
    for (const vio_param *p = vio_params_table(); p->path; p++) {
        walk_path(root, p->path, leaf_seen, p);
        int skip = !p->dflt || (p->flags & (VIO_PF_ONE_OF | VIO_PF_CODE));
        for (const char *const *g = given; *g && !skip; g++)
            skip = !strcmp(*g, p->path);
        if (skip)
            continue;
        walk_path(root, p->path, leaf_is_default, p);
        checked++;
    }
    ck_assert_uint_gt(checked, 100);
    ck_assert_uint_eq(leaves_seen, count_leaves(root));
    json_decref(root);
}

START_TEST(defaults_filled)
{
    vio_scenario *s = load_ok(MINIMAL);
    const vio_platform *p = &s->platform;
    ck_assert_str_eq(s->name, "unnamed");
    ck_assert_str_eq(s->source, "s.json");
    ck_assert_uint_eq(s->seed, 1);
    ck_assert_uint_eq(p->cores, 8);
    ck_assert_uint_eq(p->freq_mhz, 2600);
    ck_assert_uint_eq(p->l1.size_kib, 32);
    ck_assert_uint_eq(p->l1.ways, 8);
    ck_assert_uint_eq(p->l1.hit_cycles, 4);
    ck_assert_uint_eq(p->l2.enabled, 0);
    ck_assert_uint_eq(p->l2.size_kib, 1024);
    ck_assert_uint_eq(p->l2.ways, 16);
    ck_assert_uint_eq(p->l2.hit_cycles, 14);
    ck_assert_uint_eq(p->llc.size_kib, 11264);
    ck_assert_uint_eq(p->llc.ways, 11);
    ck_assert_uint_eq(p->llc.hit_cycles, 50);
    ck_assert_uint_eq(p->io_ways, 2);
    ck_assert_uint_eq(p->dram_latency_ns, 90);
    ck_assert_uint_eq(p->dram_bandwidth_mbps, 1024000);
    ck_assert_uint_eq(p->pcie_bandwidth_mbps, 126032);
    ck_assert_uint_eq(p->pcie_latency_ns, 250);
    ck_assert_uint_eq(p->pcie_tlp_payload, 256);
    ck_assert_uint_eq(p->pcie_tlp_overhead, 24);
    ck_assert_uint_eq(p->nic_ring_entries, 1024);
    ck_assert_uint_eq(p->nic_buffer_bytes, 2048);
    ck_assert_uint_eq(p->nic_queues, 0);
    ck_assert_uint_eq(p->nic_wire_mbps, 100000);
    ck_assert_uint_eq(s->host.core, 0);
    ck_assert_uint_eq(s->host.budget, 256);
    ck_assert_uint_eq(s->host.budget_bytes, 524288);
    ck_assert_uint_eq(s->host.batch_cycles, 200);
    ck_assert_uint_eq(s->host.classify_cycles, 150);
    ck_assert_uint_eq(s->host.irq_cycles, 1000);
    ck_assert_uint_eq(s->host.notify_cycles, 300);
    ck_assert_uint_eq(s->irq.exit_entry_cycles, 1559);
    ck_assert_uint_eq(s->irq.poll_cycles, 100);
    ck_assert_uint_eq(s->irq.halt_poll_ns, 200000);
    ck_assert_uint_eq(s->irq.halt_poll_grow, 2);
    ck_assert_uint_eq(s->nvms, 2);
    ck_assert_uint_eq(s->vms[1].core, 2);
    ck_assert_uint_eq(s->vms[1].ring_entries, 256);
    ck_assert_uint_eq(s->vms[1].budget, 64);
    ck_assert_uint_eq(s->vms[1].process_cycles, 1000);
    ck_assert_uint_eq(s->vms[1].irq_cycles, 500);
    ck_assert_uint_eq(s->traffic.packets, 100000);
    ck_assert_double_eq(s->traffic.load, 1.0);
    ck_assert_uint_eq(s->traffic.nflows, 1);
    const vio_flow *f = &s->traffic.flows[0];
    ck_assert_uint_eq(f->ndst, 1);
    ck_assert_uint_eq(f->dst[0], 0);
    ck_assert_int_eq(f->arrival, VIO_ARRIVAL_POISSON);
    ck_assert_double_eq(f->rate_gbps, 10.0);
    ck_assert_double_eq(f->rate_pps, 0.0);
    ck_assert_uint_eq(f->nsizes, 1);
    ck_assert_uint_eq(f->sizes[0].bytes, 1500);
    ck_assert_double_eq(f->sizes[0].weight, 1.0);
    ck_assert_uint_eq(s->nvariants, 1);
    ck_assert_str_eq(s->variants[0].name, "baseline");
    ck_assert_str_eq(vio_axis_name(&vio_axis_dma, (size_t)s->variants[0].dma), "dram");
    ck_assert_str_eq(vio_axis_name(&vio_axis_copy, (size_t)s->variants[0].copy), "guest");
    ck_assert_str_eq(vio_axis_name(&vio_axis_notify, (size_t)s->variants[0].notify), "exit");
    ck_assert_uint_eq(s->variants[0].coalesce_packets, 1);
    ck_assert_uint_eq(s->variants[0].coalesce_ns, 0);
    ck_assert_uint_eq(s->variants[0].host_poll, 0);
    /* The canonical text shows every default, keys sorted: checked against the
     * parameter table itself, so a new parameter needs no edit here. */
    check_canonical_shows_table_defaults(s->canonical_json);
    vio_scenario_destroy(s);
}
END_TEST

START_TEST(defaults_load_through_table)
{
    /* Every row is documented, every default is valid JSON of its row's type and in range:
     * the canonical text of the minimal scenario re-loads to the same text. */
    for (const vio_param *p = vio_params_table(); p->path; p++) {
        ck_assert_msg(p->help && *p->help && p->source && *p->source, "%s: help and source", p->path);
        ck_assert_msg(p->unit != NULL, "%s: unit", p->path);
        ck_assert_msg(p->min <= p->max, "%s: range", p->path);
        ck_assert_msg(p->type != VIO_PT_U32 || p->max <= 4294967295.0, "%s: u32 range", p->path);
        ck_assert_msg((p->type == VIO_PT_ENUM) == (p->choices != NULL) || (p->flags & VIO_PF_LIST), "%s", p->path);
        ck_assert_ptr_eq(vio_params_find(p->path), p);
    }
    ck_assert_ptr_null(vio_params_find("platform.nope"));
    vio_scenario *a = load_ok(MINIMAL);
    vio_scenario *b = NULL;
    vio_err err = {{0}};
    ck_assert_int_eq(vio_scenario_load_string(a->canonical_json, "c.json", NULL, 0, &b, &err), VIO_OK);
    ck_assert_str_eq(a->canonical_json, b->canonical_json);
    vio_scenario_destroy(a);
    vio_scenario_destroy(b);
}
END_TEST

START_TEST(err_unknown_key)
{
    expect_err("{" MIN_VMS "," MIN_FLOWS ",'platform':{'llc':{'wayz':4}}}",
               "s.json: platform.llc: unknown key \"wayz\" (expected one of: hit_cycles, inclusive, index, replacement, "
               "sample_sets, sf_ways, size_kib, ways)");
    expect_err("{" MIN_VMS "," MIN_FLOWS ",'colour':1}",
               "s.json: unknown key \"colour\" (expected one of: host, iommu, irq, name, platform, seed, tenants, traffic, "
               "variants, vms)");
    /* A dotted key must not reach a deeper parameter. */
    expect_err("{" MIN_VMS "," MIN_FLOWS ",'platform':{'llc.ways':4}}",
               "s.json: platform: unknown key \"llc.ways\" (expected one of: c2c_cycles, cldemote, cldemote_cycles, cores, dma_engine, dram, freq_mhz, ideal_memory, "
               "io_reuse_ways, io_ways, l1, l2, llc, mlp, nic, pcie, preset)");
    expect_err("{'vms':[{'core':1,'cpu':2}]," MIN_FLOWS "}",
               "s.json: vms[0]: unknown key \"cpu\" (expected one of: budget, core, fetch_batch, fetch_cycles, forward, irq_cycles, kind, "
               "mempool, mempool_buffers, mempool_cache, process_cycles, ring_entries, service, touch_bytes, "
               "tx_completion, tx_free_batch, tx_queue, tx_ring_entries)");
    expect_err("{'vms':[{'core':1,'tx_completion':'interrupt'}]," MIN_FLOWS "}",
               "s.json: vms[0].tx_completion: expected one of \"auto\", \"kernel\", \"reap\", got \"interrupt\"");
}
END_TEST

START_TEST(err_wrong_type)
{
    expect_err("{'vms':[{'core':1},{'core':'2'}]," MIN_FLOWS "}", "s.json: vms[1].core: expected an integer, got the string \"2\"");
    expect_err("{" MIN_VMS "," MIN_FLOWS ",'platform':5}", "s.json: platform: expected an object, got an integer");
    expect_err("{'vms':{'core':1}," MIN_FLOWS "}", "s.json: vms: expected an array, got an object");
    expect_err("{'vms':[1]," MIN_FLOWS "}", "s.json: vms[0]: expected an object, got an integer");
    expect_err("{" MIN_VMS "," MIN_FLOWS ",'platform':{'l2':{'enabled':1}}}",
               "s.json: platform.l2.enabled: expected true or false, got an integer");
    expect_err("{" MIN_VMS ",'traffic':{'load':'high','flows':[{'dst':0,'rate_gbps':1}]}}",
               "s.json: traffic.load: expected a number, got the string \"high\"");
    expect_err("{" MIN_VMS "," MIN_FLOWS ",'variants':[{'name':'a','notify':'irq'}]}",
               "s.json: variants[0].notify: expected one of \"exit\", \"posted\", \"poll\", got \"irq\"");
    expect_err("{" MIN_VMS "," MIN_FLOWS ",'name':null}", "s.json: name: expected a string, got null");
    expect_err("[1,2]", "s.json: top level: expected an object, got an array");
}
END_TEST

START_TEST(err_out_of_range)
{
    expect_err("{" MIN_VMS "," MIN_FLOWS ",'host':{'budget':0}}", "s.json: host.budget: expected an integer in 1..4096, got 0");
    expect_err("{'vms':[{'core':1,'ring_entries':-5}]," MIN_FLOWS "}",
               "s.json: vms[0].ring_entries: expected an integer in 2..65536, got -5");
    expect_err("{" MIN_VMS ",'traffic':{'packets':1e300,'flows':[{'dst':0,'rate_gbps':1}]}}",
               "s.json: traffic.packets: expected an integer in 1..10000000000, got 1e+300");
    expect_err("{" MIN_VMS "," MIN_FLOWS ",'host':{'budget':1.5}}", "s.json: host.budget: expected an integer in 1..4096, got 1.5");
    expect_err("{" MIN_VMS "," MIN_FLOWS ",'seed':-1}", "s.json: seed: expected an integer in 0..9223372036854775807, got -1");
    expect_err("{" MIN_VMS ",'traffic':{'load':0,'flows':[{'dst':0,'rate_gbps':10}]}}",
               "s.json: traffic.load: expected a number in (0, 100], got 0");
    expect_err("{" MIN_VMS ",'traffic':{'flows':[{'dst':0,'rate_gbps':-1}]}}",
               "s.json: traffic.flows[0].rate_gbps: expected a number in (0, 10000], got -1");
    expect_err("{" MIN_VMS "," MIN_FLOWS ",'name':''}", "s.json: name: expected a string of 1..63 bytes, got 0 bytes");
    expect_err("{'vms':[]," MIN_FLOWS "}", "s.json: vms: expected 1..1023 entries, got 0");
}
END_TEST

START_TEST(integral_reals_accepted)
{
    /* Decision: 2.0 and 1e6 are integers (rewritten as such in the canonical text); 1.5 is not. */
    vio_scenario *s =
        load_ok("{" MIN_VMS ",'host':{'budget':32.0},'traffic':{'packets':1e6,'flows':[{'dst':0,'rate_gbps':1}]}}");
    ck_assert_uint_eq(s->host.budget, 32);
    ck_assert_uint_eq(s->traffic.packets, 1000000);
    ck_assert_ptr_nonnull(strstr(s->canonical_json, "\"packets\":1000000,"));
    ck_assert_ptr_nonnull(strstr(s->canonical_json, "\"budget\":32,"));
    vio_scenario_destroy(s);
}
END_TEST

START_TEST(err_missing_required)
{
    expect_err("{'vms':[{'core':1},{'ring_entries':64}]," MIN_FLOWS "}", "s.json: vms[1].core: required key missing");
    expect_err("{" MIN_FLOWS "}", "s.json: vms: required key missing");
    expect_err("{" MIN_VMS "}", "s.json: traffic.flows: required key missing");
    expect_err("{" MIN_VMS ",'traffic':{'flows':[{'rate_gbps':1}]}}", "s.json: traffic.flows[0].dst: required key missing");
    expect_err("{" MIN_VMS "," MIN_FLOWS ",'variants':[{'dma':'dram'}]}", "s.json: variants[0].name: required key missing");
    expect_err("{" MIN_VMS ",'traffic':{'flows':[{'dst':0}]}}",
               "s.json: traffic.flows[0]: expected exactly one of rate_gbps, rate_pps, got none");
    expect_err("{" MIN_VMS ",'traffic':{'flows':[{'dst':0,'rate_gbps':1,'rate_pps':5}]}}",
               "s.json: traffic.flows[0]: expected exactly one of rate_gbps, rate_pps, got more than one");
}
END_TEST

START_TEST(err_dangling_core)
{
    vio_scenario *s = NULL;
    vio_err err = {{0}};
    char *json = q("{'vms':[{'core':1},{'core':2},{'core':9}]," MIN_FLOWS "}");
    ck_assert_int_eq(vio_scenario_load_string(json, "scenario.json", NULL, 0, &s, &err), VIO_EINVAL);
    ck_assert_str_eq(err.msg, "scenario.json: vms[2].core: core 9 does not exist (platform has 8 cores)");
    free(json);
    expect_err("{" MIN_VMS "," MIN_FLOWS ",'host':{'core':8}}", "s.json: host.core: core 8 does not exist (platform has 8 cores)");
}
END_TEST

START_TEST(err_core_conflicts)
{
    expect_err("{'vms':[{'core':1},{'core':2},{'core':1}]," MIN_FLOWS "}", "s.json: vms[2].core: core 1 is already used by vms[0]");
    expect_err("{'vms':[{'core':1},{'core':0}]," MIN_FLOWS "}", "s.json: vms[1].core: core 0 is the host core (host.core)");
}
END_TEST

START_TEST(err_dangling_dst)
{
    expect_err("{" MIN_VMS ",'traffic':{'flows':[{'dst':2,'rate_gbps':1}]}}",
               "s.json: traffic.flows[0].dst: VM 2 does not exist (scenario has 2 VMs)");
    expect_err("{" MIN_VMS ",'traffic':{'flows':[{'dst':0,'rate_gbps':1},{'dst':[1,7],'rate_pps':1}]}}",
               "s.json: traffic.flows[1].dst[1]: VM 7 does not exist (scenario has 2 VMs)");
    expect_err("{" MIN_VMS ",'traffic':{'flows':[{'dst':-1,'rate_gbps':1}]}}",
               "s.json: traffic.flows[0].dst: expected a VM index in 0..1, got -1");
    expect_err("{" MIN_VMS ",'traffic':{'flows':[{'dst':'all','rate_gbps':1}]}}",
               "s.json: traffic.flows[0].dst: expected a VM index, a list of VM indices or \"broadcast\", got \"all\"");
    expect_err("{" MIN_VMS ",'traffic':{'flows':[{'dst':[],'rate_gbps':1}]}}",
               "s.json: traffic.flows[0].dst: expected at least one VM index, got an empty list");
}
END_TEST

START_TEST(err_duplicate_dst)
{
    expect_err("{'vms':[{'core':1},{'core':2},{'core':3}],'traffic':{'flows':[{'dst':[2,0,2],'rate_gbps':1}]}}",
               "s.json: traffic.flows[0].dst[2]: VM 2 is listed twice (also dst[0])");
}
END_TEST

START_TEST(err_invalid_json)
{
    expect_err("{\n  'seed': 1,\n  'name': x\n}", "s.json:3:11: invalid JSON: invalid token near 'x'");
    expect_err("{'seed':1,'seed':2}", "s.json:1:16: invalid JSON: duplicate object key near '\"seed\"'");
    expect_err("", "s.json:1:0: invalid JSON: unexpected token near end of file");
}
END_TEST

START_TEST(err_file)
{
    vio_scenario *s = NULL;
    vio_err err = {{0}};
    ck_assert_int_eq(vio_scenario_load_file("/nonexistent/x.json", NULL, 0, &s, &err), VIO_EIO);
    ck_assert_str_eq(err.msg, "/nonexistent/x.json: cannot read: No such file or directory");
    ck_assert_ptr_null(s);
    memset(&err, 0, sizeof err);
    ck_assert_int_eq(vio_scenario_load_file("/tmp", NULL, 0, &s, &err), VIO_EIO);
    ck_assert_str_eq(err.msg, "/tmp: is a directory, expected a regular file holding a scenario");

    char path[] = "/tmp/viosim-scenario-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    char *json = q("{'name':'from-file'," MIN_VMS "," MIN_FLOWS "}");
    ck_assert_int_eq(write(fd, json, strlen(json)), (ssize_t)strlen(json));
    close(fd);
    memset(&err, 0, sizeof err);
    ck_assert_int_eq(vio_scenario_load_file(path, NULL, 0, &s, &err), VIO_OK);
    ck_assert_str_eq(s->name, "from-file");
    ck_assert_str_eq(s->source, path);
    vio_scenario_destroy(s);
    /* Messages name the file. */
    fd = open(path, O_WRONLY | O_TRUNC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "{\"seed\":\"x\"}", 12), 12);
    close(fd);
    memset(&err, 0, sizeof err);
    ck_assert_int_eq(vio_scenario_load_file(path, NULL, 0, &s, &err), VIO_EINVAL);
    char want[128];
    snprintf(want, sizeof want, "%s: seed: expected an integer, got the string \"x\"", path);
    ck_assert_str_eq(err.msg, want);
    unlink(path);
    free(json);
}
END_TEST

START_TEST(err_bad_set)
{
    const char *four = "{'vms':[{'core':1},{'core':2},{'core':3},{'core':4}]," MIN_FLOWS "}";
    const char *a[] = {"vms[9].core=3"};
    expect_set_err(four, a, 1, "--set vms[9].core=3: vms has 4 entries");
    const char *b[] = {"platform..cores=3"};
    expect_set_err(four, b, 1, "--set platform..cores=3: bad path (expected keys joined by '.', each with optional [index] or [*])");
    const char *c[] = {"seed"};
    expect_set_err(four, c, 1, "--set seed: expected path=value");
    const char *d[] = {"seed.x=1"};
    expect_set_err("{'seed':1}", d, 1, "--set seed.x=1: seed is not an object");
    const char *e[] = {"variants[0].name=x"};
    expect_set_err(four, e, 1, "--set variants[0].name=x: variants does not exist");
    const char *f[] = {"platform[0]=1"};
    expect_set_err("{'platform':{}}", f, 1, "--set platform[0]=1: platform is not an array");
    /* A path the table does not know is caught by validation, like a key in the file. */
    const char *g[] = {"platform.llc.wayz=16"};
    expect_set_err(four, g, 1,
                   "--set platform.llc.wayz=16: platform.llc: unknown key \"wayz\" (expected one of: hit_cycles, "
                   "inclusive, index, replacement, sample_sets, sf_ways, size_kib, ways)");
}
END_TEST

START_TEST(set_overrides)
{
    const char *sets[] = {"platform.llc.ways=16", "vms[1].core=3", "traffic.flows[0].rate_gbps=20",
                          "variants[1].notify=posted", "platform.nic.queues=2", "name=sweep 1",
                          "traffic.flows[0].dst=[0,1]"};
    vio_scenario *s = NULL;
    vio_err err;
    int rc = load_sets("{" MIN_VMS "," MIN_FLOWS ",'variants':[{'name':'a'},{'name':'b'}]}", sets, 7, &s, &err);
    ck_assert_msg(rc == VIO_OK, "%s", err.msg);
    ck_assert_uint_eq(s->platform.llc.ways, 16);
    ck_assert_uint_eq(s->vms[1].core, 3);
    ck_assert_double_eq(s->traffic.flows[0].rate_gbps, 20.0);
    ck_assert_str_eq(vio_axis_name(&vio_axis_notify, (size_t)s->variants[1].notify), "posted");
    ck_assert_str_eq(vio_axis_name(&vio_axis_notify, (size_t)s->variants[0].notify), "exit");
    ck_assert_uint_eq(s->platform.nic_queues, 2); /* "platform" was absent: created */
    ck_assert_str_eq(s->name, "sweep 1");
    ck_assert_uint_eq(s->traffic.flows[0].ndst, 2);
    vio_scenario_destroy(s);
}
END_TEST

START_TEST(set_wildcard_sets_every_entry)
{
    /* [*] reaches every entry of an array, at any depth; other entries' keys stay. */
    const char *sets[] = {"traffic.flows[*].size=64", "vms[*].budget=16", "variants[*].notify=poll"};
    vio_scenario *s = NULL;
    vio_err err;
    const char *three = "{'vms':[{'core':1},{'core':2},{'core':3}],'traffic':{'flows':[{'dst':0,'rate_pps':1e6},"
                        "{'dst':1,'rate_pps':1e6,'size':1500},{'dst':2,'rate_pps':2e6}]},"
                        "'variants':[{'name':'a'},{'name':'b','dma':'ddio'}]}";
    int rc = load_sets(three, sets, 3, &s, &err);
    ck_assert_msg(rc == VIO_OK, "%s", err.msg);
    for (uint32_t f = 0; f < 3; f++)
        ck_assert_uint_eq(s->traffic.flows[f].sizes[0].bytes, 64);
    ck_assert_double_eq(s->traffic.flows[2].rate_pps, 2e6);
    for (uint32_t v = 0; v < 3; v++)
        ck_assert_uint_eq(s->vms[v].budget, 16);
    ck_assert_str_eq(vio_axis_name(&vio_axis_notify, (size_t)s->variants[0].notify), "poll");
    ck_assert_str_eq(vio_axis_name(&vio_axis_notify, (size_t)s->variants[1].notify), "poll");
    ck_assert_str_eq(vio_axis_name(&vio_axis_dma, (size_t)s->variants[1].dma), "ddio");
    vio_scenario_destroy(s);
    /* The same as naming each index. */
    const char *each[] = {"traffic.flows[0].size=64", "traffic.flows[1].size=64", "traffic.flows[2].size=64",
                          "vms[0].budget=16", "vms[1].budget=16", "vms[2].budget=16", "variants[0].notify=poll",
                          "variants[1].notify=poll"};
    vio_scenario *t = NULL;
    rc = load_sets(three, each, 8, &t, &err);
    ck_assert_msg(rc == VIO_OK, "%s", err.msg);
    rc = load_sets(three, sets, 3, &s, &err);
    ck_assert_str_eq(s->canonical_json, t->canonical_json);
    vio_scenario_destroy(s);
    vio_scenario_destroy(t);
    /* Nothing to match is an error, not a silent no-op; so is a wildcard over a non-array. */
    const char *none[] = {"tenants[*].pasid=3"};
    expect_set_err("{'tenants':[]," MIN_VMS "," MIN_FLOWS "}", none, 1, "--set tenants[*].pasid=3: tenants has no entries for [*]");
    const char *obj[] = {"platform[*].x=1"};
    expect_set_err("{'platform':{}}", obj, 1, "--set platform[*].x=1: platform is not an array");
    const char *deep[] = {"vms[*].x.y[*]=1"};
    expect_set_err("{'vms':[{'core':1}]}", deep, 1, "--set vms[*].x.y[*]=1: vms[0].x.y does not exist");
}
END_TEST

START_TEST(canonical_stable)
{
    vio_scenario *a = load_ok("{'traffic':{'flows':[{'rate_gbps':10,'dst':0}]},'vms':[{'core':1},{'core':2}],"
                              "'seed':7,'host':{'budget':256}}");
    vio_scenario *b = load_ok("{ 'seed' : 7.0, 'vms':[{'core':1.0},{'core':2}],\n"
                              "  'traffic':{'flows':[{'dst':0,'rate_gbps':10.0,'size':1500,'arrival':'poisson'}]}}");
    vio_scenario *c = load_ok("{'seed':8," MIN_VMS "," MIN_FLOWS "}");
    ck_assert_str_eq(a->canonical_json, b->canonical_json);
    ck_assert_str_ne(a->canonical_json, c->canonical_json);
    vio_scenario_destroy(a);
    vio_scenario_destroy(b);
    vio_scenario_destroy(c);
}
END_TEST

START_TEST(broadcast_expands)
{
    vio_scenario *s =
        load_ok("{'vms':[{'core':1},{'core':2},{'core':3}],'traffic':{'flows':[{'dst':'broadcast','rate_pps':1e6},"
                "{'dst':[2,0],'rate_pps':5}]}}");
    const vio_flow *f = &s->traffic.flows[0];
    ck_assert_uint_eq(f->ndst, 3);
    ck_assert_uint_eq(f->dst[0], 0);
    ck_assert_uint_eq(f->dst[1], 1);
    ck_assert_uint_eq(f->dst[2], 2);
    ck_assert_double_eq(f->rate_pps, 1e6);
    ck_assert_double_eq(f->rate_gbps, 0.0);
    f = &s->traffic.flows[1];
    ck_assert_uint_eq(f->ndst, 2);
    ck_assert_uint_eq(f->dst[0], 2);
    ck_assert_uint_eq(f->dst[1], 0);
    vio_scenario_destroy(s);
}
END_TEST

START_TEST(size_mix_parsed)
{
    vio_scenario *s = load_ok("{" MIN_VMS ",'traffic':{'flows':[{'dst':1,'rate_gbps':1,'arrival':'constant',"
                              "'size_mix':[{'bytes':64,'weight':0.5},{'bytes':1500,'weight':2}]}]}}");
    const vio_flow *f = &s->traffic.flows[0];
    ck_assert_int_eq(f->arrival, VIO_ARRIVAL_CONSTANT);
    ck_assert_uint_eq(f->nsizes, 2);
    ck_assert_uint_eq(f->sizes[0].bytes, 64);
    ck_assert_double_eq(f->sizes[0].weight, 0.5);
    ck_assert_uint_eq(f->sizes[1].bytes, 1500);
    ck_assert_double_eq(f->sizes[1].weight, 2.0);
    ck_assert_ptr_null(strstr(s->canonical_json, "\"size\":")); /* no default size beside a mix */
    vio_scenario_destroy(s);
    expect_err("{" MIN_VMS ",'traffic':{'flows':[{'dst':1,'rate_gbps':1,'size':64,'size_mix':[{'bytes':64,'weight':1}]}]}}",
               "s.json: traffic.flows[0]: expected either size or size_mix, got both");
    expect_err("{" MIN_VMS ",'traffic':{'flows':[{'dst':1,'rate_gbps':1,'size_mix':[{'bytes':64,'weight':0}]}]}}",
               "s.json: traffic.flows[0].size_mix[0].weight: expected a number in (0, 1e+09], got 0");
    expect_err("{" MIN_VMS ",'traffic':{'flows':[{'dst':1,'rate_gbps':1,'size_mix':[]}]}}",
               "s.json: traffic.flows[0].size_mix: expected 1..16 entries, got 0");
}
END_TEST

START_TEST(err_packet_fits_buffer)
{
    expect_err("{" MIN_VMS ",'traffic':{'flows':[{'dst':1,'rate_gbps':1,'size':9000}]}}",
               "s.json: traffic.flows[0].size: 9000 bytes does not fit in one NIC buffer "
               "(platform.nic.buffer_bytes is 2048)");
    expect_err("{" MIN_VMS ",'traffic':{'flows':[{'dst':1,'rate_gbps':1,'size_mix':[{'bytes':64,'weight':1},"
               "{'bytes':4000,'weight':1}]}]}}",
               "s.json: traffic.flows[0].size_mix[1].bytes: 4000 bytes does not fit in one NIC buffer "
               "(platform.nic.buffer_bytes is 2048)");
    vio_scenario *s = load_ok("{" MIN_VMS ",'platform':{'nic':{'buffer_bytes':9216}},"
                              "'traffic':{'flows':[{'dst':1,'rate_gbps':1,'size':9000}]}}");
    vio_scenario_destroy(s);
}
END_TEST

START_TEST(err_cache_geometry)
{
    expect_err("{" MIN_VMS "," MIN_FLOWS ",'platform':{'llc':{'ways':12}}}",
               "s.json: platform.llc.size_kib: expected a multiple of ways x 64 B = 768 B, got 11264 KiB "
               "(it would give 15018.67 sets)");
    expect_err("{" MIN_VMS "," MIN_FLOWS ",'platform':{'io_ways':12}}",
               "s.json: platform.io_ways: expected at most platform.llc.ways (11), got 12");
    expect_err("{" MIN_VMS "," MIN_FLOWS ",'platform':{'llc':{'index':'skx18'}}}",
               "s.json: platform.llc.index: skx18 (Skylake-SP's 18-slice hash) needs an LLC of 18 slices x a power "
               "of two sets; platform.llc.size_kib 11264 at 11 ways gives 16384 sets");
    vio_scenario *s = load_ok("{" MIN_VMS "," MIN_FLOWS ",'platform':{'preset':'skylake-sp-6140','cores':4,"
                              "'llc':{'index':'skx18'}}}");
    vio_scenario_destroy(s);
}
END_TEST

START_TEST(variants_by_name)
{
    vio_scenario *s = load_ok("{" MIN_VMS "," MIN_FLOWS ",'variants':[{'name':'base','dma':'dram'},"
                              "{'name':'llc','copy':'llc','notify':'poll','host_poll':true}]}");
    ck_assert_int_eq(vio_scenario_variant_by_name(s, "llc"), 1);
    ck_assert_int_eq(vio_scenario_variant_by_name(s, "base"), 0);
    ck_assert_int_eq(vio_scenario_variant_by_name(s, "nope"), -1);
    ck_assert_str_eq(vio_axis_name(&vio_axis_dma, (size_t)s->variants[0].dma), "dram");
    ck_assert_str_eq(vio_axis_name(&vio_axis_copy, (size_t)s->variants[1].copy), "llc");
    ck_assert_str_eq(vio_axis_name(&vio_axis_notify, (size_t)s->variants[1].notify), "poll");
    ck_assert_uint_eq(s->variants[1].host_poll, 1);
    vio_scenario_destroy(s);
    expect_err("{" MIN_VMS "," MIN_FLOWS ",'variants':[{'name':'a'},{'name':'b'},{'name':'a'}]}",
               "s.json: variants[2].name: duplicate variant name \"a\" (also variants[0])");
    expect_err("{" MIN_VMS "," MIN_FLOWS ",'variants':[{'name':''}]}",
               "s.json: variants[0].name: expected a string of 1..63 bytes, got 0 bytes");
    expect_err("{" MIN_VMS "," MIN_FLOWS ",'variants':[]}", "s.json: variants: expected 1..32 entries, got 0");
    expect_err("{" MIN_VMS "," MIN_FLOWS ",'variants':[{'name':'c','coalesce_packets':8}]}",
               "s.json: variants[0].coalesce_ns: expected a timeout > 0 when coalesce_packets is 8 (or the last "
               "packets would never raise an interrupt)");
}
END_TEST

/* Every load of a mutated scenario either succeeds or fails with one line; ASan checks the rest. */
static void fuzz_one(const char *text)
{
    vio_scenario *s = NULL;
    vio_err err = {{0}};
    int rc = vio_scenario_load_string(text, "f.json", NULL, 0, &s, &err);
    ck_assert_msg(rc == VIO_OK || rc == VIO_EINVAL, "rc %d for %s", rc, text);
    if (rc == VIO_OK) {
        ck_assert_ptr_nonnull(s->canonical_json);
        vio_scenario_destroy(s);
    } else {
        ck_assert_ptr_null(s);
        ck_assert_msg(err.msg[0] != '\0' && !strchr(err.msg, '\n'), "message [%s]", err.msg);
    }
}

START_TEST(fuzz_mutations)
{
    char *base = q("{'name':'f','seed':3,'platform':{'cores':4,'llc':{'size_kib':2048,'ways':16},'io_ways':2},"
                   "'host':{'core':0,'budget':8},'vms':[{'core':1},{'core':2,'ring_entries':64}],"
                   "'traffic':{'packets':100,'load':0.5,'flows':[{'dst':[0,1],'rate_gbps':1.5,"
                   "'size_mix':[{'bytes':64,'weight':1},{'bytes':1500,'weight':3}]},{'dst':'broadcast',"
                   "'rate_pps':1e5,'arrival':'constant'}]},'variants':[{'name':'a'},{'name':'b','notify':'poll'}]}");
    fuzz_one(base);
    static const char subst[] = {'"', '{', '}', '[', ']', ',', ':', '0', '9', '-', '.', 'e', 'x', ' ', '\\'};
    size_t n = strlen(base);
    char *m = malloc(n + 2);
    ck_assert_ptr_nonnull(m);
    for (size_t i = 0; i < n; i++) {
        memcpy(m, base, i); /* delete byte i */
        memcpy(m + i, base + i + 1, n - i);
        fuzz_one(m);
        for (size_t k = 0; k < sizeof subst; k++) { /* replace byte i */
            memcpy(m, base, n + 1);
            m[i] = subst[k];
            fuzz_one(m);
        }
    }
    free(m);
    free(base);
    static const char *const nasty[] = {
        "null", "0", "\"x\"", "{}", "{\"vms\":null}", "{\"vms\":[{}]}", "{\"vms\":[[]]}",
        "{\"vms\":[{\"core\":1e400}]}", "{\"vms\":[{\"core\":99999999999999999999}]}",
        "{\"vms\":[{\"core\":-9223372036854775808}],\"traffic\":{\"flows\":[{\"dst\":0,\"rate_gbps\":1}]}}",
        "{\"vms\":[{\"core\":1}],\"traffic\":{\"flows\":[{\"dst\":1e300,\"rate_gbps\":1}]}}",
        "{\"vms\":[{\"core\":1}],\"traffic\":{\"flows\":[{\"dst\":[1e300],\"rate_gbps\":1}]}}",
        "{\"vms\":[{\"core\":1}],\"traffic\":{\"flows\":[{\"dst\":[0.0],\"rate_gbps\":1e308}]}}",
        "{\"vms\":[{\"core\":1}],\"traffic\":{\"flows\":[{\"dst\":0,\"rate_gbps\":1,\"size_mix\":{}}]}}",
        "{\"vms\":[{\"core\":1}],\"traffic\":[]}", "{\"platform\":{\"llc\":[]}}", "{\"platform\":{\"l1\":{\"ways\":{}}}}",
        "{\"\":1}", "{\"vms\":[{\"core\":1}],\"traffic\":{\"flows\":[{\"dst\":0,\"rate_gbps\":1}]},\"seed\":1e19}",
    };
    for (size_t i = 0; i < sizeof nasty / sizeof nasty[0]; i++)
        fuzz_one(nasty[i]);
}
END_TEST

START_TEST(markdown_reference)
{
    char *md = NULL;
    vio_err err = {{0}};
    ck_assert_int_eq(vio_params_markdown(&md, &err), VIO_OK);
    ck_assert_ptr_nonnull(md);
    ck_assert_ptr_nonnull(strstr(md, "# Scenario reference\n"));
    static const char *const sections[] = {"\n## scenario\n", "\n## platform\n", "\n## host\n", "\n## irq\n",
                                           "\n## vms\n", "\n## traffic\n", "\n## variants\n"};
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
        ck_assert_msg(strstr(md, sections[i]) != NULL, "missing section %s", sections[i]);
    for (const vio_param *p = vio_params_table(); p->path; p++) {
        char cell[128];
        snprintf(cell, sizeof cell, "| `%s` |", p->path);
        ck_assert_msg(strstr(md, cell) != NULL, "missing row %s", p->path);
    }
    ck_assert_ptr_nonnull(strstr(md, "| `platform.io_ways` | integer | ways | `2` | 1..32 |"));
    ck_assert_ptr_nonnull(strstr(md, "`exit`, `posted`, `poll`"));
    ck_assert_ptr_nonnull(strstr(md, "| `traffic.load` | number |  | `1.0` | (0, 100] |"));
    free(md);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("scenario");
    TCase *tc = tcase_create("load");
    tcase_add_test(tc, defaults_filled);
    tcase_add_test(tc, defaults_load_through_table);
    tcase_add_test(tc, err_unknown_key);
    tcase_add_test(tc, err_wrong_type);
    tcase_add_test(tc, err_out_of_range);
    tcase_add_test(tc, integral_reals_accepted);
    tcase_add_test(tc, err_missing_required);
    tcase_add_test(tc, err_dangling_core);
    tcase_add_test(tc, err_core_conflicts);
    tcase_add_test(tc, err_dangling_dst);
    tcase_add_test(tc, err_duplicate_dst);
    tcase_add_test(tc, err_invalid_json);
    tcase_add_test(tc, err_file);
    tcase_add_test(tc, err_bad_set);
    tcase_add_test(tc, set_overrides);
    tcase_add_test(tc, canonical_stable);
    tcase_add_test(tc, broadcast_expands);
    tcase_add_test(tc, size_mix_parsed);
    tcase_add_test(tc, err_packet_fits_buffer);
    tcase_add_test(tc, err_cache_geometry);
    tcase_add_test(tc, variants_by_name);
    tcase_add_test(tc, fuzz_mutations);
    tcase_add_test(tc, markdown_reference);
    tcase_add_test(tc, set_wildcard_sets_every_entry);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
