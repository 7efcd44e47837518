/* Coupon stored-function calls, the bulk COPY of issued coupons, and the export cursor. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_coupons.h"
#include "log.h"

static int64_t as_i64(const PGresult *res, int col)
{
    return PQgetisnull(res, 0, col) ? 0 : strtoll(PQgetvalue(res, 0, col), NULL, 10);
}

int db_coupon_issue_begin(int64_t campaign, int count, int max_uses, int64_t card_serial,
                          const char *request_key, const char *created_by, int max_per_card,
                          struct issue_begin *out)
{
    char c[24], n[16], m[16], card[24], per_card[16];
    snprintf(c, sizeof c, "%" PRId64, campaign);
    snprintf(n, sizeof n, "%d", count);
    snprintf(m, sizeof m, "%d", max_uses);
    snprintf(card, sizeof card, "%" PRId64, card_serial);
    snprintf(per_card, sizeof per_card, "%d", max_per_card);
    const char *params[] = {c,
                            n,
                            m,
                            card_serial > 0 ? card : NULL,
                            request_key,
                            created_by,
                            max_per_card > 0 ? per_card : NULL};
    PGresult *res = NULL;
    memset(out, 0, sizeof *out);
    int rc = db_query("coupon_issue_begin", 7, params, &res);
    if (rc == DB_ONE_RESULT) {
        const char *status = PQgetvalue(res, 0, 0);
        out->status = strcmp(status, "ok") == 0           ? ISSUE_OK
                      : strcmp(status, "replay") == 0     ? ISSUE_REPLAY
                      : strcmp(status, "conflict") == 0   ? ISSUE_CONFLICT
                      : strcmp(status, "no_serials") == 0 ? ISSUE_NO_SERIALS
                                                          : ISSUE_NOT_FOUND;
        out->batch_id = as_i64(res, 1);
        out->first_serial = as_i64(res, 2);
        out->last_serial = as_i64(res, 3);
        out->ends_at = as_i64(res, 5);
        snprintf(out->offer_kind, sizeof out->offer_kind, "%s", PQgetvalue(res, 0, 6));
        out->offer_value = as_i64(res, 7);
        out->min_basket_cents = as_i64(res, 8);
    }
    PQclear(res);
    return rc;
}

/* A COPY of coupon rows in progress: the fixed tail of every row, a send buffer. */
struct db_copy {
    PGconn *conn;
    char tail[96];
    size_t tail_len;
    char *buf;
    size_t len, cap;
    bool failed;
};

struct db_copy *db_coupon_copy_begin(int64_t campaign, int64_t batch, int max_uses,
                                     int64_t card_serial)
{
    PGconn *conn = db_conn();
    struct db_copy *c = conn != NULL ? calloc(1, sizeof *c) : NULL;
    if (c == NULL)
        return NULL;
    c->conn = conn;
    c->cap = 1 << 18;
    c->buf = malloc(c->cap);
    int tlen =
        card_serial > 0
            ? snprintf(c->tail, sizeof c->tail, "\t%" PRId64 "\t%" PRId64 "\t%d\t%" PRId64 "\n",
                       campaign, batch, max_uses, card_serial)
            : snprintf(c->tail, sizeof c->tail, "\t%" PRId64 "\t%" PRId64 "\t%d\t\\N\n", campaign,
                       batch, max_uses);
    c->tail_len = tlen > 0 && (size_t)tlen < sizeof c->tail ? (size_t)tlen : 0;
    PGresult *res = c->buf != NULL && c->tail_len > 0
                        ? PQexec(conn, "COPY coupons (serial, campaign_id, batch_id, max_uses,"
                                       " card_serial) FROM STDIN")
                        : NULL;
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        log_msg(LOGL_ERROR, "COPY coupons failed: %s",
                res != NULL ? PQresultErrorMessage(res) : "out of memory");
        PQclear(res);
        free(c->buf);
        free(c);
        return NULL;
    }
    PQclear(res);
    return c;
}

int db_coupon_copy_rows(struct db_copy *c, const uint32_t *serials, const uint32_t *cards, size_t n)
{
    for (size_t i = 0; !c->failed && i < n; i++) {
        /* room for a serial and a per-coupon card (11 digits each, with their tabs) */
        if (c->len + 32 + c->tail_len > c->cap) {
            c->failed = PQputCopyData(c->conn, c->buf, (int)c->len) != 1;
            c->len = 0;
        }
        c->len += (size_t)snprintf(c->buf + c->len, c->cap - c->len, "%" PRIu32, serials[i]);
        if (cards != NULL) {
            /* A mailing: every coupon bound to its own card (the tail ends in \N\n). */
            memcpy(c->buf + c->len, c->tail, c->tail_len - 3);
            c->len += c->tail_len - 3;
            c->len += (size_t)snprintf(c->buf + c->len, c->cap - c->len, "%" PRIu32 "\n", cards[i]);
            continue;
        }
        memcpy(c->buf + c->len, c->tail, c->tail_len);
        c->len += c->tail_len;
    }
    return c->failed ? DB_HARD_ERROR : DB_NO_RESULTS;
}

int db_coupon_copy_end(struct db_copy *c, bool keep)
{
    if (keep && !c->failed && c->len > 0)
        c->failed = PQputCopyData(c->conn, c->buf, (int)c->len) != 1;
    bool ok = keep && !c->failed;
    if (PQputCopyEnd(c->conn, ok ? NULL : "coupond: issue aborted") != 1)
        ok = false;
    int rc = DB_NO_RESULTS;
    PGresult *res;
    while ((res = PQgetResult(c->conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            if (keep)
                log_msg(LOGL_ERROR, "COPY coupons failed: %s", PQresultErrorMessage(res));
            rc = DB_HARD_ERROR;
        }
        PQclear(res);
    }
    free(c->buf);
    free(c);
    return ok ? rc : DB_HARD_ERROR;
}

struct db_cancel {
    PGcancel *cancel;
};

struct db_cancel *db_cancel_new(void)
{
    PGconn *conn = db_conn();
    struct db_cancel *c = conn != NULL ? calloc(1, sizeof *c) : NULL;
    if (c == NULL)
        return NULL;
    c->cancel = PQgetCancel(conn);
    if (c->cancel == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

void db_cancel_send(struct db_cancel *c)
{
    char err[256];
    if (c != NULL && PQcancel(c->cancel, err, sizeof err) != 1)
        log_msg(LOGL_WARN, "could not cancel a running statement: %s", err);
}

void db_cancel_free(struct db_cancel *c)
{
    if (c == NULL)
        return;
    PQfreeCancel(c->cancel);
    free(c);
}

int db_coupon_batch_serials(int64_t batch, int64_t first, int64_t last, uint32_t *out, size_t n)
{
    char b[24], f[24], l[24];
    snprintf(b, sizeof b, "%" PRId64, batch);
    snprintf(f, sizeof f, "%" PRId64, first);
    snprintf(l, sizeof l, "%" PRId64, last);
    const char *params[] = {b, f, l};
    PGresult *res = NULL;
    int rc = db_query("coupon_batch_serials", 3, params, &res);
    if (rc >= 0 && (size_t)rc != n) {
        log_msg(LOGL_ERROR, "batch %" PRId64 " holds %d coupons, not %zu", batch, rc, n);
        rc = DB_HARD_ERROR;
    } else if (rc >= 0) {
        for (size_t i = 0; i < n; i++)
            out[i] = (uint32_t)strtoul(PQgetvalue(res, (int)i, 0), NULL, 10);
        rc = DB_ONE_RESULT;
    }
    PQclear(res);
    return rc;
}

int db_coupon_issue_finish(int64_t batch, int64_t last_serial, int count)
{
    char b[24], l[24], n[16];
    snprintf(b, sizeof b, "%" PRId64, batch);
    snprintf(l, sizeof l, "%" PRId64, last_serial);
    snprintf(n, sizeof n, "%d", count);
    const char *params[] = {b, l, n};
    PGresult *res = NULL;
    int rc = db_query("coupon_issue_finish", 3, params, &res);
    PQclear(res);
    return rc;
}

int db_coupon_get(int64_t serial, char **json)
{
    char s[24];
    snprintf(s, sizeof s, "%" PRId64, serial);
    const char *params[] = {s};
    PGresult *res = NULL;
    *json = NULL;
    int rc = db_query_retry("coupon_get", 1, params, &res);
    if (rc == DB_ONE_RESULT) {
        *json = strdup(PQgetvalue(res, 0, 0));
        if (*json == NULL)
            rc = DB_HARD_ERROR;
    }
    PQclear(res);
    return rc;
}

int db_terms(int64_t campaign, int64_t serial, struct coupon_terms *terms, uint32_t *card_serial)
{
    char a[24];
    snprintf(a, sizeof a, "%" PRId64, serial != 0 ? serial : campaign);
    const char *params[] = {a};
    PGresult *res = NULL;
    int rc = db_query_retry(serial != 0 ? "coupon_terms" : "campaign_terms", 1, params, &res);
    if (rc == DB_ONE_RESULT) {
        int col = 0;
        memset(terms, 0, sizeof *terms);
        *card_serial = 0;
        if (serial != 0) {
            campaign = as_i64(res, 0);
            *card_serial = (uint32_t)as_i64(res, 1);
            col = 2;
        }
        int64_t ends = as_i64(res, col);
        terms->campaign = (uint32_t)campaign;
        terms->expiry = ends > 0 && ends <= UINT32_MAX ? (uint32_t)ends : 0;
        terms->offer_kind = codes_offer_kind(PQgetvalue(res, 0, col + 1));
        terms->offer_value = (uint32_t)as_i64(res, col + 2);
        terms->min_basket_cents = (uint32_t)as_i64(res, col + 3);
    }
    PQclear(res);
    return rc;
}

struct db_export {
    PGconn *conn;
};

struct db_export *db_export_open(int64_t campaign, int64_t batch)
{
    struct db_export *e = calloc(1, sizeof *e);
    if (e == NULL)
        return NULL;
    e->conn = db_connect_new();
    if (e->conn == NULL) {
        free(e);
        return NULL;
    }
    char c[24], b[24];
    snprintf(c, sizeof c, "%" PRId64, campaign);
    snprintf(b, sizeof b, "%" PRId64, batch);
    const char *params[] = {c, batch > 0 ? b : NULL};
    PGresult *res = PQexec(e->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (ok) {
        res = PQexecParams(
            e->conn,
            "DECLARE export NO SCROLL CURSOR FOR"
            " SELECT cp.serial, cp.uses, cp.max_uses, cp.card_serial, b.issued"
            "   FROM (SELECT id, campaign_id, first_serial, last_serial,"
            "                rfc3339(issued_at) AS issued"
            "           FROM coupon_batches WHERE campaign_id = $1::bigint"
            "            AND ($2::bigint IS NULL OR id = $2::bigint)"
            "          ORDER BY id OFFSET 0) b"
            "   JOIN LATERAL (SELECT serial, uses, max_uses, card_serial FROM coupons"
            "                  WHERE serial BETWEEN b.first_serial AND b.last_serial"
            "                    AND campaign_id = b.campaign_id ORDER BY serial) cp ON true",
            2, NULL, params, NULL, NULL, 0);
        ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        if (!ok)
            log_msg(LOGL_ERROR, "export cursor failed: %s", PQresultErrorMessage(res));
        PQclear(res);
    }
    if (!ok) {
        db_export_close(e);
        return NULL;
    }
    return e;
}

int db_export_fetch(struct db_export *e, int rows, PGresult **res)
{
    char fetch[40];
    snprintf(fetch, sizeof fetch, "FETCH %d FROM export", rows > 0 ? rows : 1);
    *res = PQexec(e->conn, fetch);
    if (PQresultStatus(*res) != PGRES_TUPLES_OK) {
        log_msg(LOGL_ERROR, "export fetch failed: %s", PQresultErrorMessage(*res));
        PQclear(*res);
        *res = NULL;
        return DB_HARD_ERROR;
    }
    return PQntuples(*res);
}

void db_export_close(struct db_export *e)
{
    if (e == NULL)
        return;
    if (e->conn != NULL)
        PQfinish(e->conn); /* ends the read-only transaction */
    free(e);
}
