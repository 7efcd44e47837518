/* The journal around a till's money-moving call: an entry opened before the call goes out (under a
 * new txn id, or the one of an identical call that got no answer), closed once the service has
 * given a definite answer, and left pending when it has not. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "till_internal.h"

bool pos_till_journal_open(const struct pos_till *till, const char *kind, const char *jcode,
                           int64_t amount, const char *txn, struct pos_result *res)
{
    const char *dir = till->cfg->state_dir;
    enum cpn_err err;
    if (txn != NULL) {
        if (!pos_journal_txn_id_valid(txn)) {
            res->exit = POS_EXIT_USAGE;
            res->err = CPN_ERR_BAD_REQUEST;
            pos_result_line(
                res, "pos-client: a txn id is 1 to %d letters, digits, '_' or '-', not '%.80s'",
                POS_TXN_ID_MAX, txn);
            return false;
        }
        snprintf(res->txn_id, sizeof res->txn_id, "%s", txn);
        err = pos_journal_record_begin(dir, txn, kind, jcode, amount);
    } else {
        err = pos_journal_find_pending(dir, kind, jcode, amount, res->txn_id);
        if (err == CPN_OK) {
            pos_result_detail(res, "txn %s reused from an earlier attempt that got no answer",
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
    pos_result_line(res,
                    "This till cannot write its journal in %s (%s): nothing was sent; please call "
                    "IT.",
                    dir, err == CPN_ERR_IO ? strerror(errno) : "out of memory or a bad entry");
    return false;
}

void pos_till_journal_close(const struct pos_till *till, struct pos_result *res,
                            const char *outcome)
{
    if (pos_journal_finish(till->cfg->state_dir, res->txn_id, outcome) != CPN_OK)
        pos_result_detail(res, "the journal could not record the answer: %s", strerror(errno));
}

void pos_till_journaled_failure(const struct pos_till *till, enum cpn_err err, long status,
                                const json_t *answer, const char *again, struct pos_result *res)
{
    pos_result_call_failed(till, err, status, "REFUSED: ", res);
    bool definite = status >= 200 && status < 500 && status != 408 && status != 429;
    if (definite) {
        const char *code = json_string_value(json_object_get(answer, "error"));
        char outcome[64];
        snprintf(outcome, sizeof outcome, "%.40s %ld", code != NULL ? code : "http", status);
        pos_till_journal_close(till, res, outcome);
        return;
    }
    res->pending = true;
    if (err == CPN_ERR_TIMEOUT)
        pos_result_line(res, "%s", again);
}

json_t *pos_till_journaled_void(struct pos_till *till, const char *kind, const char *jcode,
                                const char *path, const char *timeout_sentence, const char *txn,
                                struct pos_result *res)
{
    pos_result_init(res);
    if (!pos_till_journal_open(till, kind, jcode, 0, txn, res))
        return NULL;
    json_t *body = json_pack("{s:s}", "txn_id", res->txn_id);
    if (body == NULL) {
        pos_result_no_memory(res);
        return NULL;
    }
    long status;
    json_t *answer;
    enum cpn_err err = pos_till_call(till, "POST", path, body, &status, &answer);
    if (err != CPN_OK) {
        pos_till_journaled_failure(till, err, status, answer, timeout_sentence, res);
        json_decref(answer);
        return NULL;
    }
    pos_till_journal_close(till, res, "voided");
    if (answer == NULL)
        answer = json_object();
    return answer;
}
