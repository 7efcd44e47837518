/* The till's coupon operations — check, redeem and void — each checking the coupon (and the bonus
 * card it is used with) locally first; redeem and void are journaled. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pos/i18n.h"
#include "pos/money.h"
#include "pos/till_internal.h"

/* The local part of check and redeem: reads the coupon CODE and the bonus card CARD (may be
 * NULL) into *COUPON and *CARD_SCAN and checks them and the coupon's card binding. Returns true,
 * or false with RES filled as a local refusal after PREFIX. */
static bool local_coupon(struct pos_till *till, const char *code, const char *card,
                         const char *prefix, struct pos_scan *coupon, struct pos_scan *card_scan,
                         struct pos_result *res)
{
    if (!pos_till_local_code(till, code, CPN_KIND_COUPON, prefix, NULL, coupon, res))
        return false;
    snprintf(res->code, sizeof res->code, "%s", coupon->short_form);
    if (card != NULL &&
        !pos_till_local_code(till, card, CPN_KIND_CARD, prefix, _("Bonus card: "), card_scan, res))
        return false;
    const char *why = NULL;
    enum cpn_err err = pos_scan_check_card(coupon, card != NULL ? card_scan : NULL, &why);
    if (err != CPN_OK) {
        pos_result_refuse_locally(res, err, prefix, NULL, why);
        return false;
    }
    return true;
}

/* Returns true when the refusal ERR is about the coupon itself (rather than the request or this
 * till), so a check says "NOT VALID". */
static bool about_the_coupon(enum cpn_err err)
{
    switch (err) {
    case CPN_ERR_NOT_FOUND:
    case CPN_ERR_MALFORMED_CODE:
    case CPN_ERR_TYPO:
    case CPN_ERR_FORGED_CODE:
    case CPN_ERR_UNKNOWN_KEY:
    case CPN_ERR_EXPIRED:
    case CPN_ERR_NOT_STARTED:
    case CPN_ERR_ALREADY_REDEEMED:
    case CPN_ERR_WRONG_STORE:
    case CPN_ERR_BELOW_MINIMUM:
    case CPN_ERR_CAMPAIGN_EXHAUSTED:
    case CPN_ERR_CARD_REQUIRED:
    case CPN_ERR_WRONG_CARD:
        return true;
    default:
        return false;
    }
}

/* The body of a check or redemption: {code, basket_cents[, card][, receipt][, txn_id]}. Returns
 * it (the caller owns it), or NULL when out of memory. */
static json_t *coupon_body(const struct pos_scan *coupon, int64_t basket_cents,
                           const struct pos_scan *card, const char *receipt, const char *txn)
{
    json_t *body =
        json_pack("{s:s, s:I}", "code", coupon->text, "basket_cents", (json_int_t)basket_cents);
    if (body != NULL && card != NULL &&
        json_object_set_new(body, "card", json_string(card->short_form)) != 0) {
        json_decref(body);
        return NULL;
    }
    if (body != NULL && receipt != NULL && receipt[0] != '\0' &&
        json_object_set_new(body, "receipt", json_string(receipt)) != 0) {
        json_decref(body);
        return NULL;
    }
    if (body != NULL && txn != NULL && json_object_set_new(body, "txn_id", json_string(txn)) != 0) {
        json_decref(body);
        return NULL;
    }
    return body;
}

void pos_till_check(struct pos_till *till, const char *code, int64_t basket_cents, const char *card,
                    struct pos_result *res)
{
    pos_till_check_on(till, code, basket_cents, card, NULL, res);
}

void pos_till_check_on(struct pos_till *till, const char *code, int64_t basket_cents,
                       const char *card, const char *receipt, struct pos_result *res)
{
    pos_result_init(res);
    struct pos_scan coupon, card_scan;
    if (!local_coupon(till, code, card, _("NOT VALID: "), &coupon, &card_scan, res))
        return;
    json_t *body =
        coupon_body(&coupon, basket_cents, card != NULL ? &card_scan : NULL, receipt, NULL);
    if (body == NULL) {
        pos_result_no_memory(res);
        return;
    }
    long status;
    json_t *answer;
    enum cpn_err err = pos_till_call(till, "POST", "/v1/checks", body, &status, &answer);
    if (err != CPN_OK) {
        json_decref(answer);
        pos_result_call_failed(till, err, status,
                               about_the_coupon(err) ? _("NOT VALID: ") : _("REFUSED: "), res);
        if (res->exit == POS_EXIT_UNAVAILABLE && coupon.verified == POS_VERIFIED_OK) {
            char offer[POS_DESCRIBE_SIZE];
            res->offline = true;
            pos_result_line(res,
                            _("Signature valid (checked offline): %s%s; could not ask the service "
                              "whether it was already used"),
                            pos_scan_describe(&coupon.code, offer, sizeof offer),
                            pos_scan_expired(&coupon.code, (long long)time(NULL))
                                ? _(" (expired, by this till's clock)")
                                : "");
        }
        return;
    }
    const json_t *valid = json_object_get(answer, "valid");
    if (!json_is_boolean(valid)) {
        pos_result_unreadable(res, "POST /v1/checks: no boolean \"valid\"");
    } else if (json_is_true(valid)) {
        if (!pos_till_get_int(answer, "discount_cents", &res->discount_cents) ||
            !pos_till_get_int(answer, "campaign_id", &res->campaign_id)) {
            pos_result_unreadable(
                res, "POST /v1/checks: no integer \"discount_cents\" and \"campaign_id\"");
        } else if (basket_cents == 0 && res->discount_cents == 0) {
            char offer[POS_DESCRIBE_SIZE];
            if (coupon.verified == POS_VERIFIED_OK)
                pos_result_line(res, _("VALID: %s (campaign %" PRId64 ")"),
                                pos_scan_describe(&coupon.code, offer, sizeof offer),
                                res->campaign_id);
            else
                pos_result_line(
                    res,
                    _("VALID (campaign %" PRId64 "): the discount depends on the basket total"),
                    res->campaign_id);
        } else {
            char off[POS_MONEY_SIZE];
            pos_result_line(res, _("VALID: %s off (campaign %" PRId64 ")"),
                            pos_money_format(res->discount_cents, off), res->campaign_id);
        }
    } else {
        const char *reason = json_string_value(json_object_get(answer, "reason"));
        const char *message = json_string_value(json_object_get(answer, "message"));
        res->err = cpn_err_from_code(reason);
        res->exit = POS_EXIT_REFUSED;
        (void)pos_till_get_int(answer, "campaign_id", &res->campaign_id);
        pos_result_line(res, _("NOT VALID: %s"),
                        message != NULL && message[0] != '\0' ? message
                                                              : pos_err_message(res->err));
        pos_result_detail(res, "reason %s", reason != NULL ? reason : "(none given)");
    }
    json_decref(answer);
}

/* Fills RES's line for a 409 already_redeemed ANSWER: the message, and when and where. */
static void already_redeemed(const json_t *answer, struct pos_result *res)
{
    const char *message = json_string_value(json_object_get(answer, "message"));
    const char *at = pos_till_get_time(answer, "redeemed_at");
    int64_t store;
    char text[POS_LINE_SIZE / 2];
    pos_till_without_full_stop(text, sizeof text,
                               message != NULL && message[0] != '\0'
                                   ? message
                                   : pos_err_message(CPN_ERR_ALREADY_REDEEMED));
    if (at == NULL || !pos_till_get_int(answer, "store", &store) ||
        /* TRANSLATORS: how the service's sentence names the store: "in store 3" */
        strstr(text, _("in store")) != NULL)
        return; /* the general refusal line stands, or already says when and where */
    char when[64];
    (void)pos_till_local_time(at, when, sizeof when);
    pos_result_line(res, _("REFUSED: %s (redeemed %s in store %" PRId64 ")"), text, when, store);
}

/* Appends to RES's line why the call was not accepted offline, when there is such a reason. */
static void say_not_offline(struct pos_result *res)
{
    if (res->offline_why[0] == '\0' || res->exit == POS_EXIT_REFUSED)
        return;
    char line[POS_LINE_SIZE];
    snprintf(line, sizeof line, "%s", res->line);
    pos_result_line(res, _("%s Not accepted offline: %s"), line, res->offline_why);
}

/* The outcome recorded in the journal for a redemption answered with STATUS (A: the answer):
 * "redeemed ID STATUS d=DISCOUNT c=CAMPAIGN[ at=WHEN][ off]" ("off" when the service recorded it
 * as made offline). Written into BUF (SIZE bytes). */
static void redeemed_outcome(const struct pos_result *res, long status, const json_t *answer,
                             char *buf, size_t size)
{
    const char *at = pos_till_get_time(answer, "redeemed_at");
    bool offline = json_string_value(json_object_get(answer, "offline_at")) != NULL;
    snprintf(buf, size, "redeemed %" PRId64 " %ld d=%" PRId64 " c=%" PRId64 "%s%.32s%s", res->id,
             status, res->discount_cents, res->campaign_id, at != NULL ? " at=" : "",
             at != NULL ? at : "", offline ? " off" : "");
}

void pos_till_redeem(struct pos_till *till, const char *code, int64_t basket_cents,
                     const char *card, const char *txn, struct pos_result *res)
{
    pos_till_redeem_on(till, code, basket_cents, card, NULL, txn, res);
}

/* Writes into BUF (SIZE bytes) what ANSWER's discount_by_vat says, "; discount by VAT rate: 1:
 * 3.00 EUR, 2: 2.00 EUR", or "" when it has none. */
static void vat_note(const json_t *answer, char *buf, size_t size)
{
    const json_t *shares = json_object_get(answer, "discount_by_vat");
    buf[0] = '\0';
    if (!json_is_object(shares) || json_object_size(shares) == 0)
        return;
    size_t n = (size_t)snprintf(buf, size, "%s", _("; discount by VAT rate:"));
    const char *key;
    const json_t *v;
    const char *sep = " ";
    json_object_foreach((json_t *)shares, key, v)
    {
        char money[POS_MONEY_SIZE];
        if (!json_is_integer(v) || n >= size)
            continue;
        n += (size_t)snprintf(buf + n, size - n, "%s%.4s: %s", sep, key,
                              pos_money_format(json_integer_value(v), money));
        sep = ", ";
    }
}

/* Takes the service's ANSWER (HTTP STATUS) to a redemption of a basket of BASKET_CENTS into RES
 * and closes the journal entry with it; ANSWER is freed. */
static void redeemed(struct pos_till *till, int64_t basket_cents, long status, json_t *answer,
                     struct pos_result *res)
{
    if (!pos_till_get_int(answer, "redemption_id", &res->id) ||
        !pos_till_get_int(answer, "discount_cents", &res->discount_cents) ||
        res->discount_cents < 0) {
        /* It went through, but the till cannot tell how: the entry stays pending, so
         * `pos-client retry` gets the service's first answer once more. */
        res->pending = true;
        pos_result_unreadable(res, "POST /v1/redemptions: no integer \"redemption_id\" and "
                                   "\"discount_cents\"");
        json_decref(answer);
        return;
    }
    (void)pos_till_get_int(answer, "campaign_id", &res->campaign_id);
    bool voided = json_is_true(json_object_get(answer, "voided"));
    res->replayed = status == 200;
    char outcome[POS_JOURNAL_OUTCOME_MAX];
    redeemed_outcome(res, status, answer, outcome, sizeof outcome);
    res->has_next = pos_next_coupon_read(answer, &res->next); /* a bounce-back coupon */
    char by_vat[POS_LINE_SIZE / 2];
    vat_note(answer, by_vat, sizeof by_vat);
    json_decref(answer);
    pos_till_journal_close(till, res, outcome);
    if (voided) {
        /* A retry of a redemption that was voided since, told by a service before 409 voided:
         * nothing is discounted now. */
        pos_result_line(res, _("VOIDED: redemption %" PRId64 " of txn %s was voided; no discount"),
                        res->id, res->txn_id);
        res->discount_cents = 0;
        return;
    }
    int64_t pay;
    if (__builtin_sub_overflow(basket_cents, res->discount_cents, &pay) || pay < 0)
        pay = 0;
    char off[POS_MONEY_SIZE], due[POS_MONEY_SIZE];
    pos_result_line(res, _("REDEEMED: %s off, pay %s (redemption %" PRId64 ")%s"),
                    pos_money_format(res->discount_cents, off), pos_money_format(pay, due), res->id,
                    by_vat);
    if (res->replayed)
        pos_result_detail(res, "the service repeated its first answer to txn %s", res->txn_id);
}

/* The VAT split TEXT ("1:3000,2:2000", as the journal keeps it) as basket_by_vat, {"1": 3000,
 * "2": 2000}. Returns NULL when out of memory or TEXT is not such a list. */
static json_t *vat_object(const char *text)
{
    json_t *o = json_object();
    for (const char *p = text; o != NULL && *p != '\0';) {
        char key[8];
        size_t k = strcspn(p, ":");
        const char *c = p + k + 1;
        size_t m = strcspn(c, ",");
        if (k == 0 || k >= sizeof key || p[k] != ':' || m == 0 || m > 15) {
            json_decref(o);
            return NULL;
        }
        memcpy(key, p, k);
        key[k] = '\0';
        json_int_t cents = 0;
        for (size_t i = 0; i < m; i++)
            cents = cents * 10 + (c[i] - '0');
        if (json_object_set_new(o, key, json_integer(cents)) != 0) {
            json_decref(o);
            return NULL;
        }
        p = c + m + (c[m] == ',' ? 1 : 0);
    }
    return o;
}

void pos_till_redeem_on(struct pos_till *till, const char *code, int64_t basket_cents,
                        const char *card, const char *receipt, const char *txn,
                        struct pos_result *res)
{
    pos_till_redeem_vat(till, code, basket_cents, card, receipt, NULL, txn, res);
}

void pos_till_redeem_vat(struct pos_till *till, const char *code, int64_t basket_cents,
                         const char *card, const char *receipt, const char *vat, const char *txn,
                         struct pos_result *res)
{
    pos_result_init(res);
    struct pos_scan coupon, card_scan;
    if (!local_coupon(till, code, card, _("REFUSED: "), &coupon, &card_scan, res))
        return;
    /* The journal holds the request as sent: the code's text and the card's short form. */
    struct pos_journal_entry e = {.amount = basket_cents};
    snprintf(e.kind, sizeof e.kind, "redeem");
    snprintf(e.subject, sizeof e.subject, "%s", coupon.text);
    if (card != NULL)
        snprintf(e.card, sizeof e.card, "%s", card_scan.short_form);
    if (receipt != NULL)
        snprintf(e.receipt, sizeof e.receipt, "%s", receipt);
    if (vat != NULL)
        snprintf(e.vat, sizeof e.vat, "%s", vat);
    if (!pos_till_journal_open(till, &e, txn, res))
        return;
    json_t *body = coupon_body(&coupon, basket_cents, card != NULL ? &card_scan : NULL, e.receipt,
                               res->txn_id);
    if (body != NULL && e.vat[0] != '\0' &&
        json_object_set_new(body, "basket_by_vat", vat_object(e.vat)) != 0) {
        json_decref(body);
        body = NULL;
    }
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
    long status;
    json_t *answer;
    enum cpn_err err = pos_till_call(till, "POST", "/v1/redemptions", body, &status, &answer);
    if (err != CPN_OK && e.offline) {
        pos_till_sync_failure(till, &e, err, status, answer, res);
        json_decref(answer);
        return;
    }
    if (err != CPN_OK && pos_till_unreachable(till, err, status)) {
        e.maybe_sent = status != 0 || res->resolving; /* an earlier attempt may have arrived */
        bool accepted = pos_till_accept_offline(till, &e, &coupon, res);
        if (!accepted && res->exit == POS_EXIT_REFUSED && !e.maybe_sent)
            pos_till_journal_close(till, res, "unsent 0"); /* refused by this till alone */
        if (accepted || (res->exit == POS_EXIT_REFUSED && !e.maybe_sent)) {
            json_decref(answer);
            return;
        }
        if (res->exit == POS_EXIT_REFUSED) {
            /* It may have reached the service: pending like any unanswered call. */
            snprintf(res->offline_why, sizeof res->offline_why, "%s",
                     res->line + strlen(_("REFUSED: ")));
            res->exit = POS_EXIT_OK;
            res->local = false;
        }
    }
    if (err != CPN_OK) {
        pos_till_journaled_failure(till, err, status, answer, res);
        if (err == CPN_ERR_ALREADY_REDEEMED && status == 409)
            already_redeemed(answer, res);
        if (err == CPN_ERR_VOIDED && status == 409)
            pos_result_voided(res, answer, _("redemption"), "redemption_id", _("no discount"));
        say_not_offline(res);
        json_decref(answer);
        return;
    }
    redeemed(till, basket_cents, status, answer, res);
}

void pos_till_void(struct pos_till *till, int64_t redemption_id, const char *txn,
                   struct pos_result *res)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/redemptions/%" PRId64 "/void", redemption_id);
    json_t *answer = pos_till_journaled_void(till, "void", redemption_id, path, txn, res);
    if (answer == NULL)
        return;
    res->id = redemption_id;
    json_decref(answer);
    pos_result_line(res, _("VOIDED: redemption %" PRId64 "; the coupon can be used again"),
                    redemption_id);
}
