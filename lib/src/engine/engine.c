/* SimGrid glue: thin actor loops around the plain-C datapath (see engine.h). */
#include "viosim/engine.h"

#include "util/agenda.h"

#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/semaphore.h>
#include <xbt/config.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One engine per process (SimGrid is a singleton), so its state is static. */
static struct {
    vio_datapath *dp;
    uint32_t n;
    vio__agenda pub;    /* each agent's next event time, kept current by touch() */
    vio_ps *deadline;   /* while waiting: when its timed wait ends (NEVER: no timeout) */
    int *waiting, *finished;
    sg_sem_t *sem;
    uint64_t steps, calls;
    uint32_t idle, nfinished; /* actors waiting with nothing to do / done: O(1) deadlock test */
    vio_ps last_t;      /* time of the last event handled: it never decreases */
    int failed, used;
    vio_err *err;
} E;

static double ps_to_s(vio_ps t) { return (double)t * 1e-12; }

/* 10 ps: above surf/precision (1 ps), so SimGrid keeps it as a real timeout. */
#define MIN_WAIT_S 1e-11

/* Is `a` first in (time, agent index) order? Its own entry is current. */
static int earliest(uint32_t a) { return vio__agenda_first(&E.pub) == a; }

/* Mark j as no longer waiting, keeping the count of actors idle for good. */
static void stop_waiting(uint32_t j)
{
    if (E.waiting[j] && E.deadline[j] == VIO_PS_NEVER)
        E.idle--;
    E.waiting[j] = 0;
}

static void wake(uint32_t j)
{
    if (!E.waiting[j])
        return;
    stop_waiting(j);
    E.calls++;
    sg_sem_release(E.sem[j]);
}

/* A step changed agent j's state: refresh its next event, and if that is now
 * earlier than the time it is waiting for, wake it so it can re-arm. */
static void touch(void *ctx, uint32_t j)
{
    (void)ctx;
    if (E.finished[j])
        return;
    vio__agenda_set(&E.pub, j, vio_datapath_next(E.dp, j));
    if (E.waiting[j] && vio__agenda_key(&E.pub, j) < E.deadline[j])
        wake(j);
}

/* Every other actor is finished or waits with nothing to do (a is running). */
static int all_others_stuck(uint32_t a)
{
    (void)a;
    return E.idle + E.nfinished == E.n - 1;
}

static void agent_main(int argc, char **argv)
{
    (void)argc;
    uint32_t a = (uint32_t)strtoul(argv[1], NULL, 10);
    while (!E.failed) {
        if (vio_datapath_done(E.dp, a)) {
            E.finished[a] = 1;
            E.nfinished++;
            vio__agenda_set(&E.pub, a, VIO_PS_NEVER);
            /* Others may be waiting on our completion to finish themselves. */
            for (uint32_t j = 0; j < E.n; j++)
                touch(NULL, j);
            for (uint32_t j = 0; j < E.n; j++)
                if (!E.finished[j])
                    wake(j);
            return;
        }
        vio_ps t = vio_datapath_next(E.dp, a);
        vio__agenda_set(&E.pub, a, t);
        if (t != VIO_PS_NEVER && earliest(a)) {
            if (t < E.last_t) {
                char name[32];
                E.failed = vio_err_set(E.err, VIO_ERUN, "causality violated: %s has an event at %llu ps, before %llu ps",
                                       vio_datapath_agent_name(E.dp, a, name, sizeof name), (unsigned long long)t,
                                       (unsigned long long)E.last_t);
                for (uint32_t j = 0; j < E.n; j++)
                    wake(j);
                return;
            }
            E.last_t = t;
            vio_datapath_step(E.dp, a, t);
            E.steps++;
            continue;
        }
        if (t == VIO_PS_NEVER && all_others_stuck(a)) {
            char name[32];
            E.failed = vio_err_set(E.err, VIO_ERUN, "deadlock: %s and every other actor wait with nothing to do",
                                   vio_datapath_agent_name(E.dp, a, name, sizeof name));
            for (uint32_t j = 0; j < E.n; j++)
                wake(j);
            return;
        }
        E.waiting[a] = 1;
        E.deadline[a] = t;
        E.idle += t == VIO_PS_NEVER;
        E.calls++;
        if (t == VIO_PS_NEVER) {
            sg_sem_acquire(E.sem[a]);
        } else {
            double now_s = simgrid_get_clock();
            double dt = ps_to_s(t) - now_s;
            /* Late in a long run the clock's own resolution exceeds 10 ps: wait at
             * least a few of its units, or the timeout would round to nothing. */
            double floor_s = 4.0 * (nextafter(now_s, INFINITY) - now_s);
            if (dt < floor_s)
                dt = floor_s;
            /* A wait is only a hint of when to look again: the order of events is
             * decided by pub[], so a rounded timeout cannot reorder them. A timeout
             * of zero must not be passed (SimGrid then never wakes the actor), so
             * an event that is already due waits the smallest step SimGrid keeps. */
            (void)sg_sem_acquire_timeout(E.sem[a], dt > MIN_WAIT_S ? dt : MIN_WAIT_S);
        }
        stop_waiting(a);
    }
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
    E.err = err;
    E.n = vio_datapath_agents(dp);
    E.deadline = calloc(E.n, sizeof *E.deadline);
    E.waiting = calloc(E.n, sizeof *E.waiting);
    E.finished = calloc(E.n, sizeof *E.finished);
    E.sem = calloc(E.n, sizeof *E.sem);
    char platform[512];
    int rc = (vio__agenda_init(&E.pub, E.n) == 0 && E.deadline && E.waiting && E.finished && E.sem)
                 ? VIO_OK
                 : vio_err_set(err, VIO_ENOMEM, "engine: out of memory");
    if (rc == VIO_OK)
        rc = write_platform(dp, platform, sizeof platform, err);
    if (rc != VIO_OK)
        goto out;

    char factory[64];
    snprintf(factory, sizeof factory, "--cfg=contexts/factory:%s", opts && opts->contexts ? opts->contexts : "raw");
    char *argv[] = {"viosim", factory, "--cfg=surf/precision:1e-12", "--cfg=contexts/stack-size:256",
                    (opts && opts->log) ? "--log=root.thres:info" : "--log=root.thres:critical", NULL};
    int argc = 5;
    simgrid_init(&argc, argv);
    simgrid_load_platform(platform);
    unlink(platform);

    vio_datapath_set_touch(dp, touch, NULL);
    for (uint32_t a = 0; a < E.n; a++) {
        vio__agenda_set(&E.pub, a, vio_datapath_next(dp, a));
        E.sem[a] = sg_sem_init(0);
    }
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
        sg_actor_create_(name, sg_host_by_name(host), agent_main, 2, args);
    }
    simgrid_run();
    vio_datapath_set_touch(dp, NULL, NULL);
    st->steps = E.steps;
    st->simgrid_calls = E.calls;
    st->sim_seconds = simgrid_get_clock();
    rc = E.failed ? E.failed : vio_datapath_check_finished(dp, err);
    for (uint32_t a = 0; a < E.n; a++)
        if (E.sem[a])
            sg_sem_destroy(E.sem[a]);
out:
    vio__agenda_free(&E.pub);
    free(E.deadline);
    free(E.waiting);
    free(E.finished);
    free(E.sem);
    return rc;
}
