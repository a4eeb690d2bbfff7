/* Set sampling, whole buffers (platform.llc.sample_sets; memsys_sample.c has the
 * design): which lines of a page are sampled, memoised per page, and the lines of a
 * buffer that are not replayed as one run: their outcomes drawn at once, each drawn
 * outcome's counter changes applied once, times the lines that drew it. The
 * sampled lines of the buffer are simulated one by one, in order, as before. */
#include "models/memsys_sample.h"

/* ---- which lines are sampled ---- */

/* The LLC sets of the 64 lines of a page (lines page * 64 + j), from the structure
 * of the index functions (cache.c) rather than one hash per line: the XOR fold of a
 * power-of-two index folds the line's higher index-width groups onto its low bits,
 * and only bits 0..5 change within a page, so set(j) = set(0) ^ j; with slices (an
 * odd factor) the low bits are the same and the slice is hashed per line; the
 * Skylake-SP index is the line's slice (vio__skx18_slice, inline) and its low bits. Each page
 * is checked at its last line against the index itself: an index whose structure
 * is not this one is then computed line by line from there on (and
 * tests/test_sampled.c compares whole pages for every index). */
static void page_sets(vio__ms_sample *s, const vio_cache *c, uint64_t page, uint32_t *set)
{
    uint64_t l0 = page << 6;
    if (!c->hashed) {
        for (unsigned j = 0; j < 64; j++)
            set[j] = c->set_mask ? (uint32_t)((l0 + j) & c->set_mask) : (uint32_t)((l0 + j) % c->sets);
        return;
    }
    if (!s->slow_index) {
        int done = 1;
        if (c->index == VIO_CACHE_INDEX_HASH && c->set_mask && c->set_bits >= 6) {
            uint32_t s0 = vio__cache_hash_set(c, l0);
            for (unsigned j = 0; j < 64; j++)
                set[j] = s0 ^ j;
        } else if (c->index == VIO_CACHE_INDEX_HASH && !c->set_mask && c->low_bits >= 6) {
            /* Slices (an odd factor): the slice a splitmix64 finaliser of the line
             * modulo the slices, the set in the slice the fold's low bits. */
            uint32_t low0 = vio__cache_hash_set(c, l0) & ((1u << c->low_bits) - 1u);
            for (unsigned j = 0; j < 64; j++) {
                uint64_t z = l0 + j + 0x9e3779b97f4a7c15ull;
                z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
                z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
                z ^= z >> 31;
                set[j] = ((uint32_t)(z % c->slices) << c->low_bits) | (low0 ^ j);
            }
        } else if (c->index == VIO_CACHE_INDEX_SKX18 && c->sets / 18u >= 64u) {
            uint32_t per = c->sets / 18u;
            for (unsigned j = 0; j < 64; j++)
                set[j] = vio__skx18_slice(l0 + j) * per + (uint32_t)((l0 + j) & (per - 1u));
        } else {
            done = 0;
        }
        if (done && set[63] == vio__cache_hash_set(c, l0 + 63u))
            return;
        s->slow_index = done;
    }
    for (unsigned j = 0; j < 64; j++)
        set[j] = vio__cache_hash_set(c, l0 + j);
}

/* Bit j: line first + j is sampled (in a sampled set, or named exact), for the bits
 * of `need` (first + j within first's page: first % 64 + j < 64). */
uint64_t vio__smp_sampled_mask(vio_memsys *ms, uint64_t first, uint64_t need)
{
    vio__ms_sample *s = ms->smp;
    uint64_t page = first >> 6, key = page + 1u;
    memo_e *e = &s->memo[(key * 0x9e3779b97f4a7c15ull) >> (64u - MEMO_BITS)];
    if (e->page != key) {
        uint32_t set[64];
        page_sets(s, ms->llc, page, set);
        uint64_t in = 0, lo = page << 6, hi = lo + 64u;
        for (unsigned j = 0; j < 64; j++)
            in |= (uint64_t)s->in[set[j]] << j;
        for (uint32_t i = 0; i < s->nexact; i++) {
            uint64_t a = s->exact_lo[i] > lo ? s->exact_lo[i] : lo, b = s->exact_hi[i] < hi ? s->exact_hi[i] : hi;
            if (a < b)
                in |= (b - a == 64u ? ~0ull : ((1ull << (b - a)) - 1u)) << (a - lo);
        }
        e->page = key;
        e->in = in;
    }
    return (e->in >> (first & 63u)) & need;
}

/* For tests (tests/test_sampled.c): is `line` sampled, and is LLC set `set`? */
int vio__smp_line_sampled(vio_memsys *ms, uint64_t line) { return ms->smp ? (int)vio__smp_sampled_mask(ms, line, 1u) : 1; }
int vio__smp_set_sampled(const vio_memsys *ms, uint32_t set) { return ms->smp ? ms->smp->in[set] : 1; }

/* ---- whole buffers ---- */

/* What a buffer's lines add up to: the sum and maximum of their latencies, and how
 * many gave each result (served level, hit). */
typedef struct tally {
    vio_ps sum, max;
    uint64_t res[VIO_LVL_COUNT];
} tally;

static void tally_one(tally *t, vio_ps lat, unsigned result)
{
    t->sum += lat;
    if (lat > t->max)
        t->max = lat;
    t->res[result < VIO_LVL_COUNT ? result : 0]++;
}

/* Replay k lines of one class (that of `line0`, which shares its region with the
 * others) at once, as a cluster: the run draws one slot of the class's ring (a hash
 * of the first line and the access count: deterministic, uniform), and every line of
 * it takes that outcome. Each line's outcome is then still uniform over the ring, so
 * the counters' expectation is that of k single replays (cluster sampling: the same
 * mean, a larger variance); and the lines of one buffer in one access share their
 * fate as in the exact model, where a buffer is found whole in the cache or not at
 * all (a multicast source read by eight copies in a row misses in the first and hits
 * in the other seven; independent draws per line gave every copy a few DRAM misses
 * and so each the slowest line's latency: +23 % on multicast's baseline,
 * docs/performance.md "Round 3"). DRAM transfers are taken in a row (the bandwidth
 * model sees every transfer). Returns 0, doing nothing, when the class has no
 * outcome yet. */
static int replay_run(vio_memsys *ms, unsigned kind, uint32_t agent, uint64_t line0, uint32_t k, vio_ps now,
                      tally *t)
{
    const outcome *o = vio__smp_draw(ms, kind, agent, line0);
    if (!o)
        return 0;
    vio__ms_sample *s = ms->smp;
    ms->accesses += k;
    s->st.replayed += k;
    uint64_t *const *p = s->ctr[agent];
    for (unsigned j = 0; j < o->n; j++)
        *p[o->idx[j]] += (uint64_t)o->d[j] * k;
    t->res[o->result < VIO_LVL_COUNT ? o->result : 0] += k;
    if (o->waits == 0) { /* the transfers delay nothing (write-backs, device writes) */
        if (o->xfers)
            (void)vio__ms_dram_transfers(ms, now, (uint64_t)k * o->xfers, NULL);
        t->sum += o->base * k;
        if (o->base > t->max)
            t->max = o->base;
        return 1;
    }
    if (o->xfers == 1) { /* a read from DRAM: k transfers in a row, the last the slowest */
        vio_ps last;
        t->sum += o->base * k + vio__ms_dram_transfers(ms, now, k, &last);
        if (o->base + last > t->max)
            t->max = o->base + last;
        return 1;
    }
    for (uint32_t i = 0; i < k; i++) { /* line by line: its first `waits` transfers delay it */
        vio_ps lat = o->base + vio__ms_dram_transfers(ms, now, o->waits, NULL);
        (void)vio__ms_dram_transfers(ms, now, o->xfers - o->waits, NULL);
        t->sum += lat;
        if (lat > t->max)
            t->max = lat;
    }
    return 1;
}

/* Lines [c0, c0 + n) of a buffer (n <= 64): the ones a run cannot replay, i.e. the
 * sampled lines, and every line when the run spans two regions or its class has no
 * outcome yet, go one by one, in order. */
enum bop { B_READ, B_WRITE, B_WRITE_LLC, B_DEV_READ, B_DMA };

static vio_ps one(vio_memsys *ms, enum bop op, uint32_t core, uint64_t line, int in, enum vio_dma_target target,
                  vio_ps now, unsigned *result)
{
    enum vio_level lvl = VIO_LVL_L1;
    int hit = 0;
    vio_ps lat = 0;
    switch (op) {
    case B_READ:
    case B_WRITE:
        lat = in ? vio__smp_sim_core(ms, core, line, op == B_WRITE, now, &lvl, 1)
                 : vio__smp_core_access(ms, core, line, op == B_WRITE, now, &lvl);
        *result = (unsigned)lvl;
        return lat;
    case B_WRITE_LLC:
        *result = 0;
        return in ? vio__smp_sim_write_llc(ms, core, line, now, 1) : vio__smp_core_write_llc(ms, core, line, now);
    case B_DEV_READ:
        lat = in ? vio__smp_sim_dev_read(ms, line, now, &hit, 1) : vio__smp_dev_read(ms, line, now, &hit);
        *result = (unsigned)hit;
        return lat;
    default:
        *result = 0;
        if (in)
            (void)vio__smp_sim_dma(ms, target, line, VIO_LINE_BYTES, now, 1);
        else
            vio__smp_dma_line(ms, target, line, VIO_LINE_BYTES, now);
        return 0;
    }
}

static void run_lines(vio_memsys *ms, enum bop op, uint32_t core, uint64_t first, uint64_t last,
                      enum vio_dma_target target, vio_ps now, tally *t)
{
    static const unsigned kinds[] = {K_READ, K_WRITE, K_WRITE_LLC, K_DEV_READ, 0};
    unsigned kind = op == B_DMA ? vio__smp_dma_kind(target, VIO_LINE_BYTES) : kinds[op];
    uint32_t agent = op == B_DEV_READ || op == B_DMA ? ms->smp->agents - 1 : core;
    for (uint64_t c0 = first, n; c0 <= last; c0 += n) { /* page by page */
        uint64_t room = 64u - (c0 & 63u);
        n = last - c0 + 1 < room ? last - c0 + 1 : room;
        uint64_t all = n == 64 ? ~0ull : (1ull << n) - 1u, in = vio__smp_sampled_mask(ms, c0, all);
        unsigned result;
        uint32_t k = (uint32_t)n;
        for (uint64_t m = in; m; m &= m - 1u, k--) {
            vio_ps lat = one(ms, op, core, c0 + (unsigned)__builtin_ctzll(m), 1, target, now, &result);
            tally_one(t, lat, result);
        }
        if (k == 0)
            continue;
        if (vio__smp_region(c0) == vio__smp_region(c0 + n - 1) && replay_run(ms, kind, agent, c0, k, now, t))
            continue;
        for (uint64_t m = all & ~in; m; m &= m - 1u) {
            vio_ps lat = one(ms, op, core, c0 + (unsigned)__builtin_ctzll(m), 0, target, now, &result);
            tally_one(t, lat, result);
        }
    }
}

void vio__smp_stream(vio_memsys *ms, uint32_t core, enum vio_stream_op op, uint64_t first, uint64_t last, vio_ps now,
                     vio_ps *sum, vio_ps *max)
{
    tally t = {0};
    enum bop b = op == VIO_STREAM_READ ? B_READ : op == VIO_STREAM_WRITE ? B_WRITE : B_WRITE_LLC;
    run_lines(ms, b, core, first, last, VIO_DMA_TO_DRAM, now, &t);
    if (b == B_READ)
        for (unsigned l = 0; l < VIO_LVL_COUNT; l++)
            ms->core_reads[(size_t)core * VIO_LVL_COUNT + l] += t.res[l];
    *sum = t.sum;
    *max = t.max;
}

vio_ps vio__smp_dev_read_lines(vio_memsys *ms, uint64_t first, uint64_t last, vio_ps now, uint32_t *hits)
{
    tally t = {0};
    run_lines(ms, B_DEV_READ, 0, first, last, VIO_DMA_TO_DRAM, now, &t);
    *hits = (uint32_t)t.res[1];
    return t.max;
}

void vio__smp_dma_write(vio_memsys *ms, enum vio_dma_target target, uint64_t addr, uint32_t bytes, vio_ps now)
{
    /* A partial head or tail line is a kind of its own (merged, not overwritten): one
     * by one; the full lines between them as a run. */
    uint64_t end = addr + bytes, first = addr / VIO_LINE_BYTES, last = (end - 1) / VIO_LINE_BYTES;
    if (addr % VIO_LINE_BYTES != 0 || (first == last && bytes < VIO_LINE_BYTES)) {
        uint64_t next = (first + 1) * VIO_LINE_BYTES;
        vio__smp_dma_line(ms, target, first, (uint32_t)((next < end ? next : end) - addr), now);
        first++;
    }
    int tail = first <= last && end % VIO_LINE_BYTES != 0;
    tally t = {0};
    if (first + (unsigned)tail <= last)
        run_lines(ms, B_DMA, 0, first, last - (unsigned)tail, target, now, &t);
    if (tail)
        vio__smp_dma_line(ms, target, last, (uint32_t)(end % VIO_LINE_BYTES), now);
}
