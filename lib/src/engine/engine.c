/* SimGrid glue: thin actor loops around the plain-C datapath (see engine.h).
 *
 * One actor per agent, and a baton: exactly one actor runs at a time. It asks
 * the datapath for the earliest (time, agent) and, while that is itself, handles
 * the event; otherwise it passes the baton (E.holder) to the agent named, resumes
 * that actor and suspends itself until the baton is back. The order of events is
 * the datapath's agenda, so it is the sequential loop's by construction; SimGrid
 * is told nothing of time but through sleeps that keep its clock within one
 * quantum of the model's.
 *
 * Why suspend/resume and not a semaphore per actor: a hand-over is the engine's
 * whole cost on a light model (the reduced pipeline: about 2.7 per packet), and
 * a semaphore acquisition allocates and registers an activity in the SimGrid
 * kernel, where a suspension only flags the actor. A resume that reaches an actor
 * not suspended yet (it is later in the same scheduling round) is lost, which the
 * baton makes harmless: an actor suspends only while the baton is not its own,
 * and checks again whenever it runs. */
#include "viosim/engine.h"

#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One engine per process (SimGrid is a singleton), so its state is static. */
static struct {
    vio_datapath *dp;
    uint32_t n;
    sg_actor_t *actor;
    uint8_t *gone;   /* the agent's actor has returned (SimGrid frees it) */
    uint32_t holder; /* the agent whose actor may run the model */
    uint64_t steps, calls;
    vio_ps quantum, max_lag, clock; /* clock: SimGrid's, read after each sleep */
    int over, used;
} E;

static double ps_to_s(vio_ps t) { return (double)t * 1e-12; }

/* SimGrid's clock in picoseconds, rounded down (it is a double of seconds). */
static vio_ps clock_ps(void)
{
    double s = simgrid_get_clock() * 1e12;
    return s <= 0 ? 0 : (vio_ps)s;
}

/* Bring SimGrid's clock to model time t when it lags by more than a quantum:
 * one SimGrid call per quantum of simulated time at most, not one per event. */
static void follow(vio_ps t)
{
    vio_ps c = E.clock; /* SimGrid's clock moves only in these sleeps (no other timed activity) */
    if (t > c && t - c > E.quantum) {
        E.calls++;
        sg_actor_sleep_until(ps_to_s(t));
        c = E.clock = clock_ps();
    }
    if (t > c && t - c > E.max_lag)
        E.max_lag = t - c;
}

/* The run is over (no event left, or the model broke): wake every other actor
 * so it can return, after bringing the clock to the end of the model's work. */
static void finish(uint32_t self)
{
    E.over = 1;
    vio_ps end = vio_datapath_end(E.dp);
    if (ps_to_s(end) > simgrid_get_clock()) {
        E.calls++;
        sg_actor_sleep_until(ps_to_s(end));
    }
    /* No actor suspends once the run is over; the yield lets SimGrid handle the
     * suspensions issued before, so that every other actor is then suspended
     * (resume it), or about to run and see the end itself, or gone: a resume
     * must not reach an actor that has ended (SimGrid has freed it). */
    E.calls++;
    sg_actor_yield();
    for (uint32_t j = 0; j < E.n; j++)
        if (j != self && !E.gone[j] && sg_actor_is_suspended(E.actor[j])) {
            E.calls++;
            sg_actor_resume(E.actor[j]);
        }
}

/* Wait until the baton is this agent's (or the run is over). */
static void wait_baton(uint32_t a)
{
    while (E.holder != a && !E.over) {
        E.calls++;
        sg_actor_suspend(E.actor[a]);
    }
}

static void agent_main(int argc, char **argv)
{
    (void)argc;
    uint32_t a = (uint32_t)strtoul(argv[1], NULL, 10);
    wait_baton(a);
    while (!E.over) {
        vio_ps t;
        uint32_t b = vio_datapath_first(E.dp, &t);
        if (b == UINT32_MAX) {
            finish(a);
            break;
        }
        if (b != a) {
            /* Hand over to the agent with the earliest event, and wait for the baton. */
            E.holder = b;
            E.calls++;
            sg_actor_resume(E.actor[b]);
            wait_baton(a);
            continue;
        }
        follow(t);
        vio_datapath_step(E.dp, a, t);
        E.steps++;
    }
    E.gone[a] = 1;
}

/* SimGrid 3.32 has no C call to build a platform: write a small one. Hosts need
 * no links, since actors talk through shared model state, not messages. */
static int write_platform(const vio_datapath *dp, char *path, size_t len, vio_err *err)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, len, "%s/viosim-platform-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return vio_err_set(err, VIO_EIO, "%s: cannot create the SimGrid platform file: %s", path, strerror(errno));
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(path);
        return vio_err_set(err, VIO_EIO, "%s: cannot write: %s", path, strerror(errno));
    }
    fprintf(f, "<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
               "<platform version=\"4.1\">\n<zone id=\"server\" routing=\"Full\">\n"
               "  <host id=\"nic\" speed=\"1Gf\"/>\n");
    uint32_t cores = 0;
    for (uint32_t a = 1; a < vio_datapath_agents(dp); a++) {
        uint32_t c = vio_datapath_agent_core(dp, a);
        if (c + 1 > cores)
            cores = c + 1;
    }
    for (uint32_t c = 0; c < cores; c++)
        fprintf(f, "  <host id=\"core%u\" speed=\"1Gf\"/>\n", c);
    fprintf(f, "</zone>\n</platform>\n");
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        unlink(path);
        return vio_err_set(err, VIO_EIO, "%s: cannot write the SimGrid platform file", path);
    }
    return VIO_OK;
}

int vio_engine_run(vio_datapath *dp, const vio_engine_opts *opts, vio_engine_stats *st, vio_err *err)
{
    if (E.used)
        return vio_err_set(err, VIO_ERUN, "engine: SimGrid can run once per process (run variants in children)");
    E.used = 1;
    memset(st, 0, sizeof *st);
    E.dp = dp;
    E.n = vio_datapath_agents(dp);
    E.clock = 0;
    E.quantum = opts && opts->clock_quantum_ps ? opts->clock_quantum_ps : VIO_ENGINE_QUANTUM_PS;
    E.actor = calloc(E.n, sizeof *E.actor);
    E.gone = calloc(E.n, 1);
    char platform[512];
    int rc = E.actor && E.gone ? VIO_OK : vio_err_set(err, VIO_ENOMEM, "engine: out of memory");
    if (rc == VIO_OK)
        rc = write_platform(dp, platform, sizeof platform, err);
    if (rc != VIO_OK) {
        free(E.actor);
        free(E.gone);
        return rc;
    }

    char factory[64];
    snprintf(factory, sizeof factory, "--cfg=contexts/factory:%s", opts && opts->contexts ? opts->contexts : "raw");
    char *argv[] = {"viosim", factory, "--cfg=surf/precision:1e-12", "--cfg=contexts/stack-size:256",
                    (opts && opts->log) ? "--log=root.thres:info" : "--log=root.thres:critical", NULL};
    int argc = 5;
    simgrid_init(&argc, argv);
    simgrid_load_platform(platform);
    unlink(platform);

    /* The first holder of the baton: whoever holds the earliest event (any actor
     * would do, as it hands over at once; this saves the hand-over). */
    vio_ps t0;
    uint32_t first = vio_datapath_first(dp, &t0);
    E.holder = first == UINT32_MAX ? 0 : first;
    for (uint32_t a = 0; a < E.n; a++) {
        char name[32], index[16], host[32];
        vio_datapath_agent_name(dp, a, name, sizeof name);
        snprintf(index, sizeof index, "%u", a);
        uint32_t core = vio_datapath_agent_core(dp, a);
        if (core == UINT32_MAX)
            snprintf(host, sizeof host, "nic");
        else
            snprintf(host, sizeof host, "core%u", core);
        const char *args[] = {name, index};
        E.actor[a] = sg_actor_create_(name, sg_host_by_name(host), agent_main, 2, args);
    }
    simgrid_run();
    st->steps = E.steps;
    st->simgrid_calls = E.calls;
    st->sim_seconds = simgrid_get_clock();
    st->max_clock_lag_ps = E.max_lag;
    st->clock_quantum_ps = E.quantum;
    rc = vio_datapath_check_finished(dp, err);
    free(E.actor);
    free(E.gone);
    return rc;
}
