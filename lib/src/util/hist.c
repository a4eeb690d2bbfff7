#include "viosim/hist.h"

#include <math.h>
#include <string.h>

#define SUB (1u << VIO_HIST_SUB_BITS)

void vio_hist_init(vio_hist *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

uint32_t vio_hist_bucket_of(uint64_t v)
{
    if (v < SUB)
        return (uint32_t)v;
    /* msb >= 7: keep the 7 bits below the leading one as the sub-bucket. */
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = msb - VIO_HIST_SUB_BITS;
    uint32_t sub = (uint32_t)(v >> shift) - SUB;
    return (shift + 1u) * SUB + sub;
}

void vio_hist_bucket_bounds(uint32_t b, uint64_t *low, uint64_t *high)
{
    if (b < SUB) {
        *low = *high = b;
        return;
    }
    unsigned shift = b / SUB - 1u;
    uint64_t sub = b % SUB + SUB;
    *low = sub << shift;
    *high = *low + ((1ULL << shift) - 1u);
}

void vio_hist_add(vio_hist *h, uint64_t v)
{
    h->count++;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
    uint64_t lo = h->sum_lo + v;
    h->sum_hi += lo < h->sum_lo;
    h->sum_lo = lo;
    h->bucket[vio_hist_bucket_of(v)]++;
}

void vio_hist_merge(vio_hist *into, const vio_hist *from)
{
    if (from->count == 0)
        return;
    into->count += from->count;
    if (from->min < into->min)
        into->min = from->min;
    if (from->max > into->max)
        into->max = from->max;
    uint64_t lo = into->sum_lo + from->sum_lo;
    into->sum_hi += from->sum_hi + (lo < into->sum_lo);
    into->sum_lo = lo;
    for (uint32_t i = 0; i < VIO_HIST_BUCKETS; i++)
        into->bucket[i] += from->bucket[i];
}

double vio_hist_mean(const vio_hist *h)
{
    if (h->count == 0)
        return 0.0;
    double sum = ldexp((double)h->sum_hi, 64) + (double)h->sum_lo;
    return sum / (double)h->count;
}

uint64_t vio_hist_quantile(const vio_hist *h, double q)
{
    if (h->count == 0)
        return 0;
    if (q <= 0.0)
        return h->min;
    if (q >= 1.0)
        return h->max;
    /* Rank of the sample (1-based) that the quantile names. */
    uint64_t rank = (uint64_t)ceil(q * (double)h->count);
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (uint32_t b = 0; b < VIO_HIST_BUCKETS; b++) {
        seen += h->bucket[b];
        if (seen >= rank) {
            uint64_t lo, hi;
            vio_hist_bucket_bounds(b, &lo, &hi);
            uint64_t mid = lo + (hi - lo) / 2;
            if (mid < h->min)
                mid = h->min;
            if (mid > h->max)
                mid = h->max;
            return mid;
        }
    }
    return h->max;
}
