/* The delivery strategies a variant combines, by name, with one line each.
 * A variant picks one value on each axis ("dma", "copy", "notify"); `viosim
 * list` prints this table and the scenario loader accepts exactly these names. */
#ifndef VIOSIM_STRATEGY_H
#define VIOSIM_STRATEGY_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vio_strategy {
    const char *axis;  /* "dma", "copy" or "notify" */
    const char *name;  /* the value in a scenario */
    int value;         /* the enum value in scenario.h */
    const char *help;
} vio_strategy;

/* Terminated by a row with axis == NULL. */
const vio_strategy *vio_strategy_table(void);

#ifdef __cplusplus
}
#endif
#endif
