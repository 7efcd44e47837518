/* Euros typed by a cashier into integer cents and back, and whole counts, with every step checked
 * for overflow and no floating point. */
#include <stdio.h>

#include "pos/i18n.h"
#include "pos/money.h"

/* Returns true when C is an ASCII digit. */
static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Sets *ACC = *ACC * 10 + D. Returns false (ACC unchanged) when that would overflow. */
static bool push_digit(int64_t *acc, int d)
{
    int64_t v;
    if (__builtin_mul_overflow(*acc, 10, &v) || __builtin_add_overflow(v, d, &v))
        return false;
    *acc = v;
    return true;
}

enum cpn_err pos_money_parse(const char *text, int64_t *cents)
{
    const char *p = text;
    int64_t v = 0;
    if (!digit(*p))
        return CPN_ERR_BAD_REQUEST;
    for (; digit(*p); p++)
        if (!push_digit(&v, *p - '0'))
            return CPN_ERR_BAD_REQUEST;
    int decimals = 0;
    if (*p == '.' || *p == ',') {
        p++;
        for (; digit(*p) && decimals < 2; p++, decimals++)
            if (!push_digit(&v, *p - '0'))
                return CPN_ERR_BAD_REQUEST;
        if (decimals == 0)
            return CPN_ERR_BAD_REQUEST; /* "12." */
    }
    if (*p != '\0')
        return CPN_ERR_BAD_REQUEST; /* junk, or a third decimal */
    for (; decimals < 2; decimals++)
        if (!push_digit(&v, 0))
            return CPN_ERR_BAD_REQUEST;
    *cents = v;
    return CPN_OK;
}

const char *pos_money_format(int64_t cents, char buf[POS_MONEY_SIZE])
{
    /* Work on the magnitude as unsigned, so INT64_MIN has one too. */
    uint64_t m = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
    snprintf(buf, POS_MONEY_SIZE,
             pos_i18n_lang() == POS_LANG_DE ? "%s%llu,%02llu \u20ac" : "%s%llu.%02llu EUR",
             cents < 0 ? "-" : "", (unsigned long long)(m / 100), (unsigned long long)(m % 100));
    return buf;
}

enum cpn_err pos_count_parse(const char *text, int64_t *value)
{
    int64_t v = 0;
    if (!digit(*text))
        return CPN_ERR_BAD_REQUEST;
    for (const char *p = text; *p != '\0'; p++)
        if (!digit(*p) || !push_digit(&v, *p - '0'))
            return CPN_ERR_BAD_REQUEST;
    if (v < 1)
        return CPN_ERR_BAD_REQUEST;
    *value = v;
    return CPN_OK;
}
