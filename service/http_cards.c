/* Bonus card handlers: issue a card (POST /v1/cards), its balance and expiring points
 * (GET /v1/cards/{card}), its QR code, and the till's earn, burn and void of a card
 * transaction, each idempotent by the till's txn_id. A card is a number, nothing more:
 * no request names a person. The store always comes from the terminal's certificate. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "coupon/rfc3339.h"

#include "codes.h"
#include "db.h"
#include "db_cards.h"
#include "handlers.h"
#include "http_common.h"
#include "http_lang.h"
#include "json_in.h"
#include "log.h"
#include "serials.h"

#define MAX_BASKET   100000000000LL /* one billion euros, as for redemptions */
#define MAX_POINTS   1000000000LL
#define SERIAL_BLOCK 1  /* serials reserved per round trip while looking for a clean one */
#define ISSUE_TRIES  64 /* reservations tried before giving up (clean is the rule) */

/* Reads TEXT (either form) as one of our bonus cards into *CARD. Returns 0, or -1 after
 * answering the refusal itself (*REPLIED). */
static int read_card(struct http_req *r, const char *text, struct cpn_code *card,
                     enum MHD_Result *replied)
{
    enum cpn_err err = codes_read(text, CPN_KIND_CARD, card);
    if (err == CPN_OK)
        return 0;
    *replied = http_reply_error(
        r, err,
        err == CPN_ERR_FORGED_CODE ? http_say(r, "This bonus card was not issued by us.",
                                              "Diese Bonuskarte stammt nicht von uns.")
        : err == CPN_ERR_MALFORMED_CODE
            ? http_say(r, "This is not a bonus card number: please scan or type it again.",
                       "Das ist keine Bonuskartennummer: bitte noch einmal scannen oder "
                       "eintippen.")
            : NULL);
    return -1;
}

/* Reads the body of a card write: exactly the fields in ALLOWED, the amount AMOUNT_KEY
 * within [1 or 0, MAX] into *AMOUNT and txn_id into *TXN (borrowed from *IN, which the
 * caller decrefs); when OFFLINE_AT is not NULL (an earn), the optional offline_at too, into
 * OFFLINE_AT (32 bytes, "" when absent). Returns 0, or -1 after answering 400 itself (*IN is
 * then NULL). */
static int read_card_write(struct http_req *r, const char *amount_key, int64_t min, int64_t max,
                           json_t **in, int64_t *amount, const char **txn, char *offline_at,
                           enum MHD_Result *replied)
{
    const char *const allowed[] = {amount_key, "txn_id", offline_at != NULL ? "offline_at" : NULL,
                                   NULL};
    char detail[256];
    int64_t at = 0;
    *in = http_body_object(r, replied);
    if (*in == NULL)
        return -1;
    const char *unknown = jin_unknown_key(*in, allowed);
    if (unknown != NULL)
        snprintf(detail, sizeof detail, "The field '%.60s' is not known.", unknown);
    bool bad = unknown != NULL ||
               jin_int_field(*in, amount_key, true, min, max, amount, detail, sizeof detail) < 0 ||
               http_read_txn(*in, txn, detail, sizeof detail) != 0;
    int offline = !bad && offline_at != NULL
                      ? jin_time_field(*in, "offline_at", false, &at, detail, sizeof detail)
                      : 0;
    if (bad || offline < 0) {
        json_decref(*in);
        *in = NULL;
        *replied = http_reply_error(r, CPN_ERR_BAD_REQUEST, detail);
        return -1;
    }
    if (offline_at != NULL) {
        offline_at[0] = '\0';
        if (offline > 0)
            cpn_rfc3339_format(at, offline_at, 32);
    }
    return 0;
}

/* POST /v1/cards: a new card under the first clean reserved serial; 201 {card, signed,
 * balance}. Any body field is refused (a card names no person). */
enum MHD_Result http_cards_issue(struct http_req *r)
{
    static const char *const allowed[] = {NULL};
    if (r->body_len > 0) {
        enum MHD_Result replied;
        json_t *in = http_body_object(r, &replied);
        if (in == NULL)
            return replied;
        const char *unknown = jin_unknown_key(in, allowed);
        if (unknown != NULL) {
            char detail[128];
            snprintf(detail, sizeof detail,
                     "The field '%.60s' is not known: a card is issued with an empty body.",
                     unknown);
            json_decref(in);
            return http_reply_error(r, CPN_ERR_BAD_REQUEST, detail);
        }
        json_decref(in);
    }
    uint32_t serial = 0;
    enum cpn_err err = CPN_ERR_NOT_FOUND;
    for (int i = 0; i < ISSUE_TRIES && err == CPN_ERR_NOT_FOUND; i++) {
        int64_t first;
        int rc = db_card_serials_reserve(SERIAL_BLOCK, codes_current_mac_id(), &first);
        if (rc == DB_NO_RESULTS)
            return http_reply_error(r, CPN_ERR_INTERNAL, "The card number space is exhausted.");
        if (rc != DB_ONE_RESULT)
            return http_reply_db_failure(r, rc);
        if (first < 0) {
            log_msg(LOGL_ERROR,
                    "MAC key %u is older than a key already in use: restart coupond "
                    "with the newest keys before issuing",
                    codes_current_mac_id());
            return http_reply_error(r, CPN_ERR_STALE_KEY, NULL);
        }
        int64_t last;
        err = serials_clean(CPN_KIND_CARD, first, first + SERIAL_BLOCK, 1, &serial, &last, 1);
        if (err == CPN_ERR_NO_SERIALS)
            err = CPN_ERR_NOT_FOUND; /* none of the block is clean: reserve another */
    }
    if (err != CPN_OK) {
        log_msg(LOGL_ERROR, "no clean card serial found: %s", cpn_err_message(err));
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    }
    int rc = db_card_create(serial);
    if (rc != DB_ONE_RESULT)
        return http_reply_db_failure(r, rc);
    char short_form[CPN_SHORT_LEN + 1], signed_form[CPN_SIGNED_MAX_LEN + 1];
    if (codes_new_card_forms(serial, short_form, signed_form, sizeof signed_form) != CPN_OK)
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    log_msg(LOGL_INFO, "card %s issued by %s", short_form, r->principal->name);
    return http_reply_json(
        r, 201,
        json_pack("{s:s, s:s, s:i}", "card", short_form, "signed", signed_form, "balance", 0));
}

/* GET /v1/cards/{card}: 200 {card, balance, created_at, expiring}; 404 for a card that
 * was never issued. */
enum MHD_Result http_cards_get(struct http_req *r)
{
    struct cpn_code card;
    enum MHD_Result replied;
    if (read_card(r, r->params[0], &card, &replied) != 0)
        return replied;
    char *text = NULL;
    int rc = db_card_get(card.serial, &text);
    if (rc == DB_NO_RESULTS)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, "There is no bonus card with that number.");
    if (rc != DB_ONE_RESULT)
        return http_reply_db_failure(r, rc);
    json_t *out = json_loads(text, 0, NULL);
    free(text);
    char short_form[CPN_SHORT_LEN + 1];
    if (out == NULL || cpn_code_format_short(&card, short_form) != CPN_OK) {
        json_decref(out);
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    }
    json_object_set_new(out, "card", json_string(short_form));
    return http_reply_json(r, 200, out);
}

/* Renders the card's signed form as a QR code (SVG or PNG) for the card printer. */
static enum MHD_Result reply_card_qr(struct http_req *r, bool png)
{
    struct cpn_code card;
    enum MHD_Result replied;
    if (read_card(r, r->params[0], &card, &replied) != 0)
        return replied;
    char *text = NULL;
    int rc = db_card_get(card.serial, &text);
    free(text);
    if (rc == DB_NO_RESULTS)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, "There is no bonus card with that number.");
    if (rc != DB_ONE_RESULT)
        return http_reply_db_failure(r, rc);
    char short_form[CPN_SHORT_LEN + 1], signed_form[CPN_SIGNED_MAX_LEN + 1];
    if (codes_card_forms(card.serial, short_form, signed_form, sizeof signed_form) != CPN_OK)
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    return http_reply_qr(r, signed_form, png);
}

/* GET /v1/cards/{card}/qr.svg. */
enum MHD_Result http_cards_qr_svg(struct http_req *r)
{
    return reply_card_qr(r, false);
}

/* GET /v1/cards/{card}/qr.png. */
enum MHD_Result http_cards_qr_png(struct http_req *r)
{
    return reply_card_qr(r, true);
}

/* Answers an earn or burn the database refused or failed (anything but ok and replay; a
 * replay of a booking that was voided since is 409 voided with both ids). */
static enum MHD_Result reply_card_refusal(struct http_req *r, const struct card_answer *a,
                                          int64_t asked)
{
    char detail[192];
    bool de = http_req_lang(r) == CPN_LANG_DE;
    switch (a->status) {
    case DBW_NOT_FOUND:
        return http_reply_error(r, CPN_ERR_NOT_FOUND,
                                de ? "Es gibt keine Bonuskarte mit dieser Nummer."
                                   : "There is no bonus card with that number.");
    case DBW_CONFLICT:
        return http_reply_error(r, CPN_ERR_CONFLICT, NULL);
    case DBW_VOIDED:
        snprintf(detail, sizeof detail,
                 de ? "Die Kartenbuchung %" PRId64 " dieser txn_id wurde inzwischen storniert "
                      "(Storno %" PRId64 "): sie bucht nichts mehr."
                    : "Card transaction %" PRId64 " of this txn_id was voided since (void %" PRId64
                      "): it books nothing again.",
                 a->transaction_id, a->voided_by);
        return http_reply_error_extra(r, CPN_ERR_VOIDED, detail,
                                      json_pack("{s:I, s:I}", "transaction_id",
                                                (json_int_t)a->transaction_id, "void_id",
                                                (json_int_t)a->voided_by));
    case DBW_INSUFFICIENT_POINTS:
        snprintf(detail, sizeof detail,
                 de ? "Die Karte hat nur %" PRId64 " Punkte, also können %" PRId64
                      " nicht eingelöst werden."
                    : "The card has only %" PRId64 " points, so %" PRId64 " cannot be burned.",
                 a->balance, asked);
        return http_reply_error_extra(r, CPN_ERR_INSUFFICIENT_POINTS, detail,
                                      json_pack("{s:I}", "balance", (json_int_t)a->balance));
    default:
        log_msg(LOGL_ERROR, "card call answered the unexpected status %s", db_word_name(a->status));
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    }
}

/* The shared body of earn and burn: card from the path, amount and txn_id from the body,
 * one stored-function call, 201 (first time) or 200 (replay). */
static enum MHD_Result card_book(struct http_req *r, bool earn)
{
    struct cpn_code card;
    enum MHD_Result replied;
    if (read_card(r, r->params[0], &card, &replied) != 0)
        return replied;
    json_t *in;
    int64_t amount;
    const char *txn;
    char offline_at[32] = "";
    if (read_card_write(r, earn ? "basket_cents" : "points", earn ? 0 : 1,
                        earn ? MAX_BASKET : MAX_POINTS, &in, &amount, &txn,
                        earn ? offline_at : NULL, &replied) != 0)
        return replied;
    char terminal[128];
    if (http_terminal_key(r->principal, terminal, sizeof terminal) != 0) {
        json_decref(in);
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    }
    struct card_answer a;
    int rc = earn ? db_card_earn(card.serial, r->principal->store, terminal, txn, amount,
                                 offline_at[0] != '\0' ? offline_at : NULL, bounce_live(), &a)
                  : db_card_burn(card.serial, r->principal->store, terminal, txn, amount, &a);
    json_decref(in); /* txn pointed into it */
    if (rc != DB_ONE_RESULT)
        return http_reply_db_failure(r, rc);
    bool replay = a.status == DBW_REPLAY;
    if (!replay && a.status != DBW_OK)
        return reply_card_refusal(r, &a, amount);
    json_t *out = json_pack("{s:I, s:I, s:I}", "transaction_id", (json_int_t)a.transaction_id,
                            "points", (json_int_t)a.points, "balance", (json_int_t)a.balance);
    if (out != NULL && !earn)
        json_object_set_new(out, "value_cents", json_integer(a.value_cents));
    if (out != NULL && a.booked_at[0] != '\0')
        json_object_set_new(out, "booked_at", json_string(a.booked_at));
    if (out != NULL && a.offline_at[0] != '\0')
        json_object_set_new(out, "offline_at", json_string(a.offline_at));
    json_t *next = earn ? bounce_json(&a.next) : NULL; /* counter (issue 17) */
    if (out != NULL && next != NULL)
        json_object_set_new(out, "next_coupon", next);
    else
        json_decref(next);
    return http_reply_json(r, replay ? 200 : 201, out);
}

/* POST /v1/cards/{card}/earn {basket_cents, txn_id} (terminal). */
enum MHD_Result http_cards_earn(struct http_req *r)
{
    return card_book(r, true);
}

/* POST /v1/cards/{card}/burn {points, txn_id} (terminal). */
enum MHD_Result http_cards_burn(struct http_req *r)
{
    return card_book(r, false);
}

/* POST /v1/card-transactions/{id}/void {txn_id} (terminal of the booking store): 200
 * {transaction_id, void_id, points, balance} for the void and its replays; refusals
 * with their sentence. */
enum MHD_Result http_card_transactions_void(struct http_req *r)
{
    int64_t id;
    const char *txn = NULL;
    char terminal[128];
    enum MHD_Result replied;
    json_t *in = http_read_void(r, "There is no card transaction with that id.", &id, &txn,
                                terminal, &replied);
    if (in == NULL)
        return replied;
    char detail[256];
    struct card_answer a;
    int rc = db_card_void(id, r->principal->store, terminal, txn, &a);
    json_decref(in);
    if (rc != DB_ONE_RESULT)
        return http_reply_db_failure(r, rc);
    switch (a.status) {
    case DBW_OK:
    case DBW_REPLAY: {
        json_t *out = json_pack("{s:I, s:I, s:I, s:I}", "transaction_id", (json_int_t)id, "void_id",
                                (json_int_t)a.transaction_id, "points", (json_int_t)a.points,
                                "balance", (json_int_t)a.balance);
        if (out != NULL && a.booked_at[0] != '\0')
            json_object_set_new(out, "voided_at", json_string(a.booked_at));
        return http_reply_json(r, 200, out);
    }
    case DBW_NOT_FOUND:
        /* Another store's transaction is not_found too (card_transaction_void()). */
        return http_reply_error(r, CPN_ERR_NOT_FOUND, "There is no card transaction with that id.");
    case DBW_ALREADY_VOIDED:
        return http_reply_error_extra(r, CPN_ERR_CONFLICT,
                                      "This card transaction was already voided.",
                                      json_pack("{s:I}", "void_id", (json_int_t)a.transaction_id));
    case DBW_NOT_VOIDABLE:
        snprintf(detail, sizeof detail, "%s",
                 strcmp(a.kind, "coupon") == 0
                     ? "These are a coupon's points: void the coupon's redemption instead."
                     : "Only an earn or a burn can be voided.");
        return http_reply_error(r, CPN_ERR_CONFLICT, detail);
    case DBW_INSUFFICIENT_POINTS:
        snprintf(detail, sizeof detail,
                 "The points of this purchase were already spent: the void needs %" PRId64
                 " points and the card has %" PRId64 ".",
                 a.points, a.balance);
        return http_reply_error_extra(r, CPN_ERR_INSUFFICIENT_POINTS, detail,
                                      json_pack("{s:I, s:I}", "balance", (json_int_t)a.balance,
                                                "needed", (json_int_t)a.points));
    case DBW_CONFLICT:
        return http_reply_error(r, CPN_ERR_CONFLICT, NULL);
    default:
        log_msg(LOGL_ERROR, "card_transaction_void answered the unexpected status %s",
                db_word_name(a.status));
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    }
}
