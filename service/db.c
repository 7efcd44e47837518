/* One PostgreSQL connection per worker thread, prepared once; the 4-state status; the
 * statement deadline: every round trip (connecting included) is sent asynchronously and
 * waited for with poll(2) until the deadline, so a PostgreSQL that stops answering (frozen,
 * cut off, out of disk and stuck) costs a request at most the deadline and a 503, never a
 * hung worker; and the one transaction runner, which keeps the statements of a transaction
 * from ever running on a new connection outside it. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db_internal.h"
#include "db_statements.h"
#include "log.h"

static char *conninfo;
static pthread_key_t conn_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static unsigned deadline_ms = DB_DEADLINE_DEFAULT_MS;
/* After a deadline passed, the thread answers DB_SOFT_ERROR at once until this time (ms,
 * monotonic) instead of queueing its next requests behind another full wait; then it tries
 * again by itself. */
static _Thread_local int64_t hold_until_ms;
/* A transaction is open on this thread (db_transaction), and its connection was lost: no
 * statement of it may run on a new connection, outside the transaction. */
static _Thread_local bool in_tx, tx_lost;
/* The lazy statements (db_statements.h) prepared on this thread's connection, bit = place in
 * db_statements; cleared with every new connection. */
static _Thread_local uint64_t lazy_ready;
/* db_thread_session: a command every new connection of this thread runs first. */
static _Thread_local const char *session_sql;
/* db_deadline_cap: no round trip of this thread waits past this time (ms, monotonic; 0: no
 * cap). */
static _Thread_local int64_t deadline_cap_ms;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void db_thread_session(const char *sql)
{
    session_sql = sql;
}

int64_t db_now_ms(void)
{
    return now_ms();
}

void db_deadline_cap(int64_t at_ms)
{
    deadline_cap_ms = at_ms;
}

/* DEADLINE, or the thread's cap when that comes first. */
static int64_t capped(int64_t deadline)
{
    return deadline_cap_ms > 0 && deadline_cap_ms < deadline ? deadline_cap_ms : deadline;
}

void db_set_deadline_ms(unsigned ms)
{
    deadline_ms = ms > 0 ? ms : DB_DEADLINE_DEFAULT_MS;
}

unsigned db_deadline_ms(void)
{
    return deadline_ms;
}

/* The deadline of a call that started at START on CONN: the statement deadline, or for a
 * statement inside an explicit transaction (bulk work such as a large issue) twenty times
 * it. */
static int64_t deadline_for(const PGconn *conn, int64_t start)
{
    bool open_tx = conn != NULL && PQtransactionStatus(conn) != PQTRANS_IDLE;
    return start + (int64_t)deadline_ms * (open_tx ? 20 : 1);
}

/* Notes that the database missed a deadline: fail fast for a while (see hold_until_ms). */
static void missed_deadline(const char *what)
{
    log_msg(LOGL_WARN, "database did not answer %s within %u ms; answering 503 meanwhile", what,
            deadline_ms);
    hold_until_ms = now_ms() + (deadline_ms < 1000 ? deadline_ms : 1000);
}

/* Waits until CONN's socket is ready for EVENTS or DEADLINE passes. Returns 1 when ready,
 * 0 when the deadline passed, -1 on error. */
static int wait_ready(const PGconn *conn, short events, int64_t deadline)
{
    int fd = PQsocket(conn);
    if (fd < 0)
        return -1;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = events, .revents = 0};
        int n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (n > 0)
            return 1;
        if (n == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

/* Collects the answer to what was just sent on CONN, by DEADLINE. Returns the last result
 * (an error result when the statement or the connection failed; the caller clears it), or
 * NULL with *LATE set when the deadline passed (the connection is then mid-statement and
 * must be dropped). */
static PGresult *collect(PGconn *conn, int64_t deadline, bool *late)
{
    PGresult *last = NULL;
    for (;;) {
        while (PQisBusy(conn)) {
            int w = wait_ready(conn, POLLIN, deadline);
            if (w == 0) {
                *late = true;
                PQclear(last);
                return NULL;
            }
            /* On a failure libpq drops the socket; PQgetResult then reports it at once. */
            if (w < 0 || !PQconsumeInput(conn))
                break;
        }
        PGresult *r = PQgetResult(conn);
        if (r == NULL)
            return last != NULL ? last : PQmakeEmptyPGresult(conn, PGRES_FATAL_ERROR);
        PQclear(last);
        last = r;
        if (PQstatus(conn) == CONNECTION_BAD)
            return last;
    }
}

/* Runs SQL (when NAME is NULL) or prepares statement NAME as SQL on CONN, by DEADLINE.
 * Returns the result as collect() does, never NULL unless *LATE. */
static PGresult *round_trip(PGconn *conn, const char *name, const char *sql, int64_t deadline,
                            bool *late)
{
    int sent = name != NULL ? PQsendPrepare(conn, name, sql, 0, NULL) : PQsendQuery(conn, sql);
    if (!sent)
        return PQmakeEmptyPGresult(conn, PGRES_FATAL_ERROR);
    return collect(conn, deadline, late);
}

/* libpq's notices and the errors a server sends on an idle connection (FATAL: terminating
 * connection due to administrator command, when PostgreSQL stops): a JSON log record, not
 * libpq's raw line on standard error. */
static void notice_to_log(void *arg, const char *message)
{
    (void)arg;
    size_t n = strlen(message);
    while (n > 0 && (message[n - 1] == '\n' || message[n - 1] == ' '))
        n--;
    log_msg(LOGL_WARN, "database: %.*s", (int)n, message);
}

/* Opens a connection by DEADLINE (PQconnectStart/PQconnectPoll). Returns it, or NULL (logged;
 * *LATE set when it was the deadline). */
static PGconn *connect_by(int64_t deadline, bool *late)
{
    PGconn *conn = PQconnectStart(conninfo != NULL ? conninfo : "");
    if (conn == NULL)
        return NULL;
    (void)PQsetNoticeProcessor(conn, notice_to_log, NULL);
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (PQstatus(conn) != CONNECTION_BAD && st != PGRES_POLLING_OK &&
           st != PGRES_POLLING_FAILED) {
        int w = wait_ready(conn, st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline);
        if (w <= 0) {
            *late = w == 0;
            break;
        }
        st = PQconnectPoll(conn);
    }
    if (st == PGRES_POLLING_OK && PQstatus(conn) == CONNECTION_OK)
        return conn;
    if (!*late)
        log_msg(LOGL_ERROR, "database connection failed: %s", PQerrorMessage(conn));
    PQfinish(conn);
    return NULL;
}

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

/* The entry of prepared statement NAME in db_statements, or NULL (NAME NULL: a plain
 * command). */
static const struct db_statement *statement_of(const char *name)
{
    for (const struct db_statement *s = db_statements; name != NULL && s->name != NULL; s++)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

/* True when S is prepared on its first use rather than with the connection. */
static bool is_lazy(const struct db_statement *s)
{
    return s->lazy && s - db_statements < 64;
}

/* Prepares statement S (NULL: none) on CONN by DEADLINE when it is lazy and not prepared
 * there yet. Returns 0 when it is ready to run, -1 when it could not be prepared (logged
 * unless *LATE). */
static int prepare_lazy(PGconn *conn, const struct db_statement *s, int64_t deadline, bool *late)
{
    uint64_t bit = s != NULL && is_lazy(s) ? UINT64_C(1) << (s - db_statements) : 0;
    if (bit == 0 || (lazy_ready & bit) != 0)
        return 0;
    PGresult *r = round_trip(conn, s->name, s->sql, deadline, late);
    bool ok = r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok && !*late)
        log_msg(LOGL_ERROR, "cannot prepare %s: %s", s->name, PQerrorMessage(conn));
    PQclear(r);
    if (ok)
        lazy_ready |= bit;
    return ok ? 0 : -1;
}

/* Connects, sets the session up and prepares every statement, all by DEADLINE.
 * Returns the connection or NULL (logged; *LATE set when the deadline passed). */
static PGconn *connect_and_prepare(int64_t deadline, bool *late)
{
    PGconn *conn = connect_by(deadline, late);
    if (conn == NULL)
        return NULL;
    /* The idempotency of redeem, earn, burn and the voids (an advisory lock, then a fresh
     * look for the first answer) needs a new snapshot per statement: READ COMMITTED,
     * whatever the server's default is. A backend whose client gave up on a statement
     * (the deadline) notices within a second and stops working for nobody. */
    PGresult *iso = round_trip(conn, NULL, "SET default_transaction_isolation = 'read committed'",
                               deadline, late);
    bool iso_ok = iso != NULL && PQresultStatus(iso) == PGRES_COMMAND_OK;
    PQclear(iso);
    if (iso_ok) /* PostgreSQL 14 on; older servers refuse it, which changes nothing */
        PQclear(
            round_trip(conn, NULL, "SET client_connection_check_interval = 1000", deadline, late));
    if (!iso_ok || *late) {
        if (!*late)
            log_msg(LOGL_ERROR, "cannot set READ COMMITTED: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    if (session_sql != NULL) {
        PGresult *r = round_trip(conn, NULL, session_sql, deadline, late);
        bool ok = r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok) {
            if (!*late)
                log_msg(LOGL_ERROR, "cannot run %s: %s", session_sql, PQerrorMessage(conn));
            PQfinish(conn);
            return NULL;
        }
    }
    for (const struct db_statement *s = db_statements; s->name != NULL; s++) {
        if (is_lazy(s))
            continue; /* prepared on its first use (prepare_lazy) */
        PGresult *r = round_trip(conn, s->name, s->sql, deadline, late);
        if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK) {
            if (!*late)
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

/* db_conn() by DEADLINE, telling the caller when the deadline was what failed. */
static PGconn *thread_conn(int64_t deadline, bool *late)
{
    pthread_once(&key_once, make_key);
    PGconn *conn = pthread_getspecific(conn_key);
    if (conn != NULL && PQstatus(conn) == CONNECTION_OK && !tx_lost)
        return conn;
    if (conn != NULL) {
        PQfinish(conn);
        pthread_setspecific(conn_key, NULL);
    }
    if (in_tx) {
        /* The transaction went with its connection: a new one would run the rest of its
         * statements outside it. */
        tx_lost = true;
        return NULL;
    }
    if (now_ms() < hold_until_ms)
        return NULL;
    conn = connect_and_prepare(deadline, late);
    lazy_ready = 0;
    if (conn != NULL)
        pthread_setspecific(conn_key, conn);
    else if (*late)
        missed_deadline("a new connection");
    return conn;
}

PGconn *db_conn(void)
{
    bool late = false;
    return thread_conn(now_ms() + deadline_ms, &late);
}

const char *db_sqlstate(const PGresult *res)
{
    const char *s = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return s != NULL ? s : "";
}

/* True when prepared statement NAME must not run again after a lost connection. */
static bool run_once(const char *name)
{
    const struct db_statement *s = statement_of(name);
    return s != NULL && s->once;
}

/* True when an idle connection has something to read: the server never speaks unasked
 * to an idle connection of ours (no LISTEN), so that is its goodbye (a restart or an
 * administrator's kill) or a closed socket. Costs one poll(2), no round trip. */
static bool idle_conn_dead(PGconn *conn)
{
    struct pollfd p = {.fd = PQsocket(conn), .events = POLLIN, .revents = 0};
    return p.fd < 0 || poll(&p, 1, 0) != 0;
}

/* Drops the thread's connection (the next db_conn() opens a new one, outside a
 * transaction). */
static void drop_conn(PGconn *conn)
{
    PQfinish(conn);
    pthread_setspecific(conn_key, NULL);
    if (in_tx)
        tx_lost = true;
}

/* True when SQLSTATE STATE (on CONN) is worth a retry, later or at once: serialization
 * failure, deadlock, a lost or refused connection, a server shutting down or restarting
 * after a crash, a cancelled statement, or insufficient resources (disk full, out of
 * memory, too many connections). */
static bool soft_state(const PGconn *conn, const char *state)
{
    return PQstatus(conn) != CONNECTION_OK || strcmp(state, "40001") == 0 ||
           strcmp(state, "40P01") == 0 || strncmp(state, "08", 2) == 0 ||
           strncmp(state, "53", 2) == 0 || strcmp(state, "57P01") == 0 ||
           strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0 ||
           strcmp(state, "57014") == 0;
}

/* Runs prepared statement NAME (or, when NAME is NULL, the command SQL) on the thread's
 * connection by the statement deadline. When the connection turns out dead (PostgreSQL
 * restarted, a network cut) and no transaction was open, it reconnects and runs the
 * statement once more: every write is idempotent, so a statement that did reach the server
 * is replayed, not doubled. Returns the result (never NULL unless out of memory) or NULL
 * with no connection; *LATE is set when the deadline passed (the connection is dropped: the
 * server may still finish the statement, which a retry under the same key replays). */
static PGresult *exec_once_more_if_dead(const char *name, const char *sql, int n,
                                        const char *const *values, PGconn **used, bool *late)
{
    const struct db_statement *st = statement_of(name); /* looked up once per call */
    bool once = st != NULL && st->once;
    int64_t start = now_ms(), deadline = capped(start + deadline_ms);
    for (int attempt = 0; attempt < 2; attempt++) {
        PGconn *conn = thread_conn(deadline, late);
        *used = conn;
        if (conn == NULL)
            return NULL;
        if (once && idle_conn_dead(conn)) {
            /* A statement that must run once is not sent on a connection the server has
             * already closed (PostgreSQL restarted), since it could not be run again. */
            log_msg(LOGL_WARN, "database connection lost; reconnecting");
            drop_conn(conn);
            conn = thread_conn(deadline, late);
            *used = conn;
            if (conn == NULL)
                return NULL;
        }
        bool idle = PQtransactionStatus(conn) == PQTRANS_IDLE;
        if (attempt == 0)
            deadline = capped(deadline_for(conn, start));
        int sent = prepare_lazy(conn, st, deadline, late) != 0 ? 0
                   : name != NULL ? PQsendQueryPrepared(conn, name, n, values, NULL, NULL, 0)
                                  : PQsendQuery(conn, sql);
        PGresult *r =
            sent ? collect(conn, deadline, late) : PQmakeEmptyPGresult(conn, PGRES_FATAL_ERROR);
        if (*late) {
            missed_deadline(name != NULL ? name : sql);
            drop_conn(conn);
            *used = NULL;
            return NULL;
        }
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
    bool late = false;
    PGresult *r = exec_once_more_if_dead(name, NULL, n, values, &conn, &late);
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
    int rc = soft_state(conn, state) ? DB_SOFT_ERROR : DB_HARD_ERROR;
    /* DB_STATE_DECLINED: a one-statement form handing over to its function (no failure) */
    enum log_level level = rc == DB_SOFT_ERROR                     ? LOGL_WARN
                           : strcmp(state, DB_STATE_DECLINED) == 0 ? LOGL_DEBUG
                                                                   : LOGL_ERROR;
    log_msg(level, "statement %s failed (%s): %s", name, state, PQresultErrorMessage(r));
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
    /* A statement that must run once is not retried: its first run may have committed.
     * Nor is one whose database just missed the deadline (hold_until_ms is then set), nor
     * one inside a transaction (which a failure ended: its runner answers). */
    int attempts = run_once(name) || in_tx ? 1 : 3;
    int rc = DB_SOFT_ERROR;
    for (int attempt = 0; attempt < attempts && rc == DB_SOFT_ERROR; attempt++) {
        if (attempt > 0 && now_ms() < hold_until_ms)
            break;
        rc = db_query(name, n, values, res);
    }
    return rc;
}

/* Runs a fixed command (BEGIN, COMMIT, ROLLBACK) on the thread's connection.
 * Returns DB_NO_RESULTS on success, DB_SOFT_ERROR or DB_HARD_ERROR. */
static int db_command(const char *sql)
{
    PGconn *conn = NULL;
    bool late = false;
    PGresult *r = exec_once_more_if_dead(NULL, sql, 0, NULL, &conn, &late);
    if (conn == NULL)
        return DB_SOFT_ERROR;
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? DB_NO_RESULTS : DB_HARD_ERROR;
    if (rc != DB_NO_RESULTS) {
        if (soft_state(conn, db_sqlstate(r)))
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
    bool late = false;
    PGconn *conn = connect_by(now_ms() + deadline_ms, &late);
    if (late)
        log_msg(LOGL_WARN, "database did not accept a connection within %u ms", deadline_ms);
    return conn;
}

int db_ping(void)
{
    int rc = db_query("ping", 0, NULL, NULL);
    return rc == DB_ONE_RESULT || rc < 0 ? rc : DB_HARD_ERROR;
}

enum cpn_err db_failure_err(int rc)
{
    return rc == DB_SOFT_ERROR ? CPN_ERR_UNAVAILABLE : CPN_ERR_INTERNAL;
}

enum cpn_err db_transaction(const char *what, db_tx_body body, void *cls)
{
    if (in_tx)
        return body(cls); /* nested: the outer runner ends the transaction */
    int rc = db_command("BEGIN");
    if (rc != DB_NO_RESULTS)
        return db_failure_err(rc);
    in_tx = true;
    tx_lost = false;
    enum cpn_err err = body(cls);
    if (tx_lost) {
        /* The server rolled it back when the connection went. */
        if (err == CPN_OK)
            err = CPN_ERR_UNAVAILABLE;
    } else if (err == CPN_OK) {
        rc = db_command("COMMIT");
        if (rc != DB_NO_RESULTS)
            err = db_failure_err(rc);
    } else if (db_command("ROLLBACK") != DB_NO_RESULTS) {
        log_msg(LOGL_WARN, "rollback of %s failed; the connection is reset", what);
        PGconn *conn = pthread_getspecific(conn_key);
        if (conn != NULL)
            drop_conn(conn);
    }
    in_tx = false;
    tx_lost = false;
    return err;
}
