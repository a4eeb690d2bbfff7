/* Arrival generation: per-flow streams merged in time order onto one wire, or
 * (traffic.replay_threads) a paced trace replayed by generator threads in step.
 *
 * The replay is ddio-bench's pkt-rate generator (experiments/pkt-rate/ddio-pkt-rate.testie):
 * a pcap made by FastClick's FastUDPFlows, whose every packet belongs to a flow
 * drawn at random (click_random() % FLOWS) and which GapRate spaced evenly, sent
 * by GEN_THREADS threads, each a ReplayUnqueue of the same file that sends a packet
 * once the elapsed time x TIMING / 100 reaches its offset in the trace
 * (elements/analysis/replay.cc). So the wire carries, every record period, one
 * copy of the record per thread: the same flow, hence the same RSS queue. */
#include "viosim/traffic.h"

#include "viosim/rng.h"
#include "viosim/sha256.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct flow_state {
    vio_rng rng;
    vio_ps next_gen;     /* when this flow's next frame is ready to go on the wire */
    uint32_t next_bytes; /* its size, drawn in advance so the gap can depend on it */
    double ps_per_byte;  /* rate expressed as picoseconds per wire byte (Gb/s rates) */
    double ps_per_pkt;   /* or per packet (packet-per-second rates) */
} flow_state;

typedef struct replay_state {
    vio_rng rng;
    double *cum;      /* cumulative packet rates of the flows (a record's flow is drawn from them) */
    double period_ps; /* between two records of the trace, at the flows' total rate over the threads */
    uint64_t record;  /* records started so far */
    uint32_t left;    /* copies of the current record still to send */
    uint32_t flow, bytes;
} replay_state;

struct vio_traffic_gen {
    const vio_traffic *tr;
    replay_state *rep; /* NULL: independent flows */
    flow_state *flows;
    uint32_t *heap;      /* flow indices, a binary min-heap on (next_gen, index) */
    uint64_t produced, limit, wire_mbps;
    vio_ps wire_free;
    vio_arrival_rec next; /* look-ahead: the next arrival, already computed */
    int has_next;
};

static uint32_t draw_size(const vio_flow *f, vio_rng *rng)
{
    if (f->nsizes == 1)
        return f->sizes[0].bytes;
    double total = 0;
    for (uint32_t i = 0; i < f->nsizes; i++)
        total += f->sizes[i].weight;
    double u = vio_rng_uniform(rng) * total;
    for (uint32_t i = 0; i < f->nsizes; i++) {
        if (u < f->sizes[i].weight)
            return f->sizes[i].bytes;
        u -= f->sizes[i].weight;
    }
    return f->sizes[f->nsizes - 1].bytes;
}

/* Gap before the frame after one of `bytes`: its mean is the frame's wire time at
 * the flow's rate (constant), or an exponential draw with that mean (Poisson). */
static vio_ps draw_gap(const vio_flow *f, flow_state *fs, uint32_t bytes)
{
    double mean = fs->ps_per_pkt > 0 ? fs->ps_per_pkt : fs->ps_per_byte * (bytes + VIO_ETH_WIRE_OVERHEAD);
    if (f->arrival == VIO_ARRIVAL_CONSTANT)
        return (vio_ps)llround(mean);
    return vio_rng_exp_ps(&fs->rng, mean);
}

/* Does flow a's next frame go before flow b's? Ties go to the lower index. */
static int flow_before(const vio_traffic_gen *g, uint32_t a, uint32_t b)
{
    vio_ps ta = g->flows[a].next_gen, tb = g->flows[b].next_gen;
    return ta < tb || (ta == tb && a < b);
}

/* The heap's root moved later: sift it down (O(log flows) per packet, where a
 * scan over 4096 flows would cost more than the packet's model). */
static void sift_down(vio_traffic_gen *g, uint32_t i)
{
    uint32_t n = g->tr->nflows, *h = g->heap;
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && flow_before(g, h[l], h[m]))
            m = l;
        if (r < n && flow_before(g, h[r], h[m]))
            m = r;
        if (m == i)
            return;
        uint32_t t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

double vio_traffic_flow_pps(const vio_traffic *tr, const vio_flow *f)
{
    double load = tr->load > 0 ? tr->load : 1.0;
    if (f->rate_pps > 0)
        return f->rate_pps * load;
    double bytes = 0, weight = 0;
    for (uint32_t i = 0; i < f->nsizes; i++) {
        bytes += f->sizes[i].bytes * f->sizes[i].weight;
        weight += f->sizes[i].weight;
    }
    return f->rate_gbps * load * 1e9 / 8.0 / (bytes / weight + VIO_ETH_WIRE_OVERHEAD);
}

/* The replay's next copy: a new record (flow by the cumulative rates, size from
 * that flow's mix) once every thread has sent the current one; all copies of
 * record r are due at r x period and go onto the wire back to back. */
static void advance_replay(vio_traffic_gen *g)
{
    replay_state *r = g->rep;
    uint32_t n = g->tr->nflows;
    if (r->left == 0) {
        double u = vio_rng_uniform(&r->rng) * r->cum[n - 1];
        uint32_t lo = 0, hi = n - 1;
        while (lo < hi) { /* the first flow whose cumulative rate exceeds u */
            uint32_t mid = lo + (hi - lo) / 2;
            if (r->cum[mid] > u)
                hi = mid;
            else
                lo = mid + 1;
        }
        r->flow = lo;
        r->bytes = draw_size(&g->tr->flows[lo], &r->rng);
        r->left = g->tr->replay_threads;
        r->record++;
    }
    r->left--;
    vio_ps due = (vio_ps)llround((double)(r->record - 1) * r->period_ps);
    vio_ps start = due > g->wire_free ? due : g->wire_free;
    vio_ps last_bit = start + vio_bytes_to_ps(r->bytes + VIO_ETH_WIRE_OVERHEAD, g->wire_mbps);
    g->wire_free = last_bit;
    g->next = (vio_arrival_rec){.seq = g->produced, .t_arrive = last_bit, .bytes = r->bytes, .flow = r->flow};
    g->has_next = 1;
}

static void advance(vio_traffic_gen *g)
{
    g->has_next = 0;
    if (g->produced >= g->limit)
        return;
    if (g->rep) {
        advance_replay(g);
        return;
    }
    /* The flow whose frame is ready first goes next. */
    uint32_t best = g->heap[0];
    flow_state *fs = &g->flows[best];
    const vio_flow *f = &g->tr->flows[best];
    uint32_t bytes = fs->next_bytes;
    vio_ps start = fs->next_gen > g->wire_free ? fs->next_gen : g->wire_free;
    vio_ps last_bit = start + vio_bytes_to_ps(bytes + VIO_ETH_WIRE_OVERHEAD, g->wire_mbps);
    g->wire_free = last_bit;
    g->next = (vio_arrival_rec){.seq = g->produced, .t_arrive = last_bit, .bytes = bytes, .flow = best};
    g->has_next = 1;
    fs->next_bytes = draw_size(f, &fs->rng);
    fs->next_gen += draw_gap(f, fs, fs->next_bytes);
    sift_down(g, 0);
}

int vio_traffic_create(const vio_traffic *tr, uint64_t seed, uint64_t wire_mbps, vio_traffic_gen **out,
                       vio_err *err)
{
    *out = NULL;
    if (tr->nflows == 0)
        return vio_err_set(err, VIO_EINVAL, "traffic: no flows");
    vio_traffic_gen *g = calloc(1, sizeof *g);
    if (!g || !(g->flows = calloc(tr->nflows, sizeof *g->flows)) || !(g->heap = calloc(tr->nflows, sizeof *g->heap))) {
        if (g)
            free(g->flows);
        free(g);
        return vio_err_set(err, VIO_ENOMEM, "traffic: out of memory");
    }
    g->tr = tr;
    g->limit = tr->packets;
    g->wire_mbps = wire_mbps;
    for (uint32_t i = 0; i < tr->nflows; i++) {
        const vio_flow *f = &tr->flows[i];
        flow_state *fs = &g->flows[i];
        vio_rng_seed(&fs->rng, seed, 0x7261666600000000ULL + i); /* stream "traf"+i */
        double load = tr->load > 0 ? tr->load : 1.0;
        if (f->rate_pps > 0)
            fs->ps_per_pkt = 1e12 / (f->rate_pps * load);
        else
            fs->ps_per_byte = 8e3 / (f->rate_gbps * load); /* 8 bits / (Gb/s) = 8e3/rate ps */
        fs->next_bytes = draw_size(f, &fs->rng);
        /* Flows start at a random phase within their first gap, so constant-rate flows
         * of equal rate do not all collide at t = 0. */
        vio_ps gap = draw_gap(f, fs, fs->next_bytes);
        fs->next_gen = (vio_ps)(vio_rng_uniform(&fs->rng) * (double)gap);
    }
    if (tr->replay_threads > 0) {
        if (!(g->rep = calloc(1, sizeof *g->rep)) || !(g->rep->cum = calloc(tr->nflows, sizeof *g->rep->cum))) {
            vio_traffic_destroy(g);
            return vio_err_set(err, VIO_ENOMEM, "traffic: out of memory");
        }
        replay_state *r = g->rep;
        vio_rng_seed(&r->rng, seed, 0x7472657000000000ULL); /* stream "trep" */
        double total = 0;
        for (uint32_t i = 0; i < tr->nflows; i++) {
            total += vio_traffic_flow_pps(tr, &tr->flows[i]);
            r->cum[i] = total;
        }
        r->period_ps = 1e12 * tr->replay_threads / total;
    }
    for (uint32_t i = 0; i < tr->nflows; i++)
        g->heap[i] = i;
    for (uint32_t i = tr->nflows / 2; i-- > 0;)
        sift_down(g, i);
    advance(g);
    *out = g;
    return VIO_OK;
}

void vio_traffic_destroy(vio_traffic_gen *g)
{
    if (!g)
        return;
    if (g->rep)
        free(g->rep->cum);
    free(g->rep);
    free(g->flows);
    free(g->heap);
    free(g);
}

vio_ps vio_traffic_peek(const vio_traffic_gen *g) { return g->has_next ? g->next.t_arrive : VIO_PS_NEVER; }

int vio_traffic_next(vio_traffic_gen *g, vio_arrival_rec *out)
{
    if (!g->has_next)
        return 0;
    *out = g->next;
    g->produced++;
    advance(g);
    return 1;
}

void vio_arrival_hash_init(vio_arrival_hash *h)
{
    vio_sha256_init(&h->sha);
    h->npending = 0;
    h->count = 0;
}

void vio_arrival_hash_add(vio_arrival_hash *h, const vio_arrival_rec *a)
{
    /* A fixed little-endian layout, so the digest is the same on any host. */
    uint8_t *rec = h->pending + h->npending;
    for (int i = 0; i < 8; i++)
        rec[i] = (uint8_t)(a->t_arrive >> (8 * i));
    for (int i = 0; i < 4; i++) {
        rec[8 + i] = (uint8_t)(a->bytes >> (8 * i));
        rec[12 + i] = (uint8_t)(a->flow >> (8 * i));
    }
    h->npending += 16;
    h->count++;
    if (h->npending == sizeof h->pending) {
        vio_sha256_update(&h->sha, h->pending, h->npending);
        h->npending = 0;
    }
}

void vio_arrival_hash_hex(const vio_arrival_hash *h, char out[65])
{
    vio_sha256 copy = h->sha; /* finishing consumes the state; keep ours going */
    vio_sha256_update(&copy, h->pending, h->npending);
    vio_sha256_final_hex(&copy, out);
}
