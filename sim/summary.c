#include "summary.h"

#include "viosim/strategy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A metric row: a JSON path inside a variant, a label, how to show it and when it matters. */
enum row_when { ALWAYS = 0, IF_DDIO, IF_IOMMU, IF_NONZERO };
enum row_flag { REL = 1 }; /* show the change relative to the first variant (not for shares or rates) */

typedef struct row {
    const char *label;
    const char *path; /* dot path into the variant object */
    double scale;     /* multiply before printing (1, or 100 for percentages) */
    int decimals;
    enum row_when when;
    unsigned flags;
} row;

static const row rows[] = {
    {"packets offered", "packets.offered", 1, 0, ALWAYS, 0},
    {"packets delivered", "packets.delivered", 1, 0, ALWAYS, REL},
    {"packets dropped", "packets.dropped", 1, 0, ALWAYS, 0},
    {"  at the NIC ring", "packets.dropped_at.nic_ring", 1, 0, IF_NONZERO, 0},
    {"  at a guest ring", "packets.dropped_at.guest_ring", 1, 0, IF_NONZERO, 0},
    {"  at the shared LLC ring", "packets.dropped_at.shared_ring", 1, 0, IF_NONZERO, 0},
    {"  blocked by the IOMMU", "packets.dropped_at.iommu", 1, 0, IF_NONZERO, 0},
    {"latency mean (ns)", "latency_ns.mean", 1, 1, ALWAYS, REL},
    {"latency p50 (ns)", "latency_ns.p50", 1, 1, ALWAYS, REL},
    {"latency p99 (ns)", "latency_ns.p99", 1, 1, ALWAYS, REL},
    {"latency p99.9 (ns)", "latency_ns.p999", 1, 1, ALWAYS, REL},
    {"throughput (Mpps)", "throughput.mpps", 1, 3, ALWAYS, REL},
    {"throughput (Gb/s)", "throughput.gbps", 1, 2, ALWAYS, REL},
    {"guest reads from L1 (%)", "guest_reads.l1", 100, 1, ALWAYS, 0},
    {"guest reads from LLC (%)", "guest_reads.llc", 100, 1, ALWAYS, 0},
    {"guest reads, other core (%)", "guest_reads.remote_core", 100, 1, ALWAYS, 0},
    {"guest reads from DRAM (%)", "guest_reads.dram", 100, 1, ALWAYS, 0},
    {"DMA LLC write hits (%)", "dma.llc_write_hit_rate", 100, 1, IF_DDIO, 0},
    {"packets forwarded", "forward.packets", 1, 0, IF_NONZERO, REL},
    {"device read LLC hits (%)", "dma.device_reads.llc_hit_rate", 100, 1, IF_NONZERO, 0},
    {"NIC read-back (ns)", "forward.readback_mean_ns", 1, 1, IF_NONZERO, REL},
    {"unread DMA evictions", "dma.unread_evictions", 1, 0, IF_NONZERO, REL},
    {"interrupts", "interrupts.delivered", 1, 0, ALWAYS, REL},
    {"VM exits", "interrupts.vm_exits", 1, 0, ALWAYS, REL},
    {"host busy / packet (ns)", "cores.0.busy_ns_per_packet", 1, 1, ALWAYS, REL},
    {"IOMMU translations", "iommu.translations", 1, 0, IF_IOMMU, REL},
    {"IOTLB hit rate (%)", "iommu.iotlb_hit_rate", 100, 1, IF_IOMMU, 0},
    {"IOMMU page walks", "iommu.walks", 1, 0, IF_IOMMU, REL},
    {"DMA blocked (transactions)", "iommu.blocked", 1, 0, IF_IOMMU, 0},
    {"cross-tenant bytes", "iommu.cross_tenant_bytes", 1, 0, IF_IOMMU, 0},
    {NULL, NULL, 0, 0, ALWAYS, 0},
};

const json_t *cli_json_at(const json_t *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save))
        o = json_is_array(o) ? json_array_get(o, (size_t)atoi(tok)) : json_object_get(o, tok);
    return o;
}

static double num(const json_t *v) { return v ? json_number_value(v) : NAN; }

/* Mean guest busy time per packet across the VMs (the cores whose role is "vmN"). */
static double guest_busy(const json_t *var)
{
    const json_t *cores = json_object_get(var, "cores");
    double sum = 0;
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(cores); i++) {
        const json_t *c = json_array_get(cores, i);
        const char *role = json_string_value(json_object_get(c, "role"));
        if (role && !strncmp(role, "vm", 2)) {
            sum += num(json_object_get(c, "busy_ns_per_packet"));
            n++;
        }
    }
    return n ? sum / (double)n : 0;
}

static void print_row(FILE *out, const char *label, const double *vals, size_t n, int decimals, int rel)
{
    fprintf(out, "%-26s", label);
    for (size_t i = 0; i < n; i++) {
        char cell[64];
        snprintf(cell, sizeof cell, "%.*f", decimals, vals[i]);
        /* A change relative to a base that prints as zero would be noise ("0.0 (+41%)"). */
        int base_shows = fabs(vals[0]) >= 0.5 * pow(10.0, -decimals);
        if (rel && i > 0 && base_shows && isfinite(vals[i])) {
            char r[32];
            snprintf(r, sizeof r, " (%+.1f%%)", (vals[i] - vals[0]) / fabs(vals[0]) * 100.0);
            strncat(cell, r, sizeof cell - strlen(cell) - 1);
        } else if (i > 0) {
            strncat(cell, "         ", sizeof cell - strlen(cell) - 1);
        }
        fprintf(out, " %22s", cell);
    }
    fputc('\n', out);
}

/* Whether any variant of the document uses DDIO / the IOMMU. */
static int any_strategy(const json_t *vars, const char *axis, const char *off)
{
    for (size_t i = 0; i < json_array_size(vars); i++) {
        const char *v = json_string_value(json_object_get(json_object_get(json_array_get(vars, i), "strategy"), axis));
        if (v && strcmp(v, off))
            return 1;
    }
    return 0;
}

void vio_print_summary(FILE *out, const vio_scenario *s, const json_t *doc, const vio_run_perf *perf,
                       const uint32_t *only, uint32_t nonly)
{
    const json_t *vars = json_object_get(doc, "variants");
    size_t n = json_array_size(vars);
    const json_t *first = json_array_get(vars, 0);
    const char *hash = json_string_value(json_object_get(first, "arrival_sha256"));
    fprintf(out, "scenario %s (%s), seed %llu, %u VMs, %llu packets, arrivals sha256 %.16s...\n", s->name, s->source,
            (unsigned long long)s->seed, s->nvms, (unsigned long long)s->traffic.packets, hash ? hash : "?");
    /* Sampled mode: every cache figure below is an estimate (results' "sampling"). */
    const json_t *smp = json_object_get(first, "sampling");
    if (smp)
        fprintf(out, "SAMPLED: caches simulated in 1 of %lld LLC sets, other accesses replay sampled outcomes "
                     "(estimates, not exact)\n",
                (long long)json_integer_value(json_object_get(smp, "llc_sets_one_in")));
    fprintf(out, "%-26s", "metric");
    for (size_t i = 0; i < n; i++)
        fprintf(out, " %22s", json_string_value(json_object_get(json_array_get(vars, i), "name")));
    fputc('\n', out);
    /* The copy primitive of each variant; the idealised LLC store is only an upper bound. */
    fprintf(out, "%-26s", "copy engine");
    for (size_t i = 0; i < n; i++) {
        const json_t *c = json_object_get(json_array_get(vars, i), "copy");
        const char *e = json_string_value(json_object_get(c, "engine"));
        char cell[40];
        snprintf(cell, sizeof cell, "%s%s", e ? e : "?", json_is_true(json_object_get(c, "upper_bound")) ? " (UPPER BOUND)" : "");
        fprintf(out, " %22s", cell);
    }
    fputc('\n', out);
    int ddio = any_strategy(vars, "dma", "dram"), iommu = any_strategy(vars, "iommu", "off");
    double *vals = calloc(n ? n : 1, sizeof *vals);
    for (const row *r = rows; r->label; r++) {
        int nonzero = 0;
        for (size_t i = 0; i < n; i++) {
            vals[i] = num(cli_json_at(json_array_get(vars, i), r->path)) * r->scale;
            nonzero |= isfinite(vals[i]) && vals[i] != 0;
        }
        if ((r->when == IF_DDIO && !ddio) || (r->when == IF_IOMMU && !iommu) || (r->when == IF_NONZERO && !nonzero))
            continue;
        print_row(out, r->label, vals, n, r->decimals, r->flags & REL);
        if (!strcmp(r->path, "cores.0.busy_ns_per_packet")) {
            for (size_t i = 0; i < n; i++)
                vals[i] = guest_busy(json_array_get(vars, i));
            print_row(out, "guest busy / packet (ns)", vals, n, 1, 1);
        }
    }
    if (iommu) {
        /* Per tenant, from the first variant that lists tenants: what was blocked, what leaked. */
        const json_t *ref = NULL;
        for (size_t i = 0; i < n && !ref; i++)
            if (json_array_size(cli_json_at(json_array_get(vars, i), "iommu.tenants")))
                ref = cli_json_at(json_array_get(vars, i), "iommu.tenants");
        for (size_t t = 0; t < json_array_size(ref); t++) {
            const json_t *tt = json_array_get(ref, t);
            const char *adv = json_string_value(json_object_get(tt, "adversary"));
            static const char *what[] = {"blocked", "cross_tenant_bytes"};
            static const char *label[] = {"blocked", "cross-tenant B"};
            for (int k = 0; k < 2; k++) {
                char lab[64];
                snprintf(lab, sizeof lab, "tenant %lld%s %s", (long long)json_integer_value(json_object_get(tt, "tag")),
                         adv && strcmp(adv, "none") ? "*" : "", label[k]);
                for (size_t i = 0; i < n; i++) {
                    const json_t *ti = json_array_get(cli_json_at(json_array_get(vars, i), "iommu.tenants"), t);
                    vals[i] = ti ? num(json_object_get(ti, what[k])) : NAN;
                }
                print_row(out, lab, vals, n, 0, 0);
            }
        }
        if (ref)
            fputs("(tenant N*: the adversary)\n", out);
    }
    if (perf) {
        /* Wall-clock speed varies with the machine: no relative change on it. */
        for (size_t i = 0; i < n; i++) {
            const vio_run_perf *p = &perf[nonly ? only[i] : i];
            vals[i] = p->wall_seconds > 0 ? (double)p->delivered / p->wall_seconds / 1e6 : 0;
        }
        print_row(out, "speed (M sim pkts/wall s)", vals, n, 3, 0);
    }
    /* The steady-state check (results' steady_state): a run whose halves differ. */
    for (size_t i = 0; i < n; i++) {
        const char *w = json_string_value(cli_json_at(json_array_get(vars, i), "steady_state.warning"));
        if (w)
            fprintf(out, "warning: variant %s: %s\n", json_string_value(json_object_get(json_array_get(vars, i), "name")), w);
    }
    free(vals);
}

int vio_print_list(FILE *out, int markdown)
{
    if (markdown) {
        char *md = NULL;
        vio_err err = {{0}};
        if (vio_params_markdown(&md, &err) != VIO_OK) {
            fprintf(stderr, "viosim: %s\n", err.msg);
            return 1;
        }
        fputs(md, out);
        free(md);
        return 0;
    }
    /* Every registered strategy and policy, per axis, from the tables themselves. */
    fprintf(out, "Strategies and policies (a scenario names one row per axis):\n");
    for (const vio_axis *const *a = vio_axes(); *a; a++) {
        fprintf(out, "  %s: %s%s%s%s\n", (*a)->key, (*a)->title, (*a)->param ? " [" : "",
                (*a)->param ? (*a)->param : "", (*a)->param ? "]" : "");
        for (size_t i = 0; i < (*a)->count; i++)
            fprintf(out, "    %-16s %s\n", vio_axis_name(*a, i), vio_axis_help(*a, i));
    }
    fprintf(out, "\nScenario parameters (path, type, default, unit, range):\n");
    static const char *types[] = {"u32", "u64", "number", "bool", "enum", "string"};
    for (const vio_param *p = vio_params_table(); p->path; p++) {
        /* The loader's own wording of what it accepts, e.g. (0, 100] or 1..1048575. */
        char range[96] = "";
        if (p->type != VIO_PT_BOOL && p->type != VIO_PT_STRING)
            vio_param_range(p, range, sizeof range);
        fprintf(out, "  %-34s %-6s %-12s %-8s %s\n      %s\n", p->path, types[p->type], p->dflt ? p->dflt : "required",
                p->unit ? p->unit : "", range, p->help);
    }
    return 0;
}
