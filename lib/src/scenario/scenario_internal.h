/* Shared by scenario.c (API, --set), scenario_load.c (table-driven loading) and
 * scenario_check.c (cross-references). Not installed. */
#ifndef VIOSIM_SCENARIO_INTERNAL_H
#define VIOSIM_SCENARIO_INTERNAL_H

#include "viosim/scenario.h"

#include <jansson.h>

/* One load in progress: where messages go and what is being filled. */
typedef struct vio__ld {
    const char *src; /* file name that prefixes every message */
    vio_err *err;
    vio_scenario *s;
} vio__ld;

/* "SRC: path: <fmt>" (or "SRC: <fmt>" for an empty path); returns VIO_EINVAL. */
int vio__ld_fail(const vio__ld *ld, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* "an object", "a string", ... for "got ..." in messages. */
const char *vio__json_kind(const json_t *v);
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
