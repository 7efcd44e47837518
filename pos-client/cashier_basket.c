/* The customer's basket in the cashier mode: a bonus card, coupons, a total and points to burn,
 * each line that fills it checked at once (a coupon against the total and the card, re-checked when
 * they change) and answered with one line. */
#include <inttypes.h>
#include <string.h>

#include "pos/cashier_internal.h"
#include "pos/i18n.h"
#include "pos/money.h"

/* Why a kept coupon is not valid yet. */
static const char WAITING_FOR_CARD[] = "card";
static const char WAITING_FOR_MINIMUM[] = "minimum";

/* Copies MESSAGE into BUF (SIZE bytes) without its final full stop. */
static void without_full_stop(char *buf, size_t size, const char *message)
{
    snprintf(buf, size, "%s", message);
    size_t n = strlen(buf);
    if (n > 0 && buf[n - 1] == '.')
        buf[n - 1] = '\0';
}

/* Says that the basket cannot change any more. */
static void say_partly_booked(struct pos_cashier_session *s)
{
    pos_cashier_say(s, "%s",
                    _("This basket is already partly booked: type pay to finish it, or cancel."));
}

void pos_basket_clear(struct pos_basket *b)
{
    memset(b, 0, sizeof *b);
    b->card_balance = -1;
}

const char *pos_basket_receipt_id(struct pos_basket *b)
{
    if (b->receipt[0] == '\0') {
        if (pos_journal_new_txn_id(b->receipt) != CPN_OK)
            return NULL;
        b->receipt[0] = 'R'; /* a receipt, not a call */
    }
    return b->receipt;
}

bool pos_basket_booked(const struct pos_basket *b)
{
    for (size_t i = 0; i < b->n_coupons; i++)
        if (b->coupons[i].redemption_id != 0 || b->coupons[i].pending || b->coupons[i].offline)
            return true;
    return b->burn_txn_id != 0 || b->earn_txn_id != 0 || b->burn_pending || b->earn_pending ||
           b->earn_offline;
}

/* Checks coupon C against the current basket and says the result. Returns false when the
 * coupon must not stay in the basket. */
static bool check_coupon(struct pos_cashier_session *s, struct pos_basket_coupon *c)
{
    struct pos_basket *b = &s->b;
    struct pos_result r;
    pos_till_check(s->till, c->scan.text, b->has_total ? b->total_cents : 0,
                   b->has_card ? b->card.text : NULL, &r);
    const char *code = c->scan.short_form;
    c->waiting_for = NULL;
    c->discount_cents = 0;
    switch (r.exit) {
    case POS_EXIT_OK:
        c->discount_cents = r.discount_cents;
        pos_cashier_say(s, _("Coupon %s: %s"), code, r.line);
        return true;
    case POS_EXIT_REFUSED:
        if (r.err == CPN_ERR_CARD_REQUIRED && !b->has_card) {
            c->waiting_for = WAITING_FOR_CARD;
            pos_cashier_say(
                s, _("Coupon %s: NOT YET: this coupon needs the customer's bonus card: scan it."),
                code);
            return true;
        }
        if (r.err == CPN_ERR_BELOW_MINIMUM) {
            c->waiting_for = WAITING_FOR_MINIMUM;
            char min[POS_MONEY_SIZE];
            if (!b->has_total && c->scan.code.is_signed && c->scan.code.min_basket_cents > 0) {
                pos_cashier_say(
                    s,
                    _("Coupon %s: KEPT: it needs a basket of at least %s; checked again when the "
                      "total is typed"),
                    code, pos_money_format(c->scan.code.min_basket_cents, min));
            } else if (!b->has_total) {
                pos_cashier_say(
                    s,
                    _("Coupon %s: KEPT: it needs a minimum basket; checked again when the total "
                      "is typed"),
                    code);
            } else {
                char text[POS_LINE_SIZE / 2];
                without_full_stop(text, sizeof text, pos_err_message(CPN_ERR_BELOW_MINIMUM));
                pos_cashier_say(
                    s, _("Coupon %s: NOT YET: %s (kept; checked again when the total changes)"),
                    code, text);
            }
            return true;
        }
        pos_cashier_say(s, _("Coupon %s: %s"), code, r.line);
        return false;
    case POS_EXIT_UNAVAILABLE:
        if (r.offline)
            pos_cashier_say(s, _("Coupon %s: %s; kept, the service decides at pay"), code, r.line);
        else
            pos_cashier_say(s, _("Coupon %s: NOT CHECKED: %s (kept; the service decides at pay)"),
                            code, r.line);
        return true;
    default:
        pos_cashier_say(s, _("Coupon %s: %s"), code, r.line);
        return false;
    }
}

/* Re-checks the coupons in the basket (after the total or the card changed); ONLY_WAITING
 * limits it to those waiting for a card or a higher total. */
static void recheck(struct pos_cashier_session *s, bool only_waiting)
{
    struct pos_basket *b = &s->b;
    size_t kept = 0;
    for (size_t i = 0; i < b->n_coupons; i++) {
        struct pos_basket_coupon *c = &b->coupons[i];
        bool keep = true;
        bool still_no_card = c->waiting_for == WAITING_FOR_CARD && !b->has_card;
        if (c->redemption_id == 0 && !still_no_card && (!only_waiting || c->waiting_for != NULL))
            keep = check_coupon(s, c);
        if (keep)
            b->coupons[kept++] = *c;
    }
    b->n_coupons = kept;
}

/* Says the basket's state in one line (after the order of its coupons, when there are several). */
static void say_basket(struct pos_cashier_session *s)
{
    struct pos_basket *b = &s->b;
    char total[POS_MONEY_SIZE], off[POS_MONEY_SIZE], due[POS_MONEY_SIZE];
    int64_t discounts = pos_basket_order(b);
    pos_cashier_say_order(s);
    pos_cashier_say(
        s,
        P_("BASKET: total %s, %zu coupon, %s off so far, to pay about %s%s",
           "BASKET: total %s, %zu coupons, %s off so far, to pay about %s%s", b->n_coupons),
        pos_money_format(b->total_cents, total), b->n_coupons, pos_money_format(discounts, off),
        pos_money_format(b->total_cents - discounts, due),
        b->has_card ? "" : _(" (no bonus card)"));
}

void pos_cashier_on_total(struct pos_cashier_session *s, int64_t cents)
{
    struct pos_basket *b = &s->b;
    if (pos_basket_booked(b)) {
        say_partly_booked(s);
        return;
    }
    b->has_total = true;
    b->total_cents = cents;
    recheck(s, false);
    say_basket(s);
}

void pos_cashier_on_card(struct pos_cashier_session *s, const struct pos_scan *card)
{
    struct pos_basket *b = &s->b;
    if (b->has_card && strcmp(b->card.short_form, card->short_form) == 0) {
        pos_cashier_say(s, _("Card %s: already scanned for this basket (%" PRId64 " points)"),
                        card->short_form, b->card_balance);
        return;
    }
    if (pos_basket_booked(b)) {
        say_partly_booked(s);
        return;
    }
    struct pos_result r;
    pos_till_card_balance(s->till, card->text, &r);
    if (r.exit == POS_EXIT_REFUSED || r.exit == POS_EXIT_USAGE) {
        pos_cashier_say(s, _("Card %s: %s"), card->short_form, r.line);
        return;
    }
    bool replaced = b->has_card;
    b->has_card = true;
    b->card = *card;
    b->card_balance = r.exit == POS_EXIT_OK ? r.balance : -1;
    if (replaced && b->burn_points > 0) {
        b->burn_points = 0;
        pos_cashier_say(s, "%s",
                        _("The points to burn were for the other card: type burn again if "
                          "wanted."));
    }
    if (r.exit == POS_EXIT_OK)
        pos_cashier_say(s, _("Card %s: %s%" PRId64 " points"), card->short_form,
                        replaced ? _("replaces the card scanned before; ") : "", r.balance);
    else
        pos_cashier_say(s, _("Card %s: kept for this basket; balance unknown: %s"),
                        card->short_form, r.line);
    recheck(s, true);
}

void pos_cashier_on_coupon(struct pos_cashier_session *s, const struct pos_scan *scan)
{
    struct pos_basket *b = &s->b;
    for (size_t i = 0; i < b->n_coupons; i++) {
        if (strcmp(b->coupons[i].scan.short_form, scan->short_form) == 0) {
            pos_cashier_say(s, _("Coupon %s: already in this basket"), scan->short_form);
            return;
        }
    }
    if (b->n_coupons == POS_BASKET_MAX_COUPONS) {
        pos_cashier_say(s, _("Coupon %s: a basket holds at most %d coupons"), scan->short_form,
                        POS_BASKET_MAX_COUPONS);
        return;
    }
    if (pos_basket_booked(b)) {
        say_partly_booked(s);
        return;
    }
    struct pos_basket_coupon *c = &b->coupons[b->n_coupons];
    memset(c, 0, sizeof *c);
    c->scan = *scan;
    if (check_coupon(s, c))
        b->n_coupons++;
}

void pos_cashier_on_receipt(struct pos_cashier_session *s, const char *code)
{
    struct pos_basket *b = &s->b;
    if (!b->has_card) {
        pos_cashier_say(s, "%s", _("Scan the customer's bonus card first, then the receipt code."));
        return;
    }
    struct pos_result r;
    pos_till_card_credit(s->till, b->card.text, code, NULL, &r);
    if (r.exit == POS_EXIT_OK && !r.pending)
        b->card_balance = r.balance;
    pos_cashier_say(s, _("Card %s: %s"), b->card.short_form, r.line);
}

void pos_cashier_on_burn(struct pos_cashier_session *s, int64_t points)
{
    struct pos_basket *b = &s->b;
    if (!b->has_card) {
        pos_cashier_say(s, "%s", _("Scan the customer's bonus card first, then burn points."));
        return;
    }
    if (points == 0 && b->burn_txn_id == 0 && !b->burn_pending) {
        /* Dropping a burn not yet booked is fine even in a partly booked basket (the service
         * could not be reached: points cannot be burned offline). */
        b->burn_points = 0;
        pos_cashier_say(s, _("BURN: no points are burned from card %s"), b->card.short_form);
        return;
    }
    if (pos_basket_booked(b)) {
        say_partly_booked(s);
        return;
    }
    if (b->card_balance >= 0 && points > b->card_balance) {
        char text[POS_LINE_SIZE / 2];
        without_full_stop(text, sizeof text, pos_err_message(CPN_ERR_INSUFFICIENT_POINTS));
        pos_cashier_say(s, _("BURN REFUSED: %s (balance %" PRId64 " points)"), text,
                        b->card_balance);
        return;
    }
    char worth[POS_MONEY_SIZE];
    b->burn_points = points;
    pos_cashier_say(s, _("BURN: %" PRId64 " points (%s off) from card %s at pay"), points,
                    pos_money_format(points, worth), b->card.short_form);
}
