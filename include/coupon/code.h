/* The two forms of every coupon and bonus card code: the short form a cashier
 * types (16 Crockford base32 symbols with a MAC and a check symbol) and the
 * signed form in the QR code (binary payload + Ed25519 signature, base32).
 * The byte-by-byte format is documented in docs/codes.md. */
#ifndef COUPON_CODE_H
#define COUPON_CODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"

struct cpn_keyring;
struct cpn_key_ranges;

/* Symbols of the short form, and its canonical printed length (XXXX-XXXX-XXXX-XXXX). */
#define CPN_SHORT_SYMBOLS 16
#define CPN_SHORT_LEN     19
/* Lengths of the signed form in symbols: without and with a bound card. */
#define CPN_SIGNED_LEN       149
#define CPN_SIGNED_BOUND_LEN 156
#define CPN_SIGNED_MAX_LEN   CPN_SIGNED_BOUND_LEN
/* Longest input cpn_code_parse looks at; longer input is malformed. */
#define CPN_CODE_INPUT_MAX 256
/* Bytes of the MAC tag (40 bits) and of the signature. */
#define CPN_MAC_TAG_BYTES   5
#define CPN_SIGNATURE_BYTES 64

enum cpn_kind {
    CPN_KIND_COUPON = 0,
    CPN_KIND_CARD = 1,
};

enum cpn_offer_kind {
    CPN_OFFER_NONE = 0, /* cards only */
    CPN_OFFER_PERCENT = 1,
    CPN_OFFER_AMOUNT = 2,
    CPN_OFFER_POINTS = 3,          /* offer_value points */
    CPN_OFFER_POINTS_MULTIPLY = 4, /* offer_value times the purchase's points */
};

/* A parsed or to-be-formatted code. The first group is the short form (and is
 * contained in every signed form); the second group only has meaning when
 * is_signed is true. For cards, campaign, expiry, the offer fields and the
 * card binding are all zero. */
struct cpn_code {
    enum cpn_kind kind;
    uint32_t serial;
    uint8_t mac_slot; /* 0..3: id of the MAC key mod 4 (see cpn_code_mac_key()) */
    uint8_t mac_tag[CPN_MAC_TAG_BYTES];

    bool is_signed;
    uint8_t sign_key_id; /* 1..255 */
    uint32_t campaign;   /* campaign id */
    uint32_t expiry;     /* unix seconds, 0 = none */
    enum cpn_offer_kind offer_kind;
    uint32_t offer_value; /* percent, cents or points, by offer_kind */
    uint32_t min_basket_cents;
    bool bound_to_card;   /* personalised: only valid with card_serial */
    uint32_t card_serial; /* serial of the bonus card, if bound_to_card */
    uint8_t signature[CPN_SIGNATURE_BYTES];
};

/* Parses either form from untrusted TEXT of LEN bytes (need not be
 * NUL-terminated; never reads past LEN). Input is normalised: case is
 * ignored, O reads as 0, I and L read as 1, spaces and dashes are skipped.
 * 16 symbols are a short form, CPN_SIGNED_LEN or CPN_SIGNED_BOUND_LEN symbols
 * a signed form. Checks only the format, not the MAC or signature.
 * Returns CPN_OK and fills *OUT; CPN_ERR_TYPO when a short form's check
 * symbol does not match; CPN_ERR_MALFORMED_CODE for any other character,
 * length, version or field combination; CPN_ERR_BAD_REQUEST if TEXT or OUT is
 * NULL. On error *OUT is zeroed. No allocation; thread-safe. */
CPN_MUST_CHECK enum cpn_err cpn_code_parse(const char *text, size_t len, struct cpn_code *out);

/* Writes the canonical short form of CODE (kind, serial, mac slot and tag),
 * "XXXX-XXXX-XXXX-XXXX" + NUL, into OUT. Works for signed codes too (the
 * signed form contains the short form). Returns CPN_ERR_BAD_REQUEST if a field
 * is out of range (kind, mac_slot), leaving OUT as an empty string. */
CPN_MUST_CHECK enum cpn_err cpn_code_format_short(const struct cpn_code *code,
                                                  char out[CPN_SHORT_LEN + 1]);

/* Issues the short form of (KIND, SERIAL) with the keyring's current MAC key:
 * fills *OUT (is_signed false, mac_slot and mac_tag set, other fields zero)
 * and, if SHORT_OUT is not NULL, writes the formatted short form into it.
 * Returns CPN_ERR_UNKNOWN_KEY if the keyring holds no MAC key and
 * CPN_ERR_BAD_REQUEST for a bad kind; on error *OUT is zeroed. The issuer
 * should skip serials whose short form cpn_short_is_clean() rejects. */
CPN_MUST_CHECK enum cpn_err cpn_code_issue(const struct cpn_keyring *keys, enum cpn_kind kind,
                                           uint32_t serial, struct cpn_code *out,
                                           char short_out[CPN_SHORT_LEN + 1]);

/* Writes the short form of an already issued (KIND, SERIAL) again, with the MAC key that
 * issued it by RANGES (cpn_key_ranges_key(); for a serial below every range, or RANGES
 * NULL, the key that was current when ranges began, else the current MAC key), so that a
 * code is the same for its whole life. Fills *OUT and SHORT_OUT (if not NULL) as
 * cpn_code_issue() does. Returns CPN_ERR_UNKNOWN_KEY when that MAC key is not held (a
 * retired key that is still held is used: the code is what it is). */
CPN_MUST_CHECK enum cpn_err cpn_code_derive(const struct cpn_keyring *keys,
                                            const struct cpn_key_ranges *ranges, enum cpn_kind kind,
                                            uint32_t serial, struct cpn_code *out,
                                            char short_out[CPN_SHORT_LEN + 1]);

/* The id of the MAC key that issued (KIND, SERIAL), by RANGES: the key of the range that
 * holds SERIAL; for a serial below every range (or RANGES NULL), the key that was current
 * when ranges began (the lowest key with a range of KIND), else the current MAC key. 0 when
 * there is none. cpn_code_derive() writes the code with it. */
unsigned cpn_code_issuer_key(const struct cpn_keyring *keys, const struct cpn_key_ranges *ranges,
                             enum cpn_kind kind, uint32_t serial);

/* Which MAC key made the short form of CODE (either form): by RANGES, the one key whose
 * range holds its serial, which must have its slot; for a serial below every range (or
 * RANGES NULL) the highest id up to the legacy boundary (the first key with a range, else
 * the current MAC key) with its slot. Exactly one candidate, so a guess passes the MAC
 * check with probability 2^-40. Sets *KEY_ID and returns CPN_OK; CPN_ERR_FORGED_CODE when
 * no key can have made it; CPN_ERR_KEY_RETIRED when that key is retired;
 * CPN_ERR_UNKNOWN_KEY when it is not held; CPN_ERR_BAD_REQUEST for NULL or bad fields. */
CPN_MUST_CHECK enum cpn_err cpn_code_mac_key(const struct cpn_keyring *keys,
                                             const struct cpn_key_ranges *ranges,
                                             const struct cpn_code *code, unsigned *key_id);

/* Checks the short form's MAC tag of CODE (either form) with the MAC key
 * cpn_code_mac_key() names (RANGES may be NULL), in constant time. Returns CPN_OK,
 * CPN_ERR_FORGED_CODE, or cpn_code_mac_key()'s other refusals. No allocation;
 * thread-safe on a keyring and ranges nobody modifies. */
CPN_MUST_CHECK enum cpn_err cpn_code_check_mac(const struct cpn_keyring *keys,
                                               const struct cpn_key_ranges *ranges,
                                               const struct cpn_code *code);

/* Signs CODE with the keyring's current signing key: sets is_signed,
 * sign_key_id and signature in *CODE and writes the signed form (+ NUL) into
 * OUT of OUT_SIZE bytes (CPN_SIGNED_MAX_LEN + 1 always suffice); *OUT_LEN, if
 * not NULL, receives its length. The short-form fields (kind, serial,
 * mac_slot, mac_tag) must already be set, normally by cpn_code_issue().
 * Returns CPN_ERR_UNKNOWN_KEY without a secret signing key,
 * CPN_ERR_BAD_REQUEST for inconsistent fields (a card with an offer, a
 * coupon without one, a card bound to a card) or a small OUT; on error *CODE
 * is unchanged and OUT is an empty string (if OUT_SIZE > 0). */
CPN_MUST_CHECK enum cpn_err cpn_code_sign(const struct cpn_keyring *keys, struct cpn_code *code,
                                          char *out, size_t out_size, size_t *out_len);

/* Signs CODE as cpn_code_sign() does, with the secret signing key KEY_ID instead of the
 * current one. Returns cpn_code_sign()'s errors, and CPN_ERR_KEY_RETIRED when KEY_ID is
 * retired (a retired key never signs). */
CPN_MUST_CHECK enum cpn_err cpn_code_sign_as(const struct cpn_keyring *keys, unsigned key_id,
                                             struct cpn_code *code, char *out, size_t out_size,
                                             size_t *out_len);

/* Writes the signed form of an already signed CODE (for instance one that was
 * parsed) into OUT as cpn_code_sign() does, without signing again. Returns
 * CPN_ERR_BAD_REQUEST if CODE is not signed or its fields are inconsistent. */
CPN_MUST_CHECK enum cpn_err cpn_code_format_signed(const struct cpn_code *code, char *out,
                                                   size_t out_size, size_t *out_len);

/* Verifies the Ed25519 signature of a signed CODE with the public key of its
 * sign_key_id. Returns CPN_OK, CPN_ERR_FORGED_CODE (bad signature),
 * CPN_ERR_KEY_RETIRED (that key id is retired), CPN_ERR_UNKNOWN_KEY (no
 * public key with that id) or CPN_ERR_BAD_REQUEST (NULL, not a signed code).
 * Does not look at expiry or the MAC. */
CPN_MUST_CHECK enum cpn_err cpn_code_verify(const struct cpn_keyring *keys,
                                            const struct cpn_code *code);

/* True if no 4-symbol group of the canonical short form FORMATTED
 * (XXXX-XXXX-XXXX-XXXX) reads as a blocklisted word or code (see
 * docs/codes.md); false for such a code and for anything that is not a
 * canonical short form. About 2.4% of issued codes are rejected. */
bool cpn_short_is_clean(const char *formatted);

#endif
