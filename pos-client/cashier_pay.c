/* Paying and cancelling a basket in the cashier mode: on "pay" the coupons are redeemed, points
 * burned and points earned on what is left to pay, each its own journaled call with one line per
 * result and a summary line; on "cancel" what was booked is voided. When a call gets no answer,
 * the basket keeps its txn id and "pay" (or "cancel") again sends that same call under that same
 * txn, so the service books it at most once; every other call is a new txn. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cashier_internal.h"
#include "money.h"

/* Keeps, after R, whether a call of the basket is pending and under which txn (*PENDING, TXN). */
static void remember(bool *pending, char txn[POS_TXN_ID_SIZE], const struct pos_result *r)
{
    *pending = r->pending;
    if (r->pending)
        snprintf(txn, POS_TXN_ID_SIZE, "%s", r->txn_id);
    else
        txn[0] = '\0';
}

/* Says, for a call at pay that failed with R, what the cashier does now: for one that got no
 * definite answer, pay again (the same call under the same txn); for one that was not booked,
 * pay again or cancel. */
static void say_stopped(struct pos_cashier_session *s, const char *what, const struct pos_result *r)
{
    if (r->pending)
        pos_cashier_say(s,
                        "%s: NO ANSWER: %s: it is not known whether it went through (txn %s). Type "
                        "pay again: the same call is sent again under the same txn, so nothing is "
                        "booked twice.",
                        what,
                        r->err == CPN_ERR_TIMEOUT ? "the coupon service did not answer in time"
                                                  : "no definite answer came",
                        r->txn_id);
    else
        pos_cashier_say(s, "%s: NOT BOOKED: %s%s", what, r->line,
                        r->offline_why[0] != '\0' && strstr(what, "Card") == what
                            ? " Type burn 0 to pay without burning points."
                            : "");
}

bool pos_cashier_pay(struct pos_cashier_session *s)
{
    struct pos_basket *b = &s->b;
    if (!b->has_total) {
        pos_cashier_say(s, "Type the basket total first (like 12.34), then pay.");
        return false;
    }
    const char *card = b->has_card ? b->card.text : NULL;
    char what[64];
    /* Coupons first: each its own redemption, against the whole basket. */
    size_t kept = 0;
    for (size_t i = 0; i < b->n_coupons; i++) {
        struct pos_basket_coupon *c = &b->coupons[i];
        if (c->redemption_id == 0 && !c->offline) {
            struct pos_result r;
            pos_till_redeem(s->till, c->scan.text, b->total_cents, card,
                            c->pending ? c->txn_id : NULL, &r);
            snprintf(what, sizeof what, "Coupon %s", c->scan.short_form);
            remember(&c->pending, c->txn_id, &r);
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
                pos_cashier_say(s, "%s: REDEEMED: %s off (redemption %" PRId64 ")%s", what,
                                pos_money_format(r.discount_cents, off), r.id,
                                pos_cashier_again_note(&r));
            } else if (r.exit == POS_EXIT_REFUSED) {
                pos_cashier_say(s, "%s: %s", what, r.line);
                continue; /* dropped from the basket */
            } else {
                for (size_t j = i; j < b->n_coupons; j++)
                    b->coupons[kept++] = b->coupons[j];
                b->n_coupons = kept;
                say_stopped(s, what, &r);
                return false;
            }
        }
        b->coupons[kept++] = *c;
    }
    b->n_coupons = kept;
    int64_t coupon_off = 0;
    for (size_t i = 0; i < b->n_coupons; i++)
        if (__builtin_add_overflow(coupon_off, b->coupons[i].discount_cents, &coupon_off))
            coupon_off = b->total_cents;
    if (coupon_off > b->total_cents)
        coupon_off = b->total_cents;
    /* Points to burn, at most what is left to pay. */
    if (b->has_card && b->burn_points > 0 && b->burn_txn_id == 0) {
        int64_t left = b->total_cents - coupon_off;
        if (b->burn_points > left) {
            pos_cashier_say(s, "BURN: only %" PRId64 " points are needed for what is left to pay",
                            left);
            b->burn_points = left;
        }
        if (b->burn_points > 0) {
            struct pos_result r;
            pos_till_card_burn(s->till, card, b->burn_points, b->burn_pending ? b->burn_txn : NULL,
                               &r);
            remember(&b->burn_pending, b->burn_txn, &r);
            snprintf(what, sizeof what, "Card %s", b->card.short_form);
            if (r.exit == POS_EXIT_OK) {
                char worth[POS_MONEY_SIZE];
                b->burn_txn_id = r.id;
                b->card_balance = r.balance;
                pos_cashier_say(s,
                                "%s: BURNED: %" PRId64 " points (%s off); balance %" PRId64
                                " points (card transaction %" PRId64 ")%s",
                                what, r.points, pos_money_format(r.points, worth), r.balance, r.id,
                                pos_cashier_again_note(&r));
            } else if (r.exit == POS_EXIT_REFUSED) {
                b->burn_points = 0;
                pos_cashier_say(s, "%s: %s", what, r.line);
            } else {
                say_stopped(s, what, &r);
                return false;
            }
        }
    }
    int64_t off = coupon_off + (b->burn_txn_id != 0 ? b->burn_points : 0);
    int64_t due = b->total_cents - off;
    /* Points earned on what the customer pays. */
    if (b->has_card && b->earn_txn_id == 0 && !b->earn_offline && (due > 0 || b->earn_pending)) {
        struct pos_result r;
        if (!b->earn_pending)
            b->earn_cents = due;
        pos_till_card_earn(s->till, card, b->earn_cents, b->earn_pending ? b->earn_txn : NULL, &r);
        remember(&b->earn_pending, b->earn_txn, &r);
        snprintf(what, sizeof what, "Card %s", b->card.short_form);
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
                            "%s: EARNED: %" PRId64 " points; balance %" PRId64
                            " points (card transaction %" PRId64 ")%s",
                            what, r.points, r.balance, r.id, pos_cashier_again_note(&r));
        } else if (r.exit == POS_EXIT_REFUSED) {
            pos_cashier_say(s, "%s: %s", what, r.line);
        } else {
            say_stopped(s, what, &r);
            return false;
        }
    }
    char total[POS_MONEY_SIZE], disc[POS_MONEY_SIZE], pay[POS_MONEY_SIZE];
    pos_cashier_say(s, "TOTAL %s, discounts %s, to pay %s", pos_money_format(b->total_cents, total),
                    pos_money_format(off, disc), pos_money_format(due, pay));
    return true;
}

/* For cancel: learns how a call that got no answer ended by sending it again (under its own txn
 * id: the service answers it once). R is the new attempt's result. Returns true when
 * the outcome is now known (then *ID is what was booked, 0 for nothing). */
static bool settled(struct pos_cashier_session *s, const char *what, const struct pos_result *r,
                    int64_t *id)
{
    if (r->exit == POS_EXIT_OK) {
        *id = r->id;
        return true;
    }
    if (r->exit == POS_EXIT_REFUSED) {
        *id = 0; /* refused: nothing was booked */
        return true;
    }
    pos_cashier_say(s, "%s: %s", what, r->line);
    return false;
}

void pos_cashier_cancel(struct pos_cashier_session *s)
{
    struct pos_basket *b = &s->b;
    const char *card = b->has_card ? b->card.text : NULL;
    bool done = true;
    char what[64];
    for (size_t i = 0; i < b->n_coupons; i++) {
        struct pos_basket_coupon *c = &b->coupons[i];
        struct pos_result r;
        snprintf(what, sizeof what, "Coupon %s", c->scan.short_form);
        if (c->offline && !c->offline_maybe_sent) {
            /* Never left the till: withdrawn, nothing reaches the service. */
            pos_till_withdraw(s->till, c->txn_id, &r);
            pos_cashier_say(s, "%s: %s", what, r.line);
            if (r.exit != POS_EXIT_OK) {
                done = false;
                continue;
            }
            c->offline = false;
            if (s->offline_waiting > 0)
                s->offline_waiting--;
            continue;
        }
        if (c->offline) {
            /* It may have reached the service: sent now (at most once), then voided. */
            pos_till_redeem(s->till, c->scan.text, b->total_cents, card, c->txn_id, &r);
            if (!settled(s, what, &r, &c->redemption_id)) {
                done = false;
                continue;
            }
            c->offline = false;
        }
        if (c->pending) {
            pos_till_redeem(s->till, c->scan.text, b->total_cents, card, c->txn_id, &r);
            if (!settled(s, what, &r, &c->redemption_id)) {
                done = false;
                continue;
            }
            c->pending = false;
        }
        if (c->redemption_id == 0)
            continue;
        pos_till_void(s->till, c->redemption_id, c->void_pending ? c->void_txn : NULL, &r);
        remember(&c->void_pending, c->void_txn, &r);
        pos_cashier_say(s, "%s: %s%s", what, r.line, pos_cashier_again_note(&r));
        if (r.exit == POS_EXIT_OK)
            c->redemption_id = 0;
        else
            done = false;
    }
    snprintf(what, sizeof what, "Card %s", b->card.short_form);
    struct pos_result r;
    if (b->burn_pending) {
        pos_till_card_burn(s->till, card, b->burn_points, b->burn_txn, &r);
        if (settled(s, what, &r, &b->burn_txn_id))
            b->burn_pending = false;
        else
            done = false;
    }
    if (b->earn_offline && !b->earn_offline_maybe_sent) {
        pos_till_withdraw(s->till, b->earn_txn, &r);
        pos_cashier_say(s, "%s: %s", what, r.line);
        if (r.exit == POS_EXIT_OK) {
            b->earn_offline = false;
            if (s->offline_waiting > 0)
                s->offline_waiting--;
        } else {
            done = false;
        }
    } else if (b->earn_offline) {
        pos_till_card_earn(s->till, card, b->earn_cents, b->earn_txn, &r);
        if (settled(s, what, &r, &b->earn_txn_id))
            b->earn_offline = false;
        else
            done = false;
    }
    if (b->earn_pending) {
        pos_till_card_earn(s->till, card, b->earn_cents, b->earn_txn, &r);
        if (settled(s, what, &r, &b->earn_txn_id))
            b->earn_pending = false;
        else
            done = false;
    }
    int64_t *txns[2] = {&b->burn_txn_id, &b->earn_txn_id};
    for (size_t i = 0; i < 2; i++) {
        if (*txns[i] == 0)
            continue;
        pos_till_card_void(s->till, *txns[i], b->void_pending[i] ? b->void_txn[i] : NULL, &r);
        remember(&b->void_pending[i], b->void_txn[i], &r);
        pos_cashier_say(s, "%s: %s%s", what, r.line, pos_cashier_again_note(&r));
        if (r.exit == POS_EXIT_OK)
            *txns[i] = 0;
        else
            done = false;
    }
    if (!done) {
        pos_cashier_say(
            s, "CANCEL INCOMPLETE: not everything could be voided yet; type cancel again.");
        return;
    }
    pos_basket_clear(b);
    pos_cashier_say(s, "CANCELLED: the basket is empty");
}

void pos_cashier_say_booked(struct pos_cashier_session *s)
{
    const struct pos_basket *b = &s->b;
    pos_cashier_say(s, "OPEN BASKET LEFT: these stay booked until voided:");
    for (size_t i = 0; i < b->n_coupons; i++) {
        const struct pos_basket_coupon *c = &b->coupons[i];
        if (c->redemption_id != 0)
            pos_cashier_say(s, "  coupon %s: redemption %" PRId64 " (pos-client void %" PRId64 ")",
                            c->scan.short_form, c->redemption_id, c->redemption_id);
        else if (c->offline)
            pos_cashier_say(s,
                            "  coupon %s: accepted offline (txn %s); pos-client sync sends it, "
                            "then void it if needed",
                            c->scan.short_form, c->txn_id);
        else if (c->pending)
            pos_cashier_say(s,
                            "  coupon %s: perhaps redeemed (no answer): txn %s is pending; "
                            "pos-client retry %s settles it (it cannot redeem twice), then void "
                            "it if needed",
                            c->scan.short_form, c->txn_id, c->txn_id);
    }
    const bool pending[2] = {b->burn_pending, b->earn_pending};
    const char *const pending_txn[2] = {b->burn_txn, b->earn_txn};
    for (size_t i = 0; i < 2; i++)
        if (pending[i])
            pos_cashier_say(s,
                            "  card %s: perhaps %s (no answer): txn %s is pending; pos-client "
                            "retry %s settles it (it cannot book twice), then void it if needed",
                            b->card.short_form, i == 0 ? "burned" : "earned", pending_txn[i],
                            pending_txn[i]);
    if (b->earn_offline)
        pos_cashier_say(s,
                        "  card %s: earn accepted offline (txn %s); pos-client sync sends it, then "
                        "void it if needed",
                        b->card.short_form, b->earn_txn);
    const int64_t txns[2] = {b->burn_txn_id, b->earn_txn_id};
    for (size_t i = 0; i < 2; i++)
        if (txns[i] != 0)
            pos_cashier_say(
                s, "  card %s: card transaction %" PRId64 " (pos-client card void %" PRId64 ")",
                b->card.short_form, txns[i], txns[i]);
}
