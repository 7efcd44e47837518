/* Redemption stored-function calls (check, redeem, void, report); no HTTP. */
#ifndef SVC_DB_REDEMPTIONS_H
#define SVC_DB_REDEMPTIONS_H

#include <stdint.h>

#include "coupon/err.h"

/* What the database answered for a check, a redemption or a void. */
struct redeem_answer {
    char status[24];       /* ok, replay, voided, conflict, not_found, expired, ... */
    int64_t redemption_id; /* redeem: the redemption; void: the void */
    int64_t discount_cents;
    int64_t campaign_id;
    int64_t points;
    char redeemed_at[32]; /* RFC 3339, when known */
    int32_t redeemed_store;
    int64_t void_id; /* redeem answered "voided": the void of the first redemption */
};

/* redeem() in one round trip. TERMINAL scopes TXN. CARD 0 = none. RECEIPT (the till's receipt
 * id) may be NULL. Returns a db_status (DB_ONE_RESULT on success) and fills *OUT. */
int db_redeem(uint32_t serial, int32_t store, const char *terminal, const char *txn, int64_t basket,
              uint32_t card, const char *receipt, struct redeem_answer *out) CPN_MUST_CHECK;

/* coupon_check(): what redeem would answer now; changes nothing. */
int db_check(uint32_t serial, int32_t store, int64_t basket, uint32_t card,
             struct redeem_answer *out) CPN_MUST_CHECK;

/* redemption_void(): OUT->redemption_id is the void's id. */
int db_void(int64_t redemption, int32_t store, const char *terminal, const char *txn,
            struct redeem_answer *out) CPN_MUST_CHECK;

/* The refusal an answer's status stands for (CPN_OK for ok and replay, CPN_ERR_VOIDED for a
 * replay of a redemption that was voided since). */
enum cpn_err db_status_err(const char *status);

#endif
