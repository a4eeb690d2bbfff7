#include "summary.h"

#include "viosim/strategy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A metric row: a JSON path inside a variant, a label and how to show it. */
typedef struct row {
    const char *label;
    const char *path; /* dot path into the variant object */
    double scale;     /* multiply before printing (1, or 100 for percentages) */
    int decimals;
} row;

static const row rows[] = {
    {"packets offered", "packets.offered", 1, 0},
    {"packets delivered", "packets.delivered", 1, 0},
    {"packets dropped", "packets.dropped", 1, 0},
    {"latency mean (ns)", "latency_ns.mean", 1, 1},
    {"latency p50 (ns)", "latency_ns.p50", 1, 1},
    {"latency p99 (ns)", "latency_ns.p99", 1, 1},
    {"latency p99.9 (ns)", "latency_ns.p999", 1, 1},
    {"throughput (Mpps)", "throughput.mpps", 1, 3},
    {"throughput (Gb/s)", "throughput.gbps", 1, 2},
    {"guest reads from L1 (%)", "guest_reads.l1", 100, 1},
    {"guest reads from LLC (%)", "guest_reads.llc", 100, 1},
    {"guest reads, other core (%)", "guest_reads.remote_core", 100, 1},
    {"guest reads from DRAM (%)", "guest_reads.dram", 100, 1},
    {"DMA LLC write hits (%)", "dma.llc_write_hit_rate", 100, 1},
    {"unread DMA evictions", "dma.unread_evictions", 1, 0},
    {"interrupts", "interrupts.delivered", 1, 0},
    {"VM exits", "interrupts.vm_exits", 1, 0},
    {"host busy / packet (ns)", "cores.0.busy_ns_per_packet", 1, 1},
    {NULL, NULL, 0, 0},
};

static const json_t *at(const json_t *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *tok = strtok(buf, "."); tok && o; tok = strtok(NULL, ".")) {
        if (json_is_array(o))
            o = json_array_get(o, (size_t)atoi(tok));
        else
            o = json_object_get(o, tok);
    }
    return o;
}

static double num(const json_t *v) { return v ? json_number_value(v) : NAN; }

/* Mean guest busy time per packet across the VMs (cores[1..]). */
static double guest_busy(const json_t *var)
{
    const json_t *cores = json_object_get(var, "cores");
    double sum = 0;
    size_t n = 0;
    for (size_t i = 1; i < json_array_size(cores); i++, n++)
        sum += num(json_object_get(json_array_get(cores, i), "busy_ns_per_packet"));
    return n ? sum / (double)n : 0;
}

static void print_row(FILE *out, const char *label, const double *vals, size_t n, int decimals)
{
    fprintf(out, "%-26s", label);
    for (size_t i = 0; i < n; i++) {
        char cell[64];
        snprintf(cell, sizeof cell, "%.*f", decimals, vals[i]);
        /* A change relative to a base that prints as zero would be noise ("0.0 (+41%)"). */
        int base_shows = fabs(vals[0]) >= 0.5 * pow(10.0, -decimals);
        if (i > 0 && base_shows && isfinite(vals[i])) {
            char rel[32];
            snprintf(rel, sizeof rel, " (%+.1f%%)", (vals[i] - vals[0]) / fabs(vals[0]) * 100.0);
            strncat(cell, rel, sizeof cell - strlen(cell) - 1);
        } else if (i > 0) {
            strncat(cell, "         ", sizeof cell - strlen(cell) - 1);
        }
        fprintf(out, " %22s", cell);
    }
    fputc('\n', out);
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
    fprintf(out, "%-26s", "metric");
    for (size_t i = 0; i < n; i++)
        fprintf(out, " %22s", json_string_value(json_object_get(json_array_get(vars, i), "name")));
    fputc('\n', out);
    double *vals = calloc(n ? n : 1, sizeof *vals);
    for (const row *r = rows; r->label; r++) {
        for (size_t i = 0; i < n; i++)
            vals[i] = num(at(json_array_get(vars, i), r->path)) * r->scale;
        print_row(out, r->label, vals, n, r->decimals);
    }
    for (size_t i = 0; i < n; i++)
        vals[i] = guest_busy(json_array_get(vars, i));
    print_row(out, "guest busy / packet (ns)", vals, n, 1);
    if (perf) {
        for (size_t i = 0; i < n; i++) {
            const vio_run_perf *p = &perf[nonly ? only[i] : i];
            vals[i] = p->wall_seconds > 0 ? (double)p->delivered / p->wall_seconds / 1e6 : 0;
        }
        print_row(out, "speed (M sim pkts/wall s)", vals, n, 3);
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
    fprintf(out, "Delivery strategies (a variant picks one per axis):\n");
    for (const vio_strategy *st = vio_strategy_table(); st->axis; st++)
        fprintf(out, "  %-7s %-13s %s\n", st->axis, st->name, st->help);
    fprintf(out, "\nScenario parameters (path, type, default, unit, range):\n");
    static const char *types[] = {"u32", "u64", "number", "bool", "enum", "string"};
    for (const vio_param *p = vio_params_table(); p->path; p++) {
        char range[64] = "";
        if (p->type == VIO_PT_ENUM && p->choices)
            snprintf(range, sizeof range, "%s", p->choices);
        else if (p->type != VIO_PT_BOOL && p->type != VIO_PT_STRING)
            snprintf(range, sizeof range, "%g..%g", p->min, p->max);
        fprintf(out, "  %-34s %-6s %-12s %-8s %s\n      %s\n", p->path, types[p->type], p->dflt ? p->dflt : "required",
                p->unit ? p->unit : "", range, p->help);
    }
    return 0;
}
