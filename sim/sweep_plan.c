/* Expanding a sweep file into points and tasks, and DIR/plan.json.
 *
 * A sweep file:
 *   { "name": "ddio-ring", "scenario": "ddio-ring.json", "replications": 3,
 *     "set": { "traffic.packets": 20000 },
 *     "zip":  [ { "path": "traffic.load", "values": [0.5, 1] }, { "path": "...", "values": [...] } ],
 *     "grid": [ { "path": "platform.nic.ring_entries", "log2": [128, 4096] },
 *               { "path": "traffic.flows[*].size", "values": [64, 1500] } ],
 *     "variants": ["dram", "ddio"] }
 * Points: every row of the zipped lists (outermost) times the grid's product
 * (first axis slowest). An axis gives "values" (a list), "range" [from, to,
 * step] (inclusive) or "log2" [from, to] (the powers of two between). */
/* realpath() is XSI. */
#define _XOPEN_SOURCE 700

#include "sweep.h"

#include "viosim/sha256.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int bad(const char *file, const char *where, const char *what)
{
    return cli_fail(EXIT_BAD_INPUT, "%s: %s: %s", file, where, what);
}

/* The values of one axis object, as a new JSON array, or NULL after printing why. */
static json_t *axis_values(const char *file, const char *where, const json_t *ax)
{
    char w[160];
    const char *key;
    const json_t *v;
    int forms = 0;
    json_object_foreach((json_t *)ax, key, v)
    {
        if (strcmp(key, "path") && strcmp(key, "values") && strcmp(key, "range") && strcmp(key, "log2")) {
            snprintf(w, sizeof w, "%s.%s", where, key);
            bad(file, w, "unknown key (expected path and one of values, range, log2)");
            return NULL;
        }
        forms += strcmp(key, "path") != 0;
    }
    if (forms != 1) {
        bad(file, where, "expected exactly one of values, range, log2");
        return NULL;
    }
    const json_t *list = json_object_get(ax, "values"), *range = json_object_get(ax, "range"),
                 *log2v = json_object_get(ax, "log2");
    json_t *out = json_array();
    if (list) {
        if (!json_is_array(list) || json_array_size(list) == 0) {
            snprintf(w, sizeof w, "%s.values", where);
            bad(file, w, "expected a non-empty list");
            json_decref(out);
            return NULL;
        }
        size_t i;
        json_array_foreach(list, i, v) json_array_append(out, (json_t *)v);
        return out;
    }
    const json_t *spec = range ? range : log2v;
    size_t want = range ? 3 : 2;
    snprintf(w, sizeof w, "%s.%s", where, range ? "range" : "log2");
    double a[3] = {0, 0, 0};
    int ok = json_is_array(spec) && json_array_size(spec) == want;
    for (size_t i = 0; ok && i < want; i++) {
        ok = json_is_number(json_array_get(spec, i));
        a[i] = json_number_value(json_array_get(spec, i));
    }
    if (!ok) {
        bad(file, w, range ? "expected [from, to, step] (numbers)" : "expected [from, to] (powers of two)");
        json_decref(out);
        return NULL;
    }
    if (range) {
        if (!(a[2] > 0) || a[1] < a[0] || (a[1] - a[0]) / a[2] > 100000) {
            bad(file, w, "expected from <= to and 0 < step, at most 100000 values");
            json_decref(out);
            return NULL;
        }
        /* from + i * step, rounded to 12 digits so 0.1 steps do not print as 0.30000000000000004. */
        int integral = a[0] == floor(a[0]) && a[2] == floor(a[2]);
        for (double i = 0;; i++) {
            double x = a[0] + i * a[2];
            if (x > a[1] * (1 + 1e-12) + 1e-12)
                break;
            char txt[64];
            snprintf(txt, sizeof txt, "%.12g", x);
            json_array_append_new(out, integral ? json_integer((json_int_t)llround(x)) : json_real(strtod(txt, NULL)));
        }
        return out;
    }
    if (a[0] < 1 || a[1] < a[0] || a[1] > 9.007199254740992e15 || a[0] != floor(a[0]) || a[1] != floor(a[1]) ||
        ((unsigned long long)a[0] & ((unsigned long long)a[0] - 1)) ||
        ((unsigned long long)a[1] & ((unsigned long long)a[1] - 1))) {
        bad(file, w, "expected [from, to]: powers of two with from <= to");
        json_decref(out);
        return NULL;
    }
    for (unsigned long long x = (unsigned long long)a[0]; x <= (unsigned long long)a[1]; x *= 2)
        json_array_append_new(out, json_integer((json_int_t)x));
    return out;
}

/* Append the axes of `list` (the file's "zip" or "grid") to `axes`. */
static int read_axes(const char *file, const json_t *list, const char *name, json_t *axes)
{
    if (!list)
        return 0;
    if (!json_is_array(list))
        return bad(file, name, "expected a list of {\"path\": ..., \"values\": [...]}");
    size_t i;
    const json_t *ax;
    json_array_foreach(list, i, ax)
    {
        char where[64];
        snprintf(where, sizeof where, "%s[%zu]", name, i);
        const char *path = json_string_value(json_object_get(ax, "path"));
        if (!json_is_object(ax) || !path || !*path || strchr(path, '=')) {
            char w[80];
            snprintf(w, sizeof w, "%s.path", where);
            return bad(file, w, "expected a parameter path as --set spells it, e.g. traffic.flows[*].size");
        }
        json_t *vals = axis_values(file, where, ax);
        if (!vals)
            return EXIT_BAD_INPUT;
        json_array_append_new(axes, json_pack("{s:s,s:o,s:b}", "path", path, "values", vals, "zip", name[0] == 'z'));
    }
    return 0;
}

uint64_t sweep_seed(uint64_t base, const json_t *point, uint32_t rep)
{
    char *txt = json_dumps(point, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    char head[64];
    int n = snprintf(head, sizeof head, "viosim-sweep-seed/1 %llu %u ", (unsigned long long)base, rep);
    vio_sha256 c;
    vio_sha256_init(&c);
    vio_sha256_update(&c, head, (size_t)n);
    if (txt)
        vio_sha256_update(&c, txt, strlen(txt));
    free(txt);
    uint8_t d[VIO_SHA256_BYTES];
    vio_sha256_final(&c, d);
    uint64_t s = 0;
    for (int i = 0; i < 8; i++)
        s = s << 8 | d[i];
    return s >> 1; /* 63 bits: the scenario's seed is at most 2^63 - 1 */
}

static char *value_text(const json_t *v)
{
    return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(15));
}

const char **sweep_task_sets(const sweep_plan *p, const sweep_task *t, json_t **store, size_t *n)
{
    json_t *st = json_array();
    size_t i;
    const json_t *s;
    json_array_foreach(p->sets, i, s) json_array_append(st, (json_t *)s);
    const char *key;
    const json_t *v;
    json_object_foreach(json_array_get(p->points, t->point), key, v)
    {
        char *vt = value_text(v);
        size_t len = strlen(key) + (vt ? strlen(vt) : 0) + 2;
        char *txt = malloc(len);
        snprintf(txt, len, "%s=%s", key, vt ? vt : "null");
        json_array_append_new(st, json_string(txt));
        free(txt);
        free(vt);
    }
    char seed[40];
    snprintf(seed, sizeof seed, "seed=%llu", (unsigned long long)t->seed);
    json_array_append_new(st, json_string(seed));
    const char **out = calloc(json_array_size(st) + 1, sizeof *out);
    json_array_foreach(st, i, s) out[i] = json_string_value(s);
    *n = json_array_size(st);
    *store = st;
    return out;
}

/* Hash every task's scenario; this also validates each point before anything runs. */
static int hash_tasks(sweep_plan *p, const char *file)
{
    for (uint32_t i = 0; i < p->ntasks; i++) {
        sweep_task *t = &p->tasks[i];
        json_t *store;
        size_t n;
        const char **sets = sweep_task_sets(p, t, &store, &n);
        vio_scenario *s = NULL;
        vio_err err = {{0}};
        int rc = vio_scenario_load_file(p->scenario, sets, n, &s, &err);
        free(sets);
        json_decref(store);
        if (rc != VIO_OK)
            return cli_fail(cli_exit_for(rc), "%s: point %u: %s", file, t->point, err.msg);
        size_t k;
        const json_t *name;
        json_array_foreach(p->variants, k, name)
        {
            if (vio_scenario_variant_by_name(s, json_string_value(name)) < 0) {
                vio_scenario_destroy(s);
                return cli_fail(EXIT_BAD_INPUT, "%s: variants[%zu]: %s has no variant %s", file, k, p->scenario,
                                json_string_value(name));
            }
        }
        vio_sha256_hex(s->canonical_json, strlen(s->canonical_json), t->sha);
        vio_scenario_destroy(s);
    }
    return 0;
}

/* Points and tasks from the axes. */
static int expand(sweep_plan *p, const char *file)
{
    size_t nzip = 0, zip_len = 1, grid = 1;
    size_t i;
    const json_t *ax;
    json_array_foreach(p->axes, i, ax)
    {
        size_t len = json_array_size(json_object_get(ax, "values"));
        if (json_is_true(json_object_get(ax, "zip"))) {
            if (nzip++ && len != zip_len)
                return cli_fail(EXIT_BAD_INPUT, "%s: zip[%zu]: %zu values, but zip[0] has %zu (zipped lists have one length)",
                                file, nzip - 1, len, zip_len);
            zip_len = len;
        } else {
            grid *= len;
        }
        if (grid * zip_len > 100000)
            return cli_fail(EXIT_BAD_INPUT, "%s: more than 100000 points", file);
    }
    size_t npoints = zip_len * grid;
    if ((uint64_t)npoints * p->reps > 1000000)
        return cli_fail(EXIT_BAD_INPUT, "%s: more than 1000000 runs (points x replications)", file);
    p->points = json_array();
    for (size_t pt = 0; pt < npoints; pt++) {
        json_t *o = json_object();
        size_t zrow = pt / grid, rest = pt % grid, stride = grid;
        json_array_foreach(p->axes, i, ax)
        {
            const json_t *vals = json_object_get(ax, "values");
            size_t k;
            if (json_is_true(json_object_get(ax, "zip"))) {
                k = zrow;
            } else {
                stride /= json_array_size(vals);
                k = rest / stride;
                rest %= stride;
            }
            json_object_set(o, json_string_value(json_object_get(ax, "path")), json_array_get(vals, k));
        }
        json_array_append_new(p->points, o);
    }
    p->npoints = (uint32_t)npoints;
    p->ntasks = (uint32_t)(npoints * p->reps);
    p->tasks = calloc(p->ntasks ? p->ntasks : 1, sizeof *p->tasks);
    for (uint32_t pt = 0, k = 0; pt < p->npoints; pt++) {
        for (uint32_t r = 0; r < p->reps; r++, k++) {
            sweep_task *t = &p->tasks[k];
            t->point = pt;
            t->rep = r;
            t->seed = sweep_seed(p->base_seed, json_array_get(p->points, pt), r);
            snprintf(t->id, sizeof t->id, "p%04u-r%02u", pt, r);
        }
    }
    return 0;
}

int sweep_plan_load(const char *file, const cli_opts *o, sweep_plan **out)
{
    *out = NULL;
    json_error_t je;
    json_t *doc = json_load_file(file, JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        if (je.line <= 0)
            return cli_fail(EXIT_BAD_INPUT, "%s: cannot read: %s", file, je.text);
        return cli_fail(EXIT_BAD_INPUT, "%s:%d:%d: invalid JSON: %s", file, je.line, je.column, je.text);
    }
    int rc = 0;
    sweep_plan *p = calloc(1, sizeof *p);
    p->axes = json_array();
    p->sets = json_array();
    p->variants = json_array();
    const char *key;
    json_t *v;
    if (!json_is_object(doc))
        rc = bad(file, "(top)", "expected an object");
    json_object_foreach(doc, key, v)
    {
        if (rc)
            break;
        static const char *keys[] = {"name", "scenario", "replications", "set", "zip", "grid", "variants", NULL};
        int known = 0;
        for (const char **k = keys; *k; k++)
            known |= !strcmp(*k, key);
        if (!known)
            rc = bad(file, key, "unknown key (expected name, scenario, replications, set, zip, grid, variants)");
    }
    const char *scen = json_string_value(json_object_get(doc, "scenario"));
    if (!rc && !scen)
        rc = bad(file, "scenario", "expected the base scenario's file name (relative to this file)");
    if (!rc) {
        /* Relative to the sweep file's directory, made absolute: jobs run from anywhere. */
        char dir[4096], *abs = NULL;
        const char *slash = strrchr(file, '/');
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - file) : 1, slash ? file : ".");
        char joined[8300];
        snprintf(joined, sizeof joined, "%s/%s", scen[0] == '/' ? "" : dir, scen);
        abs = realpath(scen[0] == '/' ? scen : joined, NULL);
        if (!abs)
            rc = cli_fail(EXIT_BAD_INPUT, "%s: scenario: %s: cannot read", file, scen[0] == '/' ? scen : joined);
        p->scenario = abs;
    }
    const json_t *name = json_object_get(doc, "name");
    if (!rc && name && !json_is_string(name))
        rc = bad(file, "name", "expected a string");
    if (!rc) {
        const char *base = strrchr(file, '/');
        base = base ? base + 1 : file;
        char def[256];
        snprintf(def, sizeof def, "%.*s", (int)strcspn(base, "."), base);
        p->name = strdup(name ? json_string_value(name) : def);
    }
    const json_t *reps = json_object_get(doc, "replications");
    p->reps = 1;
    if (!rc && reps) {
        if (!json_is_integer(reps) || json_integer_value(reps) < 1 || json_integer_value(reps) > 1000)
            rc = bad(file, "replications", "expected an integer in 1..1000");
        else
            p->reps = (uint32_t)json_integer_value(reps);
    }
    for (size_t i = 0; !rc && i < o->nsets; i++)
        json_array_append_new(p->sets, json_string(o->sets[i]));
    const json_t *fixed = json_object_get(doc, "set");
    if (!rc && fixed && !json_is_object(fixed))
        rc = bad(file, "set", "expected an object of path: value");
    if (!rc && fixed) {
        /* Sorted, so the order of the file's keys never matters. */
        const char **keys = calloc(json_object_size(fixed) + 1, sizeof *keys);
        size_t n = 0;
        json_object_foreach((json_t *)fixed, key, v) keys[n++] = key;
        for (size_t a = 1; a < n; a++)
            for (size_t b = a; b > 0 && strcmp(keys[b - 1], keys[b]) > 0; b--) {
                const char *t = keys[b];
                keys[b] = keys[b - 1];
                keys[b - 1] = t;
            }
        for (size_t k = 0; k < n; k++) {
            char *vt = value_text(json_object_get(fixed, keys[k]));
            size_t len = strlen(keys[k]) + strlen(vt ? vt : "") + 2;
            char *txt = malloc(len);
            snprintf(txt, len, "%s=%s", keys[k], vt ? vt : "");
            json_array_append_new(p->sets, json_string(txt));
            free(txt);
            free(vt);
        }
        free(keys);
    }
    const json_t *vars = json_object_get(doc, "variants");
    if (!rc && vars) {
        size_t i;
        json_array_foreach(vars, i, v) if (!json_is_string(v)) rc = bad(file, "variants", "expected a list of names");
        if (!json_is_array(vars))
            rc = bad(file, "variants", "expected a list of names");
        if (!rc)
            json_array_extend(p->variants, (json_t *)vars);
    }
    for (size_t i = 0; !rc && i < o->nvariants; i++)
        json_array_append_new(p->variants, json_string(o->variants[i]));
    if (!rc)
        rc = read_axes(file, json_object_get(doc, "zip"), "zip", p->axes);
    if (!rc)
        rc = read_axes(file, json_object_get(doc, "grid"), "grid", p->axes);
    if (!rc && json_array_size(p->axes) == 0)
        rc = bad(file, "grid", "a sweep varies at least one parameter (grid or zip)");
    if (!rc) {
        /* The base seed: the scenario's, after --seed and the fixed sets. */
        size_t n = json_array_size(p->sets);
        const char **sets = calloc(n + 1, sizeof *sets);
        for (size_t i = 0; i < n; i++)
            sets[i] = json_string_value(json_array_get(p->sets, i));
        vio_scenario *s = NULL;
        vio_err err = {{0}};
        int lr = vio_scenario_load_file(p->scenario, sets, n, &s, &err);
        free(sets);
        if (lr != VIO_OK)
            rc = cli_fail(cli_exit_for(lr), "%s: %s", file, err.msg);
        else
            p->base_seed = s->seed;
        vio_scenario_destroy(s);
    }
    if (!rc)
        rc = expand(p, file);
    if (!rc)
        rc = hash_tasks(p, file);
    json_decref(doc);
    if (rc) {
        sweep_plan_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

void sweep_plan_free(sweep_plan *p)
{
    if (!p)
        return;
    free(p->name);
    free(p->scenario);
    json_decref(p->axes);
    json_decref(p->points);
    json_decref(p->sets);
    json_decref(p->variants);
    free(p->tasks);
    free(p);
}

int sweep_plan_write(const sweep_plan *p, const char *dir, vio_err *err)
{
    json_t *tasks = json_array();
    for (uint32_t i = 0; i < p->ntasks; i++) {
        const sweep_task *t = &p->tasks[i];
        json_array_append_new(tasks, json_pack("{s:s,s:i,s:i,s:I,s:s}", "id", t->id, "point", (int)t->point,
                                               "replication", (int)t->rep, "seed", (json_int_t)t->seed, "sha256",
                                               t->sha));
    }
    json_t *doc = json_pack("{s:s,s:{s:s,s:s},s:s,s:s,s:i,s:I,s:O,s:O,s:O,s:O,s:o}", "schema", "viosim-sweep-plan/1",
                            "tool", "version", vio_version(), "git", vio_git_version(), "name", p->name, "scenario",
                            p->scenario, "replications", (int)p->reps, "base_seed", (json_int_t)p->base_seed, "sets",
                            p->sets, "variants", p->variants, "axes", p->axes, "points", p->points, "tasks", tasks);
    char path[4200];
    snprintf(path, sizeof path, "%s/plan.json", dir);
    int rc = vio_write_json_atomic(doc, path, err);
    json_decref(doc);
    return rc;
}

int sweep_plan_read(const char *dir, sweep_plan **out)
{
    *out = NULL;
    char path[4200];
    snprintf(path, sizeof path, "%s/plan.json", dir);
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc)
        return cli_fail(EXIT_BAD_INPUT, "%s: cannot read (is %s a sweep's -o directory?): %s", path, dir, je.text);
    const char *schema = json_string_value(json_object_get(doc, "schema"));
    const json_t *tasks = json_object_get(doc, "tasks");
    if (!schema || strcmp(schema, "viosim-sweep-plan/1") || !json_is_array(tasks) ||
        !json_is_array(json_object_get(doc, "points")) || !json_is_string(json_object_get(doc, "scenario"))) {
        json_decref(doc);
        return cli_fail(EXIT_BAD_INPUT, "%s: not a viosim-sweep-plan/1 document", path);
    }
    sweep_plan *p = calloc(1, sizeof *p);
    p->name = strdup(json_string_value(json_object_get(doc, "name")) ? json_string_value(json_object_get(doc, "name"))
                                                                      : "sweep");
    p->scenario = strdup(json_string_value(json_object_get(doc, "scenario")));
    p->reps = (uint32_t)json_integer_value(json_object_get(doc, "replications"));
    p->base_seed = (uint64_t)json_integer_value(json_object_get(doc, "base_seed"));
    p->axes = json_incref(json_object_get(doc, "axes"));
    p->points = json_incref(json_object_get(doc, "points"));
    p->sets = json_incref(json_object_get(doc, "sets"));
    p->variants = json_incref(json_object_get(doc, "variants"));
    p->npoints = (uint32_t)json_array_size(p->points);
    p->ntasks = (uint32_t)json_array_size(tasks);
    p->tasks = calloc(p->ntasks ? p->ntasks : 1, sizeof *p->tasks);
    int rc = 0;
    for (uint32_t i = 0; i < p->ntasks; i++) {
        const json_t *t = json_array_get(tasks, i);
        sweep_task *k = &p->tasks[i];
        const char *id = json_string_value(json_object_get(t, "id"));
        const char *sha = json_string_value(json_object_get(t, "sha256"));
        k->point = (uint32_t)json_integer_value(json_object_get(t, "point"));
        k->rep = (uint32_t)json_integer_value(json_object_get(t, "replication"));
        k->seed = (uint64_t)json_integer_value(json_object_get(t, "seed"));
        if (!id || !sha || strlen(id) >= sizeof k->id || strlen(sha) != 64 || k->point >= p->npoints ||
            strchr(id, '/') || id[0] == '.') {
            rc = cli_fail(EXIT_BAD_INPUT, "%s: tasks[%u]: expected id, point, replication, seed, sha256", path, i);
            break;
        }
        snprintf(k->id, sizeof k->id, "%s", id);
        snprintf(k->sha, sizeof k->sha, "%s", sha);
    }
    if (!rc && (!p->axes || !p->sets || !p->variants))
        rc = cli_fail(EXIT_BAD_INPUT, "%s: expected axes, sets and variants", path);
    json_decref(doc);
    if (rc) {
        sweep_plan_free(p);
        return rc;
    }
    *out = p;
    return 0;
}
