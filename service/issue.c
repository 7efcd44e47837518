/* Issuing coupons in one transaction: begin (lock the serial counter, record the batch, or
 * refuse when the serials left are too few), COPY the rows piece by piece with pauses
 * (issue_pace), finish (advance the counter, count them), commit; stopped and rolled back
 * when the caller cancels it. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "db_coupons.h"
#include "issue.h"
#include "issue_pace.h"
#include "log.h"
#include "serials.h"

void issue_result_clear(struct issue_result *r)
{
    free(r->serials);
    memset(r, 0, sizeof *r);
}

/* Below this many serials left, every issue logs a warning (about 5% of the space). */
#define SERIALS_LOW 200000000LL

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool cancelled(const struct issue_request *req)
{
    return req->cancel != NULL && atomic_load(req->cancel);
}

/* Fills OUT's answer fields from REQ and the begin step's B. */
static void fill_result(const struct issue_request *req, const struct issue_begin *b,
                        struct issue_result *out)
{
    out->replay = b->status == DBW_REPLAY;
    out->batch_id = b->batch_id;
    out->count = (size_t)req->count;
    out->terms.campaign = (uint32_t)req->campaign;
    out->terms.expiry = b->ends_at > 0 && b->ends_at <= UINT32_MAX ? (uint32_t)b->ends_at : 0;
    out->terms.offer_kind = codes_offer_kind(b->offer_kind);
    out->terms.offer_value = b->offer_value <= UINT32_MAX ? (uint32_t)b->offer_value : UINT32_MAX;
    out->terms.min_basket_cents =
        b->min_basket_cents <= UINT32_MAX ? (uint32_t)b->min_basket_cents : UINT32_MAX;
}

/* Rows per piece of a new issue: one COPY statement each, some 10 ms of PostgreSQL's work
 * and 0.4 MB of WAL, so that a pause after it (issue_pace) leaves the tills' commits little
 * WAL to flush and the CPU to themselves. */
#define ISSUE_PIECE 4096

/* Starts the COPY of the N serials (and CARDS, when not NULL) of one piece in a COPY
 * statement of its own and sends it whole (db_coupon_copy_send): PostgreSQL stores it while
 * the caller works out the next piece. Returns the COPY, to be ended by piece_stored, or NULL
 * with *ERR set. */
static struct db_copy *piece_sent(const struct issue_request *req, const struct issue_begin *b,
                                  const uint32_t *serials, const uint32_t *cards, size_t n,
                                  enum cpn_err *err)
{
    struct db_copy *copy =
        db_coupon_copy_begin(req->campaign, b->batch_id, req->max_uses, req->card_serial);
    if (copy == NULL) {
        *err = cancelled(req) ? CPN_ERR_UNAVAILABLE : CPN_ERR_INTERNAL;
        return NULL;
    }
    if (db_coupon_copy_rows(copy, serials, cards, n) == DB_NO_RESULTS &&
        db_coupon_copy_send(copy) == DB_NO_RESULTS)
        return copy;
    /* Aborted (DB_HARD_ERROR): nothing of the piece is kept, and the caller rolls back. */
    bool aborted = db_coupon_copy_end(copy, false) == DB_HARD_ERROR;
    *err = aborted && cancelled(req) ? CPN_ERR_UNAVAILABLE : CPN_ERR_INTERNAL;
    return NULL;
}

/* Waits until PostgreSQL stored the piece COPY (when ERR is CPN_OK; otherwise ends it
 * unkept) and returns ERR, or the COPY's refusal. */
static enum cpn_err piece_stored(const struct issue_request *req, struct db_copy *copy,
                                 enum cpn_err err)
{
    int rc = db_coupon_copy_end(copy, err == CPN_OK);
    if (err != CPN_OK || rc == DB_NO_RESULTS)
        return err;
    return cancelled(req) ? CPN_ERR_UNAVAILABLE : CPN_ERR_INTERNAL;
}

/* Sleeps S seconds (less than one). */
static void pause_s(double s)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(s * 1e9)};
    if (ts.tv_nsec > 0)
        nanosleep(&ts, NULL);
}

/* Works out the clean serials of a new issue piece by piece on this one thread and COPYs each
 * piece. At full speed (no till served lately) it works out the next piece while PostgreSQL
 * stores the last one (measured: a 10^6 issue in 1.3 s instead of 2.2 s; coupond and
 * PostgreSQL each take about 1.1 s of CPU). While tills are being served it waits for each
 * piece to be stored and pauses after it as issue_pace says (the share read once, as the issue
 * starts), counting its work and time only from when the tills came (no debt from a time
 * nobody waited). Returns CPN_OK with OUT->serials filled and *LAST the last serial looked at,
 * or the refusal (a COPY may have failed: the caller rolls back). */
static enum cpn_err copy_new_serials(const struct issue_request *req, const struct issue_begin *b,
                                     struct issue_result *out, int64_t *last, double *busy_s)
{
    unsigned share = issue_pace_share();
    double busy = 0, paced_start = now_s(), paced_busy = 0;
    enum cpn_err err = CPN_OK;
    int64_t next = b->first_serial;
    struct db_copy *stored = NULL; /* the piece PostgreSQL is storing, or NULL */
    for (size_t done = 0, n; err == CPN_OK && done < (size_t)req->count; done += n) {
        double t0 = now_s();
        n = (size_t)req->count - done < ISSUE_PIECE ? (size_t)req->count - done : ISSUE_PIECE;
        err =
            serials_clean(CPN_KIND_COUPON, next, ISSUE_SERIAL_END, n, out->serials + done, last, 1);
        if (stored != NULL)
            err = piece_stored(req, stored, err);
        stored = NULL;
        if (err == CPN_OK && cancelled(req))
            err = CPN_ERR_UNAVAILABLE;
        if (err == CPN_OK)
            stored = piece_sent(req, b, out->serials + done,
                                req->cards != NULL ? req->cards + done : NULL, n, &err);
        next = *last + 1;
        bool paced = issue_pace_tills_active((long long)(now_s() * 1e9));
        if (paced && stored != NULL) { /* the piece whole, then the pause */
            err = piece_stored(req, stored, err);
            stored = NULL;
        }
        double t1 = now_s();
        busy += t1 - t0;
        if (!paced) {
            paced_start = t1, paced_busy = 0; /* nobody waits: full speed */
            continue;
        }
        paced_busy += t1 - (t0 > paced_start ? t0 : paced_start);
        /* Back on the share before the next piece, ISSUE_PAUSE_MAX at a time. */
        double pause;
        while (err == CPN_OK && done + n < (size_t)req->count && !cancelled(req) &&
               (pause = issue_pace_pause(paced_busy, now_s() - paced_start, share)) > 0)
            pause_s(pause);
    }
    if (stored != NULL)
        err = piece_stored(req, stored, err);
    *busy_s = busy;
    if (err == CPN_ERR_NO_SERIALS)
        out->serials_left = ISSUE_SERIAL_END - b->first_serial;
    return err != CPN_OK && cancelled(req) ? CPN_ERR_UNAVAILABLE : err;
}

/* The steps inside the open transaction: begin, then the serials (new or read back), then
 * the COPY and finish. Returns CPN_OK with OUT->serials filled, or the refusal. */
static enum cpn_err issue_in_transaction(const struct issue_request *req, struct issue_begin *b,
                                         struct issue_result *out)
{
    int rc = db_coupon_issue_begin(req->campaign, req->count, req->max_uses, req->card_serial,
                                   req->request_key, req->created_by, req->max_per_card, b);
    if (rc != DB_ONE_RESULT)
        return cancelled(req) ? CPN_ERR_UNAVAILABLE : db_failure_err(rc);
    switch (b->status) {
    case DBW_OK:
    case DBW_REPLAY:
        break;
    case DBW_NO_SERIALS:
        out->serials_left = ISSUE_SERIAL_END - b->first_serial;
        return CPN_ERR_NO_SERIALS;
    default: /* not_found, conflict */
        return db_word_err(b->status);
    }
    if (cancelled(req))
        return CPN_ERR_UNAVAILABLE;
    if (b->status == DBW_REPLAY) {
        /* A replay answers with the batch's own serials, read back: deriving them again would
         * differ after a MAC key rotation (the word filter looks at the short form). */
        rc = db_coupon_batch_serials(b->batch_id, b->first_serial, b->last_serial, out->serials,
                                     (size_t)req->count);
        return rc == DB_ONE_RESULT ? CPN_OK
               : cancelled(req)    ? CPN_ERR_UNAVAILABLE
                                   : db_failure_err(rc);
    }
    /* The serials from here on are the current MAC key's (refused if a newer one is in use). */
    enum cpn_err err = codes_claim(CPN_KIND_COUPON);
    if (err != CPN_OK)
        return err;
    double t0 = now_s();
    int64_t last = 0;
    double busy = 0;
    err = copy_new_serials(req, b, out, &last, &busy);
    if (err != CPN_OK)
        return err;
    rc = db_coupon_issue_finish(b->batch_id, last, req->count);
    if (rc < 0)
        return cancelled(req) ? CPN_ERR_UNAVAILABLE : db_failure_err(rc);
    log_msg(req->count >= 10000 ? LOGL_INFO : LOGL_DEBUG,
            "issued %d coupons for campaign %lld in %.2f s (working %.2f s of it, pacing to %u %%)",
            req->count, (long long)req->campaign, now_s() - t0, busy, issue_pace_share());
    out->serials_left = ISSUE_SERIAL_END - (last + 1);
    return cancelled(req) ? CPN_ERR_UNAVAILABLE : CPN_OK;
}

/* An issue's transaction: the request, what its begin step answered, the result. */
struct issue_tx {
    const struct issue_request *req;
    struct issue_begin b;
    struct issue_result *out;
};

static enum cpn_err issue_body(void *cls)
{
    struct issue_tx *t = cls;
    return issue_in_transaction(t->req, &t->b, t->out);
}

enum cpn_err issue_coupons(const struct issue_request *req, struct issue_result *out)
{
    memset(out, 0, sizeof *out);
    if (cancelled(req))
        return CPN_ERR_UNAVAILABLE;
    out->serials = malloc((size_t)req->count * sizeof *out->serials);
    if (out->serials == NULL)
        return CPN_ERR_NO_MEMORY;
    struct issue_tx t = {.req = req, .out = out};
    enum cpn_err err = db_transaction("an issue", issue_body, &t);
    if (err != CPN_OK) {
        int64_t left = out->serials_left;
        issue_result_clear(out);
        out->serials_left = left;
        return err;
    }
    if (t.b.status == DBW_OK && out->serials_left < SERIALS_LOW)
        log_msg(LOGL_WARN, "only %lld coupon serials are left for new issues",
                (long long)out->serials_left);
    fill_result(req, &t.b, out);
    return CPN_OK;
}
