/* Integers as decimal text without the printf family (coupon/decimal.h). */
#include "coupon/decimal.h"

size_t cpn_decimal(int64_t v, char *out)
{
    char tmp[20];
    size_t k = 0, n = 0;
    /* the digits of |V| from the last, in unsigned arithmetic (INT64_MIN has no positive) */
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        out[n++] = '-';
    while (k > 0)
        out[n++] = tmp[--k];
    out[n] = '\0';
    return n;
}
