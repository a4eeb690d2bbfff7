/* Set sampling of the memory hierarchy (platform.llc.sample_sets = N; docs/model.md,
 * "Sampled mode"). A fixed hash of the LLC set selects 1 in N sets; a line is
 * sampled when its LLC set is (so a set is all in or all out, as in the set
 * sampling of Kessler, Hill and Wood, IEEE ToC 1994, and the sampled sets of
 * Qureshi et al.'s set dueling, ISCA 2007). A sampled line is simulated exactly
 * through every level: the LLC and the snoop filter see only sampled lines in
 * their sampled sets, and the private caches, shared by the sampled lines alone,
 * are N times smaller in sets (memsys.c), so each set sees the pressure it would
 * see in the full hierarchy.
 *
 * Every access still needs a latency and its share of the counters. An access to a
 * line that is not sampled replays the outcome of one of the last RING simulated
 * accesses of its class (kind of access x agent x single line or part of a longer
 * buffer x address region: rings, buffers and interrupt lines behave apart), drawn by a hash of the line and the access count (never a libc rand:
 * the same scenario and seed give the same draws under both engines and any -j):
 * its fixed latency, its DRAM transfers (taken afresh from the DRAM model, so the
 * bandwidth sees every access and the queueing is that of now), and its changes to
 * every counter (hits and misses of each level and class, evictions, write-backs,
 * back-invalidations, unread evictions). So the statistics are those of the
 * sampled sets, scaled to every access (the ratio estimator: the counts of each
 * outcome per access of a class), and the latencies charged are the outcomes
 * counted. Until a class has simulated an access, a coarser class (the kind, any
 * agent) is drawn from; an access with neither is simulated (bootstrap: the first
 * few of a run, counted in vio_memsys_sampling.bootstrap).
 *
 * Set sampling assumes the lines of a class are alike, so that the sampled ones stand
 * for the others. A line of a kind of its own that many accesses share breaks that
 * (a VM's interrupt-state line, written by the host and the VM's core in turn: the
 * other lines its class would be drawn from are descriptors a core writes four
 * times in a row). The caller names such lines (vio_memsys_sample_exact) and they
 * are simulated whatever their set. */
#include "models/memsys_sample.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

int vio__smp_create(vio_memsys *ms, vio_err *err)
{
    vio__ms_sample *s = calloc(1, sizeof *s);
    if (!s)
        return vio_err_set(err, VIO_ENOMEM, "memsys: sampled mode: out of memory");
    ms->smp = s;
    s->one_in = ms->cfg.sample_sets;
    s->st.one_in = s->one_in;
    s->agents = ms->cfg.cores + 1;
    uint32_t sets = vio_cache_sets(ms->llc);
    s->in = malloc(sets);
    s->fine = calloc((size_t)K_COUNT * s->agents * 2 * VIO_MEMSYS_REGIONS, sizeof *s->fine);
    s->ctr = calloc(s->agents, sizeof *s->ctr);
    s->blk = calloc((size_t)s->agents * 5u, sizeof *s->blk);
    if (!s->in || !s->fine || !s->ctr || !s->blk)
        return vio_err_set(err, VIO_ENOMEM, "memsys: sampled mode: out of memory");
    /* The sampled sets: a fixed hash of the set index (not of the seed: the same
     * sets in every run), 1 in one_in of them. Fewer sets than one_in: the first. */
    uint32_t chosen = 0;
    for (uint32_t i = 0; i < sets; i++) {
        s->in[i] = (vio__smp_mix64(i + 0x5a3f1e2d9c4b7a61ull) & (s->one_in - 1u)) == 0;
        chosen += s->in[i];
    }
    if (chosen == 0)
        s->in[0] = 1;
    for (uint32_t a = 0; a < s->agents; a++) {
        uint64_t **p = s->ctr[a] = malloc(NCTR * sizeof *p);
        if (!p)
            return vio_err_set(err, VIO_ENOMEM, "memsys: sampled mode: out of memory");
        uint64_t *st = (uint64_t *)(void *)&ms->st;
        for (unsigned i = 0; i < NST; i++)
            p[i] = &st[i];
        vio_cache *lv[4] = {a < ms->cfg.cores ? ms->l1[a] : NULL, a < ms->cfg.cores ? ms->l2[a] : NULL, ms->llc,
                            ms->sf};
        s->blk[a * 5u] = st;
        for (unsigned c = 0; c < 4; c++) {
            for (unsigned k = 0; k < VIO__CACHE_COUNTERS; k++)
                p[NST + c * VIO__CACHE_COUNTERS + k] =
                    lv[c] ? vio__cache_counter(lv[c], k) : &s->sink[(c & 1u) * VIO__CACHE_COUNTERS + k];
            s->blk[a * 5u + 1u + c] = lv[c] ? p[NST + c * VIO__CACHE_COUNTERS] : NULL; /* a sink never changes */
            for (unsigned k = 0; k < VIO__CACHE_COUNTERS; k++) /* take() copies them as one array */
                if (lv[c] && p[NST + c * VIO__CACHE_COUNTERS + k] != s->blk[a * 5u + 1u + c] + k)
                    return vio_err_set(err, VIO_EINVAL, "memsys: sampled mode: a cache's counters are not one array");
        }
    }
    return VIO_OK;
}

void vio__smp_destroy(vio__ms_sample *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->fine && i < (size_t)K_COUNT * s->agents * 2 * VIO_MEMSYS_REGIONS; i++)
        free(s->fine[i]);
    for (unsigned i = 0; i < K_COUNT * 2 * VIO_MEMSYS_REGIONS; i++)
        free(s->mid[i]);
    for (unsigned i = 0; i < K_COUNT * 2; i++)
        free(s->coarse[i]);
    for (uint32_t a = 0; s->ctr && a < s->agents; a++)
        free(s->ctr[a]);
    free(s->ctr);
    free(s->blk);
    free(s->fine);
    free(s->in);
    free(s);
}

int vio_memsys_sample_exact(vio_memsys *ms, uint64_t addr, uint64_t bytes, vio_err *err)
{
    vio__ms_sample *s = ms->smp;
    if (!s || bytes == 0)
        return VIO_OK;
    if (s->nexact == VIO_MEMSYS_EXACT_RANGES)
        return vio_err_set(err, VIO_EINVAL, "memsys: sampled mode: more than %u exact ranges",
                           VIO_MEMSYS_EXACT_RANGES);
    memset(s->memo, 0, sizeof s->memo); /* the lines it names are sampled from now on */
    s->exact_lo[s->nexact] = addr / VIO_LINE_BYTES;
    s->exact_hi[s->nexact++] = (addr + bytes - 1) / VIO_LINE_BYTES + 1;
    return VIO_OK;
}

void vio_memsys_get_sampling(const vio_memsys *ms, vio_memsys_sampling *out)
{
    if (ms->smp)
        *out = ms->smp->st;
    else
        *out = (vio_memsys_sampling){0};
}

/* ---- taking an outcome ---- */

typedef struct snap {
    uint64_t v[NCTR];
    uint64_t xfers, waits;
    vio_ps wait_ps;
} snap;

/* Every counter an access of `agent` may change, in NCTR order. */
static inline void gather(const vio__ms_sample *s, uint32_t agent, uint64_t *v)
{
    uint64_t *const *b = &s->blk[agent * 5u];
    memcpy(v, b[0], NST * sizeof *v);
    for (unsigned c = 0; c < 4; c++)
        if (b[1u + c])
            memcpy(v + NST + c * VIO__CACHE_COUNTERS, b[1u + c], VIO__CACHE_COUNTERS * sizeof *v);
}

static void take(const vio__ms_sample *s, const vio_memsys *ms, uint32_t agent, snap *b)
{
    gather(s, agent, b->v);
    b->xfers = ms->dram_xfers;
    b->waits = ms->dram_waits;
    b->wait_ps = ms->dram_wait_ps;
}


static ring **slot_fine(vio__ms_sample *s, unsigned kind, uint32_t agent, int multi, uint64_t line)
{
    return &s->fine[(((size_t)kind * s->agents + agent) * 2 + (multi != 0)) * VIO_MEMSYS_REGIONS + vio__smp_region(line)];
}

static ring **slot_mid(vio__ms_sample *s, unsigned kind, int multi, uint64_t line)
{
    return &s->mid[(kind * 2u + (multi != 0)) * VIO_MEMSYS_REGIONS + vio__smp_region(line)];
}

static void push(ring **r, const outcome *o)
{
    if (!*r && !(*r = calloc(1, sizeof **r)))
        return; /* out of memory: this outcome is not kept (draws use the others) */
    ring *q = *r;
    q->o[q->head] = *o; /* the oldest is overwritten */
    q->head = (q->head + 1) % RING;
    if (q->count < RING)
        q->count++;
}

/* Counter i changed by d: into the outcome. Returns 1 when it cannot be kept. */
static inline unsigned note(outcome *o, unsigned i, uint64_t d)
{
    if (d == 0)
        return 0;
    if (o->n == MAXD || d > UINT16_MAX)
        return 1;
    o->idx[o->n] = (uint8_t)i;
    o->d[o->n++] = (uint16_t)d;
    return 0;
}

/* The changes of counters off .. off + len - 1 (now at cur, then at was): into the
 * outcome. Most did not change: they are skipped by pairs. Returns 1 when one
 * cannot be kept. */
static inline unsigned note_block(outcome *o, const uint64_t *cur, const uint64_t *was, unsigned off, unsigned len)
{
    unsigned i = 0, bad = 0;
#if defined(__SSE2__)
    for (; i + 2u <= len; i += 2u) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)&cur[i]);
        __m128i y = _mm_loadu_si128((const __m128i *)(const void *)&was[i]);
        if (_mm_movemask_epi8(_mm_cmpeq_epi8(x, y)) != 0xffff)
            bad |= note(o, off + i, cur[i] - was[i]) | note(o, off + i + 1u, cur[i + 1u] - was[i + 1u]);
    }
#endif
    for (; i < len; i++)
        bad |= note(o, off + i, cur[i] - was[i]);
    return bad;
}

/* The access just simulated changed the counters from `b`: keep its outcome. */
static void keep(vio_memsys *ms, unsigned kind, uint32_t agent, uint64_t line, const snap *b, vio_ps lat,
                 unsigned result)
{
    vio__ms_sample *s = ms->smp;
    uint64_t *const *blk = &s->blk[agent * 5u];
    outcome o;
    o.n = 0;
    unsigned bad = note_block(&o, blk[0], b->v, 0, NST);
    for (unsigned c = 0; c < 4; c++)
        if (blk[1u + c])
            bad |= note_block(&o, blk[1u + c], b->v + NST + c * VIO__CACHE_COUNTERS, NST + c * VIO__CACHE_COUNTERS,
                              VIO__CACHE_COUNTERS);
    if (bad)
        return; /* an outlier too large to keep: the draws use the others */
    uint64_t xf = ms->dram_xfers - b->xfers, w = ms->dram_waits - b->waits;
    if (xf > UINT8_MAX || w > xf)
        return;
    o.xfers = (uint8_t)xf;
    o.waits = (uint8_t)w;
    o.base = lat - (ms->dram_wait_ps - b->wait_ps);
    o.result = (uint8_t)result;
    push(slot_fine(s, kind, agent, ms->multi, line), &o);
    /* The coarser rings only stand in for a class with no outcome yet: once full,
     * they take one outcome in four (whichever it is: a subsample independent of
     * the outcomes), which keeps them recent at a quarter of the cost. */
    ring **mid = slot_mid(s, kind, ms->multi, line), **coarse = &s->coarse[kind * 2 + (ms->multi != 0)];
    s->kept++;
    if (!*mid || (*mid)->count < RING || (s->kept & 3u) == 0)
        push(mid, &o);
    if (!*coarse || (*coarse)->count < RING || (s->kept & 3u) == 0)
        push(coarse, &o);
}

/* ---- replaying one ---- */

static int sampled(vio_memsys *ms, uint64_t line) { return (int)vio__smp_sampled_mask(ms, line, 1u); }

/* The ring `line`'s class draws from: its own, else the kind's in its region (any
 * agent), else the kind's anywhere; NULL when none has an outcome yet. */
static const ring *source(vio_memsys *ms, unsigned kind, uint32_t agent, uint64_t line)
{
    vio__ms_sample *s = ms->smp;
    const ring *r = *slot_fine(s, kind, agent, ms->multi, line);
    if (!r || r->count == 0)
        r = *slot_mid(s, kind, ms->multi, line);
    if (!r || r->count == 0)
        r = s->coarse[kind * 2 + (ms->multi != 0)];
    return r && r->count ? r : NULL;
}

/* An outcome for `line` (not sampled), or NULL when its class and the coarser ones
 * have none yet. */
const outcome *vio__smp_draw(vio_memsys *ms, unsigned kind, uint32_t agent, uint64_t line)
{
    const ring *r = source(ms, kind, agent, line);
    if (!r)
        return NULL;
    uint64_t h = vio__smp_mix64(line * 0x9e3779b97f4a7c15ull ^ ms->accesses);
    return &r->o[(uint32_t)(((h >> 32) * r->count) >> 32)];
}

/* Apply outcome `o` as the access of `agent`: counters, DRAM, latency. */
static vio_ps replay(vio_memsys *ms, const outcome *o, uint32_t agent, vio_ps now)
{
    vio__ms_sample *s = ms->smp;
    ms->accesses++;
    s->st.replayed++;
    uint64_t *const *p = s->ctr[agent];
    for (unsigned j = 0; j < o->n; j++)
        *p[o->idx[j]] += o->d[j];
    vio_ps lat = o->base;
    for (unsigned t = 0; t < o->xfers; t++) {
        vio_ps d = vio__ms_dram_transfer(ms, now);
        if (t < o->waits)
            lat += d;
    }
    return lat;
}

/* The access of `line` is simulated: is that a bootstrap (not a sampled line)? */
static void count_sim(vio_memsys *ms, int in)
{
    ms->smp->st.simulated++;
    ms->smp->st.bootstrap += (uint64_t)!in;
}

/* ---- simulating one: exactly, keeping its outcome ---- */

#define SIMULATE(KIND, AGENT, LINE, IN, EXACT, RESULT)                                                           \
    snap b_;                                                                                                   \
    take(ms->smp, ms, AGENT, &b_);                                                                             \
    count_sim(ms, IN);                                                                                         \
    vio_ps lat_ = EXACT;                                                                                       \
    keep(ms, KIND, AGENT, LINE, &b_, lat_, RESULT);                                                            \
    return lat_

vio_ps vio__smp_sim_core(vio_memsys *ms, uint32_t core, uint64_t line, int write, vio_ps now, enum vio_level *served,
                       int in)
{
    SIMULATE(write ? K_WRITE : K_READ, core, line, in, vio__msx_core_access(ms, core, line, write, now, served),
             (unsigned)*served);
}

vio_ps vio__smp_sim_write_llc(vio_memsys *ms, uint32_t core, uint64_t line, vio_ps now, int in)
{
    SIMULATE(K_WRITE_LLC, core, line, in, vio__msx_core_write_llc(ms, core, line, now), 0u);
}

vio_ps vio__smp_sim_dev_read(vio_memsys *ms, uint64_t line, vio_ps now, int *hit, int in)
{
    uint32_t dev = ms->smp->agents - 1;
    SIMULATE(K_DEV_READ, dev, line, in, vio__msx_dev_read(ms, line, now, hit), (unsigned)*hit);
}

/* The DMA line write has no latency of its own. */
static vio_ps dma_exact(vio_memsys *ms, enum vio_dma_target target, uint64_t line, uint32_t bytes, vio_ps now)
{
    vio__msx_dma_line(ms, target, line, bytes, now);
    return 0;
}


vio_ps vio__smp_sim_dma(vio_memsys *ms, enum vio_dma_target target, uint64_t line, uint32_t bytes, vio_ps now, int in)
{
    uint32_t dev = ms->smp->agents - 1;
    SIMULATE(vio__smp_dma_kind(target, bytes), dev, line, in, dma_exact(ms, target, line, bytes, now), 0u);
}

/* ---- the per-line primitives: replay when the line is not sampled and there is an
 * outcome to replay, else simulate ---- */

vio_ps vio__smp_core_access(vio_memsys *ms, uint32_t core, uint64_t line, int write, vio_ps now,
                            enum vio_level *served)
{
    int in = sampled(ms, line);
    const outcome *o = in ? NULL : vio__smp_draw(ms, write ? K_WRITE : K_READ, core, line);
    if (!o)
        return vio__smp_sim_core(ms, core, line, write, now, served, in);
    *served = (enum vio_level)o->result;
    return replay(ms, o, core, now);
}

vio_ps vio__smp_core_write_llc(vio_memsys *ms, uint32_t core, uint64_t line, vio_ps now)
{
    int in = sampled(ms, line);
    const outcome *o = in ? NULL : vio__smp_draw(ms, K_WRITE_LLC, core, line);
    return o ? replay(ms, o, core, now) : vio__smp_sim_write_llc(ms, core, line, now, in);
}

vio_ps vio__smp_dev_read(vio_memsys *ms, uint64_t line, vio_ps now, int *hit)
{
    int in = sampled(ms, line);
    const outcome *o = in ? NULL : vio__smp_draw(ms, K_DEV_READ, ms->smp->agents - 1, line);
    if (!o)
        return vio__smp_sim_dev_read(ms, line, now, hit, in);
    *hit = o->result;
    return replay(ms, o, ms->smp->agents - 1, now);
}

void vio__smp_dma_line(vio_memsys *ms, enum vio_dma_target target, uint64_t line, uint32_t bytes, vio_ps now)
{
    int in = sampled(ms, line);
    const outcome *o = in ? NULL : vio__smp_draw(ms, vio__smp_dma_kind(target, bytes), ms->smp->agents - 1, line);
    if (o)
        (void)replay(ms, o, ms->smp->agents - 1, now);
    else
        (void)vio__smp_sim_dma(ms, target, line, bytes, now, in);
}

#define SAMPLED_BODY(KIND, AGENT, LINE, REPLAY_RESULT, EXACT, RESULT)                                              \
    int in = sampled(ms, LINE);                                                                               \
    const outcome *o = in ? NULL : vio__smp_draw(ms, KIND, AGENT, LINE);                                                \
    if (o) {                                                                                                   \
        vio_ps lat_r_ = replay(ms, o, AGENT, now);                                                             \
        REPLAY_RESULT;                                                                                         \
        return lat_r_;                                                                                         \
    }                                                                                                          \
    SIMULATE(KIND, AGENT, LINE, in, EXACT, RESULT)

vio_ps vio__smp_io_read(vio_memsys *ms, uint64_t line, vio_ps now)
{
    uint32_t dev = ms->smp->agents - 1;
    SAMPLED_BODY(K_IO_READ, dev, line, (void)0, vio__msx_io_read(ms, line, now), 0u);
}

vio_ps vio__smp_core_write_nt(vio_memsys *ms, uint64_t line, vio_ps now)
{
    uint32_t dev = ms->smp->agents - 1; /* no core-specific state: every core's alike */
    SAMPLED_BODY(K_WRITE_NT, dev, line, (void)0, vio__msx_core_write_nt(ms, line, now), 0u);
}

static vio_ps demote_sampled(vio_memsys *ms, uint32_t core, uint64_t line, vio_ps now, int *done)
{
    SAMPLED_BODY(K_DEMOTE, core, line, *done = o->result, (vio_ps)(*done = vio__msx_demote(ms, core, line, now)),
                 (unsigned)*done);
}

int vio__smp_demote(vio_memsys *ms, uint32_t core, uint64_t line, vio_ps now)
{
    int done = 0;
    (void)demote_sampled(ms, core, line, now, &done);
    return done;
}
