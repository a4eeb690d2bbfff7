/* Using libviosim from C: load a scenario with overrides, run every variant,
 * read one metric per variant from the results document.
 *
 *   cc example.c $(pkg-config --cflags --libs viosim) -o example
 *   ./example scenarios/compare-delivery.json traffic.packets=5000
 *
 * Arguments after the scenario are extra "path=value" overrides, exactly as
 * `viosim run --set` takes them. See docs/api.md. */
#include <viosim/run.h>
#include <viosim/scenario.h>
#include <viosim/viosim.h>

#include <stdio.h>
#include <stdlib.h>

#define MAX_SETS 32

int main(int argc, char **argv)
{
    if (argc < 2 || argc - 1 > MAX_SETS) {
        fprintf(stderr, "usage: %s SCENARIO [PATH=VALUE]...\n", argv[0]);
        return 2;
    }

    /* 1. Overrides through `sets` (the preferred way): applied to the JSON in
     *    order, later ones win, then validated like the file itself, so they
     *    appear in the canonical scenario and in the results' scenario.sha256. */
    const char *sets[MAX_SETS] = {"traffic.load=0.5"};
    size_t nsets = 1;
    for (int i = 2; i < argc; i++)
        sets[nsets++] = argv[i];

    vio_scenario *s = NULL;
    vio_err err = {{0}};
    int rc = vio_scenario_load_file(argv[1], sets, nsets, &s, &err);
    if (rc != VIO_OK) {
        /* err.msg is one line: "FILE: json.path: what was expected". */
        fprintf(stderr, "example: %s\n", err.msg);
        return 2;
    }

    /* 2. Editing the loaded struct: its fields are public and vio_run reads them,
     *    which suits changes awkward to spell as sets (here: every VM at once).
     *    Nothing re-validates the value, so keep it inside the parameter's range,
     *    and note that s->canonical_json, and the scenario.sha256 the results
     *    carry, still describe the scenario as loaded, not as edited. */
    const vio_param *p = vio_params_find("vms[].process_cycles");
    uint32_t cycles = 800;
    if (p && cycles >= p->min && cycles <= p->max)
        for (uint32_t i = 0; i < s->nvms; i++)
            s->vms[i].process_cycles = cycles;

    /* 3. Run every variant (variant = -1), each in its own child process. */
    vio_run_opts opts = {
        .jobs = 2,
        .engine = VIO_ENGINE_SIMGRID,
        .contexts = getenv("VIOSIM_CONTEXTS"), /* "thread" under AddressSanitizer */
    };
    json_t *doc = NULL;
    rc = vio_run(s, -1, &opts, &doc, NULL, &err);
    if (rc != VIO_OK) {
        fprintf(stderr, "example: %s\n", err.msg);
        vio_scenario_destroy(s);
        return rc == VIO_EINVAL ? 2 : 1;
    }

    /* 4. Read the document: variants[] in scenario order, figures by name. */
    printf("scenario %s, seed %llu, %llu packets at load %g\n", s->name, (unsigned long long)s->seed,
           (unsigned long long)s->traffic.packets, s->traffic.load);
    const json_t *variants = json_object_get(doc, "variants");
    for (size_t i = 0; i < json_array_size(variants); i++) {
        const json_t *v = json_array_get(variants, i);
        const json_t *lat = json_object_get(v, "latency_ns");
        printf("%-12s mean latency %9.1f ns  p99 %9.1f ns  delivered %lld\n",
               json_string_value(json_object_get(v, "name")), json_number_value(json_object_get(lat, "mean")),
               json_number_value(json_object_get(lat, "p99")),
               (long long)json_integer_value(json_object_get(json_object_get(v, "packets"), "delivered")));
    }

    json_decref(doc);
    vio_scenario_destroy(s);
    return 0;
}
