/* The till's operations: each one checks what it can locally (a typo, the wrong kind of code, a
 * forged signature) before any call, journals a money-moving call before it goes out and closes
 * the journal entry only once the service has answered, and ends in one line for the cashier
 * with an exit status. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "keys.h"
#include "money.h"
#include "scan.h"
#include "till.h"

/* Seconds between two attempts to fetch the keys, so a broken GET /v1/keys costs at most one
 * extra call a minute. */
#define KEYS_RETRY_S 60

struct pos_till {
    const struct pos_config *cfg;
    struct pos_api *api;
    bool verbose;
    struct cpn_keyring *keys; /* NULL until loaded, or when there are none */
    bool keys_loaded;         /* loading them from the state directory was tried */
    time_t keys_fetch_tried;  /* when GET /v1/keys was last tried, 0 never */
    unsigned long ok_calls;   /* calls that the service answered with 2xx */
};

struct pos_till *pos_till_new(const struct pos_config *cfg, struct pos_api *api, bool verbose)
{
    struct pos_till *till = calloc(1, sizeof *till);
    if (till == NULL)
        return NULL;
    till->cfg = cfg;
    till->api = api;
    till->verbose = verbose;
    return till;
}

void pos_till_free(struct pos_till *till)
{
    if (till == NULL)
        return;
    cpn_keyring_free(till->keys);
    free(till);
}

enum pos_exit pos_till_exit_for(enum cpn_err err, long status)
{
    if (status >= 400 && status < 500 && status != 408 && status != 429)
        return POS_EXIT_REFUSED;
    if (err == CPN_ERR_UNAUTHORIZED || err == CPN_ERR_CERT_REVOKED)
        return POS_EXIT_REFUSED; /* our certificate refused in the TLS handshake */
    if (status == 0 && err == CPN_ERR_IO)
        return POS_EXIT_USAGE; /* the CA, certificate or key file cannot be used */
    return POS_EXIT_UNAVAILABLE;
}

/* Empties RES: exit 0, nothing said, balance unknown. */
static void res_init(struct pos_result *res)
{
    memset(res, 0, sizeof *res);
    res->exit = POS_EXIT_OK;
    res->err = CPN_OK;
    res->balance = -1;
}

/* Sets RES's line to the formatted text. */
__attribute__((format(printf, 2, 3))) static void set_line(struct pos_result *res, const char *fmt,
                                                           ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->line, sizeof res->line, fmt, ap);
    va_end(ap);
}

/* Appends the formatted text to RES's detail, after "; " when there is one already. */
__attribute__((format(printf, 2, 3))) static void add_detail(struct pos_result *res,
                                                             const char *fmt, ...)
{
    size_t n = strlen(res->detail);
    if (n > 0 && n + 3 < sizeof res->detail) {
        memcpy(res->detail + n, "; ", 3);
        n += 2;
    }
    if (n + 1 >= sizeof res->detail)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->detail + n, sizeof res->detail - n, fmt, ap);
    va_end(ap);
}

/* Fills RES as a refusal the till made alone, without any call: ERR, PREFIX + WHAT + WHY. */
static void refuse_locally(struct pos_result *res, enum cpn_err err, const char *prefix,
                           const char *what, const char *why)
{
    res->exit = POS_EXIT_REFUSED;
    res->err = err;
    res->local = true;
    set_line(res, "%s%s%s", prefix, what != NULL ? what : "", why);
    add_detail(res, "refused by this till without asking the service (%s)", cpn_err_code(err));
}

/* Fills RES for a call that failed with ERR after HTTP STATUS (0 for none), with the API's
 * message after PREFIX when it is a refusal. */
static void call_failed(const struct pos_till *till, enum cpn_err err, long status,
                        const char *prefix, struct pos_result *res)
{
    res->err = err;
    res->exit = pos_till_exit_for(err, status);
    if (res->exit == POS_EXIT_REFUSED)
        set_line(res, "%s%s", prefix, pos_api_message(till->api));
    else
        set_line(res, "%s", pos_api_message(till->api));
    add_detail(res, "%s", pos_api_detail(till->api));
}

/* Fills RES for a 2xx answer that does not say what it should (WHY, for IT). */
static void unreadable(struct pos_result *res, const char *why)
{
    res->exit = POS_EXIT_UNAVAILABLE;
    res->err = CPN_ERR_INTERNAL;
    set_line(res, "The coupon service's answer cannot be read by this till: please call IT.");
    add_detail(res, "%s", why);
}

/* Fills RES when out of memory before a call. */
static void no_memory(struct pos_result *res)
{
    res->exit = POS_EXIT_UNAVAILABLE;
    res->err = CPN_ERR_NO_MEMORY;
    set_line(res, "This till ran out of memory: nothing was done.");
}

/* Calls the service and takes BODY (may be NULL; it is released). Counts the successes, for
 * pos_till_refresh_keys(). Returns as pos_api_call(). */
static enum cpn_err call(struct pos_till *till, const char *method, const char *path, json_t *body,
                         long *status, json_t **answer)
{
    enum cpn_err err = pos_api_call(till->api, method, path, body, status, answer);
    json_decref(body);
    if (err == CPN_OK)
        till->ok_calls++;
    return err;
}

/* Reads the integer KEY of object O into *V. Returns false when it is missing or not an
 * integer. */
static bool get_int(const json_t *o, const char *key, int64_t *v)
{
    const json_t *j = json_object_get(o, key);
    if (!json_is_integer(j))
        return false;
    *v = json_integer_value(j);
    return true;
}

void pos_till_status(struct pos_till *till, struct pos_result *res)
{
    res_init(res);
    long status;
    json_t *who;
    enum cpn_err err = call(till, "GET", "/v1/whoami", NULL, &status, &who);
    if (err != CPN_OK) {
        json_decref(who);
        call_failed(till, err, status, "REFUSED: ", res);
        return;
    }
    const char *role = json_string_value(json_object_get(who, "role"));
    const char *name = json_string_value(json_object_get(who, "name"));
    int64_t store;
    if (role == NULL || name == NULL)
        unreadable(res, "GET /v1/whoami: no \"role\" and \"name\" strings");
    else if (get_int(who, "store", &store))
        set_line(res, "coupond at %s sees %s %s of store %" PRId64, till->cfg->url, role, name,
                 store);
    else
        set_line(res, "coupond at %s sees %s %s", till->cfg->url, role, name);
    json_decref(who);
}

/* Loads the keys from the state directory, once. */
static void load_keys(struct pos_till *till)
{
    if (till->keys_loaded)
        return;
    till->keys_loaded = true;
    char why[256] = "";
    enum cpn_err err = pos_keys_load(till->cfg->state_dir, &till->keys, why, sizeof why);
    if (err != CPN_OK && err != CPN_ERR_NOT_FOUND && till->verbose)
        fprintf(stderr, "pos-client: the saved verification keys cannot be used: %s\n",
                err == CPN_ERR_IO ? strerror(errno) : why);
}

void pos_till_fetch_keys(struct pos_till *till, struct pos_result *res)
{
    res_init(res);
    till->keys_fetch_tried = time(NULL);
    long status;
    json_t *answer;
    enum cpn_err err = call(till, "GET", "/v1/keys", NULL, &status, &answer);
    if (err != CPN_OK) {
        json_decref(answer);
        call_failed(till, err, status, "REFUSED: ", res);
        return;
    }
    size_t count = 0;
    char why[256] = "";
    err = pos_keys_save(till->cfg->state_dir, till->cfg->url, answer, &count, why, sizeof why);
    json_decref(answer);
    switch (err) {
    case CPN_OK:
        set_line(res, "Saved %zu verification key%s from %s in %s/" POS_KEYS_FILE, count,
                 count == 1 ? "" : "s", till->cfg->url, till->cfg->state_dir);
        break;
    case CPN_ERR_INTERNAL:
        unreadable(res, why);
        return;
    case CPN_ERR_IO:
        res->exit = POS_EXIT_USAGE;
        res->err = err;
        set_line(res, "pos-client: cannot save the keys in %s: %s", till->cfg->state_dir,
                 strerror(errno));
        return;
    default:
        no_memory(res);
        return;
    }
    /* Use the new keys from now on. */
    cpn_keyring_free(till->keys);
    till->keys = NULL;
    till->keys_loaded = false;
    load_keys(till);
}

void pos_till_refresh_keys(struct pos_till *till)
{
    time_t now = time(NULL);
    if (till->ok_calls == 0 ||
        (till->keys_fetch_tried != 0 && difftime(now, till->keys_fetch_tried) < KEYS_RETRY_S) ||
        !pos_keys_stale(till->cfg->state_dir, now))
        return;
    struct pos_result res;
    pos_till_fetch_keys(till, &res);
    if (res.exit != POS_EXIT_OK && till->verbose)
        fprintf(stderr, "pos-client: the verification keys were not refreshed: %s — %s\n", res.line,
                res.detail);
}

/* Reads TEXT as a code of KIND and checks it locally: form and check character, kind, and for a
 * signed form the signature (fetching the keys first when it names a key this till does not
 * have). Returns true with *SCAN filled, or false with RES filled as a local refusal: PREFIX, then
 * WHAT (NULL, or e.g. "Bonus card: "), then the reason. */
static bool local_code(struct pos_till *till, const char *text, enum cpn_kind kind,
                       const char *prefix, const char *what, struct pos_scan *scan,
                       struct pos_result *res)
{
    const char *why = NULL;
    enum cpn_err err = pos_scan_parse(text, kind, scan, &why);
    if (err == CPN_OK && scan->code.is_signed) {
        load_keys(till);
        err = pos_scan_verify(till->keys, scan, &why);
        time_t now = time(NULL);
        if (err == CPN_OK && scan->verified == POS_VERIFIED_UNKNOWN_KEY &&
            (till->keys_fetch_tried == 0 ||
             difftime(now, till->keys_fetch_tried) >= KEYS_RETRY_S)) {
            /* A key this till has not seen yet: the service may have added one. */
            struct pos_result fetched;
            pos_till_fetch_keys(till, &fetched);
            if (fetched.exit == POS_EXIT_OK)
                err = pos_scan_verify(till->keys, scan, &why);
            else
                add_detail(res, "the keys could not be fetched: %s", fetched.detail);
        }
        if (err == CPN_OK && scan->verified == POS_VERIFIED_UNKNOWN_KEY)
            add_detail(res,
                       "signed with key %u, which this till does not have: not checked "
                       "offline",
                       (unsigned)scan->code.sign_key_id);
    }
    if (err == CPN_OK)
        return true;
    refuse_locally(res, err, prefix, what, why);
    return false;
}

/* The local part of check and redeem: reads the coupon CODE and the bonus card CARD (may be
 * NULL) into *COUPON and *CARD_SCAN and checks them and the coupon's card binding. Returns true,
 * or false with RES filled as a local refusal after PREFIX. */
static bool local_coupon(struct pos_till *till, const char *code, const char *card,
                         const char *prefix, struct pos_scan *coupon, struct pos_scan *card_scan,
                         struct pos_result *res)
{
    if (!local_code(till, code, CPN_KIND_COUPON, prefix, NULL, coupon, res))
        return false;
    snprintf(res->code, sizeof res->code, "%s", coupon->short_form);
    if (card != NULL &&
        !local_code(till, card, CPN_KIND_CARD, prefix, "Bonus card: ", card_scan, res))
        return false;
    const char *why = NULL;
    enum cpn_err err = pos_scan_check_card(coupon, card != NULL ? card_scan : NULL, &why);
    if (err != CPN_OK) {
        refuse_locally(res, err, prefix, NULL, why);
        return false;
    }
    return true;
}

/* Opens the journal entry for a call of KIND on JCODE over AMOUNT: under TXN when given, else
 * under the txn id of an identical call that got no answer, else under a new one; the id goes to
 * RES->txn_id. Returns true, or false with RES filled (a bad TXN, or the journal cannot be
 * written: then nothing must be sent). */
static bool journal_open(const struct pos_till *till, const char *kind, const char *jcode,
                         int64_t amount, const char *txn, struct pos_result *res)
{
    const char *dir = till->cfg->state_dir;
    enum cpn_err err;
    if (txn != NULL) {
        if (!pos_journal_txn_id_valid(txn)) {
            res->exit = POS_EXIT_USAGE;
            res->err = CPN_ERR_BAD_REQUEST;
            set_line(res,
                     "pos-client: a txn id is 1 to %d letters, digits, '_' or '-', not '%.80s'",
                     POS_TXN_ID_MAX, txn);
            return false;
        }
        snprintf(res->txn_id, sizeof res->txn_id, "%s", txn);
        err = pos_journal_record_begin(dir, txn, kind, jcode, amount);
    } else {
        err = pos_journal_find_pending(dir, kind, jcode, amount, res->txn_id);
        if (err == CPN_OK) {
            add_detail(res, "txn %s reused from an earlier attempt that got no answer",
                       res->txn_id);
            return true;
        }
        if (err == CPN_ERR_NOT_FOUND)
            err = pos_journal_begin(dir, kind, jcode, amount, res->txn_id);
    }
    if (err == CPN_OK)
        return true;
    res->exit = POS_EXIT_USAGE;
    res->err = err;
    set_line(res,
             "This till cannot write its journal in %s (%s): nothing was sent; please call "
             "IT.",
             dir, err == CPN_ERR_IO ? strerror(errno) : "out of memory or a bad entry");
    return false;
}

/* Records OUTCOME for RES's txn id in the journal; a failure only goes into RES's detail (the
 * entry then stays pending, and a retry is answered with the same outcome). */
static void journal_close(const struct pos_till *till, struct pos_result *res, const char *outcome)
{
    if (pos_journal_finish(till->cfg->state_dir, res->txn_id, outcome) != CPN_OK)
        add_detail(res, "the journal could not record the answer: %s", strerror(errno));
}

/* Handles a journaled call that failed with ERR after STATUS (ANSWER: its body, may be NULL):
 * closes the journal entry when the service gave a definite answer (any HTTP answer but 408,
 * 429 and 5xx, after which the call may have gone through), else leaves it pending and, after a
 * time-out, says AGAIN. Fills RES ("REFUSED: " and the message for a refusal). */
static void journaled_failure(const struct pos_till *till, enum cpn_err err, long status,
                              const json_t *answer, const char *again, struct pos_result *res)
{
    call_failed(till, err, status, "REFUSED: ", res);
    bool definite = status >= 200 && status < 500 && status != 408 && status != 429;
    if (definite) {
        const char *code = json_string_value(json_object_get(answer, "error"));
        char outcome[64];
        snprintf(outcome, sizeof outcome, "%.40s %ld", code != NULL ? code : "http", status);
        journal_close(till, res, outcome);
        return;
    }
    res->pending = true;
    if (err == CPN_ERR_TIMEOUT)
        set_line(res, "%s", again);
}

/* Copies MESSAGE into BUF (SIZE bytes) without its final full stop. */
static void without_full_stop(char *buf, size_t size, const char *message)
{
    snprintf(buf, size, "%s", message);
    size_t n = strlen(buf);
    if (n > 0 && buf[n - 1] == '.')
        buf[n - 1] = '\0';
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

void pos_till_check(struct pos_till *till, const char *code, int64_t basket_cents, const char *card,
                    struct pos_result *res)
{
    res_init(res);
    struct pos_scan coupon, card_scan;
    if (!local_coupon(till, code, card, "NOT VALID: ", &coupon, &card_scan, res))
        return;
    json_t *body =
        json_pack("{s:s, s:I}", "code", coupon.text, "basket_cents", (json_int_t)basket_cents);
    if (body != NULL && card != NULL &&
        json_object_set_new(body, "card", json_string(card_scan.short_form)) != 0) {
        json_decref(body);
        body = NULL;
    }
    if (body == NULL) {
        no_memory(res);
        return;
    }
    long status;
    json_t *answer;
    enum cpn_err err = call(till, "POST", "/v1/checks", body, &status, &answer);
    if (err != CPN_OK) {
        json_decref(answer);
        call_failed(till, err, status, about_the_coupon(err) ? "NOT VALID: " : "REFUSED: ", res);
        if (res->exit == POS_EXIT_UNAVAILABLE && coupon.verified == POS_VERIFIED_OK) {
            char offer[POS_DESCRIBE_SIZE];
            res->offline = true;
            set_line(res,
                     "Signature valid (checked offline): %s%s; could not ask the service whether "
                     "it was already used",
                     pos_scan_describe(&coupon.code, offer, sizeof offer),
                     pos_scan_expired(&coupon.code, (long long)time(NULL))
                         ? " (expired, by this till's clock)"
                         : "");
        }
        return;
    }
    const json_t *valid = json_object_get(answer, "valid");
    if (!json_is_boolean(valid)) {
        unreadable(res, "POST /v1/checks: no boolean \"valid\"");
    } else if (json_is_true(valid)) {
        if (!get_int(answer, "discount_cents", &res->discount_cents) ||
            !get_int(answer, "campaign_id", &res->campaign_id)) {
            unreadable(res, "POST /v1/checks: no integer \"discount_cents\" and \"campaign_id\"");
        } else if (basket_cents == 0 && res->discount_cents == 0) {
            char offer[POS_DESCRIBE_SIZE];
            if (coupon.verified == POS_VERIFIED_OK)
                set_line(res, "VALID: %s (campaign %" PRId64 ")",
                         pos_scan_describe(&coupon.code, offer, sizeof offer), res->campaign_id);
            else
                set_line(res,
                         "VALID (campaign %" PRId64 "): the discount depends on the basket total",
                         res->campaign_id);
        } else {
            char off[POS_MONEY_SIZE];
            set_line(res, "VALID: %s off (campaign %" PRId64 ")",
                     pos_money_format(res->discount_cents, off), res->campaign_id);
        }
    } else {
        const char *reason = json_string_value(json_object_get(answer, "reason"));
        const char *message = json_string_value(json_object_get(answer, "message"));
        res->err = cpn_err_from_code(reason);
        res->exit = POS_EXIT_REFUSED;
        (void)get_int(answer, "campaign_id", &res->campaign_id);
        set_line(res, "NOT VALID: %s",
                 message != NULL && message[0] != '\0' ? message : cpn_err_message(res->err));
        add_detail(res, "reason %s", reason != NULL ? reason : "(none given)");
    }
    json_decref(answer);
}

/* Writes the journal's code field for a coupon CODE redeemed with CARD (NULL for none) into BUF:
 * the code as sent, and the card, so a retry with another card is another call. */
static void journal_code(char *buf, size_t size, const struct pos_scan *coupon,
                         const struct pos_scan *card)
{
    if (card != NULL)
        snprintf(buf, size, "%s card %s", coupon->text, card->short_form);
    else
        snprintf(buf, size, "%s", coupon->text);
}

/* Fills RES's line for a 409 already_redeemed ANSWER: the message, and when and where. */
static void already_redeemed(const json_t *answer, struct pos_result *res)
{
    const char *message = json_string_value(json_object_get(answer, "message"));
    const char *at = json_string_value(json_object_get(answer, "redeemed_at"));
    int64_t store;
    char text[POS_LINE_SIZE / 2];
    without_full_stop(text, sizeof text,
                      message != NULL && message[0] != '\0'
                          ? message
                          : cpn_err_message(CPN_ERR_ALREADY_REDEEMED));
    if (at == NULL || !get_int(answer, "store", &store) || strstr(text, "in store") != NULL)
        return; /* the general refusal line stands, or already says when and where */
    char when[64];
    (void)pos_till_local_time(at, when, sizeof when);
    set_line(res, "REFUSED: %s (redeemed %s in store %" PRId64 ")", text, when, store);
}

void pos_till_redeem(struct pos_till *till, const char *code, int64_t basket_cents,
                     const char *card, const char *txn, struct pos_result *res)
{
    res_init(res);
    struct pos_scan coupon, card_scan;
    if (!local_coupon(till, code, card, "REFUSED: ", &coupon, &card_scan, res))
        return;
    char jcode[POS_JOURNAL_CODE_MAX + 1];
    journal_code(jcode, sizeof jcode, &coupon, card != NULL ? &card_scan : NULL);
    if (!journal_open(till, "redeem", jcode, basket_cents, txn, res))
        return;
    json_t *body = json_pack("{s:s, s:I, s:s}", "code", coupon.text, "basket_cents",
                             (json_int_t)basket_cents, "txn_id", res->txn_id);
    if (body != NULL && card != NULL &&
        json_object_set_new(body, "card", json_string(card_scan.short_form)) != 0) {
        json_decref(body);
        body = NULL;
    }
    if (body == NULL) {
        no_memory(res);
        return;
    }
    long status;
    json_t *answer;
    enum cpn_err err = call(till, "POST", "/v1/redemptions", body, &status, &answer);
    if (err != CPN_OK) {
        journaled_failure(till, err, status, answer,
                          "No answer in time: run the same redeem again; it cannot redeem twice.",
                          res);
        if (err == CPN_ERR_ALREADY_REDEEMED && status == 409)
            already_redeemed(answer, res);
        json_decref(answer);
        return;
    }
    if (!get_int(answer, "redemption_id", &res->id) ||
        !get_int(answer, "discount_cents", &res->discount_cents) || res->discount_cents < 0) {
        /* It went through, but the till cannot tell how: the entry stays pending, so running the
         * same redeem again gets the service's first answer once more. */
        res->pending = true;
        unreadable(res, "POST /v1/redemptions: no integer \"redemption_id\" and "
                        "\"discount_cents\"");
        json_decref(answer);
        return;
    }
    (void)get_int(answer, "campaign_id", &res->campaign_id);
    bool voided = json_is_true(json_object_get(answer, "voided"));
    json_decref(answer);
    res->replayed = status == 200;
    char outcome[64];
    snprintf(outcome, sizeof outcome, "redeemed %" PRId64 " %ld", res->id, status);
    journal_close(till, res, outcome);
    if (voided) {
        /* A retry of a redemption that was voided since: nothing is discounted now. */
        set_line(res, "VOIDED: redemption %" PRId64 " of txn %s was voided; no discount", res->id,
                 res->txn_id);
        res->discount_cents = 0;
        return;
    }
    int64_t pay;
    if (__builtin_sub_overflow(basket_cents, res->discount_cents, &pay) || pay < 0)
        pay = 0;
    char off[POS_MONEY_SIZE], due[POS_MONEY_SIZE];
    set_line(res, "REDEEMED: %s off, pay %s (redemption %" PRId64 ")",
             pos_money_format(res->discount_cents, off), pos_money_format(pay, due), res->id);
    if (res->replayed)
        add_detail(res, "the service repeated its first answer to txn %s", res->txn_id);
}

void pos_till_void(struct pos_till *till, int64_t redemption_id, const char *txn,
                   struct pos_result *res)
{
    res_init(res);
    char jcode[48], path[64];
    snprintf(jcode, sizeof jcode, "redemption %" PRId64, redemption_id);
    snprintf(path, sizeof path, "/v1/redemptions/%" PRId64 "/void", redemption_id);
    if (!journal_open(till, "void", jcode, 0, txn, res))
        return;
    json_t *body = json_pack("{s:s}", "txn_id", res->txn_id);
    if (body == NULL) {
        no_memory(res);
        return;
    }
    long status;
    json_t *answer;
    enum cpn_err err = call(till, "POST", path, body, &status, &answer);
    if (err != CPN_OK) {
        journaled_failure(till, err, status, answer,
                          "No answer in time: run the same void again; it cannot void twice.", res);
        json_decref(answer);
        return;
    }
    res->id = redemption_id;
    json_decref(answer);
    journal_close(till, res, "voided");
    set_line(res, "VOIDED: redemption %" PRId64 "; the coupon can be used again", redemption_id);
}

/* Reads the bonus card CARD for a card command into *SCAN, with RES->code set. Returns true, or
 * false with RES filled as a local refusal. */
static bool local_card(struct pos_till *till, const char *card, struct pos_scan *scan,
                       struct pos_result *res)
{
    if (!local_code(till, card, CPN_KIND_CARD, "REFUSED: ", NULL, scan, res))
        return false;
    snprintf(res->code, sizeof res->code, "%s", scan->short_form);
    return true;
}

void pos_till_card_issue(struct pos_till *till, struct pos_result *res)
{
    res_init(res);
    json_t *body = json_object();
    if (body == NULL) {
        no_memory(res);
        return;
    }
    long status;
    json_t *answer;
    enum cpn_err err = call(till, "POST", "/v1/cards", body, &status, &answer);
    if (err != CPN_OK) {
        json_decref(answer);
        call_failed(till, err, status, "REFUSED: ", res);
        return;
    }
    const char *card = json_string_value(json_object_get(answer, "card"));
    const char *sig = json_string_value(json_object_get(answer, "signed"));
    if (card == NULL || sig == NULL) {
        unreadable(res, "POST /v1/cards: no \"card\" and \"signed\" strings");
    } else {
        snprintf(res->code, sizeof res->code, "%s", card);
        res->balance = 0;
        set_line(res, "ISSUED: bonus card %s (QR text %s)", card, sig);
    }
    json_decref(answer);
}

void pos_till_card_balance(struct pos_till *till, const char *card, struct pos_result *res)
{
    res_init(res);
    struct pos_scan scan;
    if (!local_card(till, card, &scan, res))
        return;
    char path[64];
    snprintf(path, sizeof path, "/v1/cards/%s", scan.short_form);
    long status;
    json_t *answer;
    enum cpn_err err = call(till, "GET", path, NULL, &status, &answer);
    if (err != CPN_OK) {
        json_decref(answer);
        call_failed(till, err, status, "REFUSED: ", res);
        return;
    }
    if (!get_int(answer, "balance", &res->balance))
        unreadable(res, "GET /v1/cards/{card}: no integer \"balance\"");
    else
        set_line(res, "BALANCE: bonus card %s has %" PRId64 " points", scan.short_form,
                 res->balance);
    json_decref(answer);
}

/* The end of a journaled card call on CARD (KIND "earn" or "burn") that the service answered
 * with 2xx and ANSWER at STATUS: reads the transaction, closes the journal entry and fills RES. */
static void card_booked(const struct pos_till *till, const char *kind, const char *card,
                        const json_t *answer, long status, struct pos_result *res)
{
    if (!get_int(answer, "transaction_id", &res->id) || !get_int(answer, "points", &res->points) ||
        !get_int(answer, "balance", &res->balance)) {
        res->pending = true;
        unreadable(res, "card earn/burn: no integer \"transaction_id\", \"points\" and "
                        "\"balance\"");
        return;
    }
    if (res->points < 0 && res->points != INT64_MIN)
        res->points = -res->points; /* a burn may be told as a negative booking */
    res->replayed = status == 200;
    char outcome[64];
    snprintf(outcome, sizeof outcome, "%s %" PRId64 " %ld", kind, res->id, status);
    journal_close(till, res, outcome);
    if (strcmp(kind, "earn") == 0) {
        set_line(res,
                 "EARNED: %" PRId64 " points on bonus card %s; balance %" PRId64
                 " points (card transaction %" PRId64 ")",
                 res->points, card, res->balance, res->id);
    } else {
        char worth[POS_MONEY_SIZE];
        set_line(res,
                 "BURNED: %" PRId64 " points (%s off) from bonus card %s; balance %" PRId64
                 " points (card transaction %" PRId64 ")",
                 res->points, pos_money_format(res->points, worth), card, res->balance, res->id);
    }
}

/* `card earn` and `card burn`: KIND on CARD with AMOUNT (basket cents or points) under TXN. */
static void card_book(struct pos_till *till, const char *kind, const char *card, int64_t amount,
                      const char *txn, struct pos_result *res)
{
    res_init(res);
    struct pos_scan scan;
    if (!local_card(till, card, &scan, res))
        return;
    if (!journal_open(till, kind, scan.short_form, amount, txn, res))
        return;
    bool earn = strcmp(kind, "earn") == 0;
    json_t *body = json_pack("{s:I, s:s}", earn ? "basket_cents" : "points", (json_int_t)amount,
                             "txn_id", res->txn_id);
    if (body == NULL) {
        no_memory(res);
        return;
    }
    char path[64];
    snprintf(path, sizeof path, "/v1/cards/%s/%s", scan.short_form, kind);
    long status;
    json_t *answer;
    enum cpn_err err = call(till, "POST", path, body, &status, &answer);
    if (err != CPN_OK) {
        journaled_failure(till, err, status, answer,
                          earn ? "No answer in time: run the same card earn again; it cannot "
                                 "book twice."
                               : "No answer in time: run the same card burn again; it cannot "
                                 "book twice.",
                          res);
        if (err == CPN_ERR_INSUFFICIENT_POINTS && get_int(answer, "balance", &res->balance)) {
            char text[POS_LINE_SIZE / 2], balance[48];
            without_full_stop(text, sizeof text, pos_api_message(till->api));
            snprintf(balance, sizeof balance, "%" PRId64 " points", res->balance);
            if (strstr(text, balance) == NULL) /* unless the message says it already */
                set_line(res, "REFUSED: %s (balance %s)", text, balance);
        }
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
    res_init(res);
    char jcode[48], path[64];
    snprintf(jcode, sizeof jcode, "card transaction %" PRId64, transaction_id);
    snprintf(path, sizeof path, "/v1/card-transactions/%" PRId64 "/void", transaction_id);
    if (!journal_open(till, "card_void", jcode, 0, txn, res))
        return;
    json_t *body = json_pack("{s:s}", "txn_id", res->txn_id);
    if (body == NULL) {
        no_memory(res);
        return;
    }
    long status;
    json_t *answer;
    enum cpn_err err = call(till, "POST", path, body, &status, &answer);
    if (err != CPN_OK) {
        journaled_failure(till, err, status, answer,
                          "No answer in time: run the same card void again; it cannot void "
                          "twice.",
                          res);
        json_decref(answer);
        return;
    }
    res->id = transaction_id;
    journal_close(till, res, "voided");
    if (get_int(answer, "balance", &res->balance))
        set_line(res, "VOIDED: card transaction %" PRId64 "; balance %" PRId64 " points",
                 transaction_id, res->balance);
    else
        set_line(res, "VOIDED: card transaction %" PRId64 "; its points are booked back",
                 transaction_id);
    json_decref(answer);
}

/* Reads exactly N digits at *P into *V and advances *P. Returns false when there are fewer. */
static bool digits(const char **p, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        *v = *v * 10 + (c - '0');
    }
    *p += n;
    return true;
}

bool pos_till_local_time(const char *text, char *buf, size_t size)
{
    snprintf(buf, size, "%s", text);
    const char *p = text;
    int year, mon, day, hour, min, sec;
    if (!digits(&p, 4, &year) || *p++ != '-' || !digits(&p, 2, &mon) || *p++ != '-' ||
        !digits(&p, 2, &day) || (*p != 'T' && *p != 't' && *p != ' '))
        return false;
    p++;
    if (!digits(&p, 2, &hour) || *p++ != ':' || !digits(&p, 2, &min) || *p++ != ':' ||
        !digits(&p, 2, &sec))
        return false;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) || oh > 23 || om > 59)
            return false;
        offset = sign * (oh * 3600L + om * 60L);
    } else {
        return false;
    }
    if (*p != '\0' || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 ||
        sec > 60)
        return false;
    struct tm tm = {
        .tm_year = year - 1900,
        .tm_mon = mon - 1,
        .tm_mday = day,
        .tm_hour = hour,
        .tm_min = min,
        .tm_sec = sec,
    };
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return false;
    t -= offset;
    struct tm local;
    if (localtime_r(&t, &local) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M", &local) == 0) {
        snprintf(buf, size, "%s", text);
        return false;
    }
    return true;
}
