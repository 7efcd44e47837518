/* The libpq side of the database layer, for service/db*.c only: scripts/check keeps every
 * other file from including libpq, so PGconn and PGresult never leave these files. The
 * calling thread's connection and raw runs of its prepared statements (db.c); the typed
 * parameters encoded as text and columns read by name from a result (db_typed.c), also for
 * the connections of their own that exports and the code key reader keep. */
#ifndef SVC_DB_INTERNAL_H
#define SVC_DB_INTERNAL_H

#include <libpq-fe.h>

#include "db.h"

/* The calling thread's connection, connected and prepared on first use and after a loss,
 * within the statement deadline; NULL when the database cannot be reached in time (logged),
 * or when the transaction open on this thread lost its connection. Borrowed: do not
 * PQfinish. */
PGconn *db_conn(void);

/* Runs prepared statement NAME with N text parameters (NULL = SQL NULL), once; soft failures
 * are tried again by the caller's choice. On success returns the number of rows and, when RES
 * is not NULL, the result, which the caller PQclear()s. On DB_HARD_ERROR *RES holds the failed
 * result (so a caller can map a constraint violation; the caller clears it); on DB_SOFT_ERROR
 * *RES is NULL. Failures are logged. Inside a transaction that lost its connection it answers
 * DB_SOFT_ERROR without sending anything. */
int db_query(const char *name, int n, const char *const *values, PGresult **res) CPN_MUST_CHECK;

/* db_query, tried up to 3 times while it answers DB_SOFT_ERROR, unless NAME is marked once
 * (db_statements.h) or a transaction is open on this thread (then once). */
int db_query_retry(const char *name, int n, const char *const *values,
                   PGresult **res) CPN_MUST_CHECK;

/* A new connection of its own (for a long export), not prepared, opened within the
 * statement deadline; NULL on failure. The caller PQfinish()es it. */
PGconn *db_connect_new(void);

/* Every new connection of the calling thread runs the command SQL (static text) right after
 * it sets its isolation level; a failure fails the connection. NULL: none (the default). */
void db_thread_session(const char *sql);
/* Now, in ms on the monotonic clock the deadlines use. */
int64_t db_now_ms(void);
/* Until called again with 0, no round trip of the calling thread (connecting included) waits
 * past AT_MS (db_now_ms's clock): a call that would is late, as past the statement deadline. */
void db_deadline_cap(int64_t at_ms);
/* The SQLSTATE of RES, or "" when it has none. */
const char *db_sqlstate(const PGresult *res);

/* The SQLSTATE with which a one-statement form declines a request its stored function must
 * answer (redeem_key_taken(), sql/functions/0302_redeem.sql): logged at debug, not as an
 * error; the caller then asks the function. */
#define DB_STATE_DECLINED "CPF01"

/* The most parameters and columns one call takes. */
#define DB_PARAMS_MAX 32
#define DB_COLS_MAX   32

/* Typed parameters encoded as libpq's text values. */
struct db_values {
    int n;
    const char *values[DB_PARAMS_MAX];
    char *heap; /* owned: the text when it does not fit SCRATCH */
    char scratch[DB_PARAMS_MAX * 24];
};

/* Encodes PARAMS (ended by DB_PARAM_END) into *OUT. Returns 0, or -1 (logged) for too many
 * parameters or no memory. Clear *OUT with db_values_clear either way. */
int db_values_encode(const struct db_param *params, struct db_values *out) CPN_MUST_CHECK;

/* Frees what V holds (not V). */
void db_values_clear(struct db_values *v);

/* Runs prepared statement STMT with the typed PARAMS as db_query_retry does. Returns and
 * hands over *RES as it does; DB_HARD_ERROR (logged, *RES NULL) when PARAMS cannot be
 * encoded. */
int db_run(const char *stmt, const struct db_param *params, PGresult **res) CPN_MUST_CHECK;

/* Finds the columns COLS (ended by DB_COL_END) of RES by name: IDX[k] is column k's index.
 * Returns 0, or -1 when one is missing (logged with WHAT). */
int db_cols_find(const PGresult *res, const struct db_col *cols, int idx[DB_COLS_MAX],
                 const char *what) CPN_MUST_CHECK;

/* Reads row ROW of RES into the places COLS name (IDX from db_cols_find), each conversion
 * checked. Returns 0, or -1 (logged with WHAT and the column; strings read by this call
 * freed, the places zero). */
int db_cols_read(const PGresult *res, int row, const struct db_col *cols,
                 const int idx[DB_COLS_MAX], const char *what) CPN_MUST_CHECK;

/* Sets every place COLS name to zero (strings NULL, words DBW_NONE, texts ""); frees
 * nothing. */
void db_cols_zero(const struct db_col *cols);

#endif
