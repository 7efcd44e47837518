/* Receipt codes (issue 17): POST /v1/receipt-codes gives the till the code to print on the
 * receipt of a purchase made without a bonus card (signed by the service: store, terminal,
 * txn, basket, time, deadline; nothing is stored); POST /v1/cards/{card}/credit-receipt
 * credits a card with such a purchase's points later, once, until the deadline, never for a
 * purchase that earned points at the till. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "codes.h"
#include "coupon/receipt_code.h"
#include "coupon/rfc3339.h"
#include "db.h"
#include "db_receipts.h"
#include "handlers.h"
#include "http_common.h"
#include "http_lang.h"
#include "json_in.h"
#include "log.h"

#define MAX_BASKET 100000000000LL /* as for redemptions */

/* The till's idempotency scope of the purchase a receipt code names: "<store>/<name>". */
static int purchase_terminal(const struct cpn_receipt *rc, char *out, size_t len)
{
    return snprintf(out, len, "%" PRIu32 "/%s", rc->store, rc->terminal) < (int)len ? 0 : -1;
}

/* POST /v1/receipt-codes {txn_id, basket_cents} (terminal): 200 {receipt_code, store,
 * terminal, txn_id, basket_cents, issued_at, valid_until, credit_days}. TXN_ID is the
 * purchase's: the one the till would earn its points under. */
enum MHD_Result http_receipt_codes_create(struct http_req *r)
{
    static const char *const allowed[] = {"txn_id", "basket_cents", NULL};
    enum MHD_Result replied;
    json_t *in = http_body_object(r, &replied);
    if (in == NULL)
        return replied;
    char detail[256];
    const char *txn = NULL;
    int64_t basket = 0;
    const char *unknown = jin_unknown_key(in, allowed);
    if (unknown != NULL)
        snprintf(detail, sizeof detail, "The field '%.60s' is not known.", unknown);
    if (unknown != NULL || http_read_txn(in, &txn, detail, sizeof detail) != 0 ||
        jin_int_field(in, "basket_cents", true, 0, MAX_BASKET, &basket, detail, sizeof detail) <
            0) {
        json_decref(in);
        return http_reply_error(r, CPN_ERR_BAD_REQUEST, detail);
    }
    struct cpn_receipt rc = {.store = (uint32_t)r->principal->store,
                             .issued_at = (uint32_t)time(NULL),
                             .basket_cents = basket};
    snprintf(rc.txn, sizeof rc.txn, "%s", txn);
    json_decref(in);
    if (snprintf(rc.terminal, sizeof rc.terminal, "%s", r->principal->name) >=
        (int)sizeof rc.terminal)
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "This terminal's name is longer than 32 characters: it cannot "
                                "sign receipt codes.");
    int days = 0;
    int db = db_receipt_credit_days(&days);
    if (db != DB_ONE_RESULT)
        return http_reply_db_failure(r, db);
    rc.valid_until = rc.issued_at + (uint32_t)days * 86400u;
    char code[CPN_RECEIPT_CODE_MAX], issued[32], until[32];
    enum cpn_err err = cpn_receipt_make(codes_keyring(), &rc, code);
    if (err != CPN_OK)
        return http_reply_error(r, err == CPN_ERR_BAD_REQUEST ? err : CPN_ERR_INTERNAL, NULL);
    cpn_rfc3339_format(rc.issued_at, issued, sizeof issued);
    cpn_rfc3339_format(rc.valid_until, until, sizeof until);
    return http_reply_json(r, 200,
                           json_pack("{s:s, s:i, s:s, s:s, s:I, s:s, s:s, s:i}", "receipt_code",
                                     code, "store", (int)rc.store, "terminal", rc.terminal,
                                     "txn_id", rc.txn, "basket_cents", (json_int_t)basket,
                                     "issued_at", issued, "valid_until", until, "credit_days",
                                     days));
}

/* Answers a credit the database refused (anything but ok and replay). */
static enum MHD_Result credit_refusal(struct http_req *r, const struct card_answer *a,
                                      const struct cpn_receipt *rc)
{
    enum cpn_lang lang = http_req_lang(r);
    char detail[256];
    if (a->status == DBW_NOT_FOUND)
        return http_reply_error(r, CPN_ERR_NOT_FOUND,
                                http_say(r, "There is no bonus card with that number.",
                                         "Es gibt keine Bonuskarte mit dieser Nummer."));
    if (a->status == DBW_EXPIRED) {
        char until[32];
        cpn_rfc3339_format(rc->valid_until, until, sizeof until);
        snprintf(detail, sizeof detail,
                 lang == CPN_LANG_DE ? "Dieser Kassenbon konnte nur bis %.10s gutgeschrieben "
                                       "werden."
                                     : "This receipt could be credited until %.10s only.",
                 until);
        return http_reply_error_extra(r, CPN_ERR_EXPIRED, detail,
                                      json_pack("{s:s}", "valid_until", until));
    }
    if (a->status == DBW_ALREADY_CREDITED)
        return http_reply_error(r, CPN_ERR_ALREADY_CREDITED, NULL);
    if (a->status == DBW_ALREADY_EARNED)
        return http_reply_error(r, CPN_ERR_ALREADY_EARNED, NULL);
    if (a->status == DBW_VOIDED) {
        snprintf(detail, sizeof detail,
                 lang == CPN_LANG_DE
                     ? "Die Gutschrift %" PRId64 " dieser txn_id wurde inzwischen storniert "
                       "(Storno %" PRId64 "): sie bucht nichts mehr."
                     : "Credit %" PRId64 " of this txn_id was voided since (void %" PRId64
                       "): it books nothing again.",
                 a->transaction_id, a->voided_by);
        return http_reply_error_extra(r, CPN_ERR_VOIDED, detail,
                                      json_pack("{s:I, s:I}", "transaction_id",
                                                (json_int_t)a->transaction_id, "void_id",
                                                (json_int_t)a->voided_by));
    }
    if (a->status == DBW_CONFLICT)
        return http_reply_error(r, CPN_ERR_CONFLICT, NULL);
    log_msg(LOGL_ERROR, "card_credit_receipt answered the unexpected status %s",
            db_word_name(a->status));
    return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
}

/* POST /v1/cards/{card}/credit-receipt {receipt_code, txn_id} (terminal, any store): 201
 * (200 for a replay) {transaction_id, points, balance, receipt: {store, txn_id, basket_cents,
 * purchased_at}}. */
enum MHD_Result http_cards_credit_receipt(struct http_req *r)
{
    static const char *const allowed[] = {"receipt_code", "txn_id", NULL};
    struct cpn_code card;
    enum cpn_err err = codes_read(r->params[0], CPN_KIND_CARD, &card);
    if (err != CPN_OK)
        return http_reply_error(
            r, err,
            err == CPN_ERR_FORGED_CODE ? http_say(r, "This bonus card was not issued by us.",
                                                  "Diese Bonuskarte stammt nicht von uns.")
            : err == CPN_ERR_MALFORMED_CODE || err == CPN_ERR_TYPO
                ? http_say(r, "This is not a bonus card number: please scan or type it again.",
                           "Das ist keine Bonuskartennummer: bitte noch einmal scannen oder "
                           "eintippen.")
                : NULL);
    enum MHD_Result replied;
    json_t *in = http_body_object(r, &replied);
    if (in == NULL)
        return replied;
    char detail[256], terminal[128], r_terminal[64];
    const char *txn = NULL, *text = NULL;
    const char *unknown = jin_unknown_key(in, allowed);
    if (unknown != NULL)
        snprintf(detail, sizeof detail, "The field '%.60s' is not known.", unknown);
    if (unknown != NULL ||
        jin_str_field(in, "receipt_code", true, CPN_RECEIPT_CODE_MAX, &text, detail,
                      sizeof detail) < 0 ||
        http_read_txn(in, &txn, detail, sizeof detail) != 0) {
        json_decref(in);
        return http_reply_error(r, CPN_ERR_BAD_REQUEST, detail);
    }
    struct cpn_receipt rc;
    err = cpn_receipt_read(codes_keyring(), text, strlen(text), &rc);
    if (err != CPN_OK) {
        json_decref(in);
        return http_reply_error(
            r, err,
            err == CPN_ERR_MALFORMED_CODE
                ? http_say(r, "This is not a receipt code: please scan it again.",
                           "Das ist kein Kassenbon-Code: bitte noch einmal scannen.")
            : err == CPN_ERR_FORGED_CODE ? http_say(r, "This receipt code was not issued by us.",
                                                    "Dieser Kassenbon-Code stammt nicht von uns.")
                                         : NULL);
    }
    if (http_terminal_key(r->principal, terminal, sizeof terminal) != 0 ||
        purchase_terminal(&rc, r_terminal, sizeof r_terminal) != 0) {
        json_decref(in);
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    }
    struct card_answer a;
    int db = db_card_credit_receipt(card.serial, r->principal->store, terminal, txn, r_terminal,
                                    rc.txn, rc.basket_cents, rc.valid_until, &a);
    json_decref(in); /* txn and text pointed into it */
    if (db != DB_ONE_RESULT)
        return http_reply_db_failure(r, db);
    bool replay = a.status == DBW_REPLAY;
    if (!replay && a.status != DBW_OK)
        return credit_refusal(r, &a, &rc);
    char purchased[32];
    cpn_rfc3339_format(rc.issued_at, purchased, sizeof purchased);
    return http_reply_json(r, replay ? 200 : 201,
                           json_pack("{s:I, s:I, s:I, s:{s:i, s:s, s:I, s:s}}", "transaction_id",
                                     (json_int_t)a.transaction_id, "points", (json_int_t)a.points,
                                     "balance", (json_int_t)a.balance, "receipt", "store",
                                     (int)rc.store, "txn_id", rc.txn, "basket_cents",
                                     (json_int_t)rc.basket_cents, "purchased_at", purchased));
}
