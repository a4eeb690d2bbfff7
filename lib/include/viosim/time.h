/* Integral simulated time. Everything in the models is picoseconds in 64 bits:
 * 2^63 ps is about 106 days, and one cycle at 5 GHz (200 ps) stays exact.
 * Floating point appears only at the SimGrid boundary and in reports.
 *
 * The maximum simulated duration is VIO_MAX_SIM_PS (1e17 ps = 100000 s, about
 * 27.8 hours). The loader rejects a scenario whose arrivals would span more
 * (or whose mean gap between two packets of one flow would), and a run stops
 * with an error at the first event past it. That leaves a margin of 90x below
 * 2^63 ps for every sum the models form: a single exponential gap is at most
 * ~37x its mean (-ln 2^-53), and no single step costs more than seconds. */
#ifndef VIOSIM_TIME_H
#define VIOSIM_TIME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t vio_ps;
#define VIO_PS_NEVER UINT64_MAX
#define VIO_PS_PER_NS 1000ULL
#define VIO_PS_PER_US 1000000ULL
#define VIO_PS_PER_S 1000000000000ULL
#define VIO_MAX_SIM_PS 100000000000000000ULL

/* Cycles at a clock of `mhz` to picoseconds, rounded to nearest. Exact for the
 * usual frequencies (1e6/mhz ps per cycle); the rounding is done once per product,
 * never accumulated. */
static inline vio_ps vio_cycles_to_ps(uint64_t cycles, uint32_t mhz)
{
    return (vio_ps)((cycles * 1000000ULL + mhz / 2) / mhz);
}

/* Time to move `bytes` over a link of `mbps` megabits per second, rounded up so
 * that a link is never faster than its rate. */
static inline vio_ps vio_bytes_to_ps(uint64_t bytes, uint64_t mbps)
{
    /* bytes*8 bits / (mbps*1e6 bit/s) = bytes*8e6/mbps ps */
    return (vio_ps)((bytes * 8000000ULL + mbps - 1) / mbps);
}

#ifdef __cplusplus
}
#endif
#endif
