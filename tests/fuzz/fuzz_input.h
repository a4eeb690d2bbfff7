/* The fuzzers' input format, shared by the libFuzzer targets and the replay driver:
 * the bytes up to the first NUL are the scenario text, and each further
 * NUL-separated part (at most FUZZ_MAX_SETS) is one --set override, so the
 * fuzzer mutates files and overrides together. */
#ifndef VIOSIM_FUZZ_INPUT_H
#define VIOSIM_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_MAX_SETS 4
#define FUZZ_SOURCE "fuzz.json"

typedef struct fuzz_input {
    char *text;                     /* malloc'd copy of all the parts, NUL-terminated each */
    const char *sets[FUZZ_MAX_SETS]; /* pointers into text */
    size_t nsets;
} fuzz_input;

void fuzz_input_split(const uint8_t *data, size_t size, fuzz_input *in);
void fuzz_input_free(fuzz_input *in);
/* The libFuzzer contract: abort() on a broken invariant, return 0 otherwise. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Abort with a message naming the broken invariant (shows in libFuzzer's report). */
void fuzz_fail(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2), noreturn))
#endif
    ;

#endif
