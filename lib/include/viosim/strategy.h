/* Registered strategies and policies, one table per axis (the Ramulator 2
 * pattern: every implementation registers under a short name with a one-line
 * description; the configuration picks it by that name).
 *
 * Each axis is a static table of rows {name, one-line help, ops...} in the file
 * of its family; the row type belongs to the family (a copy strategy's ops are
 * not a replacement policy's), and only its first fields are common: a `name`
 * and a `help` string. A vio_axis describes such a table generically, so that
 * one loader, `viosim list`, docs/scenario-reference.md and the result names
 * are all generated from it:
 *
 *   - a scenario names a row ("copy": "llc"); the loader finds the row BY NAME
 *     and stores its index in the table, which only ever indexes that same
 *     table: reordering rows cannot change what a scenario means;
 *   - an unknown name is an error listing every row's name;
 *   - adding a strategy is one new row (plus its tests).
 *
 * The axes of the delivery path (dma, copy, notify) and of PASID-tagged I/O
 * (iommu, io_control, adversary) live in lib/src/datapath/strategies/; the
 * replacement policies in models/repl.c, the cache index functions in
 * models/cache.c, the QoS schedulers in models/qos.c, the platform presets in
 * scenario/presets.c. */
#ifndef VIOSIM_STRATEGY_H
#define VIOSIM_STRATEGY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vio_axis {
    const char *key;   /* the scenario key that picks a row: "copy", "replacement" */
    const char *param; /* a parameter path that takes it ("variants[].copy"), or NULL (not a scenario key) */
    const char *title; /* what a row is, for `viosim list`: "how the host hands a packet to the guests" */
    const void *rows;  /* the family's table */
    size_t stride;     /* sizeof one row */
    size_t name_off, help_off; /* offsetof(row, name), offsetof(row, help): both `const char *` */
    size_t count;      /* rows */
} vio_axis;

/* The row fields of a vio_axis initializer for `count` rows of `table`, whose
 * element type `type` has `const char *name, *help` members. */
#define VIO_AXIS_ROWS(type, table, count) (table), sizeof(type), offsetof(type, name), offsetof(type, help), (count)

/* Row i's name / help / address; NULL when i is out of range. */
const char *vio_axis_name(const vio_axis *a, size_t i);
const char *vio_axis_help(const vio_axis *a, size_t i);
const void *vio_axis_row(const vio_axis *a, size_t i);
/* Index of the row called `name` (`len` bytes, no NUL needed), or -1. */
int vio_axis_find(const vio_axis *a, const char *name, size_t len);
/* The names joined with `sep` ("guest|llc|llc-on-fetch"), truncated to fit
 * `cap`; returns buf. */
const char *vio_axis_join(const vio_axis *a, const char *sep, char *buf, size_t cap);

/* The axes of the delivery strategy a variant combines (variants[].dma, .copy,
 * .notify), of PASID-tagged I/O (variants[].iommu, .io_control,
 * tenants[].adversary) and of the models (cache replacement and index, QoS
 * schedulers, platform presets). */
extern const vio_axis vio_axis_dma, vio_axis_copy, vio_axis_copy_engine, vio_axis_shared_ring, vio_axis_notify;
extern const vio_axis vio_axis_iommu, vio_axis_io_control, vio_axis_io_sched, vio_axis_adversary;
extern const vio_axis vio_axis_device_sched;
extern const vio_axis vio_axis_replacement, vio_axis_cache_index, vio_axis_qos, vio_axis_preset;

/* Every registered axis, delivery strategies first; terminated by NULL. */
const vio_axis *const *vio_axes(void);

#ifdef __cplusplus
}
#endif
#endif
