/* The statistics registry (viosim/stats.h): names and pointers, kept in
 * registration order; the models' counters stay where they are bumped.
 * Registering is O(name length): the names and their group prefixes are kept
 * in an open-addressing hash set, so a duplicate, or a statistic that is also
 * a group, is refused at once even with thousands of statistics. */
#include "viosim/stats.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 160

/* A hashed name or group prefix: the first `len` bytes of `s`. */
typedef struct key {
    const char *s;
    uint32_t len;
    uint8_t leaf; /* a registered statistic (else a group) */
} key;

struct vio_stats {
    vio_stat *v;
    size_t n, cap;
    key *set;
    size_t set_cap, set_used; /* set_cap: a power of two */
};

int vio_stats_create(vio_stats **out, vio_err *err)
{
    *out = calloc(1, sizeof **out);
    return *out ? VIO_OK : vio_err_set(err, VIO_ENOMEM, "stats: out of memory");
}

void vio_stats_destroy(vio_stats *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->n; i++)
        free((char *)st->v[i].name);
    free(st->v);
    free(st->set);
    free(st);
}

static uint64_t hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static key *slot(const vio_stats *st, const char *s, size_t len)
{
    size_t mask = st->set_cap - 1;
    for (size_t i = hash(s, len) & mask;; i = (i + 1) & mask) {
        key *k = &st->set[i];
        if (!k->s || (k->len == len && memcmp(k->s, s, len) == 0))
            return k;
    }
}

static int grow(vio_stats *st)
{
    size_t cap = st->set_cap ? st->set_cap * 2 : 256;
    key *old = st->set, *set = calloc(cap, sizeof *set);
    if (!set)
        return -1;
    size_t oldcap = st->set_cap;
    st->set = set;
    st->set_cap = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].s)
            *slot(st, old[i].s, old[i].len) = old[i];
    free(old);
    return 0;
}

static int valid_name(const char *s)
{
    int comp = 0; /* characters in the current component */
    for (; *s; s++) {
        if (*s == '.') {
            if (!comp)
                return 0;
            comp = 0;
        } else if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_') {
            comp++;
        } else {
            return 0;
        }
    }
    return comp > 0;
}

static int add(vio_stats *st, vio_stat s, vio_err *err, const char *fmt, va_list ap)
{
    char name[NAME_MAX_LEN];
    int w = vsnprintf(name, sizeof name, fmt, ap);
    if (w < 0 || (size_t)w >= sizeof name || !valid_name(name))
        return vio_err_set(err, VIO_EINVAL, "stats: invalid statistic name \"%s\"", name);
    size_t len = (size_t)w, comps = 1;
    for (size_t i = 0; i < len; i++)
        comps += name[i] == '.';
    /* Room for the name and each of its group prefixes, at most half full. */
    while ((st->set_used + comps) * 2 > st->set_cap)
        if (grow(st))
            return vio_err_set(err, VIO_ENOMEM, "stats: out of memory");
    key *k = slot(st, name, len);
    if (k->s)
        return vio_err_set(err, VIO_EINVAL, k->leaf ? "stats: \"%s\" registered twice"
                                                    : "stats: \"%s\" is already a group of statistics", name);
    for (size_t i = 0; i < len; i++)
        if (name[i] == '.') {
            const key *g = slot(st, name, i);
            if (g->s && g->leaf)
                return vio_err_set(err, VIO_EINVAL, "stats: \"%.*s\" is a statistic, not a group (registering \"%s\")",
                                   (int)i, name, name);
        }
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 64;
        vio_stat *v = realloc(st->v, cap * sizeof *v);
        if (!v)
            return vio_err_set(err, VIO_ENOMEM, "stats: out of memory");
        st->v = v;
        st->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return vio_err_set(err, VIO_ENOMEM, "stats: out of memory");
    memcpy(copy, name, len + 1);
    for (size_t i = 0; i < len; i++)
        if (copy[i] == '.') {
            key *g = slot(st, copy, i);
            if (!g->s) {
                *g = (key){copy, (uint32_t)i, 0};
                st->set_used++;
            }
        }
    *slot(st, copy, len) = (key){copy, (uint32_t)len, 1};
    st->set_used++;
    s.name = copy;
    st->v[st->n++] = s;
    return VIO_OK;
}

int vio_stats_counter(vio_stats *st, const uint64_t *value, const char *help, vio_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = add(st, (vio_stat){.help = help, .kind = VIO_STAT_COUNTER, .counter = value}, err, fmt, ap);
    va_end(ap);
    return rc;
}

int vio_stats_hist(vio_stats *st, const vio_hist *h, const char *help, vio_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = add(st, (vio_stat){.help = help, .kind = VIO_STAT_HIST, .hist = h}, err, fmt, ap);
    va_end(ap);
    return rc;
}

size_t vio_stats_count(const vio_stats *st) { return st ? st->n : 0; }
const vio_stat *vio_stats_at(const vio_stats *st, size_t i) { return st && i < st->n ? &st->v[i] : NULL; }

const vio_stat *vio_stats_find(const vio_stats *st, const char *name)
{
    if (!st || !name || !st->set_cap)
        return NULL;
    const key *k = slot(st, name, strlen(name));
    if (!k->s || !k->leaf)
        return NULL;
    for (size_t i = 0; i < st->n; i++)
        if (st->v[i].name == k->s)
            return &st->v[i];
    return NULL;
}
