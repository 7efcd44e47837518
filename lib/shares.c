/* Money shared out exactly: largest-remainder apportionment (a discount to VAT rates) and the
 * fixed order of stacked coupons (amounts, then percents on what is left). Products are taken
 * in 128 bits, so no input within int64 overflows. */
#include <stdbool.h>
#include <string.h>

#include "coupon/shares.h"

enum cpn_err cpn_apportion(int64_t total, const int64_t *weights, const int *keys, size_t n,
                           int64_t *out)
{
    if (n == 0 || n > CPN_SHARES_MAX || total < 0)
        return CPN_ERR_BAD_REQUEST;
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        if (weights[i] < 0 || __builtin_add_overflow(sum, weights[i], &sum))
            return CPN_ERR_BAD_REQUEST;
    if (total > sum)
        return CPN_ERR_BAD_REQUEST;
    if (sum == 0) {
        memset(out, 0, n * sizeof *out);
        return CPN_OK;
    }
    int64_t share[CPN_SHARES_MAX], rem[CPN_SHARES_MAX], left = total;
    for (size_t i = 0; i < n; i++) {
        __int128 p = (__int128)total * weights[i];
        share[i] = (int64_t)(p / sum);
        rem[i] = (int64_t)(p % sum);
        left -= share[i];
    }
    /* LEFT < N: each floor lost less than a cent. Hand them out to the largest remainders. */
    bool given[CPN_SHARES_MAX] = {false};
    for (; left > 0; left--) {
        size_t best = n;
        for (size_t i = 0; i < n; i++) {
            if (given[i] || rem[i] == 0)
                continue;
            if (best == n || rem[i] > rem[best] || (rem[i] == rem[best] && keys[i] < keys[best]))
                best = i;
        }
        if (best == n)
            return CPN_ERR_INTERNAL; /* cannot happen: the remainders sum to LEFT * SUM */
        given[best] = true;
        share[best]++;
    }
    memcpy(out, share, n * sizeof *out);
    return CPN_OK;
}

enum cpn_err cpn_stack_apply(int64_t basket, const struct cpn_stack_offer *offers, size_t n,
                             int64_t *discounts, size_t *order, int64_t *total)
{
    if (n > CPN_SHARES_MAX || basket < 0)
        return CPN_ERR_BAD_REQUEST;
    for (size_t i = 0; i < n; i++)
        if (offers[i].value < 0 || offers[i].kind > CPN_STACK_NONE ||
            (offers[i].kind == CPN_STACK_PERCENT && offers[i].value > 100))
            return CPN_ERR_BAD_REQUEST;
    size_t seq[CPN_SHARES_MAX], m = 0;
    for (size_t i = 0; i < n; i++)
        if (offers[i].kind == CPN_STACK_AMOUNT)
            seq[m++] = i;
    size_t first_percent = m;
    for (size_t i = 0; i < n; i++) {
        if (offers[i].kind != CPN_STACK_PERCENT)
            continue;
        /* Insertion keeps equal percents in the order given (a stable sort, largest first). */
        size_t j = m++;
        while (j > first_percent && offers[seq[j - 1]].value < offers[i].value) {
            seq[j] = seq[j - 1];
            j--;
        }
        seq[j] = i;
    }
    for (size_t i = 0; i < n; i++)
        if (offers[i].kind == CPN_STACK_NONE)
            seq[m++] = i;
    int64_t left = basket;
    for (size_t k = 0; k < n; k++) {
        const struct cpn_stack_offer *o = &offers[seq[k]];
        int64_t d = 0;
        if (o->kind == CPN_STACK_AMOUNT)
            d = o->value < left ? o->value : left;
        else if (o->kind == CPN_STACK_PERCENT)
            d = (int64_t)(((__int128)left * o->value + 50) / 100);
        discounts[seq[k]] = d;
        left -= d;
        if (order != NULL)
            order[k] = seq[k];
    }
    *total = basket - left;
    return CPN_OK;
}
