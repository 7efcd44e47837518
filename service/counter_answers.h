/* What the till is told about the counter's rules (issue 17), shared by the check, the
 * redemption and the card handlers: the refusals' sentences (English or German, for a cashier
 * to read out) and the answer's extras (discount per VAT rate, the receipt so far, the
 * bounce-back coupon). */
#ifndef SVC_COUNTER_ANSWERS_H
#define SVC_COUNTER_ANSWERS_H

#include <jansson.h>

#include "coupon/err.h"
#include "db_redemptions.h"

/* The sentence for a refusal of the counter's rules with database status STATUS, in LANG; NULL
 * for any other status. AMOUNT_CENTS is the receipt's basket for DBW_RECEIPT_BASKET. */
const char *counter_refusal_sentence(enum db_word status, enum cpn_lang lang, int64_t amount_cents,
                                     char *buf, size_t len);

/* Adds to OUT (a redemption's answer) what A says besides: discount_by_vat, receipt {id,
 * basket_cents, discount_cents, remaining_cents, coupons} when RECEIPT is not NULL, and
 * next_coupon. */
void counter_redeem_extras(json_t *out, const struct redeem_answer *a, const char *receipt,
                           int64_t basket);

/* Formats CENTS as a German ("12,34 €") or English ("12.34 EUR") amount into BUF. */
const char *counter_amount(int64_t cents, enum cpn_lang lang, char *buf, size_t len);

#endif
