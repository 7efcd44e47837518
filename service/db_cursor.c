/* Export cursors on connections of their own; rows read by name into structs. */
#include <stdlib.h>
#include <string.h>

#include "coupon/decimal.h"
#include "db_cursor.h"
#include "db_internal.h"
#include "log.h"

struct db_cursor {
    PGconn *conn;
};

void db_cursor_close(struct db_cursor *c)
{
    if (c == NULL)
        return;
    if (c->conn != NULL)
        PQfinish(c->conn); /* ends the read-only transaction */
    free(c);
}

/* Runs SQL with the typed PARAMS on C's connection; returns the result when its status is
 * WANT. */
static PGresult *run(struct db_cursor *c, const char *sql, const struct db_param *params,
                     ExecStatusType want)
{
    struct db_values v;
    if (db_values_encode(params, &v) != 0) {
        db_values_clear(&v);
        return NULL;
    }
    PGresult *res = PQexecParams(c->conn, sql, v.n, NULL, v.values, NULL, NULL, 0);
    db_values_clear(&v);
    if (PQresultStatus(res) != want) {
        log_msg(LOGL_ERROR, "export cursor: %s", PQresultErrorMessage(res));
        PQclear(res);
        return NULL;
    }
    return res;
}

int db_cursor_redemptions(int64_t campaign, const char *from, const char *to,
                          struct db_cursor **out)
{
    *out = NULL;
    struct db_cursor *c = calloc(1, sizeof *c);
    if (c == NULL)
        return DB_HARD_ERROR;
    c->conn = db_connect_new();
    if (c->conn == NULL) {
        free(c);
        return DB_SOFT_ERROR;
    }
    const struct db_param none[] = {DB_PARAM_END};
    const struct db_param id[] = {db_param_int(campaign), DB_PARAM_END};
    const struct db_param rows[] = {db_param_int(campaign), db_param_text(from), db_param_text(to),
                                    DB_PARAM_END};
    PGresult *res =
        run(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", none, PGRES_COMMAND_OK);
    int rc = res != NULL ? DB_ONE_RESULT : DB_HARD_ERROR;
    PQclear(res);
    if (rc == DB_ONE_RESULT) {
        res = run(c, "SELECT 1 FROM campaigns WHERE id = $1::bigint", id, PGRES_TUPLES_OK);
        rc = res == NULL ? DB_HARD_ERROR : PQntuples(res) == 1 ? DB_ONE_RESULT : DB_NO_RESULTS;
        PQclear(res);
    }
    if (rc == DB_ONE_RESULT) {
        res = run(c,
                  "DECLARE rows NO SCROLL CURSOR FOR"
                  " SELECT * FROM campaign_redemption_rows($1::bigint, $2::date, $3::date)",
                  rows, PGRES_COMMAND_OK);
        rc = res != NULL ? DB_ONE_RESULT : DB_HARD_ERROR;
        PQclear(res);
    }
    if (rc != DB_ONE_RESULT) {
        db_cursor_close(c);
        return rc;
    }
    *out = c;
    return DB_ONE_RESULT;
}

int db_cursor_fetch(struct db_cursor *c, struct db_redemption_row *rows, size_t n)
{
    /* "FETCH <n> FROM rows": the count is a number of ours, written by hand. */
    char fetch[48] = "FETCH ";
    size_t len = strlen(fetch);
    len += cpn_decimal(n > 0 && n < INT32_MAX ? (int64_t)n : 1, fetch + len);
    memcpy(fetch + len, " FROM rows", sizeof " FROM rows");
    const struct db_param none[] = {DB_PARAM_END};
    PGresult *res = run(c, fetch, none, PGRES_TUPLES_OK);
    if (res == NULL)
        return DB_HARD_ERROR;
    struct db_redemption_row r;
    bool no_card = false;
    const struct db_col cols[] = {
        db_col_i64("id", &r.id),
        db_col_text("redeemed_at", r.redeemed_at, sizeof r.redeemed_at),
        db_col_text("day", r.day, sizeof r.day),
        db_col_i32("store", &r.store),
        db_col_text("terminal", r.terminal, sizeof r.terminal),
        db_col_u32("code", &r.code),
        db_col_nullable(db_col_u32("card", &r.card), &no_card),
        db_col_i64("basket_cents", &r.basket_cents),
        db_col_i64("discount_cents", &r.discount_cents),
        db_col_i64("points", &r.points),
        db_col_null_ok(db_col_text("receipt", r.receipt, sizeof r.receipt)),
        db_col_null_ok(db_col_text("voided_at", r.voided_at, sizeof r.voided_at)),
        DB_COL_END};
    int idx[DB_COLS_MAX], got = PQntuples(res);
    if ((size_t)got > n)
        got = (int)n; /* FETCH answers N rows at most */
    int rc = got > 0 && db_cols_find(res, cols, idx, "redemption rows") != 0 ? DB_HARD_ERROR : got;
    for (int i = 0; rc >= 0 && i < got && (size_t)i < n; i++) {
        if (db_cols_read(res, i, cols, idx, "redemption rows") != 0) {
            rc = DB_HARD_ERROR;
        } else {
            r.has_card = !no_card;
            rows[i] = r;
        }
    }
    PQclear(res);
    return rc;
}
