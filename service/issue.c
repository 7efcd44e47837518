/* Issuing coupons in one transaction: begin (lock the serial counter, record the batch, or
 * refuse when the serials left are too few), COPY the rows, finish (advance the counter,
 * count them), commit; stopped and rolled back when the caller cancels it. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "db_coupons.h"
#include "issue.h"
#include "log.h"

void issue_result_clear(struct issue_result *r)
{
    free(r->serials);
    memset(r, 0, sizeof *r);
}

/* One thread's share of the candidate serials: marks which are clean. */
struct clean_job {
    int64_t first;
    size_t start, stride, n;
    uint8_t *clean;
    enum cpn_err err;
};

static void *mark_clean(void *arg)
{
    struct clean_job *j = arg;
    char text[CPN_SHORT_LEN + 1];
    for (size_t i = j->start; i < j->n && j->err == CPN_OK; i += j->stride) {
        bool clean = false;
        j->err = codes_short(CPN_KIND_COUPON, (uint32_t)(j->first + (int64_t)i), text, &clean);
        j->clean[i] = clean;
    }
    return NULL;
}

#define CLEAN_THREADS 8

/* Marks N candidates from FIRST as clean or not, on NTHREADS threads (0: all cores). */
static enum cpn_err mark_candidates(int64_t first, size_t n, uint8_t *clean, unsigned nthreads)
{
    long ncpu = nthreads > 0 ? (long)nthreads : sysconf(_SC_NPROCESSORS_ONLN);
    size_t t = n < 4096 || ncpu < 2 ? 1 : ncpu > CLEAN_THREADS ? CLEAN_THREADS : (size_t)ncpu;
    struct clean_job jobs[CLEAN_THREADS];
    pthread_t threads[CLEAN_THREADS];
    bool started[CLEAN_THREADS] = {false};
    for (size_t k = 0; k < t; k++) {
        jobs[k] = (struct clean_job){first, k, t, n, clean, CPN_OK};
        started[k] = k > 0 && pthread_create(&threads[k], NULL, mark_clean, &jobs[k]) == 0;
    }
    mark_clean(&jobs[0]);
    for (size_t k = 1; k < t; k++) {
        if (started[k])
            pthread_join(threads[k], NULL);
        else
            mark_clean(&jobs[k]);
    }
    for (size_t k = 0; k < t; k++)
        if (jobs[k].err != CPN_OK)
            return jobs[k].err;
    return CPN_OK;
}

enum cpn_err issue_clean_serials(int64_t first, size_t n, uint32_t *out, int64_t *last,
                                 unsigned threads)
{
    size_t got = 0;
    int64_t next = first;
    while (got < n) {
        /* About 3% of codes fail the word filter: look at a few more than needed. */
        size_t want = n - got;
        size_t span = want + want / 16 + 64;
        if (next > UINT32_MAX)
            return CPN_ERR_NO_SERIALS;
        if ((int64_t)span > (int64_t)UINT32_MAX - next + 1)
            span = (size_t)((int64_t)UINT32_MAX - next + 1);
        uint8_t *clean = malloc(span);
        if (clean == NULL)
            return CPN_ERR_NO_MEMORY;
        enum cpn_err err = mark_candidates(next, span, clean, threads);
        for (size_t i = 0; err == CPN_OK && i < span && got < n; i++) {
            if (clean[i])
                out[got++] = (uint32_t)(next + (int64_t)i);
            if (got == n)
                *last = next + (int64_t)i;
        }
        free(clean);
        if (err != CPN_OK)
            return err;
        next += (int64_t)span;
    }
    return CPN_OK;
}

/* Below this many serials left, every issue logs a warning (about 5% of the space). */
#define SERIALS_LOW 200000000LL

static enum cpn_err db_err(int rc)
{
    return rc == DB_SOFT_ERROR ? CPN_ERR_UNAVAILABLE : CPN_ERR_INTERNAL;
}

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
    out->replay = b->status == ISSUE_REPLAY;
    out->batch_id = b->batch_id;
    out->count = (size_t)req->count;
    out->terms.campaign = (uint32_t)req->campaign;
    out->terms.expiry = b->ends_at > 0 && b->ends_at <= UINT32_MAX ? (uint32_t)b->ends_at : 0;
    out->terms.offer_kind = codes_offer_kind(b->offer_kind);
    out->terms.offer_value = b->offer_value <= UINT32_MAX ? (uint32_t)b->offer_value : UINT32_MAX;
    out->terms.min_basket_cents =
        b->min_basket_cents <= UINT32_MAX ? (uint32_t)b->min_basket_cents : UINT32_MAX;
}

/* Rows per piece of a new issue: about 20 ms of work for the word filter on one core. */
#define ISSUE_PIECE 16384

/* Works out the clean serials of a new issue piece by piece on this one thread, sending each
 * piece to the COPY while PostgreSQL stores the one before (the COPY's socket paces us).
 * Returns CPN_OK with OUT->serials filled and *LAST the last serial looked at, or the
 * refusal (the COPY is aborted: the caller rolls back). */
static enum cpn_err copy_new_serials(const struct issue_request *req, const struct issue_begin *b,
                                     struct issue_result *out, int64_t *last)
{
    struct db_copy *copy =
        db_coupon_copy_begin(req->campaign, b->batch_id, req->max_uses, req->card_serial);
    if (copy == NULL)
        return cancelled(req) ? CPN_ERR_UNAVAILABLE : CPN_ERR_INTERNAL;
    enum cpn_err err = CPN_OK;
    int64_t next = b->first_serial;
    for (size_t done = 0, n; err == CPN_OK && done < (size_t)req->count; done += n) {
        n = (size_t)req->count - done < ISSUE_PIECE ? (size_t)req->count - done : ISSUE_PIECE;
        err = issue_clean_serials(next, n, out->serials + done, last, 1);
        if (err == CPN_OK && cancelled(req))
            err = CPN_ERR_UNAVAILABLE;
        if (err == CPN_OK &&
            db_coupon_copy_rows(copy, out->serials + done,
                                req->cards != NULL ? req->cards + done : NULL, n) != DB_NO_RESULTS)
            err = CPN_ERR_INTERNAL;
        next = *last + 1;
    }
    if (err == CPN_ERR_NO_SERIALS)
        out->serials_left = ISSUE_SERIAL_END - b->first_serial;
    int rc = db_coupon_copy_end(copy, err == CPN_OK);
    if (err == CPN_OK && rc != DB_NO_RESULTS)
        err = CPN_ERR_INTERNAL;
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
        return cancelled(req) ? CPN_ERR_UNAVAILABLE : db_err(rc);
    if (b->status == ISSUE_NOT_FOUND)
        return CPN_ERR_NOT_FOUND;
    if (b->status == ISSUE_CONFLICT)
        return CPN_ERR_CONFLICT;
    if (b->status == ISSUE_NO_SERIALS) {
        out->serials_left = ISSUE_SERIAL_END - b->first_serial;
        return CPN_ERR_NO_SERIALS;
    }
    if (cancelled(req))
        return CPN_ERR_UNAVAILABLE;
    if (b->status == ISSUE_REPLAY) {
        /* A replay answers with the batch's own serials, read back: deriving them again would
         * differ after a MAC key rotation (the word filter looks at the short form). */
        rc = db_coupon_batch_serials(b->batch_id, b->first_serial, b->last_serial, out->serials,
                                     (size_t)req->count);
        return rc == DB_ONE_RESULT ? CPN_OK : cancelled(req) ? CPN_ERR_UNAVAILABLE : db_err(rc);
    }
    /* The serials from here on are the current MAC key's (refused if a newer one is in use). */
    enum cpn_err err = codes_claim(CPN_KIND_COUPON);
    if (err != CPN_OK)
        return err;
    double t0 = now_s();
    int64_t last = 0;
    err = copy_new_serials(req, b, out, &last);
    if (err != CPN_OK)
        return err;
    rc = db_coupon_issue_finish(b->batch_id, last, req->count);
    if (rc < 0)
        return cancelled(req) ? CPN_ERR_UNAVAILABLE : db_err(rc);
    log_msg(req->count >= 10000 ? LOG_INFO : LOG_DEBUG,
            "issued %d coupons for campaign %lld in %.2f s", req->count, (long long)req->campaign,
            now_s() - t0);
    out->serials_left = ISSUE_SERIAL_END - (last + 1);
    return cancelled(req) ? CPN_ERR_UNAVAILABLE : CPN_OK;
}

enum cpn_err issue_coupons(const struct issue_request *req, struct issue_result *out)
{
    memset(out, 0, sizeof *out);
    if (cancelled(req))
        return CPN_ERR_UNAVAILABLE;
    out->serials = malloc((size_t)req->count * sizeof *out->serials);
    if (out->serials == NULL)
        return CPN_ERR_NO_MEMORY;
    int rc = db_command("BEGIN");
    if (rc != DB_NO_RESULTS) {
        issue_result_clear(out);
        return db_err(rc);
    }
    struct issue_begin b;
    memset(&b, 0, sizeof b);
    enum cpn_err err = issue_in_transaction(req, &b, out);
    if (err == CPN_OK) {
        rc = db_command("COMMIT");
        if (rc != DB_NO_RESULTS)
            err = db_err(rc);
    } else if (db_command("ROLLBACK") != DB_NO_RESULTS) {
        log_msg(LOG_WARN, "rollback of a failed issue failed; the connection is reset");
    }
    if (err != CPN_OK) {
        int64_t left = out->serials_left;
        issue_result_clear(out);
        out->serials_left = left;
        return err;
    }
    if (b.status == ISSUE_OK && out->serials_left < SERIALS_LOW)
        log_msg(LOG_WARN, "only %lld coupon serials are left for new issues",
                (long long)out->serials_left);
    fill_result(req, &b, out);
    return CPN_OK;
}
