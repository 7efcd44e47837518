/* POST /v1/redemptions/{id}/returns (issue 17): goods of a redemption's basket come back. The
 * answer says the return's share of the discount (shares of all returns add up to the
 * discount exactly), the points taken back from the card, and what is left of the basket;
 * the coupon stays used (only a void gives it back). Idempotent by the till's txn_id. */
#include <stdio.h>

#include "counter_answers.h"
#include "db.h"
#include "db_redemptions.h"
#include "handlers.h"
#include "http_common.h"
#include "http_lang.h"
#include "json_in.h"

#define MAX_BASKET 100000000000LL /* as for redemptions */

/* The answer of a return that was booked (or replayed). */
static json_t *return_json(int64_t redemption, int64_t returned, const struct return_answer *a)
{
    json_t *out = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "return_id",
        (json_int_t)a->return_id, "redemption_id", (json_int_t)redemption, "returned_cents",
        (json_int_t)returned, "discount_cents", (json_int_t)a->discount_cents, "points",
        (json_int_t)a->points, "basket_cents", (json_int_t)a->basket_cents, "returned_total_cents",
        (json_int_t)a->returned_total_cents, "discount_total_cents",
        (json_int_t)a->discount_total_cents, "net_basket_cents",
        (json_int_t)(a->basket_cents - a->returned_total_cents), "net_discount_cents",
        (json_int_t)(a->redemption_discount_cents - a->discount_total_cents), "returned_at",
        a->returned_at);
    if (out != NULL && a->has_balance)
        json_object_set_new(out, "balance", json_integer(a->balance));
    return out;
}

enum MHD_Result http_redemptions_return(struct http_req *r)
{
    static const char *const allowed[] = {"returned_cents", "txn_id", NULL};
    enum cpn_lang lang = http_req_lang(r);
    const char *none = lang == CPN_LANG_DE ? "Es gibt keine Einlösung mit dieser Nummer."
                                           : "There is no redemption with that id.";
    int64_t id, returned = 0;
    if (http_parse_id(r->params[0], &id) != 0)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, none);
    enum MHD_Result replied;
    json_t *in = http_body_object(r, &replied);
    if (in == NULL)
        return replied;
    char detail[256], terminal[128];
    const char *txn = NULL;
    const char *unknown = jin_unknown_key(in, allowed);
    if (unknown != NULL)
        snprintf(detail, sizeof detail, "The field '%.60s' is not known.", unknown);
    if (unknown != NULL ||
        jin_int_field(in, "returned_cents", true, 1, MAX_BASKET, &returned, detail, sizeof detail) <
            0 ||
        http_read_txn(in, &txn, detail, sizeof detail) != 0) {
        json_decref(in);
        return http_reply_error(r, CPN_ERR_BAD_REQUEST, detail);
    }
    if (http_terminal_key(r->principal, terminal, sizeof terminal) != 0) {
        json_decref(in);
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    }
    struct return_answer a;
    int rc = db_return(id, r->principal->store, terminal, txn, returned, &a);
    json_decref(in); /* txn pointed into it */
    if (rc != DB_ONE_RESULT)
        return http_reply_db_failure(r, rc);
    if (a.status == DBW_OK || a.status == DBW_REPLAY)
        return http_reply_json(r, a.status == DBW_OK ? 201 : 200, return_json(id, returned, &a));
    /* Another store's redemption is not_found too, as one that does not exist. */
    if (a.status == DBW_NOT_FOUND)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, none);
    if (a.status == DBW_VOIDED_REDEMPTION)
        return http_reply_error(r, CPN_ERR_CONFLICT,
                                http_say(r,
                                         "This redemption was voided: nothing of it can be "
                                         "returned.",
                                         "Diese Einlösung wurde storniert: von ihr kann nichts "
                                         "zurückgegeben werden."));
    if (a.status == DBW_BEYOND_BASKET) {
        char left[32];
        int64_t returnable = a.basket_cents - a.returned_total_cents;
        counter_amount(returnable, lang, left, sizeof left);
        snprintf(detail, sizeof detail,
                 lang == CPN_LANG_DE ? "Von diesem Einkauf können nur noch %s zurückgegeben "
                                       "werden."
                                     : "Only %s of this basket can still be returned.",
                 left);
        return http_reply_error_extra(r, CPN_ERR_CONFLICT, detail,
                                      json_pack("{s:I, s:I}", "basket_cents",
                                                (json_int_t)a.basket_cents, "returnable_cents",
                                                (json_int_t)returnable));
    }
    if (a.status == DBW_CONFLICT)
        return http_reply_error(r, CPN_ERR_CONFLICT, NULL);
    return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
}
