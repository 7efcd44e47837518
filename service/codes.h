/* The service's keyring and key ranges, and the two code forms of its coupons and cards:
 * reading a code from a request (format, check symbol, MAC, signature — no database) and
 * writing both forms of a coupon or card, exactly as they were issued, for issue, export
 * and QR. */
#ifndef SVC_CODES_H
#define SVC_CODES_H

#include <stdint.h>

#include "coupon/code.h"
#include "coupon/key_ranges.h"
#include "coupon/keys.h"

/* What a coupon's signed form says about its campaign. */
struct coupon_terms {
    uint32_t campaign;
    uint32_t expiry; /* Unix seconds: the campaign's end */
    enum cpn_offer_kind offer_kind;
    uint32_t offer_value;
    uint32_t min_basket_cents;
};

/* Loads every key in DIR, then reads the key ranges from the database (activating the
 * current MAC key; if the database cannot be reached, the first code read tries again).
 * Returns CPN_OK, or an error (logged) with nothing loaded. The keyring is read-only
 * afterwards and shared by all worker threads. */
enum cpn_err codes_load(const char *dir) CPN_MUST_CHECK;

/* Frees the keyring (keys wiped) and the ranges, and closes their connection; safe to call
 * twice. */
void codes_unload(void);

/* The loaded keyring (borrowed), or NULL before codes_load. */
const struct cpn_keyring *codes_keyring(void);

/* Reads TEXT (either form, as scanned or typed) as a code of KIND, checks the MAC of its
 * short form with the key that issued its serial, and for a signed form its Ed25519
 * signature (which alone vouches for it when that MAC key is not held). No database, but
 * for the ranges' first read. Returns CPN_OK with *OUT filled; CPN_ERR_MALFORMED_CODE,
 * CPN_ERR_TYPO; CPN_ERR_FORGED_CODE (bad MAC or signature, unknown MAC key, a code of the
 * other kind); CPN_ERR_UNKNOWN_KEY (signed with a key we do not hold); CPN_ERR_KEY_RETIRED;
 * CPN_ERR_UNAVAILABLE (the ranges could not be read yet). */
enum cpn_err codes_read(const char *text, enum cpn_kind kind, struct cpn_code *out) CPN_MUST_CHECK;

/* In the open transaction of the calling thread's connection that is about to allocate
 * serials of KIND: claims them for the current MAC key (code_key_claim()). Returns CPN_OK;
 * CPN_ERR_STALE_KEY (logged) when a newer key is in use, so this coupond must not issue;
 * CPN_ERR_UNAVAILABLE or CPN_ERR_INTERNAL when the database failed. */
enum cpn_err codes_claim(enum cpn_kind kind) CPN_MUST_CHECK;

/* The current MAC key's id (what new codes are issued with). */
unsigned codes_current_mac_id(void);

/* Issues the short form of (KIND, SERIAL) with the current MAC key into SHORT_OUT; *CLEAN
 * tells whether it passes the offensive-word filter (the issuer skips serials that do not).
 * Only for serials being issued now, claimed with codes_claim(). */
enum cpn_err codes_short(enum cpn_kind kind, uint32_t serial, char short_out[CPN_SHORT_LEN + 1],
                         bool *clean) CPN_MUST_CHECK;

/* Writes both forms of issued coupon SERIAL under TERMS (bound to CARD_SERIAL when
 * non-zero) as they were issued: the short form (MAC of the key that issued SERIAL) into
 * SHORT_OUT and the signed form (signed by that key, or by the current one when it no
 * longer signs) into SIGNED_OUT (at least CPN_SIGNED_MAX_LEN + 1 bytes). Reads the ranges
 * again first when SERIAL is newer than they are. Thread-safe. Returns CPN_OK,
 * CPN_ERR_UNKNOWN_KEY (that MAC key is not held) or CPN_ERR_UNAVAILABLE. */
enum cpn_err codes_coupon_forms(uint32_t serial, const struct coupon_terms *terms,
                                uint32_t card_serial, char short_out[CPN_SHORT_LEN + 1],
                                char *signed_out, size_t signed_size) CPN_MUST_CHECK;

/* Writes both forms of issued bonus card SERIAL, as codes_coupon_forms() does. */
enum cpn_err codes_card_forms(uint32_t serial, char short_out[CPN_SHORT_LEN + 1], char *signed_out,
                              size_t signed_size) CPN_MUST_CHECK;

/* Writes both forms of bonus card SERIAL being issued now (claimed for the current MAC key)
 * with the current keys, without reading the ranges again. */
enum cpn_err codes_new_card_forms(uint32_t serial, char short_out[CPN_SHORT_LEN + 1],
                                  char *signed_out, size_t signed_size) CPN_MUST_CHECK;

/* Writes the short form of issued SERIAL of KIND (as codes_coupon_forms() does, without the
 * signed form) into SHORT_OUT. Returns as codes_coupon_forms(). */
enum cpn_err codes_issued_short(enum cpn_kind kind, uint32_t serial,
                                char short_out[CPN_SHORT_LEN + 1]) CPN_MUST_CHECK;

/* Maps an offer kind name ("percent", "amount", "points") to the enum. */
enum cpn_offer_kind codes_offer_kind(const char *name);

#endif
