/* Replaying a results document: what it recorded (the resolved scenario, the
 * variants, the engine) and the first field where a rerun differs from it. */
#include "viosim/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The variant names a results document lists, as indices into s. */
static int plan_variants(const json_t *vars, const char *path, vio_replay_plan *p, vio_err *err)
{
    size_t n = json_array_size(vars);
    if (!json_is_array(vars) || n == 0)
        return vio_err_set(err, VIO_EINVAL, "%s: variants: expected a non-empty array of variant results", path);
    if (!(p->only = calloc(n, sizeof *p->only)))
        return vio_err_set(err, VIO_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(vars, i);
        const char *name = json_string_value(json_object_get(v, "name"));
        char esc[96];
        if (!name)
            return vio_err_set(err, VIO_EINVAL, "%s: variants[%zu].name: expected the variant's name (a string)", path,
                               i);
        int k = vio_scenario_variant_by_name(p->s, name);
        if (k < 0)
            return vio_err_set(err, VIO_EINVAL, "%s: variants[%zu].name: scenario.resolved has no variant \"%s\"",
                               path, i, vio_escape(esc, sizeof esc, name, strlen(name)));
        p->only[p->nonly++] = (uint32_t)k;
        const char *engine = json_string_value(json_object_get(json_object_get(v, "engine"), "name"));
        if (i == 0)
            p->engine = engine && !strcmp(engine, "sequential") ? VIO_ENGINE_SEQUENTIAL : VIO_ENGINE_SIMGRID;
    }
    return VIO_OK;
}

int vio_replay_plan_load(const json_t *doc, const char *path, vio_replay_plan *p, vio_err *err)
{
    *p = (vio_replay_plan){0};
    const char *schema = json_string_value(json_object_get(doc, "schema"));
    if (!json_is_object(doc) || !schema || strcmp(schema, "viosim-results/1"))
        return vio_err_set(err, VIO_EINVAL, "%s: schema: expected \"viosim-results/1\" (a viosim results.json)", path);
    const json_t *sc = json_object_get(doc, "scenario");
    const json_t *resolved = json_object_get(sc, "resolved");
    const char *source = json_string_value(json_object_get(sc, "source"));
    if (!json_is_object(resolved))
        return vio_err_set(err, VIO_EINVAL,
                           "%s: scenario.resolved: missing or not an object (results written by a viosim that did "
                           "not record the resolved scenario cannot be replayed)",
                           path);
    if (!source)
        return vio_err_set(err, VIO_EINVAL, "%s: scenario.source: expected the scenario's file name (a string)", path);
    const char *version = json_string_value(json_object_get(json_object_get(doc, "tool"), "version"));
    const char *git = json_string_value(json_object_get(json_object_get(doc, "tool"), "git"));
    snprintf(p->version, sizeof p->version, "%s", version ? version : "unknown");
    snprintf(p->git, sizeof p->git, "%s", git ? git : "unknown");
    p->same_version = !strcmp(p->version, vio_version()) && !strcmp(p->git, vio_git_version());
    char *text = json_dumps(resolved, JSON_SORT_KEYS | JSON_COMPACT);
    char *where = malloc(strlen(path) + 32);
    char *src = malloc(strlen(source) + 1);
    int rc = VIO_OK;
    if (!text || !where || !src) {
        rc = vio_err_set(err, VIO_ENOMEM, "out of memory");
    } else {
        /* Messages read "PATH: scenario.resolved: vms[0].core: ...". */
        sprintf(where, "%s: scenario.resolved", path);
        rc = vio_scenario_load_string(text, where, NULL, 0, &p->s, err);
    }
    if (rc == VIO_OK) {
        /* The rerun's results name the recorded source, as the original run's did. */
        memcpy(src, source, strlen(source) + 1);
        free(p->s->source);
        p->s->source = src;
        src = NULL;
        rc = plan_variants(json_object_get(doc, "variants"), path, p, err);
    }
    free(text);
    free(where);
    free(src);
    if (rc != VIO_OK)
        vio_replay_plan_free(p);
    return rc;
}

void vio_replay_plan_free(vio_replay_plan *p)
{
    vio_scenario_destroy(p->s);
    free(p->only);
    p->s = NULL;
    p->only = NULL;
    p->nonly = 0;
}

/* ---- comparison ---- */

/* Does `path` ("variants[3].engine") match `pattern` ("variants[*].engine"),
 * the pattern's [*] standing for any index? */
static int path_matches(const char *path, const char *pattern)
{
    while (*pattern) {
        if (!strncmp(pattern, "[*]", 3) && *path == '[') {
            const char *close = strchr(path, ']');
            if (!close)
                return 0;
            path = close + 1;
            pattern += 3;
        } else if (*path++ != *pattern++) {
            return 0;
        }
    }
    return *path == '\0';
}

typedef struct cmp {
    const char *const *skip;
    size_t nskip;
    vio_results_diff *d;
    size_t ndiff;
} cmp;

static void show(char *buf, size_t len, const json_t *v)
{
    if (!v) {
        snprintf(buf, len, "(absent)");
        return;
    }
    char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(12));
    if (!t) {
        snprintf(buf, len, "?");
        return;
    }
    if (strlen(t) >= len && len > 4)
        snprintf(buf, len, "%.*s...", (int)(len - 4), t);
    else
        snprintf(buf, len, "%s", t);
    free(t);
}

static void differ(cmp *c, const char *path, const json_t *want, const json_t *got)
{
    if (c->ndiff++ == 0) {
        snprintf(c->d->path, sizeof c->d->path, "%s", path);
        show(c->d->want, sizeof c->d->want, want);
        show(c->d->got, sizeof c->d->got, got);
    }
}

static void walk(cmp *c, char *path, size_t at, size_t cap, const json_t *want, const json_t *got)
{
    path[at < cap ? at : cap - 1] = '\0';
    for (size_t i = 0; i < c->nskip; i++)
        if (path_matches(path, c->skip[i]))
            return;
    if (json_is_object(want) && json_is_object(got)) {
        const char *key;
        json_t *v;
        /* The recorded document's order first, then keys only the rerun has. */
        json_object_foreach((json_t *)want, key, v)
        {
            int n = snprintf(path + at, at < cap ? cap - at : 0, "%s%s", at ? "." : "", key);
            walk(c, path, at + (size_t)(n > 0 ? n : 0), cap, v, json_object_get(got, key));
        }
        json_object_foreach((json_t *)got, key, v)
        {
            if (json_object_get(want, key))
                continue;
            int n = snprintf(path + at, at < cap ? cap - at : 0, "%s%s", at ? "." : "", key);
            walk(c, path, at + (size_t)(n > 0 ? n : 0), cap, NULL, v);
        }
        return;
    }
    if (json_is_array(want) && json_is_array(got)) {
        size_t nw = json_array_size(want), ng = json_array_size(got);
        for (size_t i = 0; i < (nw > ng ? nw : ng); i++) {
            int n = snprintf(path + at, at < cap ? cap - at : 0, "[%zu]", i);
            walk(c, path, at + (size_t)(n > 0 ? n : 0), cap, json_array_get(want, i), json_array_get(got, i));
        }
        return;
    }
    if (!want || !got || !json_equal((json_t *)want, (json_t *)got)) {
        path[at < cap ? at : cap - 1] = '\0';
        differ(c, at ? path : "(the document)", want, got);
    }
}

size_t vio_results_compare(const json_t *want, const json_t *got, const char *const *skip, size_t nskip,
                           vio_results_diff *d)
{
    memset(d, 0, sizeof *d);
    cmp c = {.skip = skip, .nskip = nskip, .d = d};
    char path[512];
    path[0] = '\0';
    walk(&c, path, 0, sizeof path, want, got);
    return c.ndiff;
}
