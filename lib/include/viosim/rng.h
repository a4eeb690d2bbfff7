/* Seeded random streams. Each component draws from its own stream derived from
 * (scenario seed, stream id), so adding a draw in one model never shifts another's
 * sequence and results do not depend on scheduling (the ROSS lesson). */
#ifndef VIOSIM_RNG_H
#define VIOSIM_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vio_rng {
    uint64_t s[4]; /* xoshiro256** state; plain struct so it can live inside models */
} vio_rng;

void vio_rng_seed(vio_rng *rng, uint64_t seed, uint64_t stream);
uint64_t vio_rng_next(vio_rng *rng);
/* Uniform in [0, 1) with 53 random bits. */
double vio_rng_uniform(vio_rng *rng);
/* Uniform integer in [0, n) without modulo bias; n > 0. */
uint64_t vio_rng_below(vio_rng *rng, uint64_t n);
/* Exponential inter-arrival with the given mean in picoseconds, rounded to integral ps. */
uint64_t vio_rng_exp_ps(vio_rng *rng, double mean_ps);

#ifdef __cplusplus
}
#endif
#endif
