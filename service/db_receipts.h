/* Receipt codes in the database (issue 17): the programme's crediting period, and crediting a
 * card with a receipt code's purchase; no HTTP. */
#ifndef SVC_DB_RECEIPTS_H
#define SVC_DB_RECEIPTS_H

#include <stdint.h>

#include "coupon/err.h"
#include "db_cards.h"

/* receipt_credit_days(): how many days after a purchase its receipt code can be credited, into
 * *DAYS. Returns DB_ONE_RESULT or a failure status. */
int db_receipt_credit_days(int *days) CPN_MUST_CHECK;

/* card_credit_receipt() in one round trip: CARD credited at TERMINAL (of STORE, under TXN)
 * with purchase R_TXN of till R_TERMINAL worth BASKET cents, until VALID_UNTIL (Unix seconds).
 * Returns DB_ONE_RESULT with *OUT filled (status ok, replay, voided, conflict, not_found,
 * expired, already_credited, already_earned; a unique violation is "conflict"), or a failure
 * status. */
int db_card_credit_receipt(uint32_t card, int32_t store, const char *terminal, const char *txn,
                           const char *r_terminal, const char *r_txn, int64_t basket,
                           int64_t valid_until, struct card_answer *out) CPN_MUST_CHECK;

#endif
