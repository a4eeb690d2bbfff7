/* Golden results, as SimGrid's .tesh files: a shipped scenario run short
 * (traffic.packets = 2000) must give exactly the results stored beside the
 * tests, under either engine. What depends on the build (tool.version,
 * tool.git) or names the engine (variants[].engine) is left out, and so is
 * scenario.resolved (its hash, scenario.sha256, is kept).
 *
 * usage: golden SCENARIO GOLDEN_FILE simgrid|sequential [--write]
 * `--write` regenerates GOLDEN_FILE (`make golden`); otherwise the run is
 * compared with it and the first differing lines are printed. */
#include "viosim/run.h"
#include "viosim/scenario.h"

#include "read_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Short enough for `make test` under ASan, long enough to fill rings and caches.
 * A scenario's warm-up keeps its share of the packets (traffic.warmup_packets
 * scaled to the 2000). */
#define GOLDEN_PACKETS 2000ull

static void strip(json_t *doc)
{
    json_object_del(doc, "tool");
    /* The resolved scenario is fixed by scenario.sha256, which stays. */
    json_object_del(json_object_get(doc, "scenario"), "resolved");
    json_t *vars = json_object_get(doc, "variants");
    for (size_t i = 0; i < json_array_size(vars); i++)
        json_object_del(json_array_get(vars, i), "engine");
}

/* Print the first few lines that differ, with their line numbers. */
static void show_diff(const char *want, const char *got)
{
    int line = 1, shown = 0;
    while ((*want || *got) && shown < 6) {
        size_t nw = strcspn(want, "\n"), ng = strcspn(got, "\n");
        if (nw != ng || strncmp(want, got, nw) != 0) {
            fprintf(stderr, "line %d:\n  golden: %.*s\n  now:    %.*s\n", line, (int)nw, want, (int)ng, got);
            shown++;
        }
        want += nw + (want[nw] ? 1 : 0);
        got += ng + (got[ng] ? 1 : 0);
        line++;
    }
}

int main(int argc, char **argv)
{
    if (argc < 4 || (strcmp(argv[3], "simgrid") && strcmp(argv[3], "sequential"))) {
        fprintf(stderr, "usage: golden SCENARIO GOLDEN_FILE simgrid|sequential [--write]\n");
        return 2;
    }
    int write = argc > 4 && !strcmp(argv[4], "--write");
    vio_err err = {{0}};
    vio_scenario *s = NULL;
    char warm[64] = "";
    if (vio_scenario_load_file(argv[1], NULL, 0, &s, &err) == VIO_OK && s->traffic.warmup_packets > 0)
        snprintf(warm, sizeof warm, "traffic.warmup_packets=%llu",
                 (unsigned long long)(s->traffic.warmup_packets * GOLDEN_PACKETS / s->traffic.packets));
    vio_scenario_destroy(s);
    s = NULL;
    char packets[64];
    snprintf(packets, sizeof packets, "traffic.packets=%llu", GOLDEN_PACKETS);
    const char *const sets[] = {packets, warm};
    if (vio_scenario_load_file(argv[1], sets, warm[0] ? 2 : 1, &s, &err) != VIO_OK) {
        fprintf(stderr, "golden: %s\n", err.msg);
        return 1;
    }
    vio_run_opts opts = {.jobs = 2,
                         .engine = strcmp(argv[3], "sequential") ? VIO_ENGINE_SIMGRID : VIO_ENGINE_SEQUENTIAL,
                         .contexts = getenv("VIOSIM_CONTEXTS")};
    json_t *doc = NULL;
    int rc = vio_run(s, -1, &opts, &doc, NULL, &err);
    vio_scenario_destroy(s);
    if (rc != VIO_OK) {
        fprintf(stderr, "golden: %s\n", err.msg);
        return 1;
    }
    strip(doc);
    int status = 0;
    if (write) {
        if (vio_write_json_atomic(doc, argv[2], &err) != VIO_OK) {
            fprintf(stderr, "golden: %s\n", err.msg);
            status = 1;
        }
    } else {
        /* The same text vio_write_json_atomic writes. */
        char *got = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
        char *want = vio_test_read_file_len(argv[2], NULL);
        if (!want) {
            fprintf(stderr, "golden: %s: cannot read (make golden creates it)\n", argv[2]);
            status = 1;
        } else {
            size_t n = strlen(want);
            if (n && want[n - 1] == '\n')
                want[n - 1] = '\0';
            if (strcmp(want, got) != 0) {
                fprintf(stderr, "golden: %s under the %s engine differs from %s (if the change is deliberate: "
                                "make golden, and say why in the commit)\n",
                        argv[1], argv[3], argv[2]);
                show_diff(want, got);
                status = 1;
            }
        }
        free(want);
        free(got);
    }
    json_decref(doc);
    return status;
}
