/* Cursors for streamed CSV exports, each on a connection of its own in a read-only REPEATABLE
 * READ transaction (one consistent snapshot for the whole file); no HTTP. */
#ifndef SVC_DB_CURSOR_H
#define SVC_DB_CURSOR_H

#include <libpq-fe.h>
#include <stdint.h>

#include "coupon/err.h"

struct db_cursor;

/* Opens the cursor over campaign_redemption_rows(CAMPAIGN, FROM, TO) (local dates or NULL).
 * Returns it in *OUT with DB_ONE_RESULT; DB_NO_RESULTS when the campaign does not exist;
 * DB_SOFT_ERROR (no connection) or DB_HARD_ERROR (logged). */
int db_cursor_redemptions(int64_t campaign, const char *from, const char *to,
                          struct db_cursor **out) CPN_MUST_CHECK;

/* The next ROWS rows at most into *RES (caller clears); returns the row count (0 at the end)
 * or DB_HARD_ERROR. */
int db_cursor_fetch(struct db_cursor *c, int rows, PGresult **res) CPN_MUST_CHECK;

/* True when column COL of RES holds numbers (integer or numeric types). */
int db_cursor_numeric(const PGresult *res, int col);

/* Ends the cursor's transaction and closes its connection; NULL is a no-op. */
void db_cursor_close(struct db_cursor *c);

#endif
