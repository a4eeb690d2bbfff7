/* The floor: the cheapest event loop a discrete-event simulator of this shape
 * can have. A binary min-heap of timed events, one pending event per agent (the
 * NIC, the host, each VM), ties broken by a sequence number as libuv's timer
 * heap does; handling an event does no model work, it only draws the agent's
 * next event time and pushes it back. viosim's time divided by this loop's time
 * for the same number of events and agents is the price of the model and engine
 * over a bare event queue. */
#include "bench.h"

#include <stdlib.h>
#include <time.h>

typedef struct floor_ev {
    uint64_t t, seq;
    uint32_t agent;
} floor_ev;

static int before(const floor_ev *a, const floor_ev *b) { return a->t < b->t || (a->t == b->t && a->seq < b->seq); }

static void sift_up(floor_ev *h, size_t i)
{
    floor_ev e = h[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(&e, &h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = e;
}

static void sift_down(floor_ev *h, size_t n, size_t i)
{
    floor_ev e = h[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && before(&h[c + 1], &h[c]))
            c++;
        if (!before(&h[c], &e))
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = e;
}

/* xorshift64*: a cheap deterministic stand-in for "the model says when next". */
static uint64_t next_rand(uint64_t *x)
{
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 0x2545f4914f6cdd1dULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double bench_floor(uint64_t events, uint32_t agents, uint64_t *checksum)
{
    if (agents == 0)
        agents = 1;
    floor_ev *h = malloc((size_t)agents * sizeof *h);
    if (!h)
        return -1.0;
    double t0 = now_s();
    uint64_t rng = 0x9e3779b97f4a7c15ULL, seq = 0, sum = 0;
    for (uint32_t a = 0; a < agents; a++) {
        h[a] = (floor_ev){.t = next_rand(&rng) % 1000000u, .seq = seq++, .agent = a};
        sift_up(h, a);
    }
    for (uint64_t i = 0; i < events; i++) {
        floor_ev e = h[0];
        sum += e.t ^ e.agent;
        /* The agent's next event: 1 ps .. 1 us later, replacing the root in place. */
        h[0] = (floor_ev){.t = e.t + 1 + next_rand(&rng) % 1000000u, .seq = seq++, .agent = e.agent};
        sift_down(h, agents, 0);
    }
    double dt = now_s() - t0;
    free(h);
    *checksum = sum; /* kept by the caller so the loop cannot be optimised away */
    return dt;
}
