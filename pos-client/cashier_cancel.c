/* Cancelling a basket in the cashier mode: what was booked of it is voided — a call that got no
 * answer is first sent again under its own txn to learn whether it went through (the service
 * books it at most once), a call accepted offline that never left the till is withdrawn — and,
 * when the cashier leaves the till mode with a partly booked basket, what stays booked. */
#include <inttypes.h>
#include <stdio.h>

#include "pos/cashier_internal.h"
#include "pos/i18n.h"

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

/* Takes coupon C of the basket back: withdrawn when it never left the till, else settled (sent
 * again under its txn when it may have reached the service) and voided. Returns true when
 * nothing of it stays booked (said either way). */
static bool cancel_coupon(struct pos_cashier_session *s, struct pos_basket_coupon *c)
{
    struct pos_basket *b = &s->b;
    const char *card = b->has_card ? b->card.text : NULL;
    const char *receipt = b->receipt[0] != '\0' ? b->receipt : NULL;
    char what[64];
    struct pos_result r;
    snprintf(what, sizeof what, _("Coupon %s"), c->scan.short_form);
    if (c->offline && !c->offline_maybe_sent) {
        /* Never left the till: withdrawn, nothing reaches the service. */
        pos_till_withdraw(s->till, c->txn_id, &r);
        pos_cashier_say(s, "%s: %s", what, r.line);
        if (r.exit != POS_EXIT_OK)
            return false;
        c->offline = false;
        if (s->offline_waiting > 0)
            s->offline_waiting--;
        return true;
    }
    if (c->offline) {
        /* It may have reached the service: sent now (at most once), then voided. */
        pos_till_redeem_on(s->till, c->scan.text, b->total_cents, card, receipt, c->txn_id, &r);
        if (!settled(s, what, &r, &c->redemption_id))
            return false;
        c->offline = false;
    }
    if (c->pending) {
        pos_till_redeem_on(s->till, c->scan.text, b->total_cents, card, receipt, c->txn_id, &r);
        if (!settled(s, what, &r, &c->redemption_id))
            return false;
        c->pending = false;
    }
    if (c->redemption_id == 0)
        return true;
    pos_till_void(s->till, c->redemption_id, c->void_pending ? c->void_txn : NULL, &r);
    pos_cashier_remember(&c->void_pending, c->void_txn, &r);
    pos_cashier_say(s, "%s: %s%s", what, r.line, pos_cashier_again_note(&r));
    if (r.exit != POS_EXIT_OK)
        return false;
    c->redemption_id = 0;
    return true;
}

/* Takes the card's points of the basket back: a burn or earn without an answer settled, an earn
 * accepted offline withdrawn or settled, then the booked burn and earn voided. Returns true when
 * nothing of them stays booked (said either way). */
static bool cancel_card(struct pos_cashier_session *s)
{
    struct pos_basket *b = &s->b;
    const char *card = b->has_card ? b->card.text : NULL;
    bool done = true;
    char what[64];
    snprintf(what, sizeof what, _("Card %s"), b->card.short_form);
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
        pos_cashier_remember(&b->void_pending[i], b->void_txn[i], &r);
        pos_cashier_say(s, "%s: %s%s", what, r.line, pos_cashier_again_note(&r));
        if (r.exit == POS_EXIT_OK)
            *txns[i] = 0;
        else
            done = false;
    }
    return done;
}

void pos_cashier_cancel(struct pos_cashier_session *s)
{
    struct pos_basket *b = &s->b;
    bool done = true;
    for (size_t i = 0; i < b->n_coupons; i++)
        if (!cancel_coupon(s, &b->coupons[i]))
            done = false;
    if (!cancel_card(s))
        done = false;
    if (!done) {
        pos_cashier_say(
            s, "%s",
            _("CANCEL INCOMPLETE: not everything could be voided yet; type cancel again."));
        return;
    }
    pos_basket_clear(b);
    pos_cashier_say(s, "%s", _("CANCELLED: the basket is empty"));
}

void pos_cashier_say_booked(struct pos_cashier_session *s)
{
    const struct pos_basket *b = &s->b;
    pos_cashier_say(s, "%s", _("OPEN BASKET LEFT: these stay booked until voided:"));
    for (size_t i = 0; i < b->n_coupons; i++) {
        const struct pos_basket_coupon *c = &b->coupons[i];
        if (c->redemption_id != 0)
            pos_cashier_say(s,
                            _("  coupon %s: redemption %" PRId64 " (pos-client void %" PRId64 ")"),
                            c->scan.short_form, c->redemption_id, c->redemption_id);
        else if (c->offline)
            pos_cashier_say(s,
                            _("  coupon %s: accepted offline (txn %s); pos-client sync sends it, "
                              "then void it if needed"),
                            c->scan.short_form, c->txn_id);
        else if (c->pending)
            pos_cashier_say(s,
                            _("  coupon %s: perhaps redeemed (no answer): txn %s is pending; "
                              "pos-client retry %s settles it (it cannot redeem twice), then void "
                              "it if needed"),
                            c->scan.short_form, c->txn_id, c->txn_id);
    }
    const bool pending[2] = {b->burn_pending, b->earn_pending};
    const char *const pending_txn[2] = {b->burn_txn, b->earn_txn};
    for (size_t i = 0; i < 2; i++)
        if (pending[i])
            pos_cashier_say(s,
                            _("  card %s: perhaps %s (no answer): txn %s is pending; pos-client "
                              "retry %s settles it (it cannot book twice), then void it if needed"),
                            b->card.short_form, i == 0 ? _("burned") : _("earned"), pending_txn[i],
                            pending_txn[i]);
    if (b->earn_offline)
        pos_cashier_say(s,
                        _("  card %s: earn accepted offline (txn %s); pos-client sync sends it, "
                          "then void it if needed"),
                        b->card.short_form, b->earn_txn);
    const int64_t txns[2] = {b->burn_txn_id, b->earn_txn_id};
    for (size_t i = 0; i < 2; i++)
        if (txns[i] != 0)
            pos_cashier_say(
                s, _("  card %s: card transaction %" PRId64 " (pos-client card void %" PRId64 ")"),
                b->card.short_form, txns[i], txns[i]);
}
