/* Redemption stored-function calls (check, redeem, void, partial return); no HTTP. */
#ifndef SVC_DB_REDEMPTIONS_H
#define SVC_DB_REDEMPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "coupon/err.h"
#include "db_bounce.h"
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
    /* counter (issue 17) */
    char discount_by_vat[512];      /* redeem with basket_by_vat: the JSON object, else "" */
    bool on_receipt;                /* the receipt_* fields below were answered */
    int64_t receipt_discount_cents; /* the receipt's discount (receipt_basket: its basket) */
    int32_t receipt_coupons;        /* the receipt's live coupons */
    struct db_next_coupon next;     /* redeem: the bounce-back coupon (serial 0: none) */
};

/* redeem(). TERMINAL scopes TXN. CARD 0 = none. RECEIPT (the till's receipt
 * id) may be NULL. OFFLINE_AT (RFC 3339, or NULL online): the till accepted it offline then.
 * BASKET_BY_VAT (JSON object text, vat_parts_text) may be NULL; BOUNCE: look for a bounce-back
 * trigger (bounce_live()). An online redemption without RECEIPT, BASKET_BY_VAT and BOUNCE is
 * first offered to one prepared statement that books the commonest case as redeem() would
 * (redeem_fast, sql/functions/0302_redeem.sql); anything else, a refusal, a replay or a
 * conflict, redeem() answers (a second round trip). Returns a db_status (DB_ONE_RESULT on
 * success) and fills *OUT. */
int db_redeem(uint32_t serial, int32_t store, const char *terminal, const char *txn, int64_t basket,
              uint32_t card, const char *receipt, const char *offline_at, const char *basket_by_vat,
              bool bounce, struct redeem_answer *out) CPN_MUST_CHECK;

/* coupon_check(): what redeem would answer now; changes nothing. TERMINAL and RECEIPT (may be
 * NULL) place it among the receipt's coupons. Without a receipt, one prepared statement answers
 * (coupon_check_fast(), the same answers), and coupon_check() only for a used-up coupon or one
 * with a limit per card (a second round trip). Returns a db_status and fills *OUT. */
int db_check(uint32_t serial, int32_t store, int64_t basket, uint32_t card, const char *terminal,
             const char *receipt, struct redeem_answer *out) CPN_MUST_CHECK;

/* redemption_void(): OUT->redemption_id is the void's id; OUT->offline_at when it was made,
 * OUT->discount_cents and campaign_id those of the redemption voided (ok, replay). */
int db_void(int64_t redemption, int32_t store, const char *terminal, const char *txn,
            struct redeem_answer *out) CPN_MUST_CHECK;

/* A partial return's answer (redemption_return()). */
struct return_answer {
    enum db_word status; /* ok, replay, conflict, not_found, voided_redemption, beyond_basket */
    int64_t return_id;
    int64_t discount_cents; /* this return's share of the discount */
    int64_t points;         /* points taken back from the card */
    int64_t basket_cents;   /* the redemption's basket and discount */
    int64_t redemption_discount_cents;
    int64_t returned_total_cents; /* all returns of the redemption so far, and their shares */
    int64_t discount_total_cents;
    int64_t balance;      /* the card's balance after it, when points were taken */
    bool has_balance;     /* BALANCE was answered */
    char returned_at[32]; /* RFC 3339 */
};

/* redemption_return() in one round trip: RETURNED cents of REDEMPTION's basket came back at
 * TERMINAL (of STORE) under TXN. Returns a db_status (a unique violation is answered as the
 * status "conflict") and fills *OUT. */
int db_return(int64_t redemption, int32_t store, const char *terminal, const char *txn,
              int64_t returned, struct return_answer *out) CPN_MUST_CHECK;

#endif
