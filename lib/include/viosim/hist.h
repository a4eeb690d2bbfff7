/* A log-bucketed histogram of 64-bit values (latencies in picoseconds).
 *
 * Values below 128 get a bucket each; above, every power of two is split into
 * 128 linear sub-buckets, so a bucket is at most 1/128 of its value wide and a
 * reported quantile (bucket midpoint) is within 0.4 % of the true one. Memory is
 * fixed (8 Ki counters) whatever the number of samples: no per-packet arrays. */
#ifndef VIOSIM_HIST_H
#define VIOSIM_HIST_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VIO_HIST_SUB_BITS 7u
#define VIO_HIST_BUCKETS ((64u - VIO_HIST_SUB_BITS + 1u) << VIO_HIST_SUB_BITS)

typedef struct vio_hist {
    uint64_t count, min, max;
    uint64_t sum_hi, sum_lo; /* 128-bit sum, so the mean is exact for any run */
    uint64_t bucket[VIO_HIST_BUCKETS];
} vio_hist;

void vio_hist_init(vio_hist *h);
void vio_hist_add(vio_hist *h, uint64_t value);
void vio_hist_merge(vio_hist *into, const vio_hist *from);
double vio_hist_mean(const vio_hist *h);
/* Quantile q in [0,1]: the value below which a fraction q of samples fall,
 * rounded to its bucket's midpoint and clamped to [min, max]. 0 when empty. */
uint64_t vio_hist_quantile(const vio_hist *h, double q);
/* Bucket index of a value and the bucket's [low, high] bounds (tests, plots). */
uint32_t vio_hist_bucket_of(uint64_t value);
void vio_hist_bucket_bounds(uint32_t bucket, uint64_t *low, uint64_t *high);

#ifdef __cplusplus
}
#endif
#endif
