/* Whole-file reader shared by the libcheck suites and the fuzzer (which does not link check). */
#include "read_file.h"

#include <stdio.h>
#include <stdlib.h>

char *vio_test_read_file_len(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf) {
        buf[n] = '\0';
        if (len)
            *len = (size_t)n;
    }
    fclose(f);
    return buf;
}
