/* Reading basket_by_vat and apportioning a discount to its rates. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vat_in.h"

/* The rate key TEXT names (1..99), or -1. */
static int rate_key(const char *text)
{
    size_t len = strlen(text);
    if (len < 1 || len > 2 || text[0] < '1' || text[0] > '9' ||
        (len == 2 && (text[1] < '0' || text[1] > '9')))
        return -1;
    return len == 1 ? text[0] - '0' : (text[0] - '0') * 10 + (text[1] - '0');
}

int vat_parts_read(const json_t *in, const char *key, int64_t basket, struct vat_parts *out,
                   char *detail, size_t dlen)
{
    memset(out, 0, sizeof *out);
    const json_t *v = json_object_get(in, key);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_object(v) || json_object_size(v) < 1 || json_object_size(v) > CPN_SHARES_MAX) {
        snprintf(detail, dlen,
                 "The field '%s' must be an object of 1 to %d VAT rate keys with the basket's "
                 "cents at each rate, e.g. {\"1\": 3000, \"2\": 2000}.",
                 key, CPN_SHARES_MAX);
        return -1;
    }
    const char *k;
    json_t *cents;
    int64_t sum = 0;
    json_object_foreach((json_t *)v, k, cents)
    {
        int rate = rate_key(k);
        if (rate < 0) {
            snprintf(detail, dlen, "'%.20s' in '%s' is not a VAT rate key (1 to 99).", k, key);
            return -1;
        }
        if (!json_is_integer(cents) || json_integer_value(cents) < 0 ||
            __builtin_add_overflow(sum, (int64_t)json_integer_value(cents), &sum)) {
            snprintf(detail, dlen, "The cents at VAT rate %d in '%s' must be a whole number >= 0.",
                     rate, key);
            return -1;
        }
        /* Insertion into the sorted keys (jansson refuses duplicate keys when parsing). */
        size_t i = out->n++;
        while (i > 0 && out->keys[i - 1] > rate) {
            out->keys[i] = out->keys[i - 1];
            out->cents[i] = out->cents[i - 1];
            i--;
        }
        out->keys[i] = rate;
        out->cents[i] = (int64_t)json_integer_value(cents);
    }
    for (size_t i = 1; i < out->n; i++) {
        if (out->keys[i] == out->keys[i - 1]) {
            snprintf(detail, dlen, "VAT rate %d appears twice in '%s'.", out->keys[i], key);
            return -1;
        }
    }
    if (sum != basket) {
        snprintf(detail, dlen,
                 "The parts of '%s' add up to %" PRId64 " cents, not to the basket's %" PRId64 ".",
                 key, sum, basket);
        return -1;
    }
    return 1;
}

int vat_parts_text(const struct vat_parts *p, char *buf, size_t len)
{
    size_t pos = 0;
    int w = snprintf(buf, len, "{");
    for (size_t i = 0; w >= 0 && (size_t)w < len - pos && i < p->n; i++) {
        pos += (size_t)w;
        w = snprintf(buf + pos, len - pos, "%s\"%d\":%" PRId64, i ? "," : "", p->keys[i],
                     p->cents[i]);
    }
    if (w < 0 || (size_t)w >= len - pos)
        return -1;
    pos += (size_t)w;
    w = snprintf(buf + pos, len - pos, "}");
    return w < 0 || (size_t)w >= len - pos ? -1 : 0;
}

json_t *vat_shares_json(const struct vat_parts *p, int64_t discount)
{
    int64_t shares[CPN_SHARES_MAX];
    if (cpn_apportion(discount, p->cents, p->keys, p->n, shares) != CPN_OK)
        return NULL;
    json_t *o = json_object();
    for (size_t i = 0; o != NULL && i < p->n; i++) {
        char k[4];
        snprintf(k, sizeof k, "%d", p->keys[i]);
        json_object_set_new(o, k, json_integer(shares[i]));
    }
    return o;
}
