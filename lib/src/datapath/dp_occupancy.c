/* The time-average number of packets in the system, kept by the event clock, so
 * that Little's law (L = lambda W) can be checked against the latencies rather
 * than derived from them.
 *
 * What is counted: every measured (packet, consumer) copy, from the instant the
 * NIC accepts it into a receive descriptor (its arrival event, the NIC step at
 * the packet's last bit: the latency origin) until it leaves the system: the end
 * of its consumer's processing (the latency end, dp_guest.c) or the host dropping
 * it on a full guest or shared ring (strategies/copy.c, dp_host.c). Packets the
 * NIC refuses (ring full, IOMMU fault, policer) never enter. Warm-up packets
 * (traffic.warmup_packets) are not counted, as they are in neither the
 * throughput nor the latencies; those still in flight after the warm-up are
 * therefore invisible to it too.
 *
 * The interval: from the first measured arrival (no measured packet is in the
 * system before it) to the end of the throughput's span (dp->last_done, the end
 * of the last consumer step), the same span `throughput` divides by. Whatever is
 * still in the system at its end is reported (occupancy.in_system_at_end) and
 * counts only up to the end, so a departure that never happens, or happens past
 * the span, shows as a mismatch against lambda W instead of vanishing.
 *
 * How: N(t) per consumer changes only at events. An arrival is applied when the
 * NIC steps; a departure is known earlier than it happens (a stage computes when
 * it will have finished with a packet), so it is queued in a min-heap of
 * (time, consumer) and applied when the clock passes it: before every arrival,
 * and at the end. The integral of N(t) dt is accumulated exactly in integer
 * ps x packets (128 bits). Nothing here reads a packet's timestamps except a
 * drop's sojourn, reported apart (the latencies cover delivered packets only). */
#include "datapath/dp_internal.h"
#include "datapath/results.h"

#include <math.h>
#include <stdlib.h>

static void add128(uint64_t *hi, uint64_t *lo, uint64_t a, uint64_t b)
{
    /* a * b for a, b < 2^64, added to (hi, lo): split in 32-bit halves */
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    uint64_t plo = (p00 & 0xffffffffu) | (mid << 32);
    uint64_t phi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    uint64_t l = *lo + plo;
    *hi += phi + (l < *lo);
    *lo = l;
}

/* Advance one integral (a consumer's or the total's) to t. */
static void integrate(dp_occ *o, vio_ps t)
{
    if (t > o->last) {
        if (o->n)
            add128(&o->area_hi, &o->area_lo, o->n, t - o->last);
        o->last = t;
    }
    o->packet_ps = o->area_hi ? UINT64_MAX : o->area_lo;
}

static int dep_less(const dp_occ_dep *a, const dp_occ_dep *b) { return a->t < b->t || (a->t == b->t && a->vm < b->vm); }

static void retire(vio_datapath *dp, vio_ps upto)
{
    dp_occ *total = &dp->occ[dp->s->nvms];
    while (dp->ndep && dp->dep[0].t <= upto) {
        dp_occ_dep d = dp->dep[0];
        dp->dep[0] = dp->dep[--dp->ndep];
        for (uint32_t i = 0;;) { /* sift down */
            uint32_t l = 2 * i + 1, r = l + 1, m = i;
            if (l < dp->ndep && dep_less(&dp->dep[l], &dp->dep[m]))
                m = l;
            if (r < dp->ndep && dep_less(&dp->dep[r], &dp->dep[m]))
                m = r;
            if (m == i)
                break;
            dp_occ_dep x = dp->dep[i];
            dp->dep[i] = dp->dep[m];
            dp->dep[m] = x;
            i = m;
        }
        dp_occ *o = &dp->occ[d.vm];
        integrate(o, d.t);
        integrate(total, d.t);
        if (o->n == 0 || total->n == 0) { /* an invariant: a count never goes below zero */
            vio__dp_broken(dp, "occupancy: vm%u had a departure with no packet in the system", d.vm);
            continue;
        }
        o->n--;
        total->n--;
        o->departures++;
        total->departures++;
    }
}

void vio__dp_occ_arrive(vio_datapath *dp, uint32_t vm, vio_ps now)
{
    retire(dp, now);
    dp_occ *o = &dp->occ[vm], *total = &dp->occ[dp->s->nvms];
    integrate(o, now);
    integrate(total, now);
    o->n++;
    total->n++;
    o->arrivals++;
    total->arrivals++;
    if (o->n > o->max)
        o->max = o->n;
    if (total->n > total->max)
        total->max = total->n;
}

void vio__dp_occ_leave(vio_datapath *dp, uint32_t vm, vio_ps t, vio_ps dropped_sojourn, int dropped)
{
    if (t < dp->now) {
        vio__dp_broken(dp, "occupancy: vm%u departure at %llu ps, before the clock (%llu ps)", vm,
                       (unsigned long long)t, (unsigned long long)dp->now);
        return;
    }
    if (dropped) {
        dp->occ[vm].dropped++;
        dp->occ[dp->s->nvms].dropped++;
        dp->occ[vm].drop_sojourn_ps += dropped_sojourn;
        dp->occ[dp->s->nvms].drop_sojourn_ps += dropped_sojourn;
    }
    if (dp->ndep == dp->capdep) {
        uint32_t cap = dp->capdep ? 2 * dp->capdep : 256;
        dp_occ_dep *d = realloc(dp->dep, cap * sizeof *d);
        if (!d) {
            vio__dp_broken(dp, "occupancy: out of memory for %u pending departures", cap);
            return;
        }
        dp->dep = d;
        dp->capdep = cap;
    }
    uint32_t i = dp->ndep++;
    dp->dep[i] = (dp_occ_dep){.t = t, .vm = vm};
    while (i > 0) { /* sift up */
        uint32_t p = (i - 1) / 2;
        if (!dep_less(&dp->dep[i], &dp->dep[p]))
            break;
        dp_occ_dep x = dp->dep[i];
        dp->dep[i] = dp->dep[p];
        dp->dep[p] = x;
        i = p;
    }
}

void vio__dp_occ_finish(vio_datapath *dp)
{
    if (dp->occ_done)
        return;
    dp->occ_done = 1;
    vio_ps end = dp->last_done;
    retire(dp, end);
    for (uint32_t v = 0; v <= dp->s->nvms; v++) {
        dp_occ *o = &dp->occ[v];
        if (o->arrivals) { /* a consumer never reached has no interval of its own: it adds nothing */
            integrate(o, end);
            o->in_system_at_end = o->n;
        }
    }
}

double vio__dp_occ_area(const dp_occ *o) { return ldexp((double)o->area_hi, 64) + (double)o->area_lo; }
