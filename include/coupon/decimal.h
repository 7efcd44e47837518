/* Integers as decimal text without the printf family (lib/decimal.c): the database layer's
 * parameters, the log records and the answers' JSON all write their numbers with it. */
#ifndef COUPON_DECIMAL_H
#define COUPON_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

/* Room cpn_decimal needs: a sign, 19 digits and the NUL. */
#define CPN_DECIMAL_MAX 21

/* Writes V in decimal (as "%" PRId64) at OUT, which has room for CPN_DECIMAL_MAX bytes,
 * terminated; returns its length. INT64_MIN included. */
size_t cpn_decimal(int64_t v, char *out);

#endif
