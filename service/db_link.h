/* A database connection of its own for a background thread of coupond (the outbox
 * publisher, the live feed, webhook delivery): never a worker's connection, so nothing
 * these threads do waits for or delays a till's request. Optionally LISTENs on a channel. */
#ifndef SVC_DB_LINK_H
#define SVC_DB_LINK_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "coupon/err.h"

struct db_link;

/* Opens a new connection with the conninfo given to db_setup(), READ COMMITTED, and when
 * LISTEN_EVENTS LISTENs on channel coupond_events (where events_publish() tells the new
 * head). Returns the link (the caller closes it with db_link_close), or NULL after logging
 * why. */
struct db_link *db_link_open(bool listen_events);

/* Closes L; NULL is a no-op. */
void db_link_close(struct db_link *l);

/* The connection's socket, to poll() for notifications; -1 when broken. */
int db_link_socket(const struct db_link *l);

/* Reads what the server sent and drops the notifications that came. Returns 1 when at least
 * one notification came, 0 when none, -1 when the connection is lost (reopen it). */
int db_link_notified(struct db_link *l) CPN_MUST_CHECK;

/* True once the connection was found lost; the owner closes and reopens it. */
bool db_link_broken(const struct db_link *l);

/* Runs SQL with N text parameters (NULL = SQL NULL). Returns the number of rows
 * (DB_NO_RESULTS, DB_ONE_RESULT or more) with the result in *RES (the caller clears it), or
 * DB_SOFT_ERROR (connection lost or serialization failure) / DB_HARD_ERROR after logging; then
 * *RES is NULL. */
int db_link_query(struct db_link *l, const char *sql, int n, const char *const *values,
                  PGresult **res) CPN_MUST_CHECK;

#endif
