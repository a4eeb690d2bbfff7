#include "viosim/viosim.h"

#include <stdarg.h>
#include <stdio.h>

extern const char vio__version[];
extern const char vio__git[];
extern const char *const vio__default_scenario;

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

const char *vio_version(void) { return vio__version; }
const char *vio_git_version(void) { return vio__git; }
const char *vio_default_scenario_json(void) { return vio__default_scenario; }
