/* The service's keyring and the two code forms of its coupons and cards: reading a
 * code from a request (format, check symbol, MAC — no database) and writing both forms
 * of a coupon for issue, export and QR. */
#ifndef SVC_CODES_H
#define SVC_CODES_H

#include <stdint.h>

#include "coupon/code.h"
#include "coupon/keys.h"

/* What a coupon's signed form says about its campaign. */
struct coupon_terms {
    uint32_t campaign;
    uint32_t expiry; /* Unix seconds: the campaign's end */
    enum cpn_offer_kind offer_kind;
    uint32_t offer_value;
    uint32_t min_basket_cents;
};

/* Loads every key in DIR. Returns CPN_OK, or an error (logged) with nothing loaded.
 * The keyring is read-only afterwards and shared by all worker threads. */
enum cpn_err codes_load(const char *dir) CPN_MUST_CHECK;

/* Frees the keyring (keys wiped); NULL-safe to call twice. */
void codes_unload(void);

/* The loaded keyring (borrowed), or NULL before codes_load. */
const struct cpn_keyring *codes_keyring(void);

/* Reads TEXT (either form, as scanned or typed) as a code of KIND and checks its MAC.
 * Returns CPN_OK with *OUT filled; CPN_ERR_MALFORMED_CODE, CPN_ERR_TYPO, or
 * CPN_ERR_FORGED_CODE (bad MAC, unknown key, or a code of the other kind). */
enum cpn_err codes_read(const char *text, enum cpn_kind kind, struct cpn_code *out) CPN_MUST_CHECK;

/* Issues the short form of (KIND, SERIAL) into SHORT_OUT; *CLEAN tells whether it
 * passes the offensive-word filter (the issuer skips serials that do not). */
enum cpn_err codes_short(enum cpn_kind kind, uint32_t serial, char short_out[CPN_SHORT_LEN + 1],
                         bool *clean) CPN_MUST_CHECK;

/* Writes both forms of coupon SERIAL under TERMS (bound to CARD_SERIAL when non-zero):
 * the short form into SHORT_OUT and the signed form into SIGNED_OUT (at least
 * CPN_SIGNED_MAX_LEN + 1 bytes). Thread-safe. */
enum cpn_err codes_coupon_forms(uint32_t serial, const struct coupon_terms *terms,
                                uint32_t card_serial, char short_out[CPN_SHORT_LEN + 1],
                                char *signed_out, size_t signed_size) CPN_MUST_CHECK;

/* Writes both forms of bonus card SERIAL. */
enum cpn_err codes_card_forms(uint32_t serial, char short_out[CPN_SHORT_LEN + 1], char *signed_out,
                              size_t signed_size) CPN_MUST_CHECK;

/* Maps an offer kind name ("percent", "amount", "points") to the enum. */
enum cpn_offer_kind codes_offer_kind(const char *name);

#endif
