/* What the short-form module (code_short.c) calls in the signed-form module
 * (code_signed.c): the signed-form parser behind cpn_code_parse(). Private to libcoupon. */
#ifndef COUPON_CODE_SIGNED_H
#define COUPON_CODE_SIGNED_H

#include <stddef.h>
#include <stdint.h>

#include "coupon/code.h"
#include "coupon/err.h"

/* Parses N normalised symbols as a signed form into *OUT (zeroed first).
 * Returns CPN_OK or CPN_ERR_MALFORMED_CODE. */
CPN_MUST_CHECK enum cpn_err cpn_signed_parse_symbols(const uint8_t *syms, size_t n,
                                                     struct cpn_code *out);

#endif
