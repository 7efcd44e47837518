/* The receipt code of a purchase without a bonus card: signed by the service (store, terminal,
 * txn, basket, time), printed on the receipt, so that the customer's card can be credited with
 * the purchase's points later (POST /v1/cards/{card}/credit-receipt, at any till). */
#include <stdio.h>
#include <string.h>

#include "pos/i18n.h"
#include "pos/till_internal.h"

void pos_till_receipt_code(struct pos_till *till, struct pos_receipt *r, bool wanted)
{
    if (!wanted || r->txn[0] == '\0' || !r->has_total || r->total_cents <= 0)
        return;
    json_t *body =
        json_pack("{s:s, s:I}", "txn_id", r->txn, "basket_cents", (json_int_t)r->total_cents);
    if (body == NULL)
        return;
    long status;
    json_t *answer;
    enum cpn_err err = pos_till_call(till, "POST", "/v1/receipt-codes", body, &status, &answer);
    const char *code = json_string_value(json_object_get(answer, "receipt_code"));
    const char *until = pos_till_get_time(answer, "valid_until");
    if (err == CPN_OK && code != NULL && code[0] != '\0' && strlen(code) < sizeof r->receipt_code &&
        strspn(code, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") == strlen(code)) {
        memcpy(r->receipt_code, code, strlen(code) + 1);
        snprintf(r->receipt_code_until, sizeof r->receipt_code_until, "%s",
                 until != NULL ? until : "");
    } else if (till->verbose) {
        fprintf(stderr,
                _("pos-client: no receipt code for txn %s (the receipt is printed without it): "
                  "%s — %s\n"),
                r->txn, err == CPN_OK ? _("the answer has none") : pos_api_message(till->api),
                pos_api_detail(till->api));
    }
    json_decref(answer);
}
