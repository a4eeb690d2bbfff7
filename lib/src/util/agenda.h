/* The agenda of the SimGrid engine: each agent's next event time, and which
 * agent is first in (time, agent index) order, in O(log n) per update and O(1)
 * per query (a tournament tree). With 256 VMs, scanning every agent at every
 * event would cost more than the event itself. Internal to the library. */
#ifndef VIOSIM_AGENDA_H
#define VIOSIM_AGENDA_H

#include "viosim/time.h"

#include <stdint.h>

typedef struct vio__agenda {
    uint32_t n, leaves; /* agents, and the power of two >= n */
    vio_ps *key;        /* per agent; VIO_PS_NEVER when it has nothing to do */
    uint32_t *win;      /* tree of winners: win[1] is the first agent */
} vio__agenda;

int vio__agenda_init(vio__agenda *a, uint32_t n);
void vio__agenda_free(vio__agenda *a);
void vio__agenda_set(vio__agenda *a, uint32_t agent, vio_ps t);
static inline vio_ps vio__agenda_key(const vio__agenda *a, uint32_t agent) { return a->key[agent]; }
/* The agent with the smallest (time, index). */
static inline uint32_t vio__agenda_first(const vio__agenda *a) { return a->win[1]; }

#endif
