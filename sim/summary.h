/* Human-readable output of the CLI: the side-by-side summary and `viosim list`. */
#ifndef VIOSIM_SIM_SUMMARY_H
#define VIOSIM_SIM_SUMMARY_H

#include "viosim/run.h"
#include "viosim/scenario.h"

#include <jansson.h>
#include <stdio.h>

/* `only`/`nonly`: the variants the document holds, as indices into s->variants (NULL: all). */
void vio_print_summary(FILE *out, const vio_scenario *s, const json_t *doc, const vio_run_perf *perf,
                       const uint32_t *only, uint32_t nonly);
int vio_print_list(FILE *out, int markdown);
/* The value at a dotted path of a results object ("cores.0.busy_ns"; numbers index arrays), or NULL. */
const json_t *cli_json_at(const json_t *o, const char *path);

#endif
