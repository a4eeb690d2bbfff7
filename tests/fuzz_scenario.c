/* `make fuzz`: mutation fuzzing of the scenario loader (and --set paths) under
 * ASan + UBSan. Starts from the shipped scenarios, applies random byte edits,
 * splices and --set overrides, and checks the loader's contract on each input:
 * it never crashes or leaks, returns VIO_OK or VIO_EINVAL, and on error writes
 * exactly one line that starts with the source name.
 * usage: fuzz_scenario ITERATIONS [SEED] */
#include "viosim/rng.h"
#include "viosim/scenario.h"

#include "read_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *seeds[] = {"default.json", "compare-delivery.json", "multicast.json", "ddio-ring.json",
                              "pasid-isolation.json", "iotlb-pressure.json"};
static const char *tokens[] = {"{", "}", "[", "]", ",", ":", "\"", "0", "-1", "1e308", "4294967296", "true",
                               "null", "\"broadcast\"", "1.5", "\"x\"", "[]", "{}", "\"vms\"", "\"core\""};
static const char *set_paths[] = {"vms[0].core", "platform.llc.ways", "traffic.flows[0].dst", "variants[0].notify",
                                  "tenants[0].pasid", "host.budget", "vms[99].core", "seed", "platform", "a..b",
                                  "traffic.flows[-1].size", "iommu.iotlb_ways"};


int main(int argc, char **argv)
{
    long iterations = argc > 1 ? atol(argv[1]) : 10000;
    vio_rng rng;
    vio_rng_seed(&rng, argc > 2 ? strtoull(argv[2], NULL, 10) : 1, 0xf022);
    char *corpus[6];
    size_t lens[6];
    for (int i = 0; i < 6; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/scenarios/%s", VIOSIM_SOURCE_DIR, seeds[i]);
        corpus[i] = vio_test_read_file_len(path, &lens[i]);
        if (!corpus[i]) {
            fprintf(stderr, "fuzz: cannot read %s\n", path);
            return 2;
        }
    }
    long ok = 0, rejected = 0;
    for (long it = 0; it < iterations; it++) {
        int c = (int)vio_rng_below(&rng, 6);
        size_t n = lens[c];
        char *buf = malloc(n + 64 * 32 + 1);
        memcpy(buf, corpus[c], n);
        /* Half the inputs stay valid JSON and are bent through --set instead. */
        int edits = vio_rng_below(&rng, 2) ? 0 : 1 + (int)vio_rng_below(&rng, 4);
        for (int e = 0; e < edits && n > 0; e++) {
            size_t at = (size_t)vio_rng_below(&rng, n);
            switch (vio_rng_below(&rng, 3)) {
            case 0: /* replace a byte */
                buf[at] = (char)vio_rng_below(&rng, 256);
                break;
            case 1: /* delete a run */
            {
                size_t k = 1 + (size_t)vio_rng_below(&rng, 16);
                if (at + k > n)
                    k = n - at;
                memmove(buf + at, buf + at + k, n - at - k);
                n -= k;
                break;
            }
            default: /* insert a token */
            {
                const char *t = tokens[vio_rng_below(&rng, sizeof tokens / sizeof *tokens)];
                size_t k = strlen(t);
                memmove(buf + at + k, buf + at, n - at);
                memcpy(buf + at, t, k);
                n += k;
            }
            }
        }
        buf[n] = '\0';
        char set[128];
        const char *sets[1] = {set};
        size_t nsets = 0;
        if (edits == 0 || vio_rng_below(&rng, 2)) {
            snprintf(set, sizeof set, "%s=%s", set_paths[vio_rng_below(&rng, sizeof set_paths / sizeof *set_paths)],
                     tokens[vio_rng_below(&rng, sizeof tokens / sizeof *tokens)]);
            nsets = 1;
        }
        vio_scenario *s = NULL;
        vio_err err = {{0}};
        int rc = vio_scenario_load_string(buf, "fuzz.json", sets, nsets, &s, &err);
        if (rc == VIO_OK) {
            ok++;
            vio_scenario_destroy(s);
        } else {
            rejected++;
            int prefix_ok = !strncmp(err.msg, "fuzz.json", 9) || !strncmp(err.msg, "--set", 5);
            if (rc != VIO_EINVAL || !prefix_ok || strchr(err.msg, '\n') || s) {
                fprintf(stderr, "fuzz: contract broken (rc %d) on input %ld: %s\n%s\n", rc, it, err.msg, buf);
                return 1;
            }
        }
        free(buf);
    }
    for (int i = 0; i < 6; i++)
        free(corpus[i]);
    printf("fuzz: %ld inputs, %ld accepted, %ld rejected with one-line messages, no crash\n", iterations, ok,
           rejected);
    return 0;
}
