/* The results object of one variant (the results.json contract), for the runner.
 * Internal: the public datapath header does not depend on jansson. */
#ifndef VIOSIM_DP_RESULTS_H
#define VIOSIM_DP_RESULTS_H

#include "viosim/datapath.h"
#include "viosim/stats.h"

#include <jansson.h>

/* A new reference. */
json_t *vio__datapath_results(const vio_datapath *dp);
/* The registered statistics as one tree (dp_stats.c). A new reference. */
json_t *vio__stats_json(const vio_stats *st);

#endif
