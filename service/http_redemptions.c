/* Terminal handlers: POST /v1/checks (changes nothing), POST /v1/redemptions
 * (exactly once, idempotent by the till's txn_id), POST /v1/redemptions/{id}/void.
 * The store always comes from the terminal's certificate, never from the body. The counter's
 * extras (issue 17: a receipt's stacked coupons, basket_by_vat, next_coupon) are built in
 * counter_answers.c; a cashier's sentences come in English or German (Accept-Language). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bounce.h"
#include "coupon/rfc3339.h"

#include "codes.h"
#include "counter_answers.h"
#include "db.h"
#include "db_redemptions.h"
#include "handlers.h"
#include "http_common.h"
#include "http_lang.h"
#include "json_in.h"
#include "vat_in.h"

#define MAX_BASKET 100000000000LL /* one billion euros */

/* What a check or redemption request says, read strictly. */
struct coupon_request {
    struct cpn_code code;
    int64_t basket;
    uint32_t card;
    const char *txn;
    const char *receipt;  /* the till's receipt id, or NULL */
    struct vat_parts vat; /* basket_by_vat (issue 17), when HAS_VAT */
    bool has_vat;
    char offline_at[32]; /* redemptions accepted offline: when ("YYYY-MM-DDTHH:MM:SSZ"), or "" */
};

/* Reads {code, basket_cents, card?, receipt?, basket_by_vat?[, txn_id]}. Returns CPN_OK;
 * CPN_ERR_BAD_REQUEST with DETAIL; or the code's own refusal (malformed, typo, forged; DETAIL
 * set, in LANG, for the card). */
static enum cpn_err read_coupon_request(const json_t *in, bool with_txn, enum cpn_lang lang,
                                        struct coupon_request *q, char *detail, size_t dlen)
{
    static const char *const allowed_check[] = {"code",    "basket_cents",  "card",
                                                "receipt", "basket_by_vat", NULL};
    static const char *const allowed_redeem[] = {
        "code", "basket_cents", "card", "txn_id", "receipt", "offline_at", "basket_by_vat", NULL};
    const char *unknown = jin_unknown_key(in, with_txn ? allowed_redeem : allowed_check);
    const char *code_text = NULL, *card_text = NULL;
    memset(q, 0, sizeof *q);
    detail[0] = '\0';
    if (unknown != NULL) {
        snprintf(detail, dlen, "The field '%.60s' is not known.", unknown);
        return CPN_ERR_BAD_REQUEST;
    }
    if (jin_str_field(in, "code", true, CPN_CODE_INPUT_MAX, &code_text, detail, dlen) < 0 ||
        jin_int_field(in, "basket_cents", true, 0, MAX_BASKET, &q->basket, detail, dlen) < 0 ||
        jin_str_field(in, "card", false, CPN_CODE_INPUT_MAX, &card_text, detail, dlen) < 0 ||
        (with_txn && http_read_txn(in, &q->txn, detail, dlen) < 0) ||
        jin_str_field(in, "receipt", false, 64, &q->receipt, detail, dlen) < 0)
        return CPN_ERR_BAD_REQUEST;
    int vat = vat_parts_read(in, "basket_by_vat", q->basket, &q->vat, detail, dlen);
    if (vat < 0)
        return CPN_ERR_BAD_REQUEST;
    q->has_vat = vat == 1;
    int64_t offline_at = 0;
    int offline = with_txn ? jin_time_field(in, "offline_at", false, &offline_at, detail, dlen) : 0;
    if (offline < 0)
        return CPN_ERR_BAD_REQUEST;
    if (offline > 0)
        cpn_rfc3339_format(offline_at, q->offline_at, sizeof q->offline_at);
    for (const char *c = q->receipt; c != NULL && *c != '\0'; c++) {
        if (*c < 0x21 || *c > 0x7e) {
            snprintf(detail, dlen, "The field 'receipt' may hold only printable ASCII characters.");
            return CPN_ERR_BAD_REQUEST;
        }
    }
    enum cpn_err err = codes_read(code_text, CPN_KIND_COUPON, &q->code);
    if (err != CPN_OK)
        return err;
    if (card_text != NULL) {
        struct cpn_code card;
        err = codes_read(card_text, CPN_KIND_CARD, &card);
        if (err == CPN_ERR_FORGED_CODE)
            snprintf(detail, dlen, "%s",
                     lang == CPN_LANG_DE ? "Diese Bonuskarte stammt nicht von uns."
                                         : "This bonus card was not issued by us.");
        else if (err == CPN_ERR_MALFORMED_CODE || err == CPN_ERR_TYPO)
            snprintf(detail, dlen, "%s",
                     lang == CPN_LANG_DE
                         ? "Die Nummer der Bonuskarte ist ungültig: bitte noch einmal scannen "
                           "oder eintippen."
                         : "The bonus card number is not valid: please scan or type it again.");
        if (err != CPN_OK)
            return err;
        q->card = card.serial;
    }
    return CPN_OK;
}

/* Adds when and where a coupon was redeemed to an already_redeemed refusal. */
static json_t *redeemed_extra(const struct redeem_answer *a)
{
    if (a->redeemed_at[0] == '\0')
        return NULL;
    return json_pack("{s:s, s:i}", "redeemed_at", a->redeemed_at, "store", (int)a->redeemed_store);
}

/* Writes SENTENCE into BUF (SIZE bytes) as a clause: its first letter in lower case, without
 * its full stop ("This coupon has expired." -> "this coupon has expired"). */
static void as_clause(char *buf, size_t size, const char *sentence)
{
    snprintf(buf, size, "%s", sentence);
    size_t n = strlen(buf);
    if (n > 0 && buf[n - 1] == '.')
        buf[n - 1] = '\0';
    if (buf[0] >= 'A' && buf[0] <= 'Z')
        buf[0] = (char)(buf[0] - 'A' + 'a');
}

/* Answers 409 offline_conflict for A: the coupon was accepted offline but could not be booked;
 * the sentence says why, the body carries the conflict, the discount given and, when it was
 * redeemed first, when and where. */
static enum MHD_Result reply_offline_conflict(struct http_req *r, const struct redeem_answer *a)
{
    char why[160], buf[360];
    bool de = http_req_lang(r) == CPN_LANG_DE;
    if (a->reason == DBW_ALREADY_REDEEMED && a->redeemed_at[0] != '\0')
        snprintf(why, sizeof why,
                 de ? "er war am %.10s um %.5s UTC in Filiale %d schon eingelöst worden"
                    : "it had been redeemed on %.10s at %.5s UTC in store %d",
                 a->redeemed_at, a->redeemed_at + 11, (int)a->redeemed_store);
    else if (a->reason == DBW_OFFLINE_TOO_OLD)
        snprintf(why, sizeof why, "%s",
                 de ? "seine Offline-Zeit ist älter, als der Dienst bucht"
                    : "its offline time is older than the service books");
    else if (a->reason == DBW_OFFLINE_IN_FUTURE)
        snprintf(why, sizeof why, "%s",
                 de ? "seine Offline-Zeit liegt nach der Uhr des Dienstes"
                    : "its offline time is ahead of the service's clock");
    else
        as_clause(why, sizeof why,
                  cpn_err_message_lang(db_word_err(a->reason), de ? CPN_LANG_DE : CPN_LANG_EN));
    snprintf(buf, sizeof buf,
             de ? "Dieser Coupon wurde offline angenommen, aber %s: er wurde nicht noch einmal "
                  "gebucht, und der Fall ist für die Aktion vermerkt (Offline-Konflikt %" PRId64
                  ")."
                : "This coupon was accepted offline, but %s: it was not booked again, and the "
                  "case is listed for the marketer (offline conflict %" PRId64 ").",
             why, a->conflict_id);
    json_t *extra =
        json_pack("{s:s, s:I, s:I, s:I}", "reason", db_word_name(a->reason), "conflict_id",
                  (json_int_t)a->conflict_id, "discount_cents", (json_int_t)a->discount_cents,
                  "campaign_id", (json_int_t)a->campaign_id);
    if (extra != NULL && a->redeemed_at[0] != '\0') {
        json_object_set_new(extra, "redeemed_at", json_string(a->redeemed_at));
        json_object_set_new(extra, "store", json_integer(a->redeemed_store));
    }
    return http_reply_error_extra(r, CPN_ERR_OFFLINE_CONFLICT, buf, extra);
}

static const char *already_sentence(const struct redeem_answer *a, enum cpn_lang lang, char *buf,
                                    size_t len)
{
    if (a->redeemed_at[0] == '\0')
        return NULL;
    snprintf(buf, len,
             lang == CPN_LANG_DE
                 ? "Dieser Coupon wurde bereits am %.10s um %.5s UTC in Filiale %d eingelöst."
                 : "This coupon was already redeemed on %.10s at %.5s UTC in store %d.",
             a->redeemed_at, a->redeemed_at + 11, (int)a->redeemed_store);
    return buf;
}

/* The sentence for refusal ERR of answer A, in LANG; NULL for the registry's own. */
static const char *refusal_sentence(enum cpn_err err, const struct redeem_answer *a,
                                    enum cpn_lang lang, char *buf, size_t len)
{
    if (err == CPN_ERR_ALREADY_REDEEMED)
        return already_sentence(a, lang, buf, len);
    if (err == CPN_ERR_NOT_FOUND)
        return lang == CPN_LANG_DE ? "Es gibt keinen Coupon mit diesem Code."
                                   : "There is no coupon with that code.";
    return counter_refusal_sentence(a->status, lang, a->receipt_discount_cents, buf, len);
}

enum MHD_Result http_checks_create(struct http_req *r)
{
    enum MHD_Result replied;
    json_t *in = http_body_object(r, &replied);
    if (in == NULL)
        return replied;
    struct coupon_request q;
    char detail[256], terminal[128];
    enum cpn_lang lang = http_req_lang(r);
    enum cpn_err err = read_coupon_request(in, false, lang, &q, detail, sizeof detail);
    if (err == CPN_ERR_BAD_REQUEST) {
        json_decref(in);
        return http_reply_error(r, err, detail);
    }
    if (http_terminal_key(r->principal, terminal, sizeof terminal) != 0) {
        json_decref(in);
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    }
    if (err == CPN_ERR_UNAVAILABLE) { /* the service's trouble, not the code's */
        json_decref(in);
        return http_reply_error(r, err, NULL);
    }
    struct redeem_answer a = {0};
    if (err == CPN_OK) {
        int rc =
            db_check(q.code.serial, r->principal->store, q.basket, q.card, terminal, q.receipt, &a);
        if (rc != DB_ONE_RESULT) {
            json_decref(in);
            return http_reply_db_failure(r, rc);
        }
        err = db_word_err(a.status);
    }
    json_t *out = json_pack("{s:b, s:I, s:o}", "valid", err == CPN_OK, "discount_cents",
                            (json_int_t)a.discount_cents, "campaign_id",
                            a.campaign_id > 0 ? json_integer(a.campaign_id) : json_null());
    if (out != NULL && a.points > 0)
        json_object_set_new(out, "points", json_integer(a.points));
    if (out != NULL && err == CPN_OK && q.has_vat) /* counter: what the redeem would store */
        json_object_set_new(out, "discount_by_vat", vat_shares_json(&q.vat, a.discount_cents));
    if (out != NULL && err == CPN_OK && q.receipt != NULL && a.on_receipt)
        json_object_set_new(out, "receipt",
                            json_pack("{s:s, s:I, s:I, s:i}", "id", q.receipt, "basket_cents",
                                      (json_int_t)q.basket, "discount_cents",
                                      (json_int_t)(a.receipt_discount_cents + a.discount_cents),
                                      "coupons", (int)a.receipt_coupons + 1));
    if (out != NULL && err != CPN_OK) {
        char buf[192];
        const char *message = refusal_sentence(err, &a, lang, buf, sizeof buf);
        if (message == NULL && detail[0] != '\0')
            message = detail;
        json_object_set_new(out, "reason", json_string(cpn_err_code(err)));
        json_object_set_new(
            out, "message",
            json_string(message != NULL ? message : cpn_err_message_lang(err, lang)));
        json_t *extra = err == CPN_ERR_ALREADY_REDEEMED ? redeemed_extra(&a) : NULL;
        if (extra != NULL)
            json_object_update(out, extra);
        json_decref(extra);
    }
    json_decref(in); /* q pointed into it */
    return http_reply_json(r, 200, out);
}

enum MHD_Result http_redemptions_create(struct http_req *r)
{
    enum MHD_Result replied;
    json_t *in = http_body_object(r, &replied);
    if (in == NULL)
        return replied;
    struct coupon_request q;
    char detail[256], terminal[128], vat[400];
    enum cpn_lang lang = http_req_lang(r);
    enum cpn_err err = read_coupon_request(in, true, lang, &q, detail, sizeof detail);
    if (err != CPN_OK) {
        json_decref(in);
        return http_reply_error(r, err, detail[0] != '\0' ? detail : NULL);
    }
    if (http_terminal_key(r->principal, terminal, sizeof terminal) != 0 ||
        (q.has_vat && vat_parts_text(&q.vat, vat, sizeof vat) != 0)) {
        json_decref(in);
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    }
    struct redeem_answer a;
    int rc = db_redeem(q.code.serial, r->principal->store, terminal, q.txn, q.basket, q.card,
                       q.receipt, q.offline_at[0] != '\0' ? q.offline_at : NULL,
                       q.has_vat ? vat : NULL, bounce_live(), &a);
    if (rc != DB_ONE_RESULT) {
        json_decref(in);
        return http_reply_db_failure(r, rc);
    }
    err = db_word_err(a.status);
    char buf[192];
    enum MHD_Result result;
    if (err == CPN_ERR_OFFLINE_CONFLICT) {
        result = reply_offline_conflict(r, &a);
    } else if (err == CPN_ERR_VOIDED) {
        snprintf(buf, sizeof buf,
                 lang == CPN_LANG_DE
                     ? "Die Einlösung %" PRId64 " dieser txn_id wurde inzwischen storniert "
                       "(Storno %" PRId64 "): sie gibt keinen Rabatt mehr."
                     : "Redemption %" PRId64 " of this txn_id was voided since (void %" PRId64
                       "): it gives no discount again.",
                 a.redemption_id, a.void_id);
        result = http_reply_error_extra(r, err, buf,
                                        json_pack("{s:I, s:I}", "redemption_id",
                                                  (json_int_t)a.redemption_id, "void_id",
                                                  (json_int_t)a.void_id));
    } else if (err != CPN_OK) {
        result =
            http_reply_error_extra(r, err, refusal_sentence(err, &a, lang, buf, sizeof buf),
                                   err == CPN_ERR_ALREADY_REDEEMED ? redeemed_extra(&a) : NULL);
    } else {
        json_t *out = json_pack("{s:I, s:I, s:I, s:I, s:i, s:s}", "redemption_id",
                                (json_int_t)a.redemption_id, "discount_cents",
                                (json_int_t)a.discount_cents, "campaign_id",
                                (json_int_t)a.campaign_id, "basket_cents", (json_int_t)q.basket,
                                "store", (int)a.redeemed_store, "redeemed_at", a.redeemed_at);
        if (out != NULL && a.points > 0)
            json_object_set_new(out, "points", json_integer(a.points));
        if (out != NULL && a.offline_at[0] != '\0')
            json_object_set_new(out, "offline_at", json_string(a.offline_at));
        counter_redeem_extras(out, &a, q.receipt, q.basket);
        result = http_reply_json(r, a.status == DBW_OK ? 201 : 200, out);
    }
    json_decref(in); /* q.txn and q.receipt pointed into it */
    return result;
}

enum MHD_Result http_redemptions_void(struct http_req *r)
{
    int64_t id;
    const char *txn = NULL;
    char terminal[128];
    enum MHD_Result replied;
    enum cpn_lang lang = http_req_lang(r);
    const char *none = lang == CPN_LANG_DE ? "Es gibt keine Einlösung mit dieser Nummer."
                                           : "There is no redemption with that id.";
    json_t *in = http_read_void(r, none, &id, &txn, terminal, &replied);
    if (in == NULL)
        return replied;
    struct redeem_answer a;
    int rc = db_void(id, r->principal->store, terminal, txn, &a);
    json_decref(in);
    if (rc != DB_ONE_RESULT)
        return http_reply_db_failure(r, rc);
    enum cpn_err err = db_word_err(a.status);
    switch (a.status) {
    case DBW_OK:
    case DBW_REPLAY:
        break;
    case DBW_NOT_FOUND:
        /* Another store's redemption is not_found too (redemption_void()), so that a till
         * learns nothing about other stores' ids: same status, same body, same work. */
        return http_reply_error(r, err, none);
    case DBW_ALREADY_VOIDED:
        return http_reply_error(r, err,
                                http_say(r, "This redemption was already voided.",
                                         "Diese Einlösung wurde bereits storniert."));
    case DBW_INSUFFICIENT_POINTS:
        return http_reply_error(
            r, err,
            http_say(r,
                     "The points this coupon credited to the card were already spent: the "
                     "redemption cannot be voided.",
                     "Die Punkte, die dieser Coupon der Karte gutgeschrieben hat, sind schon "
                     "ausgegeben: die Einlösung kann nicht storniert werden."));
    default:
        return http_reply_error(r, err, NULL);
    }
    json_t *out = json_pack("{s:I, s:I, s:b, s:I, s:I}", "redemption_id", (json_int_t)id, "void_id",
                            (json_int_t)a.redemption_id, "voided", 1, "discount_cents",
                            (json_int_t)a.discount_cents, "campaign_id", (json_int_t)a.campaign_id);
    if (out != NULL && a.offline_at[0] != '\0')
        json_object_set_new(out, "voided_at", json_string(a.offline_at));
    return http_reply_json(r, 200, out);
}
