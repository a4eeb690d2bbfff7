/* Shared by scenario.c (API, --set), scenario_load.c (table-driven loading) and
 * scenario_check.c (cross-references). Not installed. */
#ifndef VIOSIM_SCENARIO_INTERNAL_H
#define VIOSIM_SCENARIO_INTERNAL_H

#include "viosim/scenario.h"

#include <jansson.h>

#define VIO__PATH_MAX 256

/* One load in progress: where messages go and what is being filled. */
typedef struct vio__ld {
    const char *src; /* file name that prefixes every message */
    vio_err *err;
    vio_scenario *s;
    /* The --set overrides applied, and the JSON path each one wrote ("vms[0].core"),
     * so a message about a value names the override that put it there. */
    const char *const *sets;
    char (*set_paths)[VIO__PATH_MAX];
    size_t nsets;
} vio__ld;

/* "SRC: path: <fmt>" (or "SRC: <fmt>" for an empty path); returns VIO_EINVAL.
 * SRC is "--set TEXT" when the last override that wrote `path` or one of its
 * parents did, and "FILE: path (with --set TEXT)" names an override that wrote
 * below `path`. */
int vio__ld_fail(const vio__ld *ld, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* The same, where the value at `attr` is the culprit but the message shows `path`
 * (an unknown key: the message shows its object and quotes the key). */
int vio__ld_fail_at(const vio__ld *ld, const char *attr, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* A number for a message: integral values exactly (up to 1e21), others with 15 digits. */
const char *vio__num(char *buf, size_t cap, double d);
/* "an object", "a string", ... for "got ..." in messages. */
const char *vio__json_kind(const json_t *v);
/* A number the parser could not hold (beyond 64-bit integers or doubles) stands
 * in the tree as a string: U+FFFF then the number's text. Its text, or NULL. */
#define VIO__BIG_MARK "\xef\xbf\xbf"
#define VIO__BIG_MARK_JSON "\\uffff"
const char *vio__big_number(const json_t *v);
/* Integer table bounds are doubles; 2^63 and above stand for INT64_MAX. */
long long vio__int_bound(double d);

/* Pass 1: every key is known, containers have the right shape, arrays the right length. */
int vio__ld_keys(const vio__ld *ld, json_t *root);
/* Pass 2: convert and range-check every value into ld->s, filling defaults into `root`
 * (so the canonical JSON shows them) and normalising numbers. */
int vio__ld_values(const vio__ld *ld, json_t *root);
/* Pass 3: references between values (cores, cache geometry, variant names). */
int vio__ld_check(const vio__ld *ld);

#endif
