/* Sensitivity of a comparison to the parameters nobody measured: every cost
 * parameter (unit cycles or ns) whose source in the parameter table is marked
 * "estimate" is run at its value divided and multiplied by a factor, one at a
 * time, and the difference of each variant from the base variant is reported
 * for both runs. The parameters whose swing is largest are the ones that decide
 * whether a strategy pays. */
#ifndef VIOSIM_SENSITIVITY_H
#define VIOSIM_SENSITIVITY_H

#include "viosim/run.h"

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vio_sens_opts {
    double factor;        /* > 1: each estimate at value / factor and value * factor (2 when 0) */
    const char *metric;   /* per-variant results path (default "latency_ns.mean") */
    const char *base;     /* variant the others are compared with (default: the first) */
    vio_run_opts run;     /* how each scenario is run */
} vio_sens_opts;

/* Load `path` (NULL: the embedded default scenario) with `sets`, then run it
 * once as given and twice per estimate. *out (schema viosim-sensitivity/1):
 * {"factor", "metric", "base", "variants": [names], "reference": {variant: diff %},
 *  "parameters": [{"path", "value", "low", "high", "source",
 *                  "low_diff": {variant: %}, "high_diff": {variant: %}, "swing": max |high-low|}]}
 * parameters sorted by swing, largest first; diff % = 100 (m_variant - m_base) / m_base.
 * Parameters whose value is 0 cannot be scaled and are listed under "skipped". */
int vio_sensitivity(const char *path, const char *const *sets, size_t nsets, const vio_sens_opts *opts,
                    json_t **out, vio_err *err);

/* The document as a Markdown table: one row per parameter, one column pair per variant. */
char *vio_sensitivity_markdown(const json_t *doc);

#ifdef __cplusplus
}
#endif
#endif
