/* The targets of issues 5, 8 and 14, checked on the aggregated rows: each sets the
 * row's goal, a one-line verdict with the figure, and pass or fail. The exact
 * model's instruction target (issue 14: W1 on skylake-sp-6140 <= 18 k instructions
 * per delivered packet) needs callgrind: bench/instructions.sh, which `make bench`
 * runs after this program. */
#include "bench.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

/* Targets of issue 5. */
#define GOAL_W1_MPPS 1.5
#define GOAL_W2_MPPS 0.3
#define GOAL_SCALE_COST 1.5    /* issue 14: W3-256 simulation time per packet / W1's (4 VMs) */
#define GOAL_RSS_DRIFT 0.05    /* W5 peak RSS vs W1 */
#define GOAL_RSS_256_MIB 256.0
#define GOAL_ENGINE_RATIO 1.15 /* issue 14: SimGrid engine / sequential loop, wall time per packet (W1, W2, R) */
#define GOAL_PEER_SPEEDUP 100.0
#define PEER_LATENCY_TOLERANCE 0.02

static const bench_row *find_row(const bench_row *rows, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(rows[i].id, id) && !rows[i].error[0] && rows[i].wall.n)
            return &rows[i];
    return NULL;
}

static double med(const bench_series *s) { return bench_stat_of(s).median; }

/* The median over rounds of a[k] / b[k]: both rows ran in every round (the
 * bench interleaves the workloads round by round), so each quotient is of two
 * runs that shared the machine's state. Falls back to the quotient of the
 * medians when a row missed a round. */
static double paired_ratio(const bench_series *a, const bench_series *b)
{
    if (a->n != b->n || a->n == 0)
        return med(a) / med(b);
    bench_series q = {.n = 0};
    for (unsigned k = 0; k < a->n; k++)
        bench_series_add(&q, b->v[k] > 0 ? a->v[k] / b->v[k] : 0.0);
    return med(&q);
}

/* Why a target is missed, where it is measured and explained. These name the
 * mechanism found (docs/performance.md), not a figure: the figures are the
 * verdict's, measured in this run. */
#define WHY_MODEL "the exact memory model: ~100 line accesses per 1500 B packet, each several cache lookups and " \
                  "fills (instructions per packet: bench/instructions.sh; docs/performance.md, Targets and " \
                  "'the exact model')"
#define WHY_ENGINE "SimGrid's cost per hand-over between agents (a resume, a suspension and a round of its " \
                   "kernel), which light events cannot hide; wall-clock ratios are noisy on a shared machine, " \
                   "the deterministic one is bench/instructions.sh's (docs/performance.md, Engine)"
#define WHY_SCALE "256 VMs do ~1.3x W1's instructions per packet (colder rings in the LLC: more misses to " \
                  "simulate); the rest is this host's caches missing the 256 VMs' larger simulator state, which " \
                  "the machine's load inflates (docs/performance.md, Scale)"
#define WHY_PEER "SimGrid's hand-overs (R) and the model's own per-event work, the arrival hash first (R-seq) " \
                 "(docs/performance.md, Peer)"
#define WHY_RSS "docs/performance.md, Scale (first touches of preallocated rings)"

static void verdict(bench_row *r, int pass, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void verdict(bench_row *r, int pass, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->verdict, sizeof r->verdict, fmt, ap);
    va_end(ap);
    r->status = pass;
    r->why = NULL;
}

static void why(bench_row *r, const char *text)
{
    if (r->status == 0)
        r->why = text;
}

/* The viosim row a SimPy row is compared with: "R-SimPy" -> "R", "R-seq-SimPy" -> "R-seq". */
static const char *peer_of(const char *id)
{
    if (!strcmp(id, "R-SimPy"))
        return "R";
    if (!strcmp(id, "R-seq-SimPy"))
        return "R-seq";
    return NULL;
}

int bench_evaluate(bench_row *rows, size_t n)
{
    int rc = 0;
    const bench_row *w1 = find_row(rows, n, "W1"), *w2 = find_row(rows, n, "W2");
    for (size_t i = 0; i < n; i++) {
        bench_row *r = &rows[i];
        r->status = -1;
        if (r->error[0] || !r->wall.n)
            continue;
        if (!strcmp(r->id, "W1")) {
            r->goal = ">= 1.5 Mpkt/s";
            verdict(r, med(&r->mpps) >= GOAL_W1_MPPS, "%.3f Mpkt/s", med(&r->mpps));
            why(r, WHY_MODEL);
        } else if (!strcmp(r->id, "W2")) {
            r->goal = ">= 0.3 Mpkt/s";
            verdict(r, med(&r->mpps) >= GOAL_W2_MPPS, "%.3f Mpkt/s", med(&r->mpps));
            why(r, WHY_MODEL);
        } else if (!strcmp(r->id, "W1-seq") || !strcmp(r->id, "W2-seq") || !strcmp(r->id, "R-seq")) {
            /* The same run on both engines: the SimGrid one may cost at most 1.15x the
             * loop per packet (per packet, so that the comparison holds even if a
             * variant failed on one engine). */
            const bench_row *sg = !strcmp(r->id, "W1-seq") ? w1 : !strcmp(r->id, "W2-seq") ? w2 : find_row(rows, n, "R");
            const char *sg_id = r->id[0] == 'W' ? (r->id[1] == '1' ? "W1" : "W2") : "R";
            r->goal = r->id[0] == 'W' ? (r->id[1] == '1' ? "W1 <= 1.15x W1-seq time" : "W2 <= 1.15x W2-seq time")
                                      : "R <= 1.15x R-seq time";
            if (sg) {
                double ratio = paired_ratio(&r->mpps, &sg->mpps);
                verdict(r, ratio <= GOAL_ENGINE_RATIO, "%.2fx per round (medians %.3f vs %.3f Mpkt/s sequential)",
                        ratio, med(&sg->mpps), med(&r->mpps));
                why(r, WHY_ENGINE);
            } else {
                verdict(r, -1, "not measured (needs %s)", sg_id);
            }
        } else if (!strcmp(r->id, "W3-256")) {
            r->goal = "cost/pkt <= 1.5x W1, RSS < 256 MiB";
            if (w1) {
                /* Cost per packet of the simulation alone: creating 256 VMs'
                 * datapath and writing their results are a fixed cost, not a
                 * per-packet one (the wall-clock quotient is printed too). */
                double ratio = paired_ratio(&r->run_us_per_pkt, &w1->run_us_per_pkt);
                double wall = paired_ratio(&w1->mpps, &r->mpps);
                double rss = med(&r->rss);
                verdict(r, ratio <= GOAL_SCALE_COST && rss < GOAL_RSS_256_MIB,
                        "%.2fx W1 per round (simulation; %.2fx with creation and results), %.1f MiB", ratio, wall,
                        rss);
                why(r, rss < GOAL_RSS_256_MIB ? WHY_SCALE : WHY_RSS);
            }
        } else if (!strcmp(r->id, "W5")) {
            r->goal = "peak RSS within 5 % of W1";
            if (w1) {
                double drift = med(&r->rss) / med(&w1->rss) - 1.0;
                verdict(r, fabs(drift) <= GOAL_RSS_DRIFT, "%+.1f %% (%.1f vs %.1f MiB)", drift * 100, med(&r->rss),
                        med(&w1->rss));
                why(r, WHY_RSS);
            }
        } else if (peer_of(r->id)) {
            const bench_row *vr = find_row(rows, n, peer_of(r->id));
            if (!vr)
                continue;
            double a = vr->first.latency_mean_ns, b = r->first.latency_mean_ns;
            double diff = b > 0 ? (a - b) / b : 1.0;
            fprintf(stderr, "reduced pipeline: mean latency viosim %.2f ns, SimPy %.2f ns, difference %+.3f %%\n", a,
                    b, diff * 100);
            if (fabs(diff) > PEER_LATENCY_TOLERANCE) {
                fprintf(stderr, "*** MODEL MISMATCH: the SimPy peer and viosim disagree by more than 2 %% on the "
                                "mean latency; the speed comparison is void ***\n");
                verdict(r, 0, "VOID: mean latency %.1f vs %.1f ns (%+.2f %% > 2 %%)", a, b, diff * 100);
                rc = -1;
                continue;
            }
            bench_stat sp = bench_stat_of(&r->extra);
            verdict(r, sp.median >= GOAL_PEER_SPEEDUP, "%.1fx (%.1f-%.1f); latency %.1f vs %.1f ns (%+.2f %%)",
                    sp.median, sp.min, sp.max, a, b, diff * 100);
            why(r, WHY_PEER);
        }
        if (r->goal && !r->verdict[0])
            verdict(r, -1, "not measured (needs W1)");
        /* A figure over fewer variants than asked for passes nothing. */
        const bench_row *vr = peer_of(r->id) ? find_row(rows, n, peer_of(r->id)) : NULL;
        int partial = r->first.failed_variants || (vr && vr->first.failed_variants) ||
                      (w1 && r->goal && r != w1 && strstr(r->goal, "W1") && w1->first.failed_variants);
        if (r->goal && partial && r->status >= 0) {
            char v[sizeof r->verdict];
            snprintf(v, sizeof v, "%s", r->verdict);
            verdict(r, 0, "INCOMPLETE (variants failed), %.150s", v);
        }
    }
    return rc;
}
