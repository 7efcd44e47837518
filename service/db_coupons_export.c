/* The export of a campaign's coupons: a cursor on a connection of its own in one read-only
 * REPEATABLE READ snapshot, its rows handed out as structs (libpq's results stay here). */
#include <stdlib.h>
#include <string.h>

#include "coupon/decimal.h"
#include "db_coupons.h"
#include "db_internal.h"
#include "log.h"

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
    const struct db_param params[] = {db_param_int(campaign), db_param_int_if(batch > 0, batch),
                                      DB_PARAM_END};
    struct db_values v;
    v.heap = NULL;
    PGresult *res = PQexec(e->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    ok = ok && db_values_encode(params, &v) == 0;
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
            v.n, NULL, v.values, NULL, NULL, 0);
        ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        if (!ok)
            log_msg(LOGL_ERROR, "export cursor failed: %s", PQresultErrorMessage(res));
        PQclear(res);
    }
    db_values_clear(&v);
    if (!ok) {
        db_export_close(e);
        return NULL;
    }
    return e;
}

int db_export_fetch(struct db_export *e, struct db_export_row *rows, size_t n)
{
    /* "FETCH <n> FROM export": the count is a number of ours, written by hand. */
    char fetch[48] = "FETCH ";
    size_t len = strlen(fetch);
    len += cpn_decimal(n > 0 && n < INT32_MAX ? (int64_t)n : 1, fetch + len);
    memcpy(fetch + len, " FROM export", sizeof " FROM export");
    PGresult *res = PQexec(e->conn, fetch);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        log_msg(LOGL_ERROR, "export fetch failed: %s", PQresultErrorMessage(res));
        PQclear(res);
        return DB_HARD_ERROR;
    }
    struct db_export_row r;
    const struct db_col cols[] = {db_col_u32("serial", &r.serial),
                                  db_col_i32("uses", &r.uses),
                                  db_col_i32("max_uses", &r.max_uses),
                                  db_col_null_ok(db_col_u32("card_serial", &r.card_serial)),
                                  db_col_text("issued", r.issued_at, sizeof r.issued_at),
                                  DB_COL_END};
    int idx[DB_COLS_MAX], got = PQntuples(res);
    if ((size_t)got > n)
        got = (int)n; /* FETCH answers N rows at most */
    int rc = got > 0 && db_cols_find(res, cols, idx, "export") != 0 ? DB_HARD_ERROR : got;
    for (int i = 0; rc >= 0 && i < got && (size_t)i < n; i++) {
        if (db_cols_read(res, i, cols, idx, "export") != 0)
            rc = DB_HARD_ERROR;
        else
            rows[i] = r;
    }
    PQclear(res);
    return rc;
}

void db_export_close(struct db_export *e)
{
    if (e == NULL)
        return;
    if (e->conn != NULL)
        PQfinish(e->conn); /* ends the read-only transaction */
    free(e);
}
