/* xoshiro256** (Blackman & Vigna, 2018) seeded through splitmix64: fast, 256-bit
 * state, and the splitmix seeding makes nearby (seed, stream) pairs independent. */
#include "viosim/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void vio_rng_seed(vio_rng *rng, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL + 0x2545f4914f6cdd1dULL);
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&x);
}

uint64_t vio_rng_next(vio_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double vio_rng_uniform(vio_rng *rng) { return (double)(vio_rng_next(rng) >> 11) * 0x1.0p-53; }

uint64_t vio_rng_below(vio_rng *rng, uint64_t n)
{
    /* Rejection on the top of the range keeps the draw unbiased. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t r;
    do
        r = vio_rng_next(rng);
    while (r >= limit);
    return r % n;
}

/* Natural logarithm from IEEE-754 basic operations only (+ - * / and the exact
 * frexp), so it gives the same bits on every machine: libm's log may take an FMA
 * path on one CPU and not on another, and a last-bit difference would move an
 * arrival by a picosecond. x = m * 2^e with m in [sqrt(1/2), sqrt(2)); then
 * ln m = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.172: the series to s^25 in Horner
 * form (truncation < 1e-17; within 4 ulp of glibc's log over a million draws).
 * bench/simpy_peer.py repeats it operation for operation. */
static const double atanh_coef[13] = {1.0 / 1.0,  1.0 / 3.0,  1.0 / 5.0,  1.0 / 7.0,  1.0 / 9.0,
                                      1.0 / 11.0, 1.0 / 13.0, 1.0 / 15.0, 1.0 / 17.0, 1.0 / 19.0,
                                      1.0 / 21.0, 1.0 / 23.0, 1.0 / 25.0};

static double portable_log(double x)
{
    int e;
    double m = frexp(x, &e);
    if (m < 0.70710678118654752440) {
        m *= 2.0;
        e--;
    }
    double s = (m - 1.0) / (m + 1.0), s2 = s * s, poly = atanh_coef[12];
    for (int k = 11; k >= 0; k--)
        poly = poly * s2 + atanh_coef[k];
    return 2.0 * s * poly + (double)e * 0.69314718055994530942;
}

uint64_t vio_rng_exp_ps(vio_rng *rng, double mean_ps)
{
    /* 1 - u lies in (0, 1], so the log never sees 0. llround gives the nearest
     * integer picosecond; the arrival hash in results.json makes any drift visible. */
    double u = vio_rng_uniform(rng);
    double v = -portable_log(1.0 - u) * mean_ps;
    return (uint64_t)llround(v);
}
