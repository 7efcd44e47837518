/* Money and counts as the till reads and shows them: euros typed by a cashier ("12.34",
 * "12,34", "12") into integer cents, cents into "12.34 EUR" (English) or "12,34 €" (German, by
 * the till's language: i18n.h), and whole positive numbers (points, ids). No floating point
 * anywhere. */
#ifndef POS_MONEY_H
#define POS_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"

/* Room for the longest pos_money_format() result ("-92233720368547758.08 EUR"; the German
 * "-92233720368547758,08 €" is shorter) and its NUL. */
#define POS_MONEY_SIZE 32

/* Parses TEXT as an amount of euros into *CENTS: one or more digits, optionally followed by '.'
 * or ',' and one or two digits ("12", "12.3", "12.34", "12,34"). Nothing else is allowed: no
 * sign, no spaces, no thousands separators, no more than two decimals. Returns CPN_OK, or
 * CPN_ERR_BAD_REQUEST (then *CENTS is unchanged) for anything else and for amounts that do not
 * fit in an int64_t of cents. */
CPN_MUST_CHECK enum cpn_err pos_money_parse(const char *text, int64_t *cents);

/* Writes CENTS in the till's language into BUF and returns BUF: "12.34 EUR" ("-0.05 EUR" for
 * negative amounts) in English, "12,34 €" ("-0,05 €") in German. */
const char *pos_money_format(int64_t cents, char buf[POS_MONEY_SIZE]);

/* Parses TEXT as a whole number from 1 to INT64_MAX (digits only: no sign, no spaces) into
 * *VALUE. Returns CPN_OK, or CPN_ERR_BAD_REQUEST (then *VALUE is unchanged). */
CPN_MUST_CHECK enum cpn_err pos_count_parse(const char *text, int64_t *value);

#endif
