#include "viosim/viosim.h"

#include <stdarg.h>
#include <stdio.h>

int vio_err_set(vio_err *err, int code, const char *fmt, ...)
{
    /* Keep the first message: the root cause, not the caller's summary of it. */
    if (err && err->msg[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}
