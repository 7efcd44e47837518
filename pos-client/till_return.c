/* A partial return at the till: goods of a redeemed basket come back (POST
 * /v1/redemptions/{id}/returns). The service answers the return's share of the discount (the
 * shares of all returns of a basket add up to its discount exactly) and the points it took back
 * from the card; the till says what to refund (the goods' price less that share). Journaled like
 * a void (kind "return", the redemption id and the returned cents), so a call without an answer
 * is sent again under its own txn and booked once. The coupon stays used: only a void gives it
 * back. Never accepted offline: only the service knows what is left of the basket. */
#include <inttypes.h>
#include <stdio.h>

#include "pos/i18n.h"
#include "pos/money.h"
#include "pos/till_internal.h"

/* Says the return of RETURNED cents of redemption ID that the service booked with ANSWER. */
static void say_returned(struct pos_result *res, int64_t id, int64_t returned, const json_t *answer)
{
    char goods[POS_MONEY_SIZE], share[POS_MONEY_SIZE], refund[POS_MONEY_SIZE];
    char left[POS_MONEY_SIZE];
    int64_t net_basket = -1;
    (void)pos_till_get_int(answer, "net_basket_cents", &net_basket);
    pos_money_format(returned, goods);
    pos_money_format(res->discount_cents, share);
    pos_money_format(returned - res->discount_cents, refund);
    pos_money_format(net_basket >= 0 ? net_basket : 0, left);
    if (res->points > 0)
        pos_result_line(res,
                        _("RETURNED: %s of redemption %" PRId64 ", of which %s was discount: "
                          "refund %s; %" PRId64 " points taken back from the card; %s of the "
                          "basket left (return %" PRId64 ")"),
                        goods, id, share, refund, res->points, left, res->id);
    else
        pos_result_line(res,
                        _("RETURNED: %s of redemption %" PRId64 ", of which %s was discount: "
                          "refund %s; %s of the basket left (return %" PRId64 ")"),
                        goods, id, share, refund, left, res->id);
}

void pos_till_return(struct pos_till *till, int64_t redemption_id, int64_t returned_cents,
                     const char *txn, struct pos_result *res)
{
    pos_result_init(res);
    struct pos_journal_entry e = {.amount = returned_cents};
    snprintf(e.kind, sizeof e.kind, "return");
    snprintf(e.subject, sizeof e.subject, "%" PRId64, redemption_id);
    if (!pos_till_journal_open(till, &e, txn, res))
        return;
    json_t *body = json_pack("{s:I, s:s}", "returned_cents", (json_int_t)returned_cents, "txn_id",
                             res->txn_id);
    if (body == NULL) {
        pos_result_no_memory(res);
        pos_till_journal_close(till, res, "unsent 0");
        return;
    }
    char path[96];
    snprintf(path, sizeof path, "/v1/redemptions/%" PRId64 "/returns", redemption_id);
    long status;
    json_t *answer;
    enum cpn_err err = pos_till_call(till, "POST", path, body, &status, &answer);
    if (err != CPN_OK) {
        pos_till_journaled_failure(till, err, status, answer, res);
        json_decref(answer);
        return;
    }
    if (!pos_till_get_int(answer, "return_id", &res->id) ||
        !pos_till_get_int(answer, "discount_cents", &res->discount_cents) ||
        !pos_till_get_int(answer, "points", &res->points) || res->discount_cents < 0 ||
        res->discount_cents > returned_cents) {
        res->pending = true;
        pos_result_unreadable(res, "POST /v1/redemptions/{id}/returns: no integer \"return_id\", "
                                   "\"discount_cents\" (0 to the goods returned) and \"points\"");
        json_decref(answer);
        return;
    }
    if (!pos_till_get_int(answer, "balance", &res->balance))
        res->balance = -1;
    res->replayed = status == 200;
    /* "returned ID r=REDEMPTION d=SHARE p=POINTS": the closing leaves it out (the service's
     * closing counts redemptions and voids, not returns). */
    char outcome[POS_JOURNAL_OUTCOME_MAX];
    snprintf(outcome, sizeof outcome, "returned %" PRId64 " r=%" PRId64 " d=%" PRId64 " p=%" PRId64,
             res->id, redemption_id, res->discount_cents, res->points);
    pos_till_journal_close(till, res, outcome);
    say_returned(res, redemption_id, returned_cents, answer);
    json_decref(answer);
}
