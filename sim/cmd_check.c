/* `viosim check` and `viosim list`. */
#include "cli.h"
#include "summary.h"

#include "viosim/estimate.h"

#include <stdlib.h>
#include <string.h>

int cmd_check(cli_opts *o)
{
    if (o->npositional == 0)
        return cli_fail(EXIT_BAD_INPUT, "check needs a scenario file (see viosim check --help)");
    vio_err err = {{0}};
    vio_scenario *s = NULL;
    int rc = cli_load(o->positional[0], o->sets, o->nsets, &s, &err);
    if (rc != VIO_OK)
        return cli_fail(cli_exit_for(rc), "%s", err.msg);
    for (size_t i = 0; i < o->nvariants; i++)
        if (vio_scenario_variant_by_name(s, o->variants[i]) < 0) {
            char esc[128];
            cli_fail(EXIT_BAD_INPUT, "--variant %s: %s has no variant of that name",
                     vio_escape(esc, sizeof esc, o->variants[i], strlen(o->variants[i])), s->source);
            vio_scenario_destroy(s);
            return EXIT_BAD_INPUT;
        }
    json_t *j = json_loads(s->canonical_json, 0, NULL);
    char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    if (!text) {
        json_decref(j);
        vio_scenario_destroy(s);
        return cli_fail(EXIT_RUN_FAILED, "out of memory");
    }
    /* stdout carries the canonical JSON alone, so `viosim check x.json > canon.json` is a scenario. */
    printf("%s\n", text);
    fprintf(stderr, "%s: ok (%u VMs, %u flows, %u variants)\n", s->source, s->nvms, s->traffic.nflows, s->nvariants);
    /* What each variant will cost, before anyone runs it. */
    for (uint32_t v = 0; v < s->nvariants; v++) {
        vio_estimate e;
        vio_estimate_variant(s, v, &e);
        fprintf(stderr,
                "  %s: estimated memory %.1f MiB (largest %s: %.1f MiB for %s), at most %llu events, arrivals "
                "over %.3g s of simulated time\n",
                s->variants[v].name, e.bytes / 1048576.0, e.largest, e.largest_bytes / 1048576.0, e.why,
                (unsigned long long)e.events, e.arrival_s);
    }
    free(text);
    json_decref(j);
    vio_scenario_destroy(s);
    return 0;
}

int cmd_list(cli_opts *o) { return vio_print_list(stdout, o->markdown); }
