/* A background thread's own database connection: connect, LISTEN, run a statement, read
 * notifications. The 4-state status of db.h. */
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_link.h"
#include "log.h"

struct db_link {
    PGconn *conn;
    bool broken;
};

static bool exec_ok(PGconn *conn, const char *sql)
{
    PGresult *r = PQexec(conn, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        log_msg(LOGL_ERROR, "%s failed: %s", sql, PQerrorMessage(conn));
    PQclear(r);
    return ok;
}

struct db_link *db_link_open(bool listen_events)
{
    PGconn *conn = db_connect_new();
    if (conn == NULL)
        return NULL;
    if (!exec_ok(conn, "SET default_transaction_isolation = 'read committed'") ||
        (listen_events && !exec_ok(conn, "LISTEN coupond_events"))) {
        PQfinish(conn);
        return NULL;
    }
    struct db_link *l = calloc(1, sizeof *l);
    if (l == NULL) {
        PQfinish(conn);
        return NULL;
    }
    l->conn = conn;
    return l;
}

void db_link_close(struct db_link *l)
{
    if (l == NULL)
        return;
    PQfinish(l->conn);
    free(l);
}

int db_link_socket(const struct db_link *l)
{
    return l->broken ? -1 : PQsocket(l->conn);
}

bool db_link_broken(const struct db_link *l)
{
    return l->broken || PQstatus(l->conn) != CONNECTION_OK;
}

int db_link_notified(struct db_link *l)
{
    if (PQconsumeInput(l->conn) == 0 || PQstatus(l->conn) != CONNECTION_OK) {
        l->broken = true;
        return -1;
    }
    int got = 0;
    PGnotify *n;
    for (n = PQnotifies(l->conn); n != NULL; n = PQnotifies(l->conn)) {
        got = 1;
        PQfreemem(n);
    }
    return got;
}

int db_link_query(struct db_link *l, const char *sql, int n, const char *const *values,
                  PGresult **res)
{
    *res = NULL;
    if (l->broken)
        return DB_SOFT_ERROR;
    PGresult *r = PQexecParams(l->conn, sql, n, NULL, values, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        *res = r;
        return PQntuples(r);
    }
    const char *state = db_sqlstate(r);
    bool soft = strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
                strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
                PQstatus(l->conn) != CONNECTION_OK;
    if (PQstatus(l->conn) != CONNECTION_OK)
        l->broken = true;
    log_msg(soft ? LOGL_WARN : LOGL_ERROR, "background statement failed (%s): %s", state,
            PQresultErrorMessage(r));
    PQclear(r);
    return soft ? DB_SOFT_ERROR : DB_HARD_ERROR;
}
