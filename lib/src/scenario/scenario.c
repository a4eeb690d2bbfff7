/* Scenario API: read, parse, apply --set overrides, then the three loading
 * passes (scenario_load.c, scenario_check.c) and the canonical text that the
 * results header hashes. */
#include "scenario/scenario_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    char msg[VIO_ERR_MAX], esc[VIO_ERR_MAX / 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* The override is the user's text: bytes that are not printable UTF-8 are escaped, not echoed. */
    return vio_err_set(err, VIO_EINVAL, "--set %s: %s", vio_escape(esc, sizeof esc, set, strlen(set)), msg);
}

/* Numbers the parser refuses (an integer beyond 64 bits, a real beyond a
 * double) would otherwise fail the whole parse without a JSON path. Each such
 * token is replaced by a marker string holding its text (vio__big_number), and
 * the loader rejects it where it stands: no numeric parameter accepts it. */
static char *mark_big_numbers(const char *buf, size_t len, size_t *out_len)
{
    size_t cap = len + 64, used = 0;
    char *out = malloc(cap);
    int in_str = 0;
    for (size_t i = 0; out && i < len;) {
        size_t n = 1;
        int big = 0;
        if (in_str) {
            if (buf[i] == '\\' && i + 1 < len)
                n = 2;
            else if (buf[i] == '"')
                in_str = 0;
        } else if (buf[i] == '"') {
            in_str = 1;
        } else if (buf[i] == '-' || (buf[i] >= '0' && buf[i] <= '9')) {
            int real = 0;
            while (i + n < len && buf[i + n] && strchr("0123456789+-.eE", buf[i + n]))
                real |= buf[i + n] == '.' || buf[i + n] == 'e' || buf[i + n] == 'E', n++;
            char tok[400];
            if (n < sizeof tok) {
                memcpy(tok, buf + i, n);
                tok[n] = '\0';
                errno = 0;
                if (real) {
                    double d = strtod(tok, NULL);
                    big = errno == ERANGE && d != 0;
                } else {
                    (void)strtoll(tok, NULL, 10);
                    big = errno == ERANGE;
                }
            } else {
                big = 1; /* a 400-digit number is beyond any range */
            }
        }
        size_t need = big ? n + sizeof VIO__BIG_MARK_JSON + 2 : n;
        if (used + need + 1 > cap) {
            cap = (used + need + 1) * 2;
            char *nb = realloc(out, cap);
            if (!nb) {
                free(out);
                return NULL;
            }
            out = nb;
        }
        if (big) {
            used += (size_t)sprintf(out + used, "\"%s%.*s\"", VIO__BIG_MARK_JSON, (int)n, buf + i);
        } else {
            memcpy(out + used, buf + i, n);
            used += n;
        }
        i += n;
    }
    if (out)
        out[used] = '\0';
    *out_len = used;
    return out;
}

static json_t *parse_json(const char *buf, size_t len, size_t flags, json_error_t *je)
{
    json_t *root = json_loadb(buf, len, flags, je);
    if (!root && (strstr(je->text, "too big integer") || strstr(je->text, "real number overflow"))) {
        size_t mlen;
        char *marked = mark_big_numbers(buf, len, &mlen);
        json_error_t je2;
        if (marked)
            root = json_loadb(marked, mlen, flags, &je2);
        free(marked);
    }
    return root;
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

/* Apply "path=value" to `root`: missing object keys are created, array entries
 * are not. `norm` receives the path as the loader spells it ("vms[0].core"). */
static int apply_set(json_t *root, const char *set, char *norm, vio_err *err)
{
    const char *eq = strchr(set, '=');
    set_tok tok[SET_MAX_TOKENS];
    size_t ntok = 0;
    if (!eq)
        return set_fail(err, set, "expected path=value");
    if (set_parse(set, eq, tok, &ntok))
        return set_fail(err, set, "bad path (expected keys joined by '.', each with optional [index] or [*])");
    norm[0] = '\0';
    for (size_t i = 0, used = 0; i < ntok && used < VIO__PATH_MAX; i++, used = strlen(norm)) {
        if (tok[i].is_index == 2)
            snprintf(norm + used, VIO__PATH_MAX - used, "[*]");
        else if (tok[i].is_index)
            snprintf(norm + used, VIO__PATH_MAX - used, "[%zu]", tok[i].index);
        else
            snprintf(norm + used, VIO__PATH_MAX - used, "%s%s", i ? "." : "", tok[i].key);
    }

    json_error_t je;
    json_t *val = parse_json(eq + 1, strlen(eq + 1), JSON_DECODE_ANY, &je);
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
    json_t *root = parse_json(buf, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return vio_err_set(err, VIO_EINVAL, "%s:%d:%d: invalid JSON: %s", source, je.line, je.column, je.text);

    vio__ld ld = {source, err, calloc(1, sizeof(vio_scenario)), sets, NULL, 0};
    int rc = VIO_OK;
    if (!ld.s || !(ld.s->source = malloc(strlen(source) + 1)) ||
        (nsets && !(ld.set_paths = calloc(nsets, sizeof *ld.set_paths))))
        rc = vio_err_set(err, VIO_ENOMEM, "%s: out of memory", source);
    else
        memcpy(ld.s->source, source, strlen(source) + 1);
    if (rc == VIO_OK && !json_is_object(root))
        rc = vio__ld_fail(&ld, "top level", "expected an object, got %s", vio__json_kind(root));
    for (size_t i = 0; i < nsets && rc == VIO_OK; i++) {
        rc = apply_set(root, sets[i], ld.set_paths[i], err);
        ld.nsets = i + 1;
    }
    if (rc == VIO_OK)
        rc = vio__ld_keys(&ld, root);
    if (rc == VIO_OK)
        rc = vio__ld_values(&ld, root);
    if (rc == VIO_OK)
        rc = vio__ld_check(&ld);
    if (rc == VIO_OK && !(ld.s->canonical_json = json_dumps(root, JSON_SORT_KEYS | JSON_COMPACT)))
        rc = vio_err_set(err, VIO_ENOMEM, "%s: out of memory", source);
    json_decref(root);
    free(ld.set_paths);
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

/* What a path names, for "not a regular file" messages. */
static const char *file_kind(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISSOCK(m))
        return "a socket";
    return "not a regular file";
}

/* The whole of a regular file of at most VIO_SCENARIO_MAX_BYTES. Checked on the
 * open descriptor before reading: opening with O_NONBLOCK means a FIFO with no
 * writer cannot block the open, and a FIFO, device or directory is refused
 * without reading a byte (/dev/zero would otherwise be read until memory ran out). */
static int read_scenario_file(const char *path, char **out, size_t *out_len, vio_err *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return vio_err_set(err, VIO_EIO, "%s: cannot read: %s", path, strerror(errno));
    struct stat st;
    int rc = VIO_OK;
    if (fstat(fd, &st) != 0)
        rc = vio_err_set(err, VIO_EIO, "%s: cannot read: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = vio_err_set(err, VIO_EIO, "%s: is %s, expected a regular file holding a scenario", path,
                         file_kind(st.st_mode));
    else if ((unsigned long long)st.st_size > VIO_SCENARIO_MAX_BYTES)
        rc = vio_err_set(err, VIO_EIO, "%s: %lld bytes, more than the %llu a scenario file may hold", path,
                         (long long)st.st_size, (unsigned long long)VIO_SCENARIO_MAX_BYTES);
    int flags = rc == VIO_OK ? fcntl(fd, F_GETFL) : -1;
    if (rc == VIO_OK && (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0))
        rc = vio_err_set(err, VIO_EIO, "%s: cannot read: %s", path, strerror(errno));
    /* One byte more than the limit tells a file that grew since fstat. */
    size_t cap = rc == VIO_OK ? (size_t)st.st_size + 1 : 0, len = 0;
    char *buf = rc == VIO_OK ? malloc(cap + 1) : NULL;
    if (rc == VIO_OK && !buf)
        rc = vio_err_set(err, VIO_ENOMEM, "%s: out of memory for %zu bytes", path, cap);
    while (rc == VIO_OK) {
        if (len == cap) {
            if (cap > VIO_SCENARIO_MAX_BYTES) {
                rc = vio_err_set(err, VIO_EIO, "%s: more than the %llu bytes a scenario file may hold", path,
                                 (unsigned long long)VIO_SCENARIO_MAX_BYTES);
                break;
            }
            size_t ncap = cap * 2 > VIO_SCENARIO_MAX_BYTES + 1 ? VIO_SCENARIO_MAX_BYTES + 1 : cap * 2;
            char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                rc = vio_err_set(err, VIO_ENOMEM, "%s: out of memory for %zu bytes", path, ncap);
                break;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = vio_err_set(err, VIO_EIO, "%s: cannot read: %s", path, strerror(errno));
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (rc != VIO_OK) {
        free(buf);
        return rc;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return VIO_OK;
}

int vio_scenario_load_file(const char *path, const char *const *sets, size_t nsets, vio_scenario **out,
                           vio_err *err)
{
    *out = NULL;
    char *buf = NULL;
    size_t len = 0;
    int rc = read_scenario_file(path, &buf, &len, err);
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
