/* Table-driven scenario loading. Pass 1 walks the JSON against the paths of the
 * parameter table (unknown keys, shapes, array lengths); pass 2 walks the table
 * per scope ("", "vms[]", "traffic.flows[]", ...) and converts each value into
 * its struct field, writing defaults back into the JSON for the canonical text.
 *
 * Integers: JSON integers, or reals with an integral value (2.0, 1e6) which are
 * rewritten as integers; 1.5 is an error. Numbers: stored as reals, so 10 and
 * 10.0 give the same canonical text. */
#include "scenario/scenario_internal.h"

#include "viosim/preset.h"
#include "viosim/strategy.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_LEN VIO__PATH_MAX
#define KEY_MAX_LEN 64

/* An enum field is stored as an int (a row index, or a position in "a|b|c"). */
_Static_assert(sizeof(enum vio_arrival) == sizeof(int), "enums are stored as int");

/* Arrays: length limits, and what an absent one becomes. */
static const struct {
    const char *schema;
    size_t min, max;
    const char *dflt; /* NULL: required */
} arrays[] = {
    {"vms", 1, VIO_MAX_VMS, NULL},
    {"traffic.flows", 1, VIO_MAX_FLOWS, NULL},
    {"traffic.flows[].size_mix", 1, VIO_MAX_SIZE_MIX, NULL},
    {"variants", 1, VIO_MAX_VARIANTS, "[{\"name\":\"baseline\"}]"},
    {"tenants", 0, VIO_MAX_VMS, "[]"},
    {"host.workers", 0, VIO_MAX_WORKERS, "[]"},
};

/* 1 when `path` is `base` or lies below it ("vms[0].core" below "vms" and "vms[0]"). */
static int below(const char *path, const char *base)
{
    /* "[*]" in an override's path stands for every index ("vms[*].core" covers "vms[3].core"). */
    while (*base) {
        if (base[0] == '[' && base[1] == '*' && base[2] == ']' && path[0] == '[') {
            size_t d = strspn(path + 1, "0123456789");
            if (d == 0 || path[1 + d] != ']')
                return 0;
            path += d + 2;
            base += 3;
        } else if (*path++ != *base++) {
            return 0;
        }
    }
    return *path == '\0' || *path == '.' || *path == '[';
}

static int fail_v(const vio__ld *ld, const char *attr, const char *path, const char *fmt, va_list ap)
{
    char what[VIO_ERR_MAX], esc[VIO_ERR_MAX / 2];
    vsnprintf(what, sizeof what, fmt, ap);
    /* The last override wins in the JSON, so it is the one to name. */
    for (size_t i = ld->nsets; attr && *attr && i-- > 0;) {
        const char *set = ld->sets[i];
        vio_escape(esc, sizeof esc, set, strlen(set));
        if (below(attr, ld->set_paths[i]))
            return vio_err_set(ld->err, VIO_EINVAL, "--set %s: %s: %s", esc, path, what);
        if (below(ld->set_paths[i], attr))
            return vio_err_set(ld->err, VIO_EINVAL, "%s: %s (with --set %s): %s", ld->src, path, esc, what);
    }
    if (path && *path)
        return vio_err_set(ld->err, VIO_EINVAL, "%s: %s: %s", ld->src, path, what);
    return vio_err_set(ld->err, VIO_EINVAL, "%s: %s", ld->src, what);
}

int vio__ld_fail(const vio__ld *ld, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = fail_v(ld, path, path, fmt, ap);
    va_end(ap);
    return rc;
}

int vio__ld_fail_at(const vio__ld *ld, const char *attr, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = fail_v(ld, attr, path, fmt, ap);
    va_end(ap);
    return rc;
}

const char *vio__num(char *buf, size_t cap, double d)
{
    if (d == floor(d) && fabs(d) < 1e21)
        snprintf(buf, cap, "%.0f", d);
    else
        snprintf(buf, cap, "%.15g", d);
    return buf;
}

static int nomem(const vio__ld *ld) { return vio_err_set(ld->err, VIO_ENOMEM, "%s: out of memory", ld->src); }

const char *vio__big_number(const json_t *v)
{
    const char *s = json_string_value(v);
    size_t n = strlen(VIO__BIG_MARK);
    return s && json_string_length(v) > n && strncmp(s, VIO__BIG_MARK, n) == 0 ? s + n : NULL;
}

const char *vio__json_kind(const json_t *v)
{
    if (vio__big_number(v))
        return "a number beyond the range of 64-bit integers and doubles";
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        break;
    }
    return "null";
}

/* What a value is, for "got ...": its kind, and a string's text (escaped). */
static const char *got(const json_t *v, char *buf, size_t cap)
{
    if (!json_is_string(v) || vio__big_number(v))
        return vio__json_kind(v);
    char q[VIO_NAME_MAX * 2];
    snprintf(buf, cap, "the string \"%s\"", vio_escape(q, sizeof q, json_string_value(v), json_string_length(v)));
    return buf;
}

long long vio__int_bound(double d) { return d >= 9223372036854775807.0 ? LLONG_MAX : (long long)d; }

/* Paths are formatted through vsnprintf: a path that does not fit is cut short, and
 * only the message shows it (GCC's truncation warnings do not look through this). */
static void path_fmt(char *out, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void path_fmt(char *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, PATH_MAX_LEN, fmt, ap);
    va_end(ap);
}

static void join(char *out, const char *path, const char *key)
{
    path_fmt(out, "%s%s%s", path, *path ? "." : "", key);
}

/* ---- pass 1: keys and shapes ---- */

enum kind { K_NONE, K_SCALAR, K_OBJECT, K_ARRAY };

static enum kind kind_of(const char *schema)
{
    size_t n = strlen(schema);
    for (const vio_param *p = vio_params_table(); p->path; p++) {
        if (strncmp(p->path, schema, n) != 0)
            continue;
        if (p->path[n] == '\0')
            return K_SCALAR;
        if (p->path[n] == '.')
            return K_OBJECT;
        if (p->path[n] == '[')
            return K_ARRAY;
    }
    return K_NONE;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* "a, b, c": the keys an object at `schema` may hold, sorted. */
static void expected_keys(const char *schema, char *out, size_t cap)
{
    const char *names[64];
    size_t lens[64], count = 0, n = strlen(schema);
    char copies[64][KEY_MAX_LEN + 1];
    for (const vio_param *p = vio_params_table(); p->path && count < 64; p++) {
        const char *rest = p->path;
        if (n > 0) {
            if (strncmp(p->path, schema, n) != 0 || p->path[n] != '.')
                continue;
            rest = p->path + n + 1;
        }
        size_t len = strcspn(rest, ".[");
        if (len > KEY_MAX_LEN)
            continue;
        size_t i = 0;
        while (i < count && !(lens[i] == len && strncmp(names[i], rest, len) == 0))
            i++;
        if (i < count)
            continue;
        memcpy(copies[count], rest, len);
        copies[count][len] = '\0';
        names[count] = copies[count];
        lens[count++] = len;
    }
    qsort(names, count, sizeof names[0], cmp_str);
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < count && used < cap; i++) {
        int w = snprintf(out + used, cap - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static int array_limits(const char *schema, size_t *min, size_t *max)
{
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        if (strcmp(arrays[i].schema, schema) == 0) {
            *min = arrays[i].min;
            *max = arrays[i].max;
            return 1;
        }
    return 0;
}

static int keys_object(const vio__ld *ld, json_t *obj, const char *schema, const char *path)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        char cs[PATH_MAX_LEN], cp[PATH_MAX_LEN];
        join(cp, path, key);
        enum kind k = K_NONE;
        /* A key holding '.' or '[' must not pass as a deeper table path. */
        if (strlen(key) <= KEY_MAX_LEN && key[0] && !strpbrk(key, ".[]")) {
            join(cs, schema, key);
            k = kind_of(cs);
        }
        if (k == K_NONE) {
            char list[VIO_ERR_MAX], q[KEY_MAX_LEN * 2];
            expected_keys(schema, list, sizeof list);
            vio_escape(q, sizeof q, key, strlen(key));
            return vio__ld_fail_at(ld, cp, path, "unknown key \"%s\" (expected one of: %s)", q, list);
        }
        if (k == K_OBJECT) {
            if (!json_is_object(v))
                return vio__ld_fail(ld, cp, "expected an object, got %s", vio__json_kind(v));
            int rc = keys_object(ld, v, cs, cp);
            if (rc)
                return rc;
        } else if (k == K_ARRAY) {
            size_t min = 0, max = SIZE_MAX, n = json_array_size(v);
            if (!json_is_array(v))
                return vio__ld_fail(ld, cp, "expected an array, got %s", vio__json_kind(v));
            if (array_limits(cs, &min, &max) && (n < min || n > max))
                return vio__ld_fail(ld, cp, "expected %zu..%zu entries, got %zu", min, max, n);
            char es[PATH_MAX_LEN];
            path_fmt(es, "%s[]", cs);
            for (size_t i = 0; i < n; i++) {
                char ep[PATH_MAX_LEN];
                json_t *e = json_array_get(v, i);
                path_fmt(ep, "%s[%zu]", cp, i);
                if (!json_is_object(e))
                    return vio__ld_fail(ld, ep, "expected an object, got %s", vio__json_kind(e));
                int rc = keys_object(ld, e, es, ep);
                if (rc)
                    return rc;
            }
        }
    }
    return VIO_OK;
}

int vio__ld_keys(const vio__ld *ld, json_t *root) { return keys_object(ld, root, "", ""); }

/* ---- pass 2: values ---- */

/* `"a", "b"` from "a|b" */
static void quote_choices(const char *choices, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    while (*choices && used < cap) {
        size_t n = strcspn(choices, "|");
        int w = snprintf(out + used, cap - used, "%s\"%.*s\"", used ? ", " : "", (int)n, choices);
        if (w < 0)
            break;
        used += (size_t)w;
        choices += n + (choices[n] ? 1 : 0);
    }
}

/* An enum backed by a registered table (viosim/strategy.h): find the row BY NAME
 * and store its index; the message lists every row's name. */
static int load_row(const vio__ld *ld, const vio_axis *axis, json_t *v, const char *path, void *dst)
{
    char list[VIO_ERR_MAX], names[VIO_ERR_MAX];
    vio_axis_join(axis, "|", names, sizeof names);
    quote_choices(names, list, sizeof list);
    if (!json_is_string(v) || vio__big_number(v))
        return vio__ld_fail(ld, path, "expected one of %s, got %s", list, vio__json_kind(v));
    int row = vio_axis_find(axis, json_string_value(v), json_string_length(v));
    if (row < 0) {
        char q[VIO_NAME_MAX * 2];
        return vio__ld_fail(ld, path, "expected one of %s, got \"%s\"", list,
                            vio_escape(q, sizeof q, json_string_value(v), json_string_length(v)));
    }
    memcpy(dst, &row, sizeof row);
    return VIO_OK;
}

static int load_integer(const vio__ld *ld, const vio_param *p, json_t *parent, const char *key,
                        const char *path, void *dst)
{
    json_t *v = json_object_get(parent, key);
    long long lo = vio__int_bound(p->min), hi = vio__int_bound(p->max), ll;
    if (json_is_integer(v)) {
        ll = json_integer_value(v);
        if (ll < lo || ll > hi)
            return vio__ld_fail(ld, path, "expected an integer in %lld..%lld, got %lld", lo, hi, ll);
    } else if (json_is_real(v)) {
        double d = json_real_value(v);
        /* Range-check as a double first: converting 1e300 to long long is undefined. */
        if (d != floor(d) || d < p->min || d > p->max || fabs(d) >= 9223372036854775808.0) {
            char num[64];
            return vio__ld_fail(ld, path, "expected an integer in %lld..%lld, got %s", lo, hi,
                                vio__num(num, sizeof num, d));
        }
        ll = (long long)d;
        if (json_object_set_new(parent, key, json_integer(ll)))
            return nomem(ld);
    } else if (vio__big_number(v)) {
        return vio__ld_fail(ld, path, "expected an integer in %lld..%lld, got %s", lo, hi, vio__big_number(v));
    } else {
        char g[VIO_NAME_MAX * 3];
        return vio__ld_fail(ld, path, "expected an integer, got %s", got(v, g, sizeof g));
    }
    if (p->type == VIO_PT_U32)
        *(uint32_t *)dst = (uint32_t)ll;
    else
        *(uint64_t *)dst = (uint64_t)ll;
    return VIO_OK;
}

static int load_value(const vio__ld *ld, const vio_param *p, json_t *parent, const char *key, const char *path,
                      void *dst)
{
    json_t *v = json_object_get(parent, key);
    char list[VIO_ERR_MAX];
    switch (p->type) {
    case VIO_PT_U32:
    case VIO_PT_U64:
        return load_integer(ld, p, parent, key, path, dst);
    case VIO_PT_DOUBLE: {
        char range[96];
        if (vio__big_number(v))
            return vio__ld_fail(ld, path, "expected a number in %s, got %s", vio_param_range(p, range, sizeof range),
                                vio__big_number(v));
        if (!json_is_number(v))
            return vio__ld_fail(ld, path, "expected a number, got %s", got(v, list, sizeof list));
        double d = json_number_value(v);
        int excl = (p->flags & VIO_PF_MIN_EXCLUSIVE) != 0;
        if ((excl ? d <= p->min : d < p->min) || d > p->max) {
            char num[64];
            return vio__ld_fail(ld, path, "expected a number in %s, got %s", vio_param_range(p, range, sizeof range),
                                vio__num(num, sizeof num, d));
        }
        if (json_is_integer(v) && json_object_set_new(parent, key, json_real(d)))
            return nomem(ld);
        *(double *)dst = d;
        return VIO_OK;
    }
    case VIO_PT_BOOL:
        if (!json_is_boolean(v))
            return vio__ld_fail(ld, path, "expected true or false, got %s", got(v, list, sizeof list));
        *(uint32_t *)dst = json_is_true(v) ? 1u : 0u;
        return VIO_OK;
    case VIO_PT_ENUM: {
        if (vio_param_axis(p))
            return load_row(ld, vio_param_axis(p), v, path, dst);
        quote_choices(p->choices, list, sizeof list);
        if (!json_is_string(v) || vio__big_number(v))
            return vio__ld_fail(ld, path, "expected one of %s, got %s", list, vio__json_kind(v));
        const char *str = json_string_value(v), *c = p->choices;
        size_t len = json_string_length(v);
        for (int idx = 0; *c; idx++) {
            size_t n = strcspn(c, "|");
            if (n == len && strncmp(c, str, n) == 0) {
                memcpy(dst, &idx, sizeof idx); /* enum value = position in `choices` */
                return VIO_OK;
            }
            c += n + (c[n] ? 1 : 0);
        }
        char q[VIO_NAME_MAX * 2];
        return vio__ld_fail(ld, path, "expected one of %s, got \"%s\"", list, vio_escape(q, sizeof q, str, len));
    }
    case VIO_PT_STRING: {
        if (!json_is_string(v) || vio__big_number(v))
            return vio__ld_fail(ld, path, "expected a string, got %s", vio__json_kind(v));
        size_t len = json_string_length(v);
        long long lo = vio__int_bound(p->min), hi = vio__int_bound(p->max);
        if ((long long)len < lo || (long long)len > hi || len >= VIO_NAME_MAX)
            return vio__ld_fail(ld, path, "expected a string of %lld..%lld bytes, got %zu bytes", lo, hi, len);
        memcpy(dst, json_string_value(v), len + 1);
        return VIO_OK;
    }
    }
    return vio__ld_fail(ld, path, "internal: unknown parameter type");
}

/* The part of `row` after "scope." when the row is a scalar of that scope itself. */
static const char *in_scope(const char *row, const char *scope)
{
    size_t n = strlen(scope);
    const char *rel = row;
    if (n > 0) {
        if (strncmp(row, scope, n) != 0 || row[n] != '.')
            return NULL;
        rel = row + n + 1;
    }
    return strchr(rel, '[') ? NULL : rel;
}

/* Load every plain row of `scope` from `obj` into `base`, creating missing
 * intermediate objects and filling defaults. */
static int load_scope(const vio__ld *ld, json_t *obj, const char *scope, const char *path, void *base)
{
    unsigned one_of_rows = 0, one_of_given = 0;
    char one_of_names[PATH_MAX_LEN] = "";
    for (const vio_param *p = vio_params_table(); p->path; p++) {
        const char *rel = in_scope(p->path, scope);
        if (!rel || (p->flags & VIO_PF_CODE))
            continue;
        char comp[PATH_MAX_LEN], cp[PATH_MAX_LEN];
        json_t *parent = obj;
        path_fmt(comp, "%s", rel);
        join(cp, path, rel);
        char *leaf = comp, *dot;
        while ((dot = strchr(leaf, '.')) != NULL) {
            *dot = '\0';
            json_t *child = json_object_get(parent, leaf);
            if (!child) {
                child = json_object();
                if (json_object_set_new(parent, leaf, child))
                    return nomem(ld);
            }
            if (!json_is_object(child)) /* pass 1 rejects this; stay safe anyway */
                return vio__ld_fail(ld, cp, "expected an object on the way, got %s", vio__json_kind(child));
            parent = child;
            leaf = dot + 1;
        }
        if (p->flags & VIO_PF_ONE_OF) {
            char prev[PATH_MAX_LEN];
            memcpy(prev, one_of_names, sizeof prev);
            path_fmt(one_of_names, "%s%s%s", prev, one_of_rows ? ", " : "", leaf);
            one_of_rows++;
        }
        if (!json_object_get(parent, leaf)) {
            if (p->flags & VIO_PF_ONE_OF)
                continue;
            /* A platform preset (loaded first: its row leads the platform section)
             * replaces the table's default of the values it lists. */
            const vio_preset_value *pv = vio_preset_value_of(ld->s->platform.preset, p->path);
            const char *dflt = pv ? pv->value : p->dflt;
            if (!dflt)
                return vio__ld_fail(ld, cp, "required key missing");
            json_t *d = json_loads(dflt, JSON_DECODE_ANY, NULL);
            if (!d || json_object_set_new(parent, leaf, d))
                return nomem(ld);
        } else if (p->flags & VIO_PF_ONE_OF) {
            one_of_given++;
        }
        int rc = load_value(ld, p, parent, leaf, cp, (char *)base + p->offset);
        if (rc)
            return rc;
    }
    if (one_of_rows > 0 && one_of_given != 1)
        return vio__ld_fail(ld, path, "expected exactly one of %s, got %s", one_of_names,
                            one_of_given ? "more than one" : "none");
    return VIO_OK;
}

/* A VM index in a flow's dst; integral reals are rewritten as integers via `set`. */
static int load_vm_index(const vio__ld *ld, json_t *v, const char *path, uint32_t *out)
{
    uint32_t nvms = ld->s->nvms;
    long long ll;
    if (json_is_integer(v)) {
        ll = json_integer_value(v);
    } else if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)) &&
               fabs(json_real_value(v)) < 1e18) {
        ll = (long long)json_real_value(v);
    } else if (vio__big_number(v)) {
        return vio__ld_fail(ld, path, "expected a VM index in 0..%u, got %s", nvms - 1, vio__big_number(v));
    } else if (json_is_real(v)) {
        char num[64];
        return vio__ld_fail(ld, path, "expected a VM index in 0..%u, got %s", nvms - 1,
                            vio__num(num, sizeof num, json_real_value(v)));
    } else {
        return vio__ld_fail(ld, path, "expected a VM index, got %s", vio__json_kind(v));
    }
    if (ll < 0)
        return vio__ld_fail(ld, path, "expected a VM index in 0..%u, got %lld", nvms - 1, ll);
    if (ll >= nvms)
        return vio__ld_fail(ld, path, "VM %lld does not exist (scenario has %u VMs)", ll, nvms);
    *out = (uint32_t)ll;
    return VIO_OK;
}

static int load_dst(const vio__ld *ld, json_t *obj, const char *path, vio_flow *f)
{
    char cp[PATH_MAX_LEN];
    uint32_t nvms = ld->s->nvms;
    json_t *v = json_object_get(obj, "dst");
    join(cp, path, "dst");
    if (!v)
        return vio__ld_fail(ld, cp, "required key missing");
    /* At most nvms entries survive the range and duplicate checks (pigeonhole). */
    f->dst = calloc(nvms, sizeof *f->dst);
    if (!f->dst)
        return nomem(ld);
    if (json_is_string(v) && !vio__big_number(v)) {
        if (strcmp(json_string_value(v), "broadcast") != 0) {
            char q[VIO_NAME_MAX * 2];
            return vio__ld_fail(ld, cp, "expected a VM index, a list of VM indices or \"broadcast\", got \"%s\"",
                                vio_escape(q, sizeof q, json_string_value(v), json_string_length(v)));
        }
        for (uint32_t i = 0; i < nvms; i++)
            f->dst[i] = i;
        f->ndst = nvms;
        return VIO_OK;
    }
    if (json_is_number(v) || vio__big_number(v)) {
        int rc = load_vm_index(ld, v, cp, &f->dst[0]);
        if (rc == VIO_OK && json_is_real(v) && json_object_set_new(obj, "dst", json_integer(f->dst[0])))
            return nomem(ld);
        f->ndst = rc == VIO_OK ? 1 : 0;
        return rc;
    }
    if (!json_is_array(v))
        return vio__ld_fail(ld, cp, "expected a VM index, a list of VM indices or \"broadcast\", got %s",
                            vio__json_kind(v));
    if (json_array_size(v) == 0)
        return vio__ld_fail(ld, cp, "expected at least one VM index, got an empty list");
    uint32_t *seen = calloc(nvms, sizeof *seen); /* position + 1 where each VM was listed */
    if (!seen)
        return nomem(ld);
    int rc = VIO_OK;
    for (size_t i = 0; i < json_array_size(v) && rc == VIO_OK; i++) {
        char ep[PATH_MAX_LEN];
        json_t *e = json_array_get(v, i);
        uint32_t vm;
        path_fmt(ep, "%s[%zu]", cp, i);
        rc = load_vm_index(ld, e, ep, &vm);
        if (rc)
            break;
        if (seen[vm])
            rc = vio__ld_fail(ld, ep, "VM %u is listed twice (also dst[%u])", vm, seen[vm] - 1);
        else if (json_is_real(e) && json_array_set_new(v, i, json_integer(vm)))
            rc = nomem(ld);
        else {
            seen[vm] = (uint32_t)i + 1;
            f->dst[f->ndst++] = vm;
        }
    }
    free(seen);
    return rc;
}

static int load_sizes(const vio__ld *ld, json_t *obj, const char *path, vio_flow *f)
{
    char cp[PATH_MAX_LEN];
    json_t *mix = json_object_get(obj, "size_mix");
    uint32_t buffer = ld->s->platform.nic_buffer_bytes;
    if (mix && json_object_get(obj, "size"))
        return vio__ld_fail(ld, path, "expected either size or size_mix, got both");
    if (!mix) {
        const vio_param *p = vio_params_find("traffic.flows[].size");
        join(cp, path, "size");
        if (!json_object_get(obj, "size") && json_object_set_new(obj, "size", json_loads(p->dflt, JSON_DECODE_ANY, NULL)))
            return nomem(ld);
        int rc = load_value(ld, p, obj, "size", cp, &f->sizes[0].bytes);
        if (rc)
            return rc;
        f->sizes[0].weight = 1.0;
        f->nsizes = 1;
        if (f->sizes[0].bytes > buffer)
            return vio__ld_fail(ld, cp, "%u bytes does not fit in one NIC buffer (platform.nic.buffer_bytes is %u)",
                                f->sizes[0].bytes, buffer);
        return VIO_OK;
    }
    for (size_t i = 0; i < json_array_size(mix) && i < VIO_MAX_SIZE_MIX; i++) {
        char bp[PATH_MAX_LEN];
        path_fmt(cp, "%s.size_mix[%zu]", path, i);
        int rc = load_scope(ld, json_array_get(mix, i), "traffic.flows[].size_mix[]", cp, &f->sizes[i]);
        if (rc)
            return rc;
        f->nsizes = (uint32_t)i + 1;
        join(bp, cp, "bytes");
        if (f->sizes[i].bytes > buffer)
            return vio__ld_fail(ld, bp, "%u bytes does not fit in one NIC buffer (platform.nic.buffer_bytes is %u)",
                                f->sizes[i].bytes, buffer);
    }
    return VIO_OK;
}

/* A worker's queue list: distinct queue indices (their range is checked once
 * the number of queues is known, in scenario_check.c). */
static int load_queues(const vio__ld *ld, json_t *obj, const char *path, vio_worker_params *w)
{
    char cp[PATH_MAX_LEN];
    join(cp, path, "queues");
    json_t *v = json_object_get(obj, "queues");
    if (!v) {
        v = json_array();
        if (!v || json_object_set_new(obj, "queues", v))
            return nomem(ld);
    }
    if (!json_is_array(v))
        return vio__ld_fail(ld, cp, "expected a list of NIC queue indices, got %s", vio__json_kind(v));
    size_t n = json_array_size(v);
    if (n > VIO_MAX_CORES)
        return vio__ld_fail(ld, cp, "expected at most %u queues, got %zu", VIO_MAX_CORES, n);
    w->queues = calloc(n ? n : 1, sizeof *w->queues);
    if (!w->queues)
        return nomem(ld);
    for (size_t i = 0; i < n; i++) {
        char ep[PATH_MAX_LEN];
        json_t *e = json_array_get(v, i);
        path_fmt(ep, "%s[%zu]", cp, i);
        double d = json_is_number(e) ? json_number_value(e) : -1;
        if (!json_is_number(e) || d != floor(d) || d < 0 || d >= VIO_MAX_CORES)
            return vio__ld_fail(ld, ep, "expected a NIC queue index in 0..%u, got %s", VIO_MAX_CORES - 1,
                                json_is_number(e) ? "a number out of range" : vio__json_kind(e));
        uint32_t q = (uint32_t)d;
        for (uint32_t j = 0; j < w->nqueues; j++)
            if (w->queues[j] == q)
                return vio__ld_fail(ld, ep, "queue %u is listed twice", q);
        if (json_is_real(e) && json_array_set_new(v, i, json_integer(q)))
            return nomem(ld);
        w->queues[w->nqueues++] = q;
    }
    return VIO_OK;
}

/* The array at `key` of `parent`: its length, after creating the default when absent. */
static int get_array(const vio__ld *ld, json_t *parent, const char *key, const char *path, json_t **arr)
{
    *arr = json_object_get(parent, key);
    if (*arr)
        return VIO_OK;
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        if (strcmp(arrays[i].schema, path) == 0 && arrays[i].dflt) {
            *arr = json_loads(arrays[i].dflt, 0, NULL);
            if (!*arr || json_object_set_new(parent, key, *arr))
                return nomem(ld);
            return VIO_OK;
        }
    return vio__ld_fail(ld, path, "required key missing");
}

int vio__ld_values(const vio__ld *ld, json_t *root)
{
    vio_scenario *s = ld->s;
    json_t *arr;
    char path[PATH_MAX_LEN];
    int rc = load_scope(ld, root, "", "", s);
    /* Only the optional L2 can be switched off. */
    s->platform.l1.enabled = s->platform.llc.enabled = 1;

    if (rc == VIO_OK)
        rc = get_array(ld, root, "vms", "vms", &arr);
    if (rc == VIO_OK) {
        s->vms = calloc(json_array_size(arr), sizeof *s->vms);
        if (!s->vms)
            return nomem(ld);
        s->nvms = (uint32_t)json_array_size(arr);
        for (uint32_t i = 0; i < s->nvms && rc == VIO_OK; i++) {
            path_fmt(path, "vms[%u]", i);
            rc = load_scope(ld, json_array_get(arr, i), "vms[]", path, &s->vms[i]);
        }
    }

    if (rc == VIO_OK)
        rc = get_array(ld, json_object_get(root, "host"), "workers", "host.workers", &arr);
    if (rc == VIO_OK) {
        /* Absent: one worker on host.core serving every queue. */
        size_t n = json_array_size(arr);
        s->workers = calloc(n ? n : 1, sizeof *s->workers);
        if (!s->workers)
            return nomem(ld);
        s->nworkers = n ? (uint32_t)n : 1;
        s->workers[0].core = s->host.core;
        for (uint32_t i = 0; i < n && rc == VIO_OK; i++) {
            json_t *wo = json_array_get(arr, i);
            path_fmt(path, "host.workers[%u]", i);
            rc = load_scope(ld, wo, "host.workers[]", path, &s->workers[i]);
            if (rc == VIO_OK)
                rc = load_queues(ld, wo, path, &s->workers[i]);
        }
    }

    if (rc == VIO_OK)
        rc = get_array(ld, json_object_get(root, "traffic"), "flows", "traffic.flows", &arr);
    if (rc == VIO_OK) {
        s->traffic.flows = calloc(json_array_size(arr), sizeof *s->traffic.flows);
        if (!s->traffic.flows)
            return nomem(ld);
        s->traffic.nflows = (uint32_t)json_array_size(arr);
        for (uint32_t i = 0; i < s->traffic.nflows && rc == VIO_OK; i++) {
            json_t *fo = json_array_get(arr, i);
            vio_flow *f = &s->traffic.flows[i];
            path_fmt(path, "traffic.flows[%u]", i);
            rc = load_scope(ld, fo, "traffic.flows[]", path, f);
            if (rc == VIO_OK)
                rc = load_dst(ld, fo, path, f);
            if (rc == VIO_OK)
                rc = load_sizes(ld, fo, path, f);
        }
    }

    if (rc == VIO_OK)
        rc = get_array(ld, root, "variants", "variants", &arr);
    if (rc == VIO_OK) {
        s->variants = calloc(json_array_size(arr), sizeof *s->variants);
        if (!s->variants)
            return nomem(ld);
        s->nvariants = (uint32_t)json_array_size(arr);
        for (uint32_t i = 0; i < s->nvariants && rc == VIO_OK; i++) {
            path_fmt(path, "variants[%u]", i);
            rc = load_scope(ld, json_array_get(arr, i), "variants[]", path, &s->variants[i]);
        }
    }

    if (rc == VIO_OK)
        rc = get_array(ld, root, "tenants", "tenants", &arr);
    if (rc == VIO_OK && json_array_size(arr) > 0) {
        s->tenants = calloc(json_array_size(arr), sizeof *s->tenants);
        if (!s->tenants)
            return nomem(ld);
        s->ntenants = (uint32_t)json_array_size(arr);
        for (uint32_t i = 0; i < s->ntenants && rc == VIO_OK; i++) {
            path_fmt(path, "tenants[%u]", i);
            rc = load_scope(ld, json_array_get(arr, i), "tenants[]", path, &s->tenants[i]);
        }
    }
    return rc;
}
