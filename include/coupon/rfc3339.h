/* RFC 3339 times (lib/rfc3339.c): the one parser and formatter of coupond and pos-client,
 * for "2026-11-22T10:00:00Z", offsets ("+01:00") and fractions (".123", dropped). */
#ifndef COUPON_RFC3339_H
#define COUPON_RFC3339_H

#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"

/* The longest text cpn_rfc3339_format writes, with its NUL: "YYYY-MM-DDTHH:MM:SSZ". */
#define CPN_RFC3339_SIZE 21

/* Parses TEXT, exactly YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM) ('T' and 'Z' in either
 * case; second 60, a leap second, reads as 59), into Unix seconds *OUT. Returns CPN_OK, or
 * CPN_ERR_BAD_REQUEST with *OUT unchanged for anything else: another shape, a day the calendar
 * does not have, a year before 1970, an hour past 23, or an instant before
 * 1970-01-01T00:00:00Z or after 9999-12-31T23:59:59Z (which cpn_rfc3339_format could not
 * write back). */
CPN_MUST_CHECK enum cpn_err cpn_rfc3339_parse(const char *text, int64_t *out);

/* Writes Unix seconds T (0 .. 253402300799) as "YYYY-MM-DDTHH:MM:SSZ" into BUF of LEN bytes
 * (at least CPN_RFC3339_SIZE; a shorter BUF gets "" when LEN > 0). */
void cpn_rfc3339_format(int64_t t, char *buf, size_t len);

#endif
