/* viosim: a cycle-approximate simulator of packet delivery to virtual machines.
 *
 * Conventions shared by every model header:
 *  - objects are opaque; `vio_<model>_create` / `_destroy` and a few verbs;
 *  - functions that can fail return a negative VIO_E* code and fill a `vio_err`
 *    with one line naming the problem; the library never prints and never exits;
 *  - time is integral: picoseconds in a uint64_t (`vio_ps`). */
#ifndef VIOSIM_VIOSIM_H
#define VIOSIM_VIOSIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum vio_status {
    VIO_OK = 0,
    VIO_EINVAL = -1,   /* bad input: scenario, option or argument */
    VIO_ENOMEM = -2,   /* allocation failed */
    VIO_EIO = -3,      /* a file could not be read or written */
    VIO_ERUN = -4,     /* the simulation itself failed (deadlock, packets left in flight) */
    VIO_EINTR = -5,    /* stopped by a signal (vio_run_interrupt) */
};

#define VIO_ERR_MAX 512
/* One message slot; the first error wins, so the root cause is what gets reported. */
typedef struct vio_err {
    char msg[VIO_ERR_MAX];
} vio_err;

/* Record a formatted message in `err` (if non-NULL and still empty) and return `code`. */
int vio_err_set(vio_err *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* `s` (len bytes) made safe for a one-line message, into buf (cap > 0 bytes,
 * always NUL-terminated): '"' and '\\' are backslash-escaped, control bytes
 * become \n, \t or \u00XX, bytes that are not valid UTF-8 become \xNN, valid
 * UTF-8 is kept. A text that does not fit ends in "...". Returns buf. */
const char *vio_escape(char *buf, size_t cap, const char *s, size_t len);

const char *vio_version(void);     /* e.g. "0.1.0" */
const char *vio_git_version(void); /* `git describe` of the build, or "unknown" */
/* The embedded default scenario (scenarios/default.json at build time), NUL-terminated. */
const char *vio_default_scenario_json(void);

#ifdef __cplusplus
}
#endif
#endif
