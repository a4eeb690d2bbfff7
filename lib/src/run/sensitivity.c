/* One-at-a-time sensitivity of the variants' differences to the estimated costs. */
#include "viosim/sensitivity.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_estimated_cost(const vio_param *p)
{
    if (p->type != VIO_PT_U32 && p->type != VIO_PT_U64)
        return 0;
    if (!p->unit || (strcmp(p->unit, "cycles") != 0 && strcmp(p->unit, "ns") != 0))
        return 0;
    return p->source && strncmp(p->source, "estimate", 8) == 0;
}

/* The value at a dotted path ("irq.kick_cycles", "vms.2.process_cycles" style
 * with numeric components for arrays) of a JSON document, or NULL. */
static const json_t *at_path(const json_t *j, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *tok = strtok(buf, "."); tok && j; tok = strtok(NULL, "."))
        j = json_is_array(j) ? json_array_get(j, strtoul(tok, NULL, 10)) : json_object_get(j, tok);
    return j;
}

static int load(const char *path, const char *const *sets, size_t nsets, vio_scenario **s, vio_err *err)
{
    if (path)
        return vio_scenario_load_file(path, sets, nsets, s, err);
    return vio_scenario_load_string(vio_default_scenario_json(), "<default>", sets, nsets, s, err);
}

/* Run and return each variant's metric in m[] (s->nvariants entries). */
static int measure(const char *path, const char *const *sets, size_t nsets, const vio_sens_opts *o, double *m,
                   uint32_t *nvar, vio_err *err)
{
    vio_scenario *s = NULL;
    int rc = load(path, sets, nsets, &s, err);
    json_t *doc = NULL;
    if (rc == VIO_OK)
        rc = vio_run(s, -1, &o->run, &doc, NULL, err);
    for (uint32_t v = 0; rc == VIO_OK && v < s->nvariants; v++) {
        const json_t *x = at_path(json_array_get(json_object_get(doc, "variants"), v), o->metric);
        if (!json_is_number(x))
            rc = vio_err_set(err, VIO_EINVAL, "sensitivity: variant %s has no number at %s", s->variants[v].name,
                             o->metric);
        else
            m[v] = json_number_value(x);
    }
    if (rc == VIO_OK)
        *nvar = s->nvariants;
    json_decref(doc);
    vio_scenario_destroy(s);
    return rc;
}

static json_t *diffs(const vio_scenario *s, const double *m, uint32_t base)
{
    json_t *o = json_object();
    for (uint32_t v = 0; v < s->nvariants; v++)
        if (v != base)
            json_object_set_new(o, s->variants[v].name,
                                json_real(m[base] != 0 ? 100.0 * (m[v] - m[base]) / m[base] : 0.0));
    return o;
}

static int by_swing(const void *a, const void *b)
{
    double sa = json_number_value(json_object_get(*(json_t *const *)a, "swing"));
    double sb = json_number_value(json_object_get(*(json_t *const *)b, "swing"));
    if (sa != sb)
        return sa < sb ? 1 : -1;
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "path")),
                  json_string_value(json_object_get(*(json_t *const *)b, "path")));
}

int vio_sensitivity(const char *path, const char *const *sets, size_t nsets, const vio_sens_opts *opts,
                    json_t **out, vio_err *err)
{
    *out = NULL;
    vio_sens_opts o = *opts;
    if (o.factor == 0)
        o.factor = 2;
    if (!(o.factor > 1) || !isfinite(o.factor))
        return vio_err_set(err, VIO_EINVAL, "sensitivity: factor %g must be a finite number > 1", o.factor);
    if (!o.metric)
        o.metric = "latency_ns.mean";
    vio_scenario *s = NULL;
    int rc = load(path, sets, nsets, &s, err);
    if (rc != VIO_OK)
        return rc;
    uint32_t base = 0;
    if (o.base) {
        int b = vio_scenario_variant_by_name(s, o.base);
        if (b < 0) {
            rc = vio_err_set(err, VIO_EINVAL, "sensitivity: %s has no variant %s", s->source, o.base);
            vio_scenario_destroy(s);
            return rc;
        }
        base = (uint32_t)b;
    }
    if (s->nvariants < 2) {
        rc = vio_err_set(err, VIO_EINVAL, "sensitivity: %s has one variant; there is no difference to study",
                         s->source);
        vio_scenario_destroy(s);
        return rc;
    }
    json_t *canon = json_loads(s->canonical_json, 0, NULL);
    double *m = calloc(s->nvariants, sizeof *m);
    const char **all = calloc(nsets + VIO_MAX_VMS, sizeof *all);
    char (*extra)[96] = calloc(VIO_MAX_VMS, sizeof *extra);
    json_t *params = json_array(), *skipped = json_array(), *names = json_array();
    if (!canon || !m || !all || !extra || !params || !skipped || !names)
        rc = vio_err_set(err, VIO_ENOMEM, "sensitivity: out of memory");
    for (size_t i = 0; i < nsets; i++)
        all[i] = sets[i];
    uint32_t nv = 0;
    if (rc == VIO_OK)
        rc = measure(path, sets, nsets, &o, m, &nv, err);
    json_t *reference = rc == VIO_OK ? diffs(s, m, base) : NULL;
    for (const vio_param *p = vio_params_table(); rc == VIO_OK && p->path; p++) {
        if (!is_estimated_cost(p))
            continue;
        /* Top-level rows, or one per VM for vms[] rows; other arrays have no cost rows. */
        int per_vm = strncmp(p->path, "vms[].", 6) == 0;
        if (strstr(p->path, "[]") && !per_vm)
            continue;
        uint32_t n = per_vm ? s->nvms : 1;
        double value = 0;
        int ok = 1;
        for (uint32_t k = 0; k < n && ok; k++) {
            char jp[128];
            if (per_vm)
                snprintf(jp, sizeof jp, "vms.%u.%s", k, p->path + 6);
            else
                snprintf(jp, sizeof jp, "%s", p->path);
            const json_t *x = at_path(canon, jp);
            ok = json_is_integer(x);
            if (ok && k == 0)
                value = (double)json_integer_value(x);
        }
        if (!ok || value == 0) {
            json_array_append_new(skipped, json_string(p->path));
            continue;
        }
        double d[2][VIO_MAX_VARIANTS];
        double scaled[2];
        for (int side = 0; side < 2 && rc == VIO_OK; side++) {
            double f = side ? o.factor : 1.0 / o.factor;
            for (uint32_t k = 0; k < n; k++) {
                char jp[128];
                if (per_vm)
                    snprintf(jp, sizeof jp, "vms.%u.%s", k, p->path + 6);
                else
                    snprintf(jp, sizeof jp, "%s", p->path);
                double v = (double)json_integer_value(at_path(canon, jp)) * f;
                v = floor(v + 0.5);
                if (v < p->min)
                    v = p->min;
                if (v > p->max)
                    v = p->max;
                if (k == 0)
                    scaled[side] = v;
                if (per_vm)
                    snprintf(extra[k], sizeof extra[k], "vms[%u].%s=%.0f", k, p->path + 6, v);
                else
                    snprintf(extra[k], sizeof extra[k], "%s=%.0f", p->path, v);
                all[nsets + k] = extra[k];
            }
            rc = measure(path, all, nsets + n, &o, d[side], &nv, err);
        }
        if (rc != VIO_OK)
            break;
        json_t *lo = diffs(s, d[0], base), *hi = diffs(s, d[1], base);
        double swing = 0;
        const char *key;
        json_t *val;
        json_object_foreach(lo, key, val)
        {
            double w = fabs(json_number_value(json_object_get(hi, key)) - json_number_value(val));
            if (w > swing)
                swing = w;
        }
        json_array_append_new(params, json_pack("{s:s,s:f,s:f,s:f,s:s,s:o,s:o,s:f}", "path", p->path, "value", value,
                                                "low", scaled[0], "high", scaled[1], "source", p->source,
                                                "low_diff", lo, "high_diff", hi, "swing", swing));
    }
    if (rc == VIO_OK) {
        size_t np = json_array_size(params);
        json_t **rows = calloc(np ? np : 1, sizeof *rows);
        if (!rows) {
            rc = vio_err_set(err, VIO_ENOMEM, "sensitivity: out of memory");
        } else {
            for (size_t i = 0; i < np; i++)
                rows[i] = json_incref(json_array_get(params, i));
            qsort(rows, np, sizeof *rows, by_swing);
            json_array_clear(params);
            for (size_t i = 0; i < np; i++)
                json_array_append_new(params, rows[i]);
            free(rows);
            for (uint32_t v = 0; v < s->nvariants; v++)
                json_array_append_new(names, json_string(s->variants[v].name));
            *out = json_pack("{s:s,s:s,s:f,s:s,s:s,s:O,s:O,s:O,s:O}", "schema", "viosim-sensitivity/1", "scenario",
                             s->name, "factor", o.factor, "metric", o.metric, "base", s->variants[base].name,
                             "variants", names, "reference", reference, "parameters", params, "skipped", skipped);
            if (!*out)
                rc = vio_err_set(err, VIO_ENOMEM, "sensitivity: out of memory");
        }
    }
    json_decref(reference);
    json_decref(params);
    json_decref(skipped);
    json_decref(names);
    json_decref(canon);
    free(m);
    free(all);
    free(extra);
    vio_scenario_destroy(s);
    return rc;
}

char *vio_sensitivity_markdown(const json_t *doc)
{
    size_t cap = 4096, len = 0;
    char *b = malloc(cap);
    if (!b)
        return NULL;
    b[0] = '\0';
#define PUT(...)                                                                                                   \
    do {                                                                                                           \
        for (;;) {                                                                                                 \
            int n_ = snprintf(b + len, cap - len, __VA_ARGS__);                                                    \
            if (n_ < 0) {                                                                                          \
                free(b);                                                                                           \
                return NULL;                                                                                       \
            }                                                                                                      \
            if ((size_t)n_ < cap - len) {                                                                          \
                len += (size_t)n_;                                                                                 \
                break;                                                                                             \
            }                                                                                                      \
            char *nb = realloc(b, cap * 2);                                                                        \
            if (!nb) {                                                                                             \
                free(b);                                                                                           \
                return NULL;                                                                                       \
            }                                                                                                      \
            b = nb;                                                                                                \
            cap *= 2;                                                                                              \
        }                                                                                                          \
    } while (0)
    const json_t *ref = json_object_get(doc, "reference");
    const char *base = json_string_value(json_object_get(doc, "base"));
    double f = json_number_value(json_object_get(doc, "factor"));
    PUT("Difference of %s from `%s` (%%), each estimate at /%g and x%g:\n\n| parameter | value |",
        json_string_value(json_object_get(doc, "metric")), base ? base : "?", f, f);
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)ref, key, val) PUT(" %s |", key);
    PUT("\n|---|---|");
    json_object_foreach((json_t *)ref, key, val) PUT("---|");
    PUT("\n| *as given* | |");
    json_object_foreach((json_t *)ref, key, val) PUT(" %+.1f |", json_number_value(val));
    PUT("\n");
    size_t i;
    const json_t *p;
    json_array_foreach(json_object_get(doc, "parameters"), i, p)
    {
        PUT("| `%s` | %.0f |", json_string_value(json_object_get(p, "path")),
            json_number_value(json_object_get(p, "value")));
        json_object_foreach((json_t *)ref, key, val)
        PUT(" %+.1f .. %+.1f |", json_number_value(json_object_get(json_object_get(p, "low_diff"), key)),
            json_number_value(json_object_get(json_object_get(p, "high_diff"), key)));
        PUT("\n");
    }
#undef PUT
    return b;
}
