/* Money shared out exactly (issue 17): a discount apportioned to VAT rates by the largest
 * remainder, and several coupons stacked on one receipt in the fixed order (amounts first,
 * then percents, each on what is left). Pure arithmetic on int64 cents, no allocation; the
 * service's stored functions (sql/functions/0305_counter_rules.sql: vat_split, stack_total)
 * compute the same, and tests/integration/test_counter.c checks that they agree. */
#ifndef COUPON_SHARES_H
#define COUPON_SHARES_H

#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"

/* Most parts cpn_apportion takes, and most coupons cpn_stack_apply takes. */
#define CPN_SHARES_MAX 16

/* Apportions TOTAL cents to N parts of weight WEIGHTS[i] (cents, >= 0) by the largest
 * remainder: part i gets floor(TOTAL * WEIGHTS[i] / sum), and the cents left over go one each
 * to the parts with the largest remainders, ties to the part with the lower KEYS[i]. The
 * shares (OUT[i]) sum to TOTAL exactly, each lies within one cent of its exact proportion,
 * and none exceeds its weight. All weights 0 give all shares 0 (then TOTAL must be 0).
 * Returns CPN_OK; CPN_ERR_BAD_REQUEST (OUT untouched) when N is 0 or above CPN_SHARES_MAX, a
 * weight or TOTAL is negative, the weights overflow, or TOTAL exceeds their sum. */
enum cpn_err cpn_apportion(int64_t total, const int64_t *weights, const int *keys, size_t n,
                           int64_t *out) CPN_MUST_CHECK;

/* One coupon's offer, as the stack sees it. */
enum cpn_stack_kind {
    CPN_STACK_AMOUNT = 0,  /* VALUE cents off, at most what is left */
    CPN_STACK_PERCENT = 1, /* VALUE percent (0..100) of what is left, rounded half up */
    CPN_STACK_NONE = 2,    /* no discount (a points offer) */
};

struct cpn_stack_offer {
    enum cpn_stack_kind kind;
    int64_t value;
};

/* Applies N offers to a basket of BASKET cents in the fixed order: every amount first (in the
 * order given), then every percent, the largest first (equal ones in the order given), each on
 * what is left. DISCOUNTS[i] gets offer i's discount and ORDER (if not NULL) the offers' indices
 * in the order applied (offers without discount last); *TOTAL the sum, between 0 and BASKET.
 * Returns CPN_OK, or CPN_ERR_BAD_REQUEST when N is above CPN_SHARES_MAX, BASKET or a value is
 * negative, or a percent is above 100. */
enum cpn_err cpn_stack_apply(int64_t basket, const struct cpn_stack_offer *offers, size_t n,
                             int64_t *discounts, size_t *order, int64_t *total) CPN_MUST_CHECK;

#endif
