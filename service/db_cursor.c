/* Export cursors on connections of their own. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "db.h"
#include "db_cursor.h"
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

/* Runs SQL with PARAMS on C's connection; returns the result when its status is WANT. */
static PGresult *run(struct db_cursor *c, const char *sql, int n, const char *const *params,
                     ExecStatusType want)
{
    PGresult *res = PQexecParams(c->conn, sql, n, NULL, params, NULL, NULL, 0);
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
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, campaign);
    const char *params[] = {id, from, to};
    PGresult *res =
        run(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, PGRES_COMMAND_OK);
    int rc = res != NULL ? DB_ONE_RESULT : DB_HARD_ERROR;
    PQclear(res);
    if (rc == DB_ONE_RESULT) {
        res = run(c, "SELECT 1 FROM campaigns WHERE id = $1::bigint", 1, params, PGRES_TUPLES_OK);
        rc = res == NULL ? DB_HARD_ERROR : PQntuples(res) == 1 ? DB_ONE_RESULT : DB_NO_RESULTS;
        PQclear(res);
    }
    if (rc == DB_ONE_RESULT) {
        res = run(c,
                  "DECLARE rows NO SCROLL CURSOR FOR"
                  " SELECT * FROM campaign_redemption_rows($1::bigint, $2::date, $3::date)",
                  3, params, PGRES_COMMAND_OK);
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

int db_cursor_fetch(struct db_cursor *c, int rows, PGresult **res)
{
    char fetch[40];
    snprintf(fetch, sizeof fetch, "FETCH %d FROM rows", rows > 0 ? rows : 1);
    *res = run(c, fetch, 0, NULL, PGRES_TUPLES_OK);
    return *res != NULL ? PQntuples(*res) : DB_HARD_ERROR;
}

int db_cursor_numeric(const PGresult *res, int col)
{
    Oid t = PQftype(res, col);
    return t == 20 || t == 21 || t == 23 || t == 1700; /* int8, int2, int4, numeric */
}
