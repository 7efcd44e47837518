/* A background thread's own database connection: connect, LISTEN, run a statement, read
 * notifications. Typed parameters in, columns read by name out, as on a worker's connection
 * (db_internal.h); the 4-state status of db.h. The open links are listed with their owner
 * thread and cancel handle, so that stopping a thread cancels the statement it waits in. */
#define _GNU_SOURCE /* pthread_timedjoin_np */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db_internal.h"
#include "db_link.h"
#include "log.h"

struct db_link {
    PGconn *conn;
    bool broken;
    PGcancel *cancel;     /* for db_link_join, from another thread */
    pthread_t owner;      /* the thread that opened it */
    bool busy;            /* a statement is running (under links_lock) */
    struct db_link *next; /* the open links (under links_lock) */
};

static pthread_mutex_t links_lock = PTHREAD_MUTEX_INITIALIZER;
static struct db_link *links;

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
    l->cancel = PQgetCancel(conn);
    l->owner = pthread_self();
    pthread_mutex_lock(&links_lock);
    l->next = links;
    links = l;
    pthread_mutex_unlock(&links_lock);
    return l;
}

void db_link_close(struct db_link *l)
{
    if (l == NULL)
        return;
    pthread_mutex_lock(&links_lock);
    for (struct db_link **p = &links; *p != NULL; p = &(*p)->next) {
        if (*p == l) {
            *p = l->next;
            break;
        }
    }
    pthread_mutex_unlock(&links_lock);
    PQfreeCancel(l->cancel);
    PQfinish(l->conn);
    free(l);
}

/* Sends a cancel request for the statement running on each link of THREAD (under
 * links_lock). Returns how many were sent. */
static unsigned cancel_links_of(pthread_t thread)
{
    unsigned n = 0;
    for (struct db_link *l = links; l != NULL; l = l->next) {
        char err[256];
        if (!l->busy || l->cancel == NULL || !pthread_equal(l->owner, thread))
            continue;
        if (PQcancel(l->cancel, err, sizeof err) == 1)
            n++;
        else
            log_msg(LOGL_WARN, "could not cancel a background statement: %s", err);
    }
    return n;
}

void db_link_join(pthread_t thread, const char *what)
{
    bool told = false;
    for (;;) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 100 * 1000 * 1000;
        if (until.tv_nsec >= 1000 * 1000 * 1000) {
            until.tv_sec++;
            until.tv_nsec -= 1000 * 1000 * 1000;
        }
        int rc = pthread_timedjoin_np(thread, NULL, &until);
        if (rc != ETIMEDOUT) {
            if (rc != 0)
                log_msg(LOGL_ERROR, "%s: cannot wait for its thread (error %d)", what, rc);
            return;
        }
        /* Still running: a statement it waits in (a lock another connection holds, say) is
         * cancelled, and again every tick (a cancel reaches only a statement the server has
         * begun). */
        pthread_mutex_lock(&links_lock);
        unsigned n = cancel_links_of(thread);
        pthread_mutex_unlock(&links_lock);
        if (n > 0 && !told) {
            log_msg(LOGL_INFO, "%s: cancelling its database statement to stop", what);
            told = true;
        }
    }
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

/* Runs SQL with PARAMS once. Returns the number of rows with the result in *RES (the caller
 * clears it), or a failure (logged; *RES NULL). */
static int run(struct db_link *l, const char *sql, const struct db_param *params, PGresult **res)
{
    *res = NULL;
    if (l->broken)
        return DB_SOFT_ERROR;
    struct db_values v;
    if (db_values_encode(params, &v) != 0) {
        db_values_clear(&v);
        return DB_HARD_ERROR;
    }
    pthread_mutex_lock(&links_lock);
    l->busy = true;
    pthread_mutex_unlock(&links_lock);
    PGresult *r = PQexecParams(l->conn, sql, v.n, NULL, v.values, NULL, NULL, 0);
    pthread_mutex_lock(&links_lock);
    l->busy = false;
    pthread_mutex_unlock(&links_lock);
    db_values_clear(&v);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        *res = r;
        return PQntuples(r);
    }
    const char *state = db_sqlstate(r);
    bool soft = strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
                strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
                strcmp(state, "57014") == 0 || /* cancelled: its thread is stopping */
                PQstatus(l->conn) != CONNECTION_OK;
    if (PQstatus(l->conn) != CONNECTION_OK)
        l->broken = true;
    log_msg(soft ? LOGL_WARN : LOGL_ERROR, "background statement failed (%s): %s", state,
            PQresultErrorMessage(r));
    PQclear(r);
    return soft ? DB_SOFT_ERROR : DB_HARD_ERROR;
}

int db_link_select_rows(struct db_link *l, const char *sql, const struct db_param *params,
                        const struct db_col *cols, db_row_fn row, void *cls)
{
    PGresult *res = NULL;
    int rc = run(l, sql, params, &res);
    int idx[DB_COLS_MAX];
    if (rc > 0 && db_cols_find(res, cols, idx, sql) != 0)
        rc = DB_HARD_ERROR;
    for (int i = 0; rc > 0 && i < rc; i++) {
        if (db_cols_read(res, i, cols, idx, sql) != 0) {
            rc = DB_HARD_ERROR;
        } else if (row != NULL && row(cls, (size_t)i) != 0) {
            log_msg(LOGL_ERROR, "%s: row %d was refused", sql, i);
            rc = DB_HARD_ERROR;
        }
    }
    PQclear(res);
    return rc;
}

int db_link_select_one(struct db_link *l, const char *sql, const struct db_param *params,
                       const struct db_col *cols)
{
    PGresult *res = NULL;
    db_cols_zero(cols);
    int rc = run(l, sql, params, &res);
    if (rc >= 0 && rc != DB_ONE_RESULT) {
        log_msg(LOGL_ERROR, "%s answered %d rows, not one", sql, rc);
        rc = DB_HARD_ERROR;
    }
    int idx[DB_COLS_MAX];
    if (rc == DB_ONE_RESULT &&
        (db_cols_find(res, cols, idx, sql) != 0 || db_cols_read(res, 0, cols, idx, sql) != 0))
        rc = DB_HARD_ERROR;
    PQclear(res);
    return rc;
}
