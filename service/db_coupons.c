/* Coupon stored-function calls and the bulk COPY of issued coupons (its rows written by hand,
 * no printf family), and the cancel handle of an issuing thread's statement. */
#include <stdlib.h>
#include <string.h>

#include "coupon/decimal.h"
#include "db_coupons.h"
#include "db_internal.h"
#include "log.h"

int db_coupon_issue_begin(int64_t campaign, int count, int max_uses, int64_t card_serial,
                          const char *request_key, const char *created_by, int max_per_card,
                          struct issue_begin *out)
{
    const struct db_param params[] = {db_param_int(campaign),
                                      db_param_int(count),
                                      db_param_int(max_uses),
                                      db_param_int_if(card_serial > 0, card_serial),
                                      db_param_text(request_key),
                                      db_param_text(created_by),
                                      db_param_int_if(max_per_card > 0, max_per_card),
                                      DB_PARAM_END};
    /* A refusal leaves the other columns NULL. */
    const struct db_col cols[] = {
        db_col_word("status", &out->status),
        db_col_null_ok(db_col_i64("batch_id", &out->batch_id)),
        db_col_null_ok(db_col_i64("first_serial", &out->first_serial)),
        db_col_null_ok(db_col_i64("last_serial", &out->last_serial)),
        db_col_null_ok(db_col_i64("ends_at", &out->ends_at)),
        db_col_null_ok(db_col_text("offer_kind", out->offer_kind, sizeof out->offer_kind)),
        db_col_null_ok(db_col_i64("offer_value", &out->offer_value)),
        db_col_null_ok(db_col_i64("min_basket_cents", &out->min_basket_cents)),
        DB_COL_END};
    return db_select_one("coupon_issue_begin", params, cols);
}

/* A COPY of coupon rows in progress: the fixed tail of every row, a send buffer. */
struct db_copy {
    PGconn *conn;
    char tail[96];
    size_t tail_len;
    char *buf;
    size_t len, cap;
    bool failed;
    bool sent; /* db_coupon_copy_send ended it: db_coupon_copy_end only waits */
};

/* Appends "\t" and V (or "\t\\N" when V is not positive) at OUT; returns the bytes written
 * (at most 22). */
static size_t put_field(int64_t v, char *out)
{
    out[0] = '\t';
    if (v > 0)
        return 1 + cpn_decimal(v, out + 1);
    memcpy(out + 1, "\\N", 3);
    return 3;
}

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
    /* The row's tail: campaign, batch, max_uses and the card (\N when none), then the end. */
    size_t n = put_field(campaign, c->tail);
    n += put_field(batch, c->tail + n);
    n += put_field(max_uses, c->tail + n);
    n += put_field(card_serial, c->tail + n);
    c->tail[n++] = '\n';
    c->tail[n] = '\0';
    c->tail_len = n;
    PGresult *res = c->buf != NULL ? PQexec(conn, "COPY coupons (serial, campaign_id, batch_id,"
                                                  " max_uses, card_serial) FROM STDIN")
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
        c->len += cpn_decimal(serials[i], c->buf + c->len);
        if (cards != NULL) {
            /* A mailing: every coupon bound to its own card (the tail ends in \N\n). */
            memcpy(c->buf + c->len, c->tail, c->tail_len - 3);
            c->len += c->tail_len - 3;
            c->len += cpn_decimal(cards[i], c->buf + c->len);
            c->buf[c->len++] = '\n';
            continue;
        }
        memcpy(c->buf + c->len, c->tail, c->tail_len);
        c->len += c->tail_len;
    }
    return c->failed ? DB_HARD_ERROR : DB_NO_RESULTS;
}

/* Sends what C holds and the COPY's end (its rows kept when KEEP, else aborted); returns
 * whether the rows went and the end was sent with KEEP. */
static bool send_end(struct db_copy *c, bool keep)
{
    if (keep && !c->failed && c->len > 0)
        c->failed = PQputCopyData(c->conn, c->buf, (int)c->len) != 1;
    bool ok = keep && !c->failed;
    if (PQputCopyEnd(c->conn, ok ? NULL : "coupond: issue aborted") != 1)
        ok = false;
    c->failed = !ok;
    c->sent = true;
    return ok;
}

int db_coupon_copy_send(struct db_copy *c)
{
    return !c->sent && send_end(c, true) ? DB_NO_RESULTS : DB_HARD_ERROR;
}

int db_coupon_copy_end(struct db_copy *c, bool keep)
{
    bool ok = c->sent ? keep && !c->failed : send_end(c, keep);
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

/* Where db_coupon_batch_serials puts the rows. */
struct serials_out {
    uint32_t serial, *out;
    size_t n;
};

static int take_serial(void *cls, size_t i)
{
    struct serials_out *s = cls;
    if (i >= s->n)
        return -1;
    s->out[i] = s->serial;
    return 0;
}

int db_coupon_batch_serials(int64_t batch, int64_t first, int64_t last, uint32_t *out, size_t n)
{
    const struct db_param params[] = {db_param_int(batch), db_param_int(first), db_param_int(last),
                                      DB_PARAM_END};
    struct serials_out s = {.out = out, .n = n};
    const struct db_col cols[] = {db_col_u32("serial", &s.serial), DB_COL_END};
    int rc = db_select_rows("coupon_batch_serials", params, cols, take_serial, &s);
    if (rc >= 0 && (size_t)rc != n) {
        log_msg(LOGL_ERROR, "batch %lld does not hold %zu coupons", (long long)batch, n);
        rc = DB_HARD_ERROR;
    } else if (rc >= 0) {
        rc = DB_ONE_RESULT;
    }
    return rc;
}

int db_coupon_issue_finish(int64_t batch, int64_t last_serial, int count)
{
    const struct db_param params[] = {db_param_int(batch), db_param_int(last_serial),
                                      db_param_int(count), DB_PARAM_END};
    return db_execute("coupon_issue_finish", params);
}

int db_coupon_get(int64_t serial, char **json)
{
    const struct db_param params[] = {db_param_int(serial), DB_PARAM_END};
    return db_select_text("coupon_get", params, json);
}

int db_terms(int64_t campaign, int64_t serial, struct coupon_terms *terms, uint32_t *card_serial)
{
    const struct db_param params[] = {db_param_int(serial != 0 ? serial : campaign), DB_PARAM_END};
    int64_t ends = 0, campaign_id = campaign;
    char kind[16];
    memset(terms, 0, sizeof *terms);
    *card_serial = 0;
    /* coupon_terms answers the coupon's campaign and card first; campaign_terms does not. */
    const struct db_col all[] = {db_col_i64("campaign_id", &campaign_id),
                                 db_col_null_ok(db_col_u32("card_serial", card_serial)),
                                 db_col_i64("ends_at", &ends),
                                 db_col_text("offer_kind", kind, sizeof kind),
                                 db_col_u32("offer_value", &terms->offer_value),
                                 db_col_u32("min_basket_cents", &terms->min_basket_cents),
                                 DB_COL_END};
    int rc = serial != 0 ? db_select_one("coupon_terms", params, all)
                         : db_select_one("campaign_terms", params, all + 2);
    if (rc != DB_ONE_RESULT)
        return rc;
    if (campaign_id <= 0 || campaign_id > UINT32_MAX) {
        log_msg(LOGL_ERROR, "campaign %lld has no 32-bit id", (long long)campaign_id);
        return DB_HARD_ERROR;
    }
    terms->campaign = (uint32_t)campaign_id;
    terms->expiry = ends > 0 && ends <= UINT32_MAX ? (uint32_t)ends : 0;
    terms->offer_kind = codes_offer_kind(kind);
    return rc;
}
