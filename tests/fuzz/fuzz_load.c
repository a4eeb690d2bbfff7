/* libFuzzer target: the scenario loader and validator (with --set overrides).
 * Contract checked on every input: no crash, leak or undefined behaviour
 * (ASan + UBSan); the result is VIO_OK or VIO_EINVAL; a rejection is exactly one
 * printable line that names its source (the file or the --set text); an accepted
 * scenario's canonical text loads again to itself (idempotence). */
#include "fuzz_input.h"

#include "viosim/scenario.h"

#include <stdlib.h>
#include <string.h>

static void check_message(const char *msg)
{
    size_t n = strlen(msg);
    if (n == 0)
        fuzz_fail("empty error message");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
            fuzz_fail("control byte 0x%02x in message: %s", (unsigned char)msg[i], msg);
    if (strncmp(msg, FUZZ_SOURCE, strlen(FUZZ_SOURCE)) != 0 && strncmp(msg, "--set ", 6) != 0)
        fuzz_fail("message does not name its source: %s", msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in;
    fuzz_input_split(data, size, &in);
    vio_scenario *s = NULL;
    vio_err err = {{0}};
    int rc = vio_scenario_load_string(in.text, FUZZ_SOURCE, in.sets, in.nsets, &s, &err);
    if (rc != VIO_OK) {
        if (rc != VIO_EINVAL)
            fuzz_fail("rc %d (expected VIO_EINVAL): %s", rc, err.msg);
        if (s)
            fuzz_fail("*out set on error");
        check_message(err.msg);
    } else {
        vio_scenario *again = NULL;
        vio_err err2 = {{0}};
        if (vio_scenario_load_string(s->canonical_json, FUZZ_SOURCE, NULL, 0, &again, &err2) != VIO_OK)
            fuzz_fail("the canonical text is rejected: %s", err2.msg);
        if (strcmp(again->canonical_json, s->canonical_json) != 0)
            fuzz_fail("canonical text is not a fixed point");
        vio_scenario_destroy(again);
        vio_scenario_destroy(s);
    }
    fuzz_input_free(&in);
    return 0;
}
