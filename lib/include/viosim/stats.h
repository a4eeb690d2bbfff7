/* Statistics registered by name (the gem5 / Ramulator pattern).
 *
 * A model keeps its counters where the cost occurs, as plain uint64_t fields it
 * bumps (no lookup, no indirection on the hot path). Once, when the simulation
 * is built, each counter (or histogram) is registered in a vio_stats registry
 * under a hierarchical dot name, "memsys.llc.cpu_read.hits", with a one-line
 * help; the registry keeps a pointer to it. At the end, the results layer dumps
 * the registry as one tree (datapath/dp_stats.c: one JSON object per name
 * component, in registration order), reading each value through its pointer.
 *
 * The registered storage must outlive the registry's last read. Plain C: no
 * SimGrid, no jansson (part of viosim_models). */
#ifndef VIOSIM_STATS_H
#define VIOSIM_STATS_H

#include "viosim/hist.h"
#include "viosim/viosim.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vio_stats vio_stats;

enum vio_stat_kind { VIO_STAT_COUNTER = 0, VIO_STAT_HIST };

typedef struct vio_stat {
    const char *name; /* "memsys.llc.cpu_read.hits" */
    const char *help; /* one line (static storage) */
    enum vio_stat_kind kind;
    const uint64_t *counter; /* VIO_STAT_COUNTER */
    const vio_hist *hist;    /* VIO_STAT_HIST (picoseconds) */
} vio_stat;

int vio_stats_create(vio_stats **out, vio_err *err);
void vio_stats_destroy(vio_stats *st);

/* Register `value` under `name` (components of [A-Za-z0-9_], separated by
 * dots; printf-style). A name may be neither registered twice nor both a
 * statistic and the prefix of another: VIO_EINVAL naming it. `help` must be
 * static. */
int vio_stats_counter(vio_stats *st, const uint64_t *value, const char *help, vio_err *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
int vio_stats_hist(vio_stats *st, const vio_hist *h, const char *help, vio_err *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* The registered statistics, in registration order. */
size_t vio_stats_count(const vio_stats *st);
const vio_stat *vio_stats_at(const vio_stats *st, size_t i);
/* The statistic called `name`, or NULL (a linear search: for tests and tools,
 * never per event). */
const vio_stat *vio_stats_find(const vio_stats *st, const char *name);

#ifdef __cplusplus
}
#endif
#endif
