/* Generic access to a registered table (viosim/strategy.h): a row is found by
 * its name, never by its position. */
#include "viosim/strategy.h"

#include <stdio.h>
#include <string.h>

const void *vio_axis_row(const vio_axis *a, size_t i)
{
    return a && i < a->count ? (const char *)a->rows + i * a->stride : NULL;
}

static const char *field(const vio_axis *a, size_t i, size_t off)
{
    const char *row = vio_axis_row(a, i);
    const char *s = NULL;
    if (row)
        memcpy(&s, row + off, sizeof s);
    return s;
}

const char *vio_axis_name(const vio_axis *a, size_t i) { return a ? field(a, i, a->name_off) : NULL; }
const char *vio_axis_help(const vio_axis *a, size_t i) { return a ? field(a, i, a->help_off) : NULL; }

int vio_axis_find(const vio_axis *a, const char *name, size_t len)
{
    for (size_t i = 0; name && a && i < a->count; i++) {
        const char *n = vio_axis_name(a, i);
        if (strlen(n) == len && memcmp(n, name, len) == 0)
            return (int)i;
    }
    return -1;
}

const char *vio_axis_join(const vio_axis *a, const char *sep, char *buf, size_t cap)
{
    size_t used = 0;
    if (cap)
        buf[0] = '\0';
    for (size_t i = 0; a && i < a->count && used < cap; i++) {
        int w = snprintf(buf + used, cap - used, "%s%s", i ? sep : "", vio_axis_name(a, i));
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return buf;
}
