/* Several coupons on one receipt: the order in which the coupon service applies them (amounts
 * first, then percents each on what is left, so that two 15 % coupons on 64.90 give 15 % and
 * then 15 % of the rest, never 30 % of the whole), previewed by the till and said to the cashier
 * before paying; the coupons are redeemed in that order at pay. */
#include <inttypes.h>

#include "pos/cashier_internal.h"
#include "pos/i18n.h"
#include "pos/money.h"

/* How a coupon of the basket counts in the order. */
enum rank {
    RANK_AMOUNT = 0,  /* an amount off (or a short code, with the discount its check gave) */
    RANK_PERCENT = 1, /* a percent of what is left */
    RANK_NONE = 2,    /* no discount now: a points offer, or not valid yet */
};

/* Reads C's place in the order: its rank and value (cents or percent). */
static enum rank rank_of(const struct pos_basket_coupon *c, int64_t *value)
{
    *value = 0;
    if (c->waiting_for != NULL)
        return RANK_NONE;
    if (c->scan.code.is_signed) {
        *value = (int64_t)c->scan.code.offer_value;
        if (c->scan.code.offer_kind == CPN_OFFER_PERCENT)
            return RANK_PERCENT;
        if (c->scan.code.offer_kind == CPN_OFFER_AMOUNT)
            return RANK_AMOUNT;
        *value = 0;
        return RANK_NONE;
    }
    *value = c->discount_cents;
    return c->discount_cents > 0 ? RANK_AMOUNT : RANK_NONE;
}

/* Returns true when coupon A goes before coupon B (both not booked). */
static bool before(const struct pos_basket_coupon *a, const struct pos_basket_coupon *b)
{
    int64_t va, vb;
    enum rank ra = rank_of(a, &va), rb = rank_of(b, &vb);
    if (ra != rb)
        return ra < rb;
    return ra == RANK_PERCENT && va > vb; /* the larger percent first; else as scanned */
}

/* Returns true when C is booked (or may be): its place is kept. */
static bool booked(const struct pos_basket_coupon *c)
{
    return c->redemption_id != 0 || c->pending || c->offline;
}

int64_t pos_basket_order(struct pos_basket *b)
{
    /* Insertion sort, stable, of the coupons not booked yet (they follow the booked ones). */
    size_t first = 0;
    while (first < b->n_coupons && booked(&b->coupons[first]))
        first++;
    for (size_t i = first + 1; i < b->n_coupons; i++) {
        if (booked(&b->coupons[i]))
            continue;
        struct pos_basket_coupon c = b->coupons[i];
        size_t j = i;
        while (j > first && !booked(&b->coupons[j - 1]) && before(&c, &b->coupons[j - 1])) {
            b->coupons[j] = b->coupons[j - 1];
            j--;
        }
        b->coupons[j] = c;
    }
    int64_t total = b->has_total ? b->total_cents : 0, left = total;
    for (size_t i = 0; i < b->n_coupons; i++) {
        struct pos_basket_coupon *c = &b->coupons[i];
        int64_t v, d = 0;
        enum rank r = booked(c) ? RANK_AMOUNT : rank_of(c, &v);
        if (booked(c))
            v = c->discount_cents;
        if (r == RANK_AMOUNT)
            d = v < left ? v : left;
        else if (r == RANK_PERCENT && v >= 0 && v <= 100 && left <= INT64_MAX / 100 - 50)
            d = (left * v + 50) / 100;
        if (d < 0)
            d = 0;
        c->preview_cents = d;
        left -= d;
    }
    int64_t burn = b->burn_points < left ? b->burn_points : left;
    return total - left + (burn > 0 ? burn : 0);
}

void pos_cashier_say_order(struct pos_cashier_session *s)
{
    const struct pos_basket *b = &s->b;
    size_t counted = 0;
    for (size_t i = 0; i < b->n_coupons; i++)
        if (b->coupons[i].preview_cents > 0)
            counted++;
    if (counted < 2)
        return;
    pos_cashier_say(s, "%s",
                    _("ORDER: the coupon service applies the coupons in this order (amounts "
                      "first, then percents, each on what is left):"));
    int64_t sum = 0, left = b->total_cents;
    size_t n = 0;
    for (size_t i = 0; i < b->n_coupons; i++) {
        const struct pos_basket_coupon *c = &b->coupons[i];
        if (c->preview_cents <= 0)
            continue;
        char off[POS_MONEY_SIZE], of[POS_MONEY_SIZE];
        int64_t v;
        if (!booked(c) && rank_of(c, &v) == RANK_PERCENT)
            pos_cashier_say(s, _("  %zu. coupon %s: %" PRId64 "%% of %s: %s off"), ++n,
                            c->scan.short_form, v, pos_money_format(left, of),
                            pos_money_format(c->preview_cents, off));
        else
            pos_cashier_say(s, _("  %zu. coupon %s: %s off"), ++n, c->scan.short_form,
                            pos_money_format(c->preview_cents, off));
        sum += c->preview_cents;
        left -= c->preview_cents;
    }
    char all[POS_MONEY_SIZE];
    pos_cashier_say(s, _("  together %s off"), pos_money_format(sum, all));
}
