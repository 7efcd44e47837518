/* One PostgreSQL connection per worker thread, prepared once; the 4-state status. */
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_statements.h"
#include "log.h"

static char *conninfo;
static pthread_key_t conn_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void close_conn(void *conn)
{
    if (conn != NULL)
        PQfinish(conn);
}

static void make_key(void)
{
    (void)pthread_key_create(&conn_key, close_conn);
}

enum cpn_err db_setup(const char *info)
{
    pthread_once(&key_once, make_key);
    char *copy = strdup(info);
    if (copy == NULL)
        return CPN_ERR_NO_MEMORY;
    free(conninfo);
    conninfo = copy;
    return CPN_OK;
}

void db_teardown(void)
{
    pthread_once(&key_once, make_key);
    PGconn *conn = pthread_getspecific(conn_key);
    if (conn != NULL) {
        PQfinish(conn);
        pthread_setspecific(conn_key, NULL);
    }
}

void db_free_setup(void)
{
    free(conninfo);
    conninfo = NULL;
}

static PGconn *connect_and_prepare(void)
{
    PGconn *conn = PQconnectdb(conninfo != NULL ? conninfo : "");
    if (PQstatus(conn) != CONNECTION_OK) {
        log_msg(LOGL_ERROR, "database connection failed: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    /* The idempotency of redeem, earn, burn and the voids (an advisory lock, then a fresh
     * look for the first answer) needs a new snapshot per statement: READ COMMITTED,
     * whatever the server's default is. */
    PGresult *iso = PQexec(conn, "SET default_transaction_isolation = 'read committed'");
    bool iso_ok = PQresultStatus(iso) == PGRES_COMMAND_OK;
    PQclear(iso);
    if (!iso_ok) {
        log_msg(LOGL_ERROR, "cannot set READ COMMITTED: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    for (const struct db_statement *s = db_statements; s->name != NULL; s++) {
        PGresult *r = PQprepare(conn, s->name, s->sql, 0, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            log_msg(LOGL_ERROR, "cannot prepare %s: %s (is the schema migrated?)", s->name,
                    PQerrorMessage(conn));
            PQclear(r);
            PQfinish(conn);
            return NULL;
        }
        PQclear(r);
    }
    return conn;
}

PGconn *db_conn(void)
{
    pthread_once(&key_once, make_key);
    PGconn *conn = pthread_getspecific(conn_key);
    if (conn != NULL && PQstatus(conn) == CONNECTION_OK)
        return conn;
    if (conn != NULL) {
        PQfinish(conn);
        pthread_setspecific(conn_key, NULL);
    }
    conn = connect_and_prepare();
    if (conn != NULL)
        pthread_setspecific(conn_key, conn);
    return conn;
}

const char *db_sqlstate(const PGresult *res)
{
    const char *s = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return s != NULL ? s : "";
}

/* True when prepared statement NAME must not run again after a lost connection. */
static bool run_once(const char *name)
{
    for (const struct db_statement *s = db_statements; name != NULL && s->name != NULL; s++)
        if (strcmp(s->name, name) == 0)
            return s->once;
    return false;
}

/* True when an idle connection has something to read: the server never speaks unasked
 * to an idle connection of ours (no LISTEN), so that is its goodbye (a restart or an
 * administrator's kill) or a closed socket. Costs one poll(2), no round trip. */
static bool idle_conn_dead(PGconn *conn)
{
    struct pollfd p = {.fd = PQsocket(conn), .events = POLLIN, .revents = 0};
    return p.fd < 0 || poll(&p, 1, 0) != 0;
}

/* Drops the thread's connection (the next db_conn() opens a new one). */
static void drop_conn(PGconn *conn)
{
    PQfinish(conn);
    pthread_setspecific(conn_key, NULL);
}

/* Runs prepared statement NAME (or, when NAME is NULL, the command SQL) on the thread's
 * connection. When the connection turns out dead (PostgreSQL restarted, a network cut)
 * and no transaction was open, it reconnects and runs the statement once more: every
 * write is idempotent, so a statement that did reach the server is replayed, not doubled.
 * Returns the result (never NULL unless out of memory) or NULL with no connection. */
static PGresult *exec_once_more_if_dead(const char *name, const char *sql, int n,
                                        const char *const *values, PGconn **used)
{
    bool once = run_once(name);
    for (int attempt = 0; attempt < 2; attempt++) {
        PGconn *conn = db_conn();
        *used = conn;
        if (conn == NULL)
            return NULL;
        if (once && idle_conn_dead(conn)) {
            /* A statement that must run once is not sent on a connection the server has
             * already closed (PostgreSQL restarted), since it could not be run again. */
            log_msg(LOGL_WARN, "database connection lost; reconnecting");
            drop_conn(conn);
            conn = db_conn();
            *used = conn;
            if (conn == NULL)
                return NULL;
        }
        bool idle = PQtransactionStatus(conn) == PQTRANS_IDLE;
        PGresult *r =
            name != NULL ? PQexecPrepared(conn, name, n, values, NULL, NULL, 0) : PQexec(conn, sql);
        if (PQstatus(conn) == CONNECTION_OK || !idle || attempt == 1 || once)
            return r;
        log_msg(LOGL_WARN, "database connection lost; reconnecting");
        PQclear(r);
        drop_conn(conn);
    }
    return NULL;
}

int db_query(const char *name, int n, const char *const *values, PGresult **res)
{
    if (res != NULL)
        *res = NULL;
    PGconn *conn = NULL;
    PGresult *r = exec_once_more_if_dead(name, NULL, n, values, &conn);
    if (conn == NULL)
        return DB_SOFT_ERROR;
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        int rows = PQntuples(r);
        if (res != NULL)
            *res = r;
        else
            PQclear(r);
        return rows;
    }
    const char *state = db_sqlstate(r);
    int rc = DB_HARD_ERROR;
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
        PQstatus(conn) != CONNECTION_OK || strncmp(state, "08", 2) == 0 ||
        strcmp(state, "57P01") == 0)
        rc = DB_SOFT_ERROR;
    log_msg(rc == DB_SOFT_ERROR ? LOGL_WARN : LOGL_ERROR, "statement %s failed (%s): %s", name,
            state, PQresultErrorMessage(r));
    if (PQstatus(conn) != CONNECTION_OK)
        drop_conn(conn);
    /* Hand hard errors back so callers can map constraint violations precisely. */
    if (res != NULL && rc == DB_HARD_ERROR)
        *res = r;
    else
        PQclear(r);
    return rc;
}

int db_query_retry(const char *name, int n, const char *const *values, PGresult **res)
{
    /* A statement that must run once is not retried: its first run may have committed. */
    int attempts = run_once(name) ? 1 : 3;
    int rc = DB_SOFT_ERROR;
    for (int attempt = 0; attempt < attempts && rc == DB_SOFT_ERROR; attempt++)
        rc = db_query(name, n, values, res);
    return rc;
}

int db_command(const char *sql)
{
    PGconn *conn = NULL;
    PGresult *r = exec_once_more_if_dead(NULL, sql, 0, NULL, &conn);
    if (conn == NULL)
        return DB_SOFT_ERROR;
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? DB_NO_RESULTS : DB_HARD_ERROR;
    if (rc != DB_NO_RESULTS) {
        const char *state = db_sqlstate(r);
        if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
            PQstatus(conn) != CONNECTION_OK)
            rc = DB_SOFT_ERROR;
        log_msg(LOGL_ERROR, "%s failed: %s", sql, PQresultErrorMessage(r));
        if (PQstatus(conn) != CONNECTION_OK)
            drop_conn(conn);
    }
    PQclear(r);
    return rc;
}

PGconn *db_connect_new(void)
{
    PGconn *conn = PQconnectdb(conninfo != NULL ? conninfo : "");
    if (PQstatus(conn) != CONNECTION_OK) {
        log_msg(LOGL_ERROR, "database connection failed: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    return conn;
}
