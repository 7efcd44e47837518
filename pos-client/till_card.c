/* The till's bonus card operations — issue, balance, earn, burn and void — each checking the card
 * locally first; earn, burn and void are journaled. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pos/i18n.h"
#include "pos/money.h"
#include "pos/till_internal.h"

/* Reads the bonus card CARD for a card command into *SCAN, with RES->code set. Returns true, or
 * false with RES filled as a local refusal. */
static bool local_card(struct pos_till *till, const char *card, struct pos_scan *scan,
                       struct pos_result *res)
{
    if (!pos_till_local_code(till, card, CPN_KIND_CARD, _("REFUSED: "), NULL, scan, res))
        return false;
    snprintf(res->code, sizeof res->code, "%s", scan->short_form);
    return true;
}

void pos_till_card_issue(struct pos_till *till, struct pos_result *res)
{
    pos_result_init(res);
    json_t *body = json_object();
    if (body == NULL) {
        pos_result_no_memory(res);
        return;
    }
    long status;
    json_t *answer;
    enum cpn_err err = pos_till_call(till, "POST", "/v1/cards", body, &status, &answer);
    if (err != CPN_OK) {
        json_decref(answer);
        pos_result_call_failed(till, err, status, _("REFUSED: "), res);
        return;
    }
    const char *card = json_string_value(json_object_get(answer, "card"));
    const char *sig = json_string_value(json_object_get(answer, "signed"));
    if (card == NULL || sig == NULL) {
        pos_result_unreadable(res, "POST /v1/cards: no \"card\" and \"signed\" strings");
    } else {
        snprintf(res->code, sizeof res->code, "%s", card);
        res->balance = 0;
        pos_result_line(res, _("ISSUED: bonus card %s (QR text %s)"), card, sig);
    }
    json_decref(answer);
}

void pos_till_card_balance(struct pos_till *till, const char *card, struct pos_result *res)
{
    pos_result_init(res);
    struct pos_scan scan;
    if (!local_card(till, card, &scan, res))
        return;
    char path[64];
    snprintf(path, sizeof path, "/v1/cards/%s", scan.short_form);
    long status;
    json_t *answer;
    enum cpn_err err = pos_till_call(till, "GET", path, NULL, &status, &answer);
    if (err != CPN_OK) {
        json_decref(answer);
        pos_result_call_failed(till, err, status, _("REFUSED: "), res);
        return;
    }
    if (!pos_till_get_int(answer, "balance", &res->balance))
        pos_result_unreadable(res, "GET /v1/cards/{card}: no integer \"balance\"");
    else
        pos_result_line(res,
                        P_("BALANCE: bonus card %s has %" PRId64 " point",
                           "BALANCE: bonus card %s has %" PRId64 " points", res->balance),
                        scan.short_form, res->balance);
    json_decref(answer);
}

/* The end of a journaled card call on CARD (KIND "earn" or "burn") that the service answered
 * with 2xx and ANSWER at STATUS: reads the transaction, closes the journal entry and fills RES. */
static void card_booked(const struct pos_till *till, const char *kind, const char *card,
                        const json_t *answer, long status, struct pos_result *res)
{
    if (!pos_till_get_int(answer, "transaction_id", &res->id) ||
        !pos_till_get_int(answer, "points", &res->points) ||
        !pos_till_get_int(answer, "balance", &res->balance)) {
        res->pending = true;
        pos_result_unreadable(res, "card earn/burn: no integer \"transaction_id\", \"points\" and "
                                   "\"balance\"");
        return;
    }
    if (res->points < 0 && res->points != INT64_MIN)
        res->points = -res->points; /* a burn may be told as a negative booking */
    res->replayed = status == 200;
    res->has_next = pos_next_coupon_read(answer, &res->next); /* a bounce-back coupon */
    const char *at = pos_till_get_time(answer, "booked_at");
    bool offline = json_string_value(json_object_get(answer, "offline_at")) != NULL;
    char outcome[POS_JOURNAL_OUTCOME_MAX];
    snprintf(outcome, sizeof outcome, "%s %" PRId64 " %ld p=%" PRId64 "%s%.32s%s", kind, res->id,
             status, res->points, at != NULL ? " at=" : "", at != NULL ? at : "",
             offline ? " off" : "");
    pos_till_journal_close(till, res, outcome);
    if (strcmp(kind, "earn") == 0) {
        pos_result_line(res,
                        _("EARNED: %" PRId64 " points on bonus card %s; balance %" PRId64
                          " points (card transaction %" PRId64 ")"),
                        res->points, card, res->balance, res->id);
    } else {
        char worth[POS_MONEY_SIZE];
        pos_result_line(res,
                        _("BURNED: %" PRId64 " points (%s off) from bonus card %s; balance %" PRId64
                          " points (card transaction %" PRId64 ")"),
                        res->points, pos_money_format(res->points, worth), card, res->balance,
                        res->id);
    }
}

/* `card earn` and `card burn`: KIND on CARD with AMOUNT (basket cents or points) under TXN. */
static void card_book(struct pos_till *till, const char *kind, const char *card, int64_t amount,
                      const char *txn, struct pos_result *res)
{
    pos_result_init(res);
    struct pos_scan scan;
    if (!local_card(till, card, &scan, res))
        return;
    struct pos_journal_entry e = {.amount = amount};
    snprintf(e.kind, sizeof e.kind, "%s", kind);
    snprintf(e.subject, sizeof e.subject, "%s", scan.short_form);
    if (!pos_till_journal_open(till, &e, txn, res))
        return;
    bool earn = strcmp(kind, "earn") == 0;
    json_t *body = json_pack("{s:I, s:s}", earn ? "basket_cents" : "points", (json_int_t)amount,
                             "txn_id", res->txn_id);
    if (body != NULL && e.offline &&
        json_object_set_new(body, "offline_at", json_string(e.offline_at)) != 0) {
        json_decref(body);
        body = NULL;
    }
    if (body == NULL) {
        pos_result_no_memory(res);
        if (!e.offline)
            pos_till_journal_close(till, res, "unsent 0");
        return;
    }
    char path[64];
    snprintf(path, sizeof path, "/v1/cards/%s/%s", scan.short_form, kind);
    long status;
    json_t *answer;
    enum cpn_err err = pos_till_call(till, "POST", path, body, &status, &answer);
    if (err != CPN_OK && e.offline) {
        pos_till_sync_failure(till, &e, err, status, answer, res);
        json_decref(answer);
        return;
    }
    if (err != CPN_OK && pos_till_unreachable(till, err, status)) {
        e.maybe_sent = status != 0 || res->resolving; /* an earlier attempt may have arrived */
        if (earn && pos_till_accept_offline(till, &e, NULL, res)) {
            json_decref(answer);
            return;
        }
        if (!earn)
            snprintf(res->offline_why, sizeof res->offline_why, "%s",
                     _("Points cannot be burned offline: the card's balance is only known to the "
                       "coupon service."));
    }
    if (err != CPN_OK) {
        pos_till_journaled_failure(till, err, status, answer, res);
        if (res->offline_why[0] != '\0') {
            char line[POS_LINE_SIZE];
            snprintf(line, sizeof line, "%s", res->line);
            pos_result_line(res, _("%s Not accepted offline: %s"), line, res->offline_why);
        }
        if (err == CPN_ERR_INSUFFICIENT_POINTS &&
            pos_till_get_int(answer, "balance", &res->balance)) {
            char text[POS_LINE_SIZE / 2], balance[48];
            pos_till_without_full_stop(text, sizeof text, pos_api_message(till->api));
            snprintf(balance, sizeof balance, _("%" PRId64 " points"), res->balance);
            if (strstr(text, balance) == NULL) /* unless the message says it already */
                pos_result_line(res, _("REFUSED: %s (balance %s)"), text, balance);
        }
        if (err == CPN_ERR_VOIDED && status == 409)
            pos_result_voided(res, answer, _("card transaction"), "transaction_id",
                              _("nothing booked"));
        json_decref(answer);
        return;
    }
    card_booked(till, kind, scan.short_form, answer, status, res);
    json_decref(answer);
}

void pos_till_card_earn(struct pos_till *till, const char *card, int64_t basket_cents,
                        const char *txn, struct pos_result *res)
{
    card_book(till, "earn", card, basket_cents, txn, res);
}

void pos_till_card_burn(struct pos_till *till, const char *card, int64_t points, const char *txn,
                        struct pos_result *res)
{
    card_book(till, "burn", card, points, txn, res);
}

void pos_till_card_void(struct pos_till *till, int64_t transaction_id, const char *txn,
                        struct pos_result *res)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/card-transactions/%" PRId64 "/void", transaction_id);
    json_t *answer = pos_till_journaled_void(till, "card_void", transaction_id, path, txn, res);
    if (answer == NULL)
        return;
    res->id = transaction_id;
    if (pos_till_get_int(answer, "balance", &res->balance))
        pos_result_line(res, _("VOIDED: card transaction %" PRId64 "; balance %" PRId64 " points"),
                        transaction_id, res->balance);
    else
        pos_result_line(res, _("VOIDED: card transaction %" PRId64 "; its points are booked back"),
                        transaction_id);
    json_decref(answer);
}
