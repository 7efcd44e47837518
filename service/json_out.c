/* Compact JSON text of an answer in one growing buffer (json_out.h): what jansson's json_dumps
 * writes for the same value, without its per-integer snprintf and per-piece callbacks. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "coupon/decimal.h"
#include "json_out.h"

#define DEPTH_MAX 32

struct buf {
    char *p;
    size_t len, cap;
};

/* Makes room for N more bytes (and a NUL). Returns false when memory ran out. */
static bool room(struct buf *b, size_t n)
{
    if (n < b->cap - b->len)
        return true;
    size_t cap = b->cap * 2;
    while (cap - b->len <= n)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL)
        return false;
    b->p = p;
    b->cap = cap;
    return true;
}

static bool put(struct buf *b, const char *s, size_t n)
{
    if (!room(b, n))
        return false;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return true;
}

static bool put_char(struct buf *b, char c)
{
    return put(b, &c, 1);
}

/* As jansson's "%" JSON_INTEGER_FORMAT ("%lld"). */
static bool put_integer(struct buf *b, json_int_t v)
{
    char out[CPN_DECIMAL_MAX];
    return put(b, out, cpn_decimal((int64_t)v, out));
}

/* A string of printable ASCII, '"' and '\\' escaped as jansson escapes them. Returns false for
 * any other byte (left to jansson, with its UTF-8 checks and \u escapes) or out of memory. */
static bool put_string(struct buf *b, const char *s, size_t n)
{
    if (!room(b, 2 * n + 2))
        return false;
    char *o = b->p + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7e)
            return false;
        if (c == '"' || c == '\\')
            *o++ = '\\';
        *o++ = (char)c;
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
    return true;
}

static bool put_value(struct buf *b, const json_t *v, int depth)
{
    if (depth > DEPTH_MAX)
        return false;
    switch (json_typeof(v)) {
    case JSON_NULL:
        return put(b, "null", 4);
    case JSON_TRUE:
        return put(b, "true", 4);
    case JSON_FALSE:
        return put(b, "false", 5);
    case JSON_INTEGER:
        return put_integer(b, json_integer_value(v));
    case JSON_STRING:
        return put_string(b, json_string_value(v), json_string_length(v));
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        if (!put_char(b, '['))
            return false;
        for (size_t i = 0; i < n; i++)
            if ((i > 0 && !put_char(b, ',')) || !put_value(b, json_array_get(v, i), depth + 1))
                return false;
        return put_char(b, ']');
    }
    case JSON_OBJECT: {
        /* In jansson's own order (insertion order), as json_dumps without JSON_SORT_KEYS. */
        if (!put_char(b, '{'))
            return false;
        bool first = true;
        for (void *it = json_object_iter((json_t *)v); it != NULL;
             it = json_object_iter_next((json_t *)v, it)) {
            if ((!first && !put_char(b, ',')) ||
                !put_string(b, json_object_iter_key(it), json_object_iter_key_len(it)) ||
                !put_char(b, ':') || !put_value(b, json_object_iter_value(it), depth + 1))
                return false;
            first = false;
        }
        return put_char(b, '}');
    }
    case JSON_REAL:
    default:
        return false; /* reals: jansson's %.12g and its exponent rules */
    }
}

char *json_out_compact(const json_t *v, size_t *len)
{
    if (v == NULL || (!json_is_object(v) && !json_is_array(v)))
        return NULL;
    struct buf b = {malloc(512), 0, 512};
    if (b.p == NULL)
        return NULL;
    if (!put_value(&b, v, 1) || !room(&b, 0)) {
        free(b.p);
        return NULL;
    }
    b.p[b.len] = '\0';
    *len = b.len;
    return b.p;
}
