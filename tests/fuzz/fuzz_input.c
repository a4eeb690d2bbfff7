#include "fuzz_input.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_input_split(const uint8_t *data, size_t size, fuzz_input *in)
{
    in->text = malloc(size + 1);
    if (!in->text)
        abort();
    memcpy(in->text, data, size);
    in->text[size] = '\0';
    in->nsets = 0;
    for (size_t i = 0; i < size && in->nsets < FUZZ_MAX_SETS; i++)
        if (in->text[i] == '\0')
            in->sets[in->nsets++] = in->text + i + 1;
}

void fuzz_input_free(fuzz_input *in)
{
    free(in->text);
    in->text = NULL;
}

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz: contract broken: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}
