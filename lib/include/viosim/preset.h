/* Platform presets: named machines. `platform.preset` selects one; each value a
 * preset lists replaces the parameter table's default for that platform.* path
 * (a value written in the scenario, or set with --set, still wins). Every value
 * has its source; docs/model.md tabulates them. */
#ifndef VIOSIM_PRESET_H
#define VIOSIM_PRESET_H

/* Row k of the table is preset k. A scenario names a preset; the loader finds
 * its row by that name (vio_axis_preset, viosim/strategy.h). */
enum vio_preset_kind { VIO_PRESET_NONE = 0, VIO_PRESET_SKX_6140, VIO_PRESET_BDW_2630V4, VIO_PRESET_COUNT };

typedef struct vio_preset_value {
    const char *path;   /* a platform.* row of the parameter table */
    const char *value;  /* JSON text */
    const char *source;
} vio_preset_value;

typedef struct vio_preset {
    const char *name;
    const char *help; /* one line */
    const vio_preset_value *values; /* terminated by a NULL path; NULL for "none" */
} vio_preset;

/* The registered presets, VIO_PRESET_COUNT rows, "none" first. */
const vio_preset *vio_presets(void);
/* The value preset `kind` gives `path`, or NULL when it keeps the table default. */
const vio_preset_value *vio_preset_value_of(int kind, const char *path);

#endif
