/* Coupon stored-function calls and the bulk COPY; no HTTP. */
#ifndef SVC_DB_COUPONS_H
#define SVC_DB_COUPONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codes.h"
#include "coupon/err.h"
#include "db_words.h"

struct issue_begin {
    enum db_word status; /* ok, replay, conflict, not_found, no_serials */
    int64_t batch_id;
    int64_t first_serial; /* no_serials: the next free serial */
    int64_t last_serial;  /* replays only */
    int64_t ends_at;
    char offer_kind[16];
    int64_t offer_value;
    int64_t min_basket_cents;
};

/* coupon_issue_begin in the thread's open transaction (MAX_PER_CARD: a generic code's limit
 * per card, 0 for none). Returns a db_status (DB_ONE_RESULT on success) and fills *OUT. */
int db_coupon_issue_begin(int64_t campaign, int count, int max_uses, int64_t card_serial,
                          const char *request_key, const char *created_by, int max_per_card,
                          struct issue_begin *out) CPN_MUST_CHECK;

/* A COPY of coupon rows into coupons, in the thread's open transaction, fed in pieces so the
 * caller can work out the next rows while PostgreSQL stores the last ones. */
struct db_copy;

/* Starts the COPY of rows of CAMPAIGN, BATCH, MAX_USES and CARD_SERIAL (0: none). Returns the
 * COPY (ended, and freed, by db_coupon_copy_end), or NULL after logging why. */
struct db_copy *db_coupon_copy_begin(int64_t campaign, int64_t batch, int max_uses,
                                     int64_t card_serial);

/* Sends the rows of the N SERIALS, coupon i bound to CARDS[i] when CARDS is not NULL (a
 * mailing; the COPY must then have been begun with CARD_SERIAL 0). Returns DB_NO_RESULTS, or
 * DB_HARD_ERROR when the COPY failed (it must still be ended). */
int db_coupon_copy_rows(struct db_copy *c, const uint32_t *serials, const uint32_t *cards,
                        size_t n) CPN_MUST_CHECK;

/* Sends the rows and the COPY's end now, without waiting: PostgreSQL stores them while the
 * caller works out the next piece, and db_coupon_copy_end then waits for it (a KEEP of false
 * there can no longer abort this COPY: it answers DB_HARD_ERROR, and the caller rolls back).
 * Returns DB_NO_RESULTS, or DB_HARD_ERROR when the COPY failed (it must still be ended). */
int db_coupon_copy_send(struct db_copy *c) CPN_MUST_CHECK;

/* Ends the COPY (unless db_coupon_copy_send did), waits until PostgreSQL has stored or
 * refused its rows, and frees C: stores the rows when KEEP, else aborts it (nothing is stored
 * and the transaction must be rolled back). Returns DB_NO_RESULTS when the rows were stored,
 * otherwise DB_HARD_ERROR. */
int db_coupon_copy_end(struct db_copy *c, bool keep) CPN_MUST_CHECK;

/* The serials of batch BATCH (between FIRST and LAST) in ascending order into OUT, which has
 * room for N. Returns DB_ONE_RESULT when the batch has exactly N coupons, DB_HARD_ERROR when
 * it has another number, or a failure status. */
int db_coupon_batch_serials(int64_t batch, int64_t first, int64_t last, uint32_t *out,
                            size_t n) CPN_MUST_CHECK;

/* coupon_issue_finish. Returns DB_ONE_RESULT on success. */
int db_coupon_issue_finish(int64_t batch, int64_t last_serial, int count) CPN_MUST_CHECK;

struct db_cancel;

/* A handle to cancel, from another thread, the statement running on the calling thread's
 * connection (libpq's PQcancel). Returns NULL when there is no connection or no memory. */
struct db_cancel *db_cancel_new(void);

/* Asks the server to cancel whatever C's connection is running (nothing if it is idle).
 * Safe from any thread while C lives; C NULL is a no-op. */
void db_cancel_send(struct db_cancel *c);

/* Frees C; NULL is a no-op. */
void db_cancel_free(struct db_cancel *c);

/* One coupon's state as JSON text in *JSON (caller frees); DB_NO_RESULTS if unknown. */
int db_coupon_get(int64_t serial, char **json) CPN_MUST_CHECK;

/* The signing terms of campaign ID (CARD_SERIAL left 0), or, when SERIAL is non-zero,
 * of that coupon's campaign (and its card). Returns DB_ONE_RESULT, DB_NO_RESULTS when
 * unknown, or a failure status. */
int db_terms(int64_t campaign, int64_t serial, struct coupon_terms *terms,
             uint32_t *card_serial) CPN_MUST_CHECK;

/* A streaming export of a campaign's coupons on a connection of its own. */
struct db_export;

/* Opens the export of CAMPAIGN (only batch BATCH when it is not 0); NULL on failure (logged). */
struct db_export *db_export_open(int64_t campaign, int64_t batch);

/* One coupon of an export. */
struct db_export_row {
    uint32_t serial;
    int32_t uses, max_uses;
    uint32_t card_serial; /* 0: not bound to a card */
    char issued_at[32];   /* its batch's, RFC 3339 */
};

/* The next N rows at most into ROWS; returns how many (fewer than N at the end, 0 past it) or
 * DB_HARD_ERROR (logged). */
int db_export_fetch(struct db_export *e, struct db_export_row *rows, size_t n) CPN_MUST_CHECK;

/* Ends the export and closes its connection; NULL is a no-op. */
void db_export_close(struct db_export *e);

#endif
