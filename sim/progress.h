/* Progress on stderr: a bar redrawn in place on a terminal, a plain line every
 * few seconds otherwise, nothing when off. Wall-clock only: it never touches
 * results. */
#ifndef VIOSIM_SIM_PROGRESS_H
#define VIOSIM_SIM_PROGRESS_H

#include <stdint.h>

typedef struct progress {
    const char *what;   /* "sweep ddio-ring", "run default" */
    const char *unit;   /* "runs", "variants" */
    uint64_t total;
    int mode;           /* 0 off, 1 terminal bar, 2 plain lines */
    double start, last, delay; /* nothing is shown before `delay` seconds */
    int shown;
    /* Set by the caller before progress_update, both optional: the share of the
     * units in progress already done (0..units running), for the bar and the
     * remaining time, and a detail appended to the line ("posted 40 %..."). */
    double partial;
    char detail[256];
} progress;

/* mode from the options: --quiet or --no-progress: off; a terminal on stderr:
 * the bar; else plain lines. */
void progress_start(progress *p, const char *what, const char *unit, uint64_t total, int quiet, int force,
                    double delay);
void progress_update(progress *p, uint64_t done);
/* Clears the bar (a terminal) so the next output starts on a clean line. */
void progress_end(progress *p);

#endif
