/* Crediting a bonus card later with a receipt code: a customer who bought without the card
 * brings the receipt (its code signed by the service: store, terminal, txn, basket, time) and the
 * card; the till sends both (POST /v1/cards/{card}/credit-receipt), journaled like an earn, and
 * the service credits the purchase's points once, within its deadline, never for a purchase that
 * earned points already. Never accepted offline: only the service can tell. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>

#include "pos/i18n.h"
#include "pos/money.h"
#include "pos/till_internal.h"

bool pos_receipt_code_read(const char *text, char out[POS_RECEIPT_CODE_SIZE])
{
    size_t n = 0;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == ' ' || *p == '-' || *p == '\t' || *p == '\r' || *p == '\n')
            continue;
        char c = (char)toupper((unsigned char)*p);
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) || n + 1 >= POS_RECEIPT_CODE_SIZE)
            return false;
        out[n++] = c;
    }
    out[n] = '\0';
    /* "RC" and at least what the smallest payload and its tag take in base32. */
    return n >= 24 && out[0] == 'R' && out[1] == 'C';
}

void pos_till_card_credit(struct pos_till *till, const char *card, const char *receipt_code,
                          const char *txn, struct pos_result *res)
{
    pos_result_init(res);
    struct pos_scan scan;
    if (!pos_till_local_code(till, card, CPN_KIND_CARD, _("REFUSED: "), NULL, &scan, res))
        return;
    snprintf(res->code, sizeof res->code, "%s", scan.short_form);
    char code[POS_RECEIPT_CODE_SIZE];
    if (!pos_receipt_code_read(receipt_code, code)) {
        pos_result_refuse_locally(res, CPN_ERR_MALFORMED_CODE, _("REFUSED: "), NULL,
                                  _("This is not a receipt code: please scan it again."));
        return;
    }
    struct pos_journal_entry e = {.amount = 0};
    snprintf(e.kind, sizeof e.kind, "credit");
    snprintf(e.subject, sizeof e.subject, "%s", code);
    snprintf(e.card, sizeof e.card, "%s", scan.short_form);
    if (!pos_till_journal_open(till, &e, txn, res))
        return;
    json_t *body = json_pack("{s:s, s:s}", "receipt_code", code, "txn_id", res->txn_id);
    if (body == NULL) {
        pos_result_no_memory(res);
        pos_till_journal_close(till, res, "unsent 0");
        return;
    }
    char path[96];
    snprintf(path, sizeof path, "/v1/cards/%s/credit-receipt", scan.short_form);
    long status;
    json_t *answer;
    enum cpn_err err = pos_till_call(till, "POST", path, body, &status, &answer);
    if (err != CPN_OK) {
        pos_till_journaled_failure(till, err, status, answer, res);
        if (err == CPN_ERR_VOIDED && status == 409)
            pos_result_voided(res, answer, _("card transaction"), "transaction_id",
                              _("nothing booked"));
        json_decref(answer);
        return;
    }
    const json_t *receipt = json_object_get(answer, "receipt");
    int64_t basket = 0;
    if (!pos_till_get_int(answer, "transaction_id", &res->id) ||
        !pos_till_get_int(answer, "points", &res->points) ||
        !pos_till_get_int(answer, "balance", &res->balance)) {
        res->pending = true;
        pos_result_unreadable(res, "POST /v1/cards/{card}/credit-receipt: no integer "
                                   "\"transaction_id\", \"points\" and \"balance\"");
        json_decref(answer);
        return;
    }
    res->replayed = status == 200;
    /* An earn, as the service books it: the journal's closing counts it so. */
    char outcome[POS_JOURNAL_OUTCOME_MAX];
    snprintf(outcome, sizeof outcome, "earn %" PRId64 " %ld p=%" PRId64, res->id, status,
             res->points);
    pos_till_journal_close(till, res, outcome);
    char when[64] = "", money[POS_MONEY_SIZE];
    const char *at = pos_till_get_time(receipt, "purchased_at");
    if (at != NULL)
        (void)pos_till_local_time(at, when, sizeof when);
    if (pos_till_get_int(receipt, "basket_cents", &basket) && when[0] != '\0')
        pos_result_line(res,
                        _("CREDITED: %" PRId64 " points for the purchase of %s of %s on bonus card "
                          "%s; balance %" PRId64 " points (card transaction %" PRId64 ")"),
                        res->points, pos_money_format(basket, money), when, scan.short_form,
                        res->balance, res->id);
    else
        pos_result_line(res,
                        _("CREDITED: %" PRId64 " points on bonus card %s; balance %" PRId64
                          " points (card transaction %" PRId64 ")"),
                        res->points, scan.short_form, res->balance, res->id);
    json_decref(answer);
}
