#include "util/agenda.h"

#include <stdlib.h>

/* Does agent x come before agent y? Padding leaves (>= n) never do. */
static int before(const vio__agenda *a, uint32_t x, uint32_t y)
{
    if (y >= a->n)
        return 1;
    if (x >= a->n)
        return 0;
    return a->key[x] < a->key[y] || (a->key[x] == a->key[y] && x < y);
}

int vio__agenda_init(vio__agenda *a, uint32_t n)
{
    a->n = n;
    a->leaves = 1;
    while (a->leaves < n)
        a->leaves *= 2;
    a->key = malloc((size_t)n * sizeof *a->key);
    a->win = malloc((size_t)2 * a->leaves * sizeof *a->win);
    if (!a->key || !a->win) {
        vio__agenda_free(a);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++)
        a->key[i] = VIO_PS_NEVER;
    for (uint32_t i = 0; i < a->leaves; i++)
        a->win[a->leaves + i] = i;
    for (uint32_t i = a->leaves - 1; i >= 1; i--)
        a->win[i] = before(a, a->win[2 * i], a->win[2 * i + 1]) ? a->win[2 * i] : a->win[2 * i + 1];
    return 0;
}

void vio__agenda_free(vio__agenda *a)
{
    free(a->key);
    free(a->win);
    a->key = NULL;
    a->win = NULL;
}

void vio__agenda_set(vio__agenda *a, uint32_t agent, vio_ps t)
{
    a->key[agent] = t;
    for (uint32_t i = (a->leaves + agent) / 2; i >= 1; i /= 2)
        a->win[i] = before(a, a->win[2 * i], a->win[2 * i + 1]) ? a->win[2 * i] : a->win[2 * i + 1];
}
