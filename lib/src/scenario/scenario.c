/* Scenario API: read, parse, apply --set overrides, then the three loading
 * passes (scenario_load.c, scenario_check.c) and the canonical text that the
 * results header hashes. */
#include "scenario/scenario_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SET_MAX_TOKENS 16
#define SET_KEY_MAX 64

/* One step of a --set path: an object key, an array index, or [*] (every entry). */
typedef struct set_tok {
    int is_index; /* 0 key, 1 index, 2 every entry */
    size_t index;
    char key[SET_KEY_MAX + 1];
} set_tok;

static int set_fail(vio_err *err, const char *set, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int set_step(json_t *next, const set_tok *tok, size_t i, size_t ntok, const json_t *val, const char *set,
                    char *where, size_t wlen, vio_err *err);

static int set_fail(vio_err *err, const char *set, const char *fmt, ...)
{
    char msg[VIO_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return vio_err_set(err, VIO_EINVAL, "--set %s: %s", set, msg);
}

/* key ( "[" (digits | "*") "]" )* ( "." key ( "[" (digits | "*") "]" )* )*  with key = [A-Za-z0-9_-]+ */
static int set_parse(const char *p, const char *end, set_tok *tok, size_t *ntok)
{
    size_t n = 0;
    for (;;) {
        size_t len = 0;
        while (p + len < end && (p[len] == '_' || p[len] == '-' || (p[len] >= '0' && p[len] <= '9') ||
                                 (p[len] >= 'a' && p[len] <= 'z') || (p[len] >= 'A' && p[len] <= 'Z')))
            len++;
        if (len == 0 || len > SET_KEY_MAX || n == SET_MAX_TOKENS)
            return -1;
        tok[n].is_index = 0;
        memcpy(tok[n].key, p, len);
        tok[n++].key[len] = '\0';
        p += len;
        while (p < end && *p == '[') {
            if (p + 2 < end && p[1] == '*' && p[2] == ']' && n < SET_MAX_TOKENS) {
                tok[n++].is_index = 2;
                p += 3;
                continue;
            }
            size_t idx = 0, digits = 0;
            for (p++; p < end && *p >= '0' && *p <= '9' && digits < 9; p++, digits++)
                idx = idx * 10 + (size_t)(*p - '0');
            if (digits == 0 || p >= end || *p != ']' || n == SET_MAX_TOKENS)
                return -1;
            p++;
            tok[n].is_index = 1;
            tok[n++].index = idx;
        }
        if (p == end)
            break;
        if (*p != '.')
            return -1;
        p++;
    }
    *ntok = n;
    return 0;
}

/* Set tok[i..] below `cur` to `val` (borrowed: every target gets its own copy);
 * `where` is the path walked so far, for messages. */
static int set_at(json_t *cur, const set_tok *tok, size_t i, size_t ntok, const json_t *val, const char *set,
                  char *where, size_t wlen, vio_err *err)
{
    size_t used = strlen(where);
    int last = i + 1 == ntok;
    json_t *next;
    if (tok[i].is_index == 2) {
        /* [*]: every entry that exists; an empty array matches nothing, which is an error
         * (a sweep that silently changes nothing would mislead). */
        size_t n = json_array_size(cur);
        if (n == 0)
            return set_fail(err, set, "%s has no entries for [*]", where);
        for (size_t k = 0; k < n; k++) {
            snprintf(where + used, wlen - used, "[%zu]", k);
            int rc;
            if (last)
                rc = json_array_set_new(cur, k, json_deep_copy(val)) ? VIO_ENOMEM : VIO_OK;
            else
                rc = set_step(json_array_get(cur, k), tok, i, ntok, val, set, where, wlen, err);
            if (rc != VIO_OK)
                return rc;
        }
        return VIO_OK;
    }
    if (tok[i].is_index) {
        size_t n = json_array_size(cur);
        if (tok[i].index >= n)
            return set_fail(err, set, "%s has %zu entries", where, n);
        if (last)
            return json_array_set_new(cur, tok[i].index, json_deep_copy(val)) ? VIO_ENOMEM : VIO_OK;
        next = json_array_get(cur, tok[i].index);
        snprintf(where + used, wlen - used, "[%zu]", tok[i].index);
    } else {
        if (last)
            return json_object_set_new(cur, tok[i].key, json_deep_copy(val)) ? VIO_ENOMEM : VIO_OK;
        next = json_object_get(cur, tok[i].key);
        snprintf(where + used, wlen - used, "%s%s", used ? "." : "", tok[i].key);
        if (!next && !tok[i + 1].is_index) {
            next = json_object();
            if (json_object_set_new(cur, tok[i].key, next))
                return VIO_ENOMEM;
        }
        if (!next)
            return set_fail(err, set, "%s does not exist", where);
    }
    return set_step(next, tok, i, ntok, val, set, where, wlen, err);
}

/* Check that `next`, reached by tok[i], has the shape tok[i + 1] needs, and descend. */
static int set_step(json_t *next, const set_tok *tok, size_t i, size_t ntok, const json_t *val, const char *set,
                    char *where, size_t wlen, vio_err *err)
{
    if (tok[i + 1].is_index && !json_is_array(next))
        return set_fail(err, set, "%s is not an array", where);
    if (!tok[i + 1].is_index && !json_is_object(next))
        return set_fail(err, set, "%s is not an object", where);
    return set_at(next, tok, i + 1, ntok, val, set, where, wlen, err);
}

/* Apply "path=value" to `root`: missing object keys are created, array entries are not. */
static int apply_set(json_t *root, const char *set, vio_err *err)
{
    const char *eq = strchr(set, '=');
    set_tok tok[SET_MAX_TOKENS];
    size_t ntok = 0;
    if (!eq)
        return set_fail(err, set, "expected path=value");
    if (set_parse(set, eq, tok, &ntok))
        return set_fail(err, set, "bad path (expected keys joined by '.', each with optional [index] or [*])");

    json_error_t je;
    json_t *val = json_loads(eq + 1, JSON_DECODE_ANY, &je);
    if (!val)
        val = json_string(eq + 1); /* not JSON: take the text itself, e.g. notify=posted */
    if (!val)
        return set_fail(err, set, "value is not valid UTF-8");

    char where[256] = ""; /* the path walked so far, for messages */
    int rc = set_at(root, tok, 0, ntok, val, set, where, sizeof where, err);
    json_decref(val);
    if (rc == VIO_ENOMEM)
        return vio_err_set(err, rc, "--set %s: out of memory", set);
    return rc;
}

void vio_scenario_destroy(vio_scenario *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; s->traffic.flows && i < s->traffic.nflows; i++)
        free(s->traffic.flows[i].dst);
    free(s->traffic.flows);
    free(s->vms);
    for (uint32_t i = 0; s->workers && i < s->nworkers; i++)
        free(s->workers[i].queues);
    free(s->workers);
    free(s->variants);
    free(s->tenants);
    free(s->source);
    free(s->canonical_json);
    free(s);
}

static int load_buffer(const char *buf, size_t len, const char *source, const char *const *sets, size_t nsets,
                       vio_scenario **out, vio_err *err)
{
    json_error_t je;
    /* DECODE_ANY so a top-level array gets our message, not the parser's; duplicate
     * keys are rejected because which one wins would be an accident of the parser. */
    json_t *root = json_loadb(buf, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return vio_err_set(err, VIO_EINVAL, "%s:%d:%d: invalid JSON: %s", source, je.line, je.column, je.text);

    vio__ld ld = {source, err, calloc(1, sizeof(vio_scenario))};
    int rc = VIO_OK;
    if (!ld.s || !(ld.s->source = malloc(strlen(source) + 1)))
        rc = vio_err_set(err, VIO_ENOMEM, "%s: out of memory", source);
    else
        memcpy(ld.s->source, source, strlen(source) + 1);
    if (rc == VIO_OK && !json_is_object(root))
        rc = vio__ld_fail(&ld, "top level", "expected an object, got %s", vio__json_kind(root));
    for (size_t i = 0; i < nsets && rc == VIO_OK; i++)
        rc = apply_set(root, sets[i], err);
    if (rc == VIO_OK)
        rc = vio__ld_keys(&ld, root);
    if (rc == VIO_OK)
        rc = vio__ld_values(&ld, root);
    if (rc == VIO_OK)
        rc = vio__ld_check(&ld);
    if (rc == VIO_OK && !(ld.s->canonical_json = json_dumps(root, JSON_SORT_KEYS | JSON_COMPACT)))
        rc = vio_err_set(err, VIO_ENOMEM, "%s: out of memory", source);
    json_decref(root);
    if (rc != VIO_OK) {
        vio_scenario_destroy(ld.s);
        return rc;
    }
    *out = ld.s;
    return VIO_OK;
}

/* Messages are one line even when a key, value or --set text holds a control character. */
static int one_line(vio_err *err, int rc)
{
    for (char *p = err ? err->msg : NULL; p && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return rc;
}

int vio_scenario_load_string(const char *json, const char *source, const char *const *sets, size_t nsets,
                             vio_scenario **out, vio_err *err)
{
    *out = NULL;
    if (!source)
        source = "<string>";
    if (!json)
        return vio_err_set(err, VIO_EINVAL, "%s: no scenario text", source);
    return one_line(err, load_buffer(json, strlen(json), source, sets, nsets, out, err));
}

int vio_scenario_load_file(const char *path, const char *const *sets, size_t nsets, vio_scenario **out,
                           vio_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return vio_err_set(err, VIO_EIO, "%s: cannot read: %s", path, strerror(errno));
    size_t len = 0, cap = 0;
    char *buf = NULL;
    int rc = VIO_OK;
    for (;;) {
        if (cap - len < 4096) {
            char *nb = cap > SIZE_MAX / 4 ? NULL : realloc(buf, cap ? cap * 2 : 65536);
            if (!nb) {
                rc = vio_err_set(err, VIO_ENOMEM, "%s: out of memory reading the file", path);
                break;
            }
            buf = nb;
            cap = cap ? cap * 2 : 65536;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f)) /* e.g. EISDIR: fopen succeeds on a directory, reading fails */
                rc = vio_err_set(err, VIO_EIO, "%s: cannot read: %s", path, strerror(errno));
            break;
        }
    }
    fclose(f);
    if (rc == VIO_OK)
        rc = load_buffer(buf, len, path, sets, nsets, out, err);
    free(buf);
    return one_line(err, rc);
}

int vio_scenario_variant_by_name(const vio_scenario *s, const char *name)
{
    for (uint32_t i = 0; s && name && i < s->nvariants; i++)
        if (strcmp(s->variants[i].name, name) == 0)
            return (int)i;
    return -1;
}
