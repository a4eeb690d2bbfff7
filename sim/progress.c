#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void clock_text(char *buf, size_t len, double s)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
}

void progress_start(progress *p, const char *what, const char *unit, uint64_t total, int quiet, int force,
                    double delay)
{
    *p = (progress){.what = what, .unit = unit, .total = total, .delay = delay};
    if (quiet || force < 0)
        p->mode = 0;
    else if (isatty(STDERR_FILENO))
        p->mode = 1;
    else
        p->mode = 2;
    p->start = p->last = now_s();
}

void progress_update(progress *p, uint64_t done)
{
    if (!p->mode)
        return;
    double t = now_s(), el = t - p->start;
    if (el < p->delay && done < p->total)
        return;
    /* A terminal redraws at most 5 times a second; plain lines come every 10 s, and at the end. */
    double every = p->mode == 1 ? 0.2 : 10.0;
    if (t - p->last < every && done < p->total && p->shown)
        return;
    if (p->mode == 2 && done == p->total && !p->shown && el < p->delay)
        return;
    p->last = t;
    p->shown = 1;
    char e[32], r[32] = "?";
    clock_text(e, sizeof e, el);
    double part = done < p->total ? p->partial : 0, got = (double)done + part;
    if (got > 0)
        clock_text(r, sizeof r, el / got * ((double)p->total - got));
    const char *sep = p->detail[0] && done < p->total ? "; " : "";
    const char *detail = *sep ? p->detail : "";
    if (p->mode == 1) {
        char bar[31];
        size_t fill = p->total ? (size_t)(30 * got / (double)p->total) : 30;
        for (size_t i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r\033[K%s [%s] %llu/%llu %s, elapsed %s, remaining %s%s%s", p->what, bar,
                (unsigned long long)done, (unsigned long long)p->total, p->unit, e, r, sep, detail);
    } else {
        fprintf(stderr, "%s: %llu/%llu %s done, elapsed %s, remaining %s%s%s\n", p->what, (unsigned long long)done,
                (unsigned long long)p->total, p->unit, e, r, sep, detail);
    }
    fflush(stderr);
}

void progress_end(progress *p)
{
    if (p->mode == 1 && p->shown)
        fputs("\r\033[K", stderr);
    fflush(stderr);
}
