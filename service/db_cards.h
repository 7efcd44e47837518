/* Bonus card stored-function calls (issue, get, earn, burn, void, expire); no HTTP. */
#ifndef SVC_DB_CARDS_H
#define SVC_DB_CARDS_H

#include <stdbool.h>
#include <stdint.h>

#include "coupon/err.h"
#include "db_bounce.h"
#include "db_words.h"

/* What the database answered for an earn, a burn or a void of a card transaction. */
struct card_answer {
    enum db_word status;    /* ok, replay, voided, conflict, not_found, insufficient_points, ... */
    int64_t transaction_id; /* earn/burn: the new row; void: the void's row */
    int64_t points;         /* earn/burn: points booked; void: the change it made (signed);
                               insufficient_points on a void: the points it needs */
    int64_t balance;        /* the balance after it (or, refused, the card's balance) */
    int64_t value_cents;    /* burn: what the points are worth */
    char kind[16];          /* void: the kind of the transaction named */
    int64_t voided_by;      /* earn/burn answered "voided": the void of the first booking */
    char booked_at[32];     /* earn/burn: when booked; void: when voided ("" unknown) */
    char offline_at[32];    /* earn: booked on the till's offline time ("" online) */
    struct db_next_coupon next; /* earn: the bounce-back coupon (issue 17; serial 0: none) */
};

/* card_serials_reserve(COUNT, MAC_KEY): *FIRST gets the first of COUNT serials reserved for
 * new cards, claimed for MAC key MAC_KEY, or -1 when a newer MAC key is in use (nothing was
 * reserved). Returns DB_ONE_RESULT, DB_NO_RESULTS when the serial space is exhausted, or a
 * failure status. */
int db_card_serials_reserve(int count, unsigned mac_key, int64_t *first) CPN_MUST_CHECK;

/* card_create(SERIAL): creates the card. Returns DB_ONE_RESULT, or a failure status. */
int db_card_create(uint32_t serial) CPN_MUST_CHECK;

/* card_get(SERIAL) as JSON text in *JSON (caller frees); DB_NO_RESULTS if unknown. */
int db_card_get(uint32_t serial, char **json) CPN_MUST_CHECK;

/* card_earn() in one round trip: a purchase of BASKET cents at TERMINAL (of STORE) under
 * TXN; OFFLINE_AT (RFC 3339, or NULL online): the till accepted it offline then; BOUNCE: look
 * for a bounce-back trigger (bounce_live()). Returns DB_ONE_RESULT with *OUT filled (a unique
 * violation is answered as the status "conflict"), or a failure status. */
int db_card_earn(uint32_t card, int32_t store, const char *terminal, const char *txn,
                 int64_t basket, const char *offline_at, bool bounce,
                 struct card_answer *out) CPN_MUST_CHECK;

/* card_burn() in one round trip: POINTS off CARD; as db_card_earn. */
int db_card_burn(uint32_t card, int32_t store, const char *terminal, const char *txn,
                 int64_t points, struct card_answer *out) CPN_MUST_CHECK;

/* card_transaction_void() of ledger row ID; as db_card_earn. */
int db_card_void(int64_t id, int32_t store, const char *terminal, const char *txn,
                 struct card_answer *out) CPN_MUST_CHECK;

/* card_expire(MAX_CARDS): one batch of the points expiry run. *CARDS gets how many cards
 * lost points (0: nothing more is due). Idempotent. Returns DB_ONE_RESULT, or a failure
 * status with *CARDS 0. */
int db_card_expire(int max_cards, int64_t *cards) CPN_MUST_CHECK;

#endif
