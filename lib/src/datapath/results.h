/* The results object of one variant (the results.json contract), for the runner.
 * Internal: the public datapath header does not depend on jansson. */
#ifndef VIOSIM_DP_RESULTS_H
#define VIOSIM_DP_RESULTS_H

#include "viosim/datapath.h"
#include "viosim/stats.h"

#include <jansson.h>

/* Close the occupancy integral at the end of the run (dp_occupancy.c), before
 * the results; idempotent. */
void vio__dp_occ_finish(vio_datapath *dp);
/* A new reference. */
json_t *vio__datapath_results(const vio_datapath *dp);
/* The registered statistics as one tree (dp_stats.c). A new reference. */
json_t *vio__stats_json(const vio_stats *st);

#endif
