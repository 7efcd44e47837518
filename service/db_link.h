/* A database connection of its own for a background thread of coupond (the outbox
 * publisher, the live feed, webhook delivery): never a worker's connection, so nothing
 * these threads do waits for or delays a till's request. Optionally LISTENs on a channel. */
#ifndef SVC_DB_LINK_H
#define SVC_DB_LINK_H

#include <pthread.h>
#include <stdbool.h>

#include "coupon/err.h"
#include "db.h"

struct db_link;

/* Opens a new connection with the conninfo given to db_setup(), READ COMMITTED, and when
 * LISTEN_EVENTS LISTENs on channel coupond_events (where events_publish() tells the new
 * head). Returns the link (the caller closes it with db_link_close), or NULL after logging
 * why. */
struct db_link *db_link_open(bool listen_events);

/* Closes L; NULL is a no-op. */
void db_link_close(struct db_link *l);

/* Waits for THREAD (told to stop already) to end, like pthread_join; while it runs, the
 * statement running on any link THREAD opened is cancelled every 100 ms, so a statement that
 * waits (for a lock another connection holds, say) cannot hold up a stop. Its thread sees the
 * statement fail (DB_HARD_ERROR or DB_SOFT_ERROR) and is expected to check its stop flag.
 * WHAT names the thread in the log. */
void db_link_join(pthread_t thread, const char *what);

/* The connection's socket, to poll() for notifications; -1 when broken. */
int db_link_socket(const struct db_link *l);

/* Reads what the server sent and drops the notifications that came. Returns 1 when at least
 * one notification came, 0 when none, -1 when the connection is lost (reopen it). */
int db_link_notified(struct db_link *l) CPN_MUST_CHECK;

/* True once the connection was found lost; the owner closes and reopens it. */
bool db_link_broken(const struct db_link *l);

/* Runs SQL (not prepared) with the typed PARAMS (ended by DB_PARAM_END) and, row by row,
 * reads the columns COLS by name (checked conversions, as db_select_rows) and calls ROW(CLS, i)
 * (ROW may be NULL when COLS is empty). Returns the number of rows (DB_NO_RESULTS,
 * DB_ONE_RESULT or more), or DB_SOFT_ERROR (connection lost, serialization failure) or
 * DB_HARD_ERROR (a column that cannot be read, ROW stopped, the statement failed) after
 * logging. */
int db_link_select_rows(struct db_link *l, const char *sql, const struct db_param *params,
                        const struct db_col *cols, db_row_fn row, void *cls) CPN_MUST_CHECK;

/* db_link_select_rows for a statement answering exactly one row, read into COLS' places.
 * Returns DB_ONE_RESULT; DB_HARD_ERROR for no row or more than one (logged), or the
 * failure. */
int db_link_select_one(struct db_link *l, const char *sql, const struct db_param *params,
                       const struct db_col *cols) CPN_MUST_CHECK;

#endif
