/* Cursors for streamed CSV exports, each on a connection of its own in a read-only REPEATABLE
 * READ transaction (one consistent snapshot for the whole file), their rows handed out as
 * structs; no HTTP. */
#ifndef SVC_DB_CURSOR_H
#define SVC_DB_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"

struct db_cursor;

/* One redemption of a campaign, as campaign_redemption_rows() answers it. */
struct db_redemption_row {
    int64_t id;
    char redeemed_at[32]; /* RFC 3339 */
    char day[11];         /* the local day, YYYY-MM-DD */
    int32_t store;
    char terminal[128];
    uint32_t code; /* the coupon's serial */
    bool has_card;
    uint32_t card; /* the card's serial, when HAS_CARD */
    int64_t basket_cents, discount_cents, points;
    char receipt[65];   /* "" when none */
    char voided_at[32]; /* RFC 3339, "" when not voided */
};

/* Opens the cursor over campaign_redemption_rows(CAMPAIGN, FROM, TO) (local dates or NULL).
 * Returns it in *OUT with DB_ONE_RESULT; DB_NO_RESULTS when the campaign does not exist;
 * DB_SOFT_ERROR (no connection) or DB_HARD_ERROR (logged). */
int db_cursor_redemptions(int64_t campaign, const char *from, const char *to,
                          struct db_cursor **out) CPN_MUST_CHECK;

/* The next N rows at most into ROWS; returns how many (fewer than N at the end, 0 past it) or
 * DB_HARD_ERROR (logged). */
int db_cursor_fetch(struct db_cursor *c, struct db_redemption_row *rows, size_t n) CPN_MUST_CHECK;

/* Ends the cursor's transaction and closes its connection; NULL is a no-op. */
void db_cursor_close(struct db_cursor *c);

#endif
