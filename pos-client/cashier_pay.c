/* Paying a basket in the cashier mode: on "pay" the coupons are redeemed in the service's order
 * (cashier_order.c) on the basket's receipt id, points burned and points earned on what is left to
 * pay, each its own journaled call with one line per result, a summary line, and the receipt
 * block printed (receipt_out.c). When a call gets no answer, the basket keeps its txn id and
 * "pay" again sends that same call under that same txn, so the service books it at most once;
 * every other call is a new txn. Cancelling is in cashier_cancel.c. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pos/cashier_internal.h"
#include "pos/i18n.h"
#include "pos/money.h"
#include "pos/receipt_out.h"

/* Says, for a call at pay that failed with R, what the cashier does now: for one that got no
 * definite answer, pay again (the same call under the same txn); for one that was not booked,
 * pay again or cancel. */
static void say_stopped(struct pos_cashier_session *s, const char *what, bool card,
                        const struct pos_result *r)
{
    if (r->pending)
        pos_cashier_say(s,
                        _("%s: NO ANSWER: %s: it is not known whether it went through (txn %s). "
                          "Type pay again: the same call is sent again under the same txn, so "
                          "nothing is booked twice."),
                        what,
                        r->err == CPN_ERR_TIMEOUT ? _("the coupon service did not answer in time")
                                                  : _("no definite answer came"),
                        r->txn_id);
    else
        pos_cashier_say(s, _("%s: NOT BOOKED: %s%s"), what, r->line,
                        r->offline_why[0] != '\0' && card
                            ? _(" Type burn 0 to pay without burning points.")
                            : "");
}

/* Keeps a new coupon the service issued with R for the receipt, and says it. */
static void keep_next(struct pos_cashier_session *s, const struct pos_result *r)
{
    struct pos_basket *b = &s->b;
    if (!r->has_next)
        return;
    for (size_t i = 0; i < b->n_next; i++)
        if (strcmp(b->next[i].code, r->next.code) == 0)
            return;
    if (b->n_next < POS_RECEIPT_MAX_NEXT)
        b->next[b->n_next++] = r->next;
    pos_cashier_say(s, _("NEW COUPON for the next purchase: %s%s%s (on the receipt)"), r->next.code,
                    r->next.offer[0] != '\0' ? ", " : "", r->next.offer);
}

/* Redeems the coupons not booked yet, in the service's order. Returns false when a call stopped
 * the payment (said). */
static bool redeem_coupons(struct pos_cashier_session *s)
{
    struct pos_basket *b = &s->b;
    const char *card = b->has_card ? b->card.text : NULL;
    const char *receipt = pos_basket_receipt_id(b);
    (void)pos_basket_order(b);
    size_t kept = 0;
    char what[64];
    for (size_t i = 0; i < b->n_coupons; i++) {
        struct pos_basket_coupon *c = &b->coupons[i];
        if (c->redemption_id == 0 && !c->offline) {
            struct pos_result r;
            pos_till_redeem_on(s->till, c->scan.text, b->total_cents, card, receipt,
                               c->pending ? c->txn_id : NULL, &r);
            snprintf(what, sizeof what, _("Coupon %s"), c->scan.short_form);
            pos_cashier_remember(&c->pending, c->txn_id, &r);
            if (r.exit == POS_EXIT_OK && r.offline_accepted) {
                c->offline = true;
                c->offline_maybe_sent = r.maybe_sent;
                snprintf(c->txn_id, sizeof c->txn_id, "%s", r.txn_id);
                c->discount_cents = r.discount_cents;
                c->waiting_for = NULL;
                s->offline_waiting++;
                pos_cashier_say(s, "%s: %s", what, r.line);
            } else if (r.exit == POS_EXIT_OK) {
                char off[POS_MONEY_SIZE];
                c->redemption_id = r.id;
                c->discount_cents = r.discount_cents;
                c->waiting_for = NULL;
                pos_cashier_say(s, _("%s: REDEEMED: %s off (redemption %" PRId64 ")%s"), what,
                                pos_money_format(r.discount_cents, off), r.id,
                                pos_cashier_again_note(&r));
                keep_next(s, &r);
            } else if (r.exit == POS_EXIT_REFUSED) {
                /* One sentence: the service's (not combinable, card limit, ...); dropped. */
                pos_cashier_say(s, "%s: %s", what, r.line);
                continue;
            } else {
                for (size_t j = i; j < b->n_coupons; j++)
                    b->coupons[kept++] = b->coupons[j];
                b->n_coupons = kept;
                say_stopped(s, what, false, &r);
                return false;
            }
        }
        b->coupons[kept++] = *c;
    }
    b->n_coupons = kept;
    return true;
}

/* Burns the points to burn, at most LEFT (what is left to pay). Returns false when a call
 * stopped the payment (said). */
static bool burn_points(struct pos_cashier_session *s, int64_t left)
{
    struct pos_basket *b = &s->b;
    if (!b->has_card || b->burn_points <= 0 || b->burn_txn_id != 0)
        return true;
    if (b->burn_points > left) {
        pos_cashier_say(s, _("BURN: only %" PRId64 " points are needed for what is left to pay"),
                        left);
        b->burn_points = left;
    }
    if (b->burn_points <= 0)
        return true;
    char what[64];
    struct pos_result r;
    pos_till_card_burn(s->till, b->card.text, b->burn_points, b->burn_pending ? b->burn_txn : NULL,
                       &r);
    pos_cashier_remember(&b->burn_pending, b->burn_txn, &r);
    snprintf(what, sizeof what, _("Card %s"), b->card.short_form);
    if (r.exit == POS_EXIT_OK) {
        char worth[POS_MONEY_SIZE];
        b->burn_txn_id = r.id;
        b->card_balance = r.balance;
        pos_cashier_say(s,
                        _("%s: BURNED: %" PRId64 " points (%s off); balance %" PRId64
                          " points (card transaction %" PRId64 ")%s"),
                        what, r.points, pos_money_format(r.points, worth), r.balance, r.id,
                        pos_cashier_again_note(&r));
        return true;
    }
    if (r.exit == POS_EXIT_REFUSED) {
        b->burn_points = 0;
        pos_cashier_say(s, "%s: %s", what, r.line);
        return true;
    }
    say_stopped(s, what, true, &r);
    return false;
}

/* Books the points earned on DUE (what the customer pays). Returns false when a call stopped the
 * payment (said). */
static bool earn_points(struct pos_cashier_session *s, int64_t due)
{
    struct pos_basket *b = &s->b;
    if (!b->has_card || b->earn_txn_id != 0 || b->earn_offline || (due <= 0 && !b->earn_pending))
        return true;
    char what[64];
    struct pos_result r;
    if (!b->earn_pending)
        b->earn_cents = due;
    pos_till_card_earn(s->till, b->card.text, b->earn_cents, b->earn_pending ? b->earn_txn : NULL,
                       &r);
    pos_cashier_remember(&b->earn_pending, b->earn_txn, &r);
    snprintf(what, sizeof what, _("Card %s"), b->card.short_form);
    if (r.exit == POS_EXIT_OK && r.offline_accepted) {
        b->earn_offline = true;
        b->earn_offline_maybe_sent = r.maybe_sent;
        snprintf(b->earn_txn, sizeof b->earn_txn, "%s", r.txn_id);
        s->offline_waiting++;
        pos_cashier_say(s, "%s: %s", what, r.line);
    } else if (r.exit == POS_EXIT_OK) {
        b->earn_txn_id = r.id;
        b->earned_points = r.points;
        b->card_balance = r.balance;
        pos_cashier_say(s,
                        _("%s: EARNED: %" PRId64 " points; balance %" PRId64
                          " points (card transaction %" PRId64 ")%s"),
                        what, r.points, r.balance, r.id, pos_cashier_again_note(&r));
        keep_next(s, &r);
    } else if (r.exit == POS_EXIT_REFUSED) {
        pos_cashier_say(s, "%s: %s", what, r.line);
    } else {
        say_stopped(s, what, true, &r);
        return false;
    }
    return true;
}

/* Prints the receipt block of the paid basket (OFF: its discounts in all), when a printer or a
 * receipt file is configured. */
static void print_receipt(struct pos_cashier_session *s)
{
    const struct pos_config *cfg = pos_till_config(s->till);
    struct pos_basket *b = &s->b;
    if (cfg->printer == NULL && cfg->receipt == NULL)
        return;
    struct pos_receipt r;
    memset(&r, 0, sizeof r);
    pos_state_now(r.time);
    snprintf(r.txn, sizeof r.txn, "%s", b->receipt);
    r.has_total = true;
    r.total_cents = b->total_cents;
    for (size_t i = 0; i < b->n_coupons && r.n_coupons < POS_RECEIPT_MAX_COUPONS; i++) {
        const struct pos_basket_coupon *c = &b->coupons[i];
        if (c->redemption_id == 0 && !c->offline)
            continue;
        struct pos_receipt_coupon *rc = &r.coupons[r.n_coupons++];
        snprintf(rc->code, sizeof rc->code, "%s", c->scan.short_form);
        rc->discount_cents = c->discount_cents;
        rc->offline = c->offline;
    }
    r.balance = -1;
    if (b->has_card) {
        snprintf(r.card, sizeof r.card, "%s", b->card.short_form);
        r.burned_points = b->burn_txn_id != 0 ? b->burn_points : 0;
        r.earned_points = b->earn_txn_id != 0 ? b->earned_points : 0;
        r.earn_offline = b->earn_offline;
        r.earn_basket_cents = b->earn_cents;
        r.balance = b->earn_offline ? -1 : b->card_balance;
    }
    for (size_t i = 0; i < b->n_next; i++)
        pos_receipt_add_next(&r, &b->next[i]);
    pos_till_receipt_code(s->till, &r, !b->has_card);
    (void)pos_receipt_print(cfg->printer, cfg->receipt, &r, s->out);
}

bool pos_cashier_pay(struct pos_cashier_session *s)
{
    struct pos_basket *b = &s->b;
    if (!b->has_total) {
        pos_cashier_say(s, "%s", _("Type the basket total first (like 12.34), then pay."));
        return false;
    }
    if (!redeem_coupons(s))
        return false;
    int64_t coupon_off = 0;
    for (size_t i = 0; i < b->n_coupons; i++)
        if (__builtin_add_overflow(coupon_off, b->coupons[i].discount_cents, &coupon_off))
            coupon_off = b->total_cents;
    if (coupon_off > b->total_cents)
        coupon_off = b->total_cents;
    if (!burn_points(s, b->total_cents - coupon_off))
        return false;
    int64_t off = coupon_off + (b->burn_txn_id != 0 ? b->burn_points : 0);
    int64_t due = b->total_cents - off;
    if (!earn_points(s, due))
        return false;
    char total[POS_MONEY_SIZE], disc[POS_MONEY_SIZE], pay[POS_MONEY_SIZE];
    pos_cashier_say(s, _("TOTAL %s, discounts %s, to pay %s"),
                    pos_money_format(b->total_cents, total), pos_money_format(off, disc),
                    pos_money_format(due, pay));
    print_receipt(s);
    return true;
}
