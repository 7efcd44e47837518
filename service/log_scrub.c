/* Makes one log message safe to write: control characters and broken UTF-8 escaped,
 * coupon and card codes masked (see log_scrub.h). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "log_scrub.h"

#define KEEP_SYMBOLS 4

struct out {
    char *p;
    size_t len, cap; /* cap excludes the terminating NUL */
    bool full;
};

/* Appends N bytes as one unit: all or nothing, so no character is split. */
static void put(struct out *o, const char *s, size_t n)
{
    if (o->full || n > o->cap - o->len) {
        o->full = true;
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

/* Appends N one-byte characters, as many as fit (N calls of put with one byte each, in one
 * copy: the plain text between escapes and codes is most of every record). */
static void put_run(struct out *o, const char *s, size_t n)
{
    if (o->full)
        return;
    size_t room = o->cap - o->len;
    if (n > room) {
        n = room;
        o->full = true;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

/* True for a byte copied as it is: printable ASCII but the backslash. */
static bool plain(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '\\';
}

static void put_escaped(struct out *o, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
    if (c == '\\')
        put(o, "\\\\", 2);
    else
        put(o, e, 4);
}

/* True for a symbol of the code alphabet: 0-9 and A-Z without I, L, O, U, either case. */
static bool code_symbol(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return true;
    if (c >= 'a' && c <= 'z')
        c = (unsigned char)(c - 'a' + 'A');
    return c >= 'A' && c <= 'Z' && c != 'I' && c != 'L' && c != 'O' && c != 'U';
}

static bool alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Length of the valid UTF-8 sequence at S (at most N bytes) that is not a C1 control
 * character; 0 when the bytes there are not such a sequence. */
static size_t utf8_printable(const unsigned char *s, size_t n)
{
    size_t need;
    uint32_t cp;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        need = 2;
        cp = s[0] & 0x1fu;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        need = 3;
        cp = s[0] & 0x0fu;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        need = 4;
        cp = s[0] & 0x07u;
    } else {
        return 0;
    }
    if (need > n)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[need] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0; /* overlong, beyond Unicode, or a surrogate */
    if (cp <= 0x9f || cp == 0x2028 || cp == 0x2029)
        return 0; /* C1 controls and the Unicode line separators */
    return need;
}

/* The token of letters, digits and dashes at IN[0..N): is it a code? */
static bool is_code(const unsigned char *in, size_t n)
{
    size_t symbols = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == '-')
            continue;
        if (!code_symbol(in[i]))
            return false;
        symbols++;
    }
    return symbols == 16 || symbols == 149 || symbols == 156;
}

size_t log_scrub(const char *in, size_t len, char *out, size_t outlen)
{
    struct out o = {out, 0, outlen - 1, false};
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0;
    while (i < len && !o.full) {
        if (alnum(s[i]) && (i == 0 || !alnum(s[i - 1]))) {
            size_t end = i;
            while (end < len && (alnum(s[end]) || s[end] == '-'))
                end++;
            /* A code has at least 16 symbols: a shorter token is not looked at twice. */
            if (end - i >= 16 && is_code(s + i, end - i)) {
                size_t kept = 0;
                for (size_t k = i; k < end; k++) {
                    bool keep = s[k] == '-' || kept < KEEP_SYMBOLS;
                    if (s[k] != '-')
                        kept++;
                    put(&o, keep ? (const char *)&s[k] : "*", 1);
                }
                i = end;
                continue;
            }
            /* Not a code: its letters and digits up to the next other byte are copied; a
             * token may start again after a dash. */
            size_t run = i + 1;
            while (run < len && alnum(s[run]))
                run++;
            put_run(&o, (const char *)&s[i], run - i);
            i = run;
            continue;
        }
        if (plain(s[i])) {
            /* Plain bytes up to the next letter or digit (a token may start there). */
            size_t run = i + 1;
            while (run < len && plain(s[run]) && !alnum(s[run]))
                run++;
            put_run(&o, (const char *)&s[i], run - i);
            i = run;
            continue;
        }
        size_t u = s[i] >= 0x80 ? utf8_printable(s + i, len - i) : 0;
        if (u > 0) {
            put(&o, (const char *)&s[i], u);
            i += u;
            continue;
        }
        put_escaped(&o, s[i]);
        i++;
    }
    out[o.len] = '\0';
    return o.len;
}
