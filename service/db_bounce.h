/* Bounce-back coupons in the database (issue 17): reading the next_* columns redeem() and
 * card_earn() answer with, and filling a bounce-back campaign's pool of serials; no HTTP. */
#ifndef SVC_DB_BOUNCE_H
#define SVC_DB_BOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"
#include "db.h"

/* The bounce-back coupon an answer carries (serial 0: none). */
struct db_next_coupon {
    int64_t serial;
    int64_t campaign;
    int64_t card;    /* the card it is bound to, 0: none */
    int64_t ends_at; /* Unix seconds: the campaign's end */
    char offer_kind[24];
    int64_t offer_value;
    int64_t min_basket_cents;
    char issued_at[32]; /* RFC 3339 */
    bool pool_low;      /* the campaign's pool wants filling */
};

/* The next_* columns of redeem() and card_earn() (db_col_ entries, NULL allowed: no coupon),
 * read into the struct db_next_coupon at N. */
#define DB_NEXT_COUPON_COLS(n)                                                                     \
    db_col_null_ok(db_col_i64("next_serial", &(n)->serial)),                                       \
        db_col_null_ok(db_col_i64("next_campaign", &(n)->campaign)),                               \
        db_col_null_ok(db_col_i64("next_card", &(n)->card)),                                       \
        db_col_null_ok(db_col_i64("next_ends_at", &(n)->ends_at)),                                 \
        db_col_null_ok(db_col_text("next_offer_kind", (n)->offer_kind, sizeof(n)->offer_kind)),    \
        db_col_null_ok(db_col_i64("next_offer_value", &(n)->offer_value)),                         \
        db_col_null_ok(db_col_i64("next_min_basket", &(n)->min_basket_cents)),                     \
        db_col_null_ok(db_col_text("next_issued_at", (n)->issued_at, sizeof(n)->issued_at)),       \
        db_col_null_ok(db_col_bool("next_pool_low", &(n)->pool_low))

/* bounce_campaigns_live(): whether any campaign has a trigger and has not ended, into *LIVE.
 * Returns DB_ONE_RESULT or a failure status (*LIVE then true: look rather than miss one). */
int db_bounce_campaigns_live(bool *live) CPN_MUST_CHECK;

/* The bounce-back campaigns whose pool holds fewer than LOW serials: at most MAX ids into
 * IDS, their count into *N. Returns DB_ONE_RESULT (also for none) or a failure status. */
int db_bounce_pool_needs(int low, int64_t *ids, size_t max, size_t *n) CPN_MUST_CHECK;

/* In the thread's open transaction: claims COUNT serials for CAMPAIGN's pool with MAC key
 * MAC_KEY (bounce_pool_reserve()). *STATUS gets ok, stale_key, not_found or no_serials,
 * *FIRST the first serial. Returns DB_ONE_RESULT or a failure status. */
int db_bounce_pool_reserve(int64_t campaign, int count, unsigned mac_key, enum db_word *status,
                           int64_t *first) CPN_MUST_CHECK;

/* In the same transaction: records FIRST..LAST as CAMPAIGN's pool batch and puts the N clean
 * SERIALS into the pool. Returns DB_ONE_RESULT or a failure status. */
int db_bounce_pool_add(int64_t campaign, int64_t first, int64_t last, const uint32_t *serials,
                       size_t n) CPN_MUST_CHECK;

#endif
