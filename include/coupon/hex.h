/* Hex text for keys (lib/hex.c): 32-byte keys are kept in key files and sent in
 * GET /v1/keys as 64 hex digits. */
#ifndef COUPON_HEX_H
#define COUPON_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"

/* Writes LEN bytes of IN as 2*LEN lower-case hex digits + NUL into OUT. */
void cpn_hex_encode(const uint8_t *in, size_t len, char *out);

/* Decodes exactly 2*OUT_LEN hex digits (either case) from HEX of HEX_LEN
 * bytes into OUT. Returns CPN_OK, or CPN_ERR_BAD_REQUEST if HEX_LEN is not
 * 2*OUT_LEN or a character is not a hex digit (OUT is then zeroed). */
CPN_MUST_CHECK enum cpn_err cpn_hex_decode(const char *hex, size_t hex_len, uint8_t *out,
                                           size_t out_len);

#endif
