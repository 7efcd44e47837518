/* The journal around a till's money-moving call: an entry opened before the call goes out (always
 * under a new txn id, unless the caller names a txn: then a pending one is retried), closed once
 * the service has given a definite answer (or the request certainly never left the till), and
 * left pending, with a sentence saying how to settle it, when neither is known. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pos/i18n.h"
#include "pos/money.h"
#include "pos/till_internal.h"

const char *pos_till_describe_entry(const struct pos_journal_entry *e, char *buf, size_t size)
{
    char money[POS_MONEY_SIZE];
    const char *k = e->kind;
    if (strcmp(k, "redeem") == 0) {
        struct pos_scan scan;
        const char *why;
        bool readable = pos_scan_parse_any(e->subject, &scan, &why) == CPN_OK;
        snprintf(buf, size, _("redeem %.40s, basket %s%s%s"),
                 readable ? scan.short_form : e->subject, pos_money_format(e->amount, money),
                 e->card[0] != '\0' ? _(", card ") : "", e->card);
    } else if (strcmp(k, "earn") == 0) {
        snprintf(buf, size, _("card earn %s, basket %s"), e->subject,
                 pos_money_format(e->amount, money));
    } else if (strcmp(k, "burn") == 0) {
        snprintf(buf, size, _("card burn %s, %" PRId64 " points"), e->subject, e->amount);
    } else if (strcmp(k, "credit") == 0) {
        snprintf(buf, size, _("credit of receipt %.24s... to card %s"), e->subject, e->card);
    } else if (strcmp(k, "void") == 0) {
        snprintf(buf, size, _("void of redemption %s"), e->subject);
    } else if (strcmp(k, "return") == 0) {
        snprintf(buf, size, _("return of %s from redemption %s"),
                 pos_money_format(e->amount, money), e->subject);
    } else if (strcmp(k, "card_void") == 0) {
        snprintf(buf, size, _("void of card transaction %s"), e->subject);
    } else {
        snprintf(buf, size, "%s %.40s %" PRId64, k, e->subject, e->amount);
    }
    return buf;
}

/* Fills RES as a usage error: TXN is pending for another request, P. */
static void pending_for_another(struct pos_result *res, const char *txn,
                                const struct pos_journal_entry *p)
{
    char what[160];
    res->exit = POS_EXIT_USAGE;
    res->err = CPN_ERR_CONFLICT;
    res->local = true;
    pos_result_line(res,
                    _("pos-client: txn %s is pending in this till's journal for another call (%s): "
                      "nothing was sent; settle it first with pos-client retry %s"),
                    txn, pos_till_describe_entry(p, what, sizeof what), txn);
}

bool pos_till_journal_open(const struct pos_till *till, struct pos_journal_entry *e,
                           const char *txn, struct pos_result *res)
{
    const char *dir = till->cfg->state_dir;
    enum cpn_err err;
    if (txn == NULL) {
        err = pos_journal_begin(dir, e); /* a new call is a new txn, always */
    } else if (!pos_journal_txn_id_valid(txn)) {
        res->exit = POS_EXIT_USAGE;
        res->err = CPN_ERR_BAD_REQUEST;
        pos_result_line(res,
                        _("pos-client: a txn id is 1 to %d letters, digits, '_' or '-', not "
                          "'%.80s'"),
                        POS_TXN_ID_MAX, txn);
        return false;
    } else {
        snprintf(e->txn_id, sizeof e->txn_id, "%s", txn);
        struct pos_journal_state s = {0};
        const struct pos_journal_entry *p = NULL;
        if (till->resending != NULL && strcmp(till->resending->txn_id, txn) == 0) {
            err = CPN_OK; /* sent again by pos_till_retry(), which read it just now */
            p = till->resending;
        } else {
            err = pos_journal_load(dir, &s);
            p = err == CPN_OK ? pos_journal_find(&s, txn) : NULL;
        }
        if (p != NULL && !pos_journal_same_request(p, e)) {
            pending_for_another(res, txn, p);
            pos_journal_state_free(&s);
            return false;
        }
        if (p != NULL) {
            /* The retry of a pending txn: its begin line is on disk already. */
            res->resolving = true;
            snprintf(res->began, sizeof res->began, "%s", p->time);
            snprintf(e->time, sizeof e->time, "%s", p->time);
            if (p->offline) {
                /* Accepted offline: sent now with its offline time. */
                e->offline = true;
                e->maybe_sent = p->maybe_sent;
                snprintf(e->offline_at, sizeof e->offline_at, "%s", p->offline_at);
                e->discount_cents = p->discount_cents;
                e->campaign_id = p->campaign_id;
                res->syncing = true;
                snprintf(res->offline_at, sizeof res->offline_at, "%s", p->offline_at);
            }
        } else if (err == CPN_OK) {
            err = pos_journal_record_begin(dir, e);
        }
        pos_journal_state_free(&s);
    }
    if (err == CPN_OK) {
        snprintf(res->txn_id, sizeof res->txn_id, "%s", e->txn_id);
        return true;
    }
    res->exit = POS_EXIT_USAGE;
    res->err = err;
    pos_result_line(res,
                    _("This till cannot write its journal in %s (%s): nothing was sent; please "
                      "call IT."),
                    dir, err == CPN_ERR_IO ? strerror(errno) : _("out of memory or a bad entry"));
    return false;
}

void pos_till_journal_close(const struct pos_till *till, struct pos_result *res,
                            const char *outcome)
{
    const char *dir = till->cfg->state_dir;
    if (pos_journal_finish(dir, res->txn_id, outcome, till->batch) != CPN_OK) {
        pos_result_detail(res, "the journal could not record the answer: %s", strerror(errno));
        return;
    }
    if (!till->batch && pos_journal_compact(dir, till->cfg->journal_max_bytes, NULL) != CPN_OK)
        pos_result_detail(res, "the journal could not be compacted: %s", strerror(errno));
}

/* Copies the API's failure MESSAGE into BUF (SIZE bytes) without its advice to try again (for a
 * journaled call, trying again means settling the pending txn, which the caller says). */
static void without_try_again(char *buf, size_t size, const char *message)
{
    snprintf(buf, size, "%s", message);
    /* TRANSLATORS: must be the same words as in the sentences of a failed call (api.c) */
    char *advice = strstr(buf, _("; please try again"));
    if (advice != NULL && (size_t)(advice - buf) + 2 <= size) {
        advice[0] = '.';
        advice[1] = '\0';
    }
}

void pos_till_journaled_failure(const struct pos_till *till, enum cpn_err err, long status,
                                const json_t *answer, struct pos_result *res)
{
    pos_result_call_failed(till, err, status, _("REFUSED: "), res);
    bool definite = status >= 200 && status < 500 && status != 408 && status != 429;
    if (definite) {
        const char *code = json_string_value(json_object_get(answer, "error"));
        char outcome[64];
        snprintf(outcome, sizeof outcome, "%.40s %ld", code != NULL ? code : "http", status);
        pos_till_journal_close(till, res, outcome);
        return;
    }
    if (status == 0 && pos_api_unsent(till->api) && !res->resolving) {
        /* The request never left the till: nothing can have been booked under this txn (unless
         * it is the retry of an earlier attempt, which may have arrived: that stays pending). */
        pos_till_journal_close(till, res, "unsent 0");
        return;
    }
    res->pending = true;
    char message[POS_LINE_SIZE / 2];
    without_try_again(message, sizeof message, pos_api_message(till->api));
    if (res->resolving) {
        pos_result_line(res, _("NO ANSWER: %s"), message); /* the caller says what stays pending */
        return;
    }
    pos_result_line(res,
                    _("%s Txn %s is kept pending: run pos-client retry to settle it (it books at "
                      "most once)."),
                    message, res->txn_id);
}

json_t *pos_till_journaled_void(struct pos_till *till, const char *kind, int64_t id,
                                const char *path, const char *txn, struct pos_result *res)
{
    pos_result_init(res);
    struct pos_journal_entry e = {.amount = 0};
    snprintf(e.kind, sizeof e.kind, "%s", kind);
    snprintf(e.subject, sizeof e.subject, "%" PRId64, id);
    if (!pos_till_journal_open(till, &e, txn, res))
        return NULL;
    json_t *body = json_pack("{s:s}", "txn_id", res->txn_id);
    if (body == NULL) {
        pos_result_no_memory(res);
        pos_till_journal_close(till, res, "unsent 0");
        return NULL;
    }
    long status;
    json_t *answer;
    enum cpn_err err = pos_till_call(till, "POST", path, body, &status, &answer);
    if (err != CPN_OK) {
        pos_till_journaled_failure(till, err, status, answer, res);
        json_decref(answer);
        return NULL;
    }
    /* "voided r=ID" (a redemption) or "voided t=ID" (a card transaction), with what the service
     * says of it: its discount and campaign or its points, and when it was voided. */
    char outcome[POS_JOURNAL_OUTCOME_MAX], more[160] = "";
    int64_t v;
    size_t n = 0;
    bool card = strcmp(kind, "card_void") == 0;
    if (pos_till_get_int(answer, card ? "points" : "discount_cents", &v) && n < sizeof more)
        n += (size_t)snprintf(more + n, sizeof more - n, " %s=%" PRId64, card ? "p" : "d", v);
    if (!card && pos_till_get_int(answer, "campaign_id", &v) && n < sizeof more)
        n += (size_t)snprintf(more + n, sizeof more - n, " c=%" PRId64, v);
    const char *at = pos_till_get_time(answer, "voided_at");
    if (at != NULL && n < sizeof more)
        snprintf(more + n, sizeof more - n, " at=%.32s", at);
    snprintf(outcome, sizeof outcome, "voided %s=%" PRId64 "%s", card ? "t" : "r", id, more);
    pos_till_journal_close(till, res, outcome);
    if (answer == NULL)
        answer = json_object();
    return answer;
}
