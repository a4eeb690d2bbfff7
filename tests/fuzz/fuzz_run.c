/* libFuzzer target: every scenario the loader accepts is simulated, each
 * variant in turn with the sequential reference loop (SimGrid's engine runs
 * once per process; both engines execute the same agents), with the packet
 * count capped so one input takes milliseconds. A hang (libFuzzer -timeout), a
 * crash, undefined behaviour, a leak, a run that deadlocks or does not conserve
 * packets is a finding. Scenarios too large for a fuzzing process (see
 * FUZZ_MAX_BYTES) are loaded but not simulated. */
#include "fuzz_input.h"

#include "datapath/results.h"
#include "viosim/datapath.h"
#include "viosim/scenario.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_PACKETS 200u
#define FUZZ_MAX_VARIANTS 4u
#define FUZZ_MAX_BYTES (256ull << 20)

/* Cache lines dominate what a datapath allocates: 32 bytes of state per line. */
static unsigned long long cache_bytes(const vio_scenario *s)
{
    const vio_platform *p = &s->platform;
    unsigned long long per_core = p->l1.size_kib + (p->l2.enabled ? p->l2.size_kib : 0);
    return (per_core * p->cores + p->llc.size_kib) * 1024ull / 64ull * 32ull;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in;
    fuzz_input_split(data, size, &in);
    vio_scenario *s = NULL;
    vio_err err = {{0}};
    if (vio_scenario_load_string(in.text, FUZZ_SOURCE, in.sets, in.nsets, &s, &err) == VIO_OK &&
        cache_bytes(s) <= FUZZ_MAX_BYTES) {
        if (s->traffic.packets > FUZZ_MAX_PACKETS)
            s->traffic.packets = FUZZ_MAX_PACKETS;
        for (uint32_t v = 0; v < s->nvariants && v < FUZZ_MAX_VARIANTS; v++) {
            vio_datapath *dp = NULL;
            int rc = vio_datapath_create(s, v, &dp, &err);
            if (rc != VIO_OK)
                fuzz_fail("variant %u: create failed (rc %d): %s", v, rc, err.msg);
            rc = vio_datapath_run_sequential(dp, &err);
            if (rc != VIO_OK)
                fuzz_fail("variant %u: run failed (rc %d): %s", v, rc, err.msg);
            rc = vio_datapath_check_finished(dp, &err);
            if (rc != VIO_OK)
                fuzz_fail("variant %u: not finished (rc %d): %s", v, rc, err.msg);
            json_t *res = vio__datapath_results(dp);
            if (!res)
                fuzz_fail("variant %u: no results", v);
            json_decref(res);
            vio_datapath_destroy(dp);
        }
    }
    vio_scenario_destroy(s);
    fuzz_input_free(&in);
    return 0;
}
