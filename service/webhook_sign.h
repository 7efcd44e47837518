/* Standard Webhooks signatures (v1: HMAC-SHA256) and their secrets ("whsec_" + base64 of
 * random bytes), with OpenSSL. Pure functions: no HTTP, no database. */
#ifndef SVC_WEBHOOK_SIGN_H
#define SVC_WEBHOOK_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"

#define WEBHOOK_SECRET_LEN 32 /* bytes of a new secret (the spec asks for 24 to 64) */
#define WEBHOOK_SIG_MAX    64 /* "v1," + base64 of 32 bytes + NUL fits */

/* Fills SECRET with N random bytes. Returns CPN_OK or CPN_ERR_INTERNAL (no randomness). */
enum cpn_err webhook_secret_new(uint8_t *secret, size_t n) CPN_MUST_CHECK;

/* Decodes standard base64 TEXT (with padding, no line breaks) into OUT (CAP bytes). Returns
 * the number of bytes, or -1 when TEXT is not such base64 or does not fit. */
int webhook_base64_decode(const char *text, uint8_t *out, size_t cap) CPN_MUST_CHECK;

/* Writes the signature header value "v1,<base64 HMAC-SHA256 of MSG_ID.TIMESTAMP.BODY>" with
 * SECRET into OUT (WEBHOOK_SIG_MAX bytes). Returns CPN_OK or CPN_ERR_INTERNAL. */
enum cpn_err webhook_sign(const uint8_t *secret, size_t secret_len, const char *msg_id,
                          long long timestamp, const char *body, size_t body_len,
                          char out[WEBHOOK_SIG_MAX]) CPN_MUST_CHECK;

#endif
