/* Redemption stored-function calls (check, redeem, void, report); no HTTP. */
#ifndef SVC_DB_REDEMPTIONS_H
#define SVC_DB_REDEMPTIONS_H

#include <stdint.h>

#include "coupon/err.h"
#include "db_words.h"

/* What the database answered for a check, a redemption or a void. */
struct redeem_answer {
    enum db_word status;   /* ok, replay, voided, conflict, not_found, expired, ... */
    int64_t redemption_id; /* redeem: the redemption; void: the void */
    int64_t discount_cents;
    int64_t campaign_id;
    int64_t points;
    char redeemed_at[32]; /* RFC 3339, when known */
    int32_t redeemed_store;
    int64_t void_id;     /* redeem answered "voided": the void of the first redemption */
    char offline_at[32]; /* redeem: booked on the till's offline time ("" online); void: when
                            it was voided */
    int64_t conflict_id; /* redeem answered "offline_conflict": the conflict recorded */
    enum db_word reason; /* offline_conflict: why it could not be booked */
};

/* redeem() in one round trip. TERMINAL scopes TXN. CARD 0 = none. RECEIPT (the till's receipt
 * id) may be NULL. OFFLINE_AT (RFC 3339, or NULL online): the till accepted it offline then.
 * Returns a db_status (DB_ONE_RESULT on success) and fills *OUT. */
int db_redeem(uint32_t serial, int32_t store, const char *terminal, const char *txn, int64_t basket,
              uint32_t card, const char *receipt, const char *offline_at,
              struct redeem_answer *out) CPN_MUST_CHECK;

/* coupon_check(): what redeem would answer now; changes nothing. */
int db_check(uint32_t serial, int32_t store, int64_t basket, uint32_t card,
             struct redeem_answer *out) CPN_MUST_CHECK;

/* redemption_void(): OUT->redemption_id is the void's id; OUT->offline_at when it was made,
 * OUT->discount_cents and campaign_id those of the redemption voided (ok, replay). */
int db_void(int64_t redemption, int32_t store, const char *terminal, const char *txn,
            struct redeem_answer *out) CPN_MUST_CHECK;

#endif
