#include "viosim/viosim.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int vio_err_set(vio_err *err, int code, const char *fmt, ...)
{
    /* Keep the first message: the root cause, not the caller's summary of it. */
    if (err && err->msg[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. Overlong
 * forms, surrogates and code points above U+10FFFF are invalid (RFC 3629). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    size_t len;
    unsigned cp;
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        len = 2, cp = p[0] & 0x1fu;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        len = 3, cp = p[0] & 0x0fu;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        len = 4, cp = p[0] & 0x07u;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3fu);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

const char *vio_escape(char *buf, size_t cap, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < len;) {
        char piece[8];
        size_t n = utf8_len(p + i, len - i), k;
        if (n > 1) {
            memcpy(piece, p + i, n);
            k = n;
        } else if (n == 0) {
            k = (size_t)snprintf(piece, sizeof piece, "\\x%02x", p[i]);
            n = 1;
        } else if (p[i] == '"' || p[i] == '\\') {
            piece[0] = '\\';
            piece[1] = (char)p[i];
            k = 2;
        } else if (p[i] == '\n' || p[i] == '\t') {
            piece[0] = '\\';
            piece[1] = p[i] == '\n' ? 'n' : 't';
            k = 2;
        } else if (p[i] < 0x20 || p[i] == 0x7f) {
            k = (size_t)snprintf(piece, sizeof piece, "\\u%04x", p[i]);
        } else {
            piece[0] = (char)p[i];
            k = 1;
        }
        /* Keep room for "..." so a cut text says so. */
        if (used + k + (i + n < len ? 4 : 1) > cap) {
            /* Every piece kept left room for "..." (cap permitting), so it fits here. */
            if (used + 4 <= cap)
                memcpy(buf + used, "...", 4);
            return buf;
        }
        memcpy(buf + used, piece, k);
        used += k;
        buf[used] = '\0';
        i += n;
    }
    return buf;
}
