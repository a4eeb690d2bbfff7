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

/* One input piece at p: its escaped form in piece[], *k its length; returns bytes consumed. */
static size_t escape_piece(const unsigned char *p, size_t left, char piece[8], size_t *k)
{
    size_t n = utf8_len(p, left);
    if (n > 1) {
        memcpy(piece, p, n);
        *k = n;
        return n;
    }
    if (n == 0) {
        *k = (size_t)snprintf(piece, 8, "\\x%02x", p[0]);
        return 1;
    }
    if (p[0] == '"' || p[0] == '\\' || p[0] == '\n' || p[0] == '\t') {
        piece[0] = '\\';
        piece[1] = p[0] == '\n' ? 'n' : p[0] == '\t' ? 't' : (char)p[0];
        *k = 2;
    } else if (p[0] < 0x20 || p[0] == 0x7f) {
        *k = (size_t)snprintf(piece, 8, "\\u%04x", p[0]);
    } else {
        piece[0] = (char)p[0];
        *k = 1;
    }
    return 1;
}

const char *vio_escape(char *buf, size_t cap, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    char piece[8];
    size_t total = 0, k;
    for (size_t i = 0; i < len; total += k)
        i += escape_piece(p + i, len - i, piece, &k);
    /* All of it when it fits; else whole pieces, then "..." to say it was cut. */
    size_t limit = total < cap ? cap : (cap >= 4 ? cap - 3 : 0), used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < len;) {
        size_t n = escape_piece(p + i, len - i, piece, &k);
        if (used + k + 1 > limit)
            break;
        memcpy(buf + used, piece, k);
        used += k;
        i += n;
    }
    if (total >= cap && cap >= 4)
        memcpy(buf + used, "...", 3), used += 3;
    buf[used < cap ? used : cap - 1] = '\0';
    return buf;
}
