/* Database access: one PostgreSQL connection per worker thread with every statement
 * prepared once, and the 4-state status of Taler's exchange. */
#ifndef SVC_DB_H
#define SVC_DB_H

#include <libpq-fe.h>

#include "coupon/err.h"

enum db_status {
    DB_HARD_ERROR = -2, /* the statement failed; retrying will not help */
    DB_SOFT_ERROR =
        -1, /* serialization failure, deadlock, lost connection, deadline, disk full: retry */
    DB_NO_RESULTS = 0, /* success, no row */
    DB_ONE_RESULT = 1, /* success, one row (queries returning many rows return their count) */
};

/* How long a round trip to PostgreSQL may take by default (connecting included), in ms. */
#define DB_DEADLINE_DEFAULT_MS 5000u

/* Sets the statement deadline: every db_query, db_command and connection attempt answers
 * within MS milliseconds (statements inside an explicit transaction, bulk work, within 20
 * times that); past it the connection is dropped and the call answers DB_SOFT_ERROR, and the
 * thread answers DB_SOFT_ERROR at once for up to a second before it tries again. 0 restores
 * the default. Call before the worker threads start. */
void db_set_deadline_ms(unsigned ms);

/* The statement deadline in force, in milliseconds. */
unsigned db_deadline_ms(void);

/* Sets the libpq conninfo the worker threads connect with. Call once before serving;
 * the string is copied. Returns CPN_OK or CPN_ERR_NO_MEMORY. */
enum cpn_err db_setup(const char *conninfo) CPN_MUST_CHECK;

/* Closes the calling thread's connection (also done automatically at thread exit); the next
 * db_conn() on this thread connects again. db_free_setup frees what db_setup kept. */
void db_teardown(void);

/* Frees what db_setup kept; call after every worker thread has stopped. */
void db_free_setup(void);

/* The calling thread's connection, connected and prepared on first use and after a
 * loss, within the statement deadline; NULL when the database cannot be reached in time
 * (logged). Borrowed: do not PQfinish. */
PGconn *db_conn(void);

/* Runs prepared statement NAME with N text parameters (NULL = SQL NULL). On success
 * returns the number of rows (DB_NO_RESULTS, DB_ONE_RESULT, or more) and, when RES is
 * not NULL, the result, which the caller PQclear()s. On DB_HARD_ERROR *RES holds the
 * failed result (so a caller can map a constraint violation; the caller clears it);
 * on DB_SOFT_ERROR *RES is NULL. Failures are logged. */
int db_query(const char *name, int n, const char *const *values, PGresult **res) CPN_MUST_CHECK;

/* Runs db_query up to 3 times while it answers DB_SOFT_ERROR; a statement marked once
 * (db_statements.h) runs once only, its first run may have committed. */
int db_query_retry(const char *name, int n, const char *const *values,
                   PGresult **res) CPN_MUST_CHECK;

/* Runs a fixed command (BEGIN, COMMIT, ROLLBACK) on the thread's connection.
 * Returns DB_NO_RESULTS on success, DB_SOFT_ERROR or DB_HARD_ERROR. */
int db_command(const char *sql) CPN_MUST_CHECK;

/* A new connection of its own (for a long export), not prepared, opened within the
 * statement deadline; NULL on failure. The caller PQfinish()es it. */
PGconn *db_connect_new(void);

/* The SQLSTATE of RES, or "" when it has none. */
const char *db_sqlstate(const PGresult *res);

#endif
