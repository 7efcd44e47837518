/* Issuing coupons in one transaction: begin (lock the serial counter, record the batch),
 * COPY the rows, finish (advance the counter, count them), commit. */
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_coupons.h"
#include "issue.h"
#include "log.h"

void issue_result_clear(struct issue_result *r)
{
    free(r->serials);
    memset(r, 0, sizeof *r);
}

enum cpn_err issue_clean_serials(int64_t first, size_t n, uint32_t *out, int64_t *last)
{
    int64_t s = first;
    size_t got = 0;
    char text[CPN_SHORT_LEN + 1];
    while (got < n) {
        if (s > UINT32_MAX)
            return CPN_ERR_CAMPAIGN_EXHAUSTED;
        bool clean = false;
        enum cpn_err err = codes_short(CPN_KIND_COUPON, (uint32_t)s, text, &clean);
        if (err != CPN_OK)
            return err;
        if (clean)
            out[got++] = (uint32_t)s;
        s++;
    }
    *last = s - 1;
    return CPN_OK;
}

static enum cpn_err db_err(int rc)
{
    return rc == DB_SOFT_ERROR ? CPN_ERR_UNAVAILABLE : CPN_ERR_INTERNAL;
}

enum cpn_err issue_coupons(const struct issue_request *req, struct issue_result *out)
{
    memset(out, 0, sizeof *out);
    out->serials = malloc((size_t)req->count * sizeof *out->serials);
    if (out->serials == NULL)
        return CPN_ERR_NO_MEMORY;
    int rc = db_command("BEGIN");
    if (rc != DB_NO_RESULTS) {
        issue_result_clear(out);
        return db_err(rc);
    }
    struct issue_begin b;
    enum cpn_err err = CPN_OK;
    rc = db_coupon_issue_begin(req->campaign, req->count, req->max_uses, req->card_serial,
                               req->request_key, req->created_by, &b);
    if (rc != DB_ONE_RESULT)
        err = db_err(rc);
    else if (b.status == ISSUE_NOT_FOUND)
        err = CPN_ERR_NOT_FOUND;
    else if (b.status == ISSUE_CONFLICT)
        err = CPN_ERR_CONFLICT;
    int64_t last = 0;
    if (err == CPN_OK) {
        /* A replay derives the same serials from the batch's range again. */
        err = issue_clean_serials(b.first_serial, (size_t)req->count, out->serials, &last);
    }
    if (err == CPN_OK && b.status == ISSUE_OK) {
        rc = db_coupon_copy(out->serials, (size_t)req->count, req->campaign, b.batch_id,
                            req->max_uses, req->card_serial);
        if (rc == DB_NO_RESULTS)
            rc = db_coupon_issue_finish(b.batch_id, last, req->count);
        if (rc < 0)
            err = db_err(rc);
    }
    if (err == CPN_OK) {
        rc = db_command("COMMIT");
        if (rc != DB_NO_RESULTS)
            err = db_err(rc);
    } else {
        if (db_command("ROLLBACK") != DB_NO_RESULTS)
            log_msg(LOG_WARN, "rollback of a failed issue failed; the connection is reset");
    }
    if (err != CPN_OK) {
        issue_result_clear(out);
        return err;
    }
    out->replay = b.status == ISSUE_REPLAY;
    out->batch_id = b.batch_id;
    out->count = (size_t)req->count;
    out->terms.campaign = (uint32_t)req->campaign;
    out->terms.expiry = b.ends_at > 0 && b.ends_at <= UINT32_MAX ? (uint32_t)b.ends_at : 0;
    out->terms.offer_kind = codes_offer_kind(b.offer_kind);
    out->terms.offer_value = b.offer_value <= UINT32_MAX ? (uint32_t)b.offer_value : UINT32_MAX;
    out->terms.min_basket_cents =
        b.min_basket_cents <= UINT32_MAX ? (uint32_t)b.min_basket_cents : UINT32_MAX;
    return CPN_OK;
}
