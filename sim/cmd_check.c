/* `viosim check` and `viosim list`. */
#include "cli.h"
#include "summary.h"

#include <stdlib.h>

int cmd_check(cli_opts *o)
{
    if (o->npositional == 0)
        return cli_fail(EXIT_BAD_INPUT, "check needs a scenario file (see viosim check --help)");
    vio_err err = {{0}};
    vio_scenario *s = NULL;
    int rc = cli_load(o->positional[0], o->sets, o->nsets, &s, &err);
    if (rc != VIO_OK)
        return cli_fail(cli_exit_for(rc), "%s", err.msg);
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
    free(text);
    json_decref(j);
    vio_scenario_destroy(s);
    return 0;
}

int cmd_list(cli_opts *o) { return vio_print_list(stdout, o->markdown); }
