/* What the till knows about a code before asking the service: whether it is one at all (the check
 * character catches typos), whether it is a coupon or a bonus card, whether a signed form's
 * signature holds, and what a signed coupon offers. */
#ifndef POS_SCAN_H
#define POS_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "coupon/code.h"
#include "coupon/err.h"
#include "coupon/keys.h"

/* What the offline signature check found. */
enum pos_verified {
    POS_VERIFIED_NO_SIGNATURE = 0, /* a short form: nothing to check offline */
    POS_VERIFIED_OK,               /* a signed form whose signature holds */
    POS_VERIFIED_UNKNOWN_KEY,      /* a signed form signed with a key this till does not have */
};

/* A code as the till read it. */
struct pos_scan {
    struct cpn_code code;
    char short_form[CPN_SHORT_LEN + 1]; /* canonical short form: shown, used in paths */
    char text[CPN_SIGNED_MAX_LEN + 1];  /* what is sent: canonical short or signed form */
    enum pos_verified verified;         /* set by pos_scan_verify() */
};

/* Longest description pos_scan_describe() writes. */
#define POS_DESCRIBE_SIZE 160

/* Reads TEXT as typed or scanned (either form; case, spaces and dashes do not matter, O is 0,
 * I and L are 1) and checks that it is a code of kind WANT. Fills *SCAN (verified is
 * POS_VERIFIED_NO_SIGNATURE until pos_scan_verify()). Returns CPN_OK; else *WHY gets one sentence
 * for the cashier and the result is CPN_ERR_TYPO (the check character does not match),
 * CPN_ERR_MALFORMED_CODE (not a code), or CPN_ERR_BAD_REQUEST (a bonus card where a coupon was
 * wanted, or the other way round). */
CPN_MUST_CHECK enum cpn_err pos_scan_parse(const char *text, enum cpn_kind want,
                                           struct pos_scan *scan, const char **why);

/* Reads TEXT as pos_scan_parse() does but takes either kind. */
CPN_MUST_CHECK enum cpn_err pos_scan_parse_any(const char *text, struct pos_scan *scan,
                                               const char **why);

/* Verifies SCAN's signature, if it is a signed form, with the public keys in KEYS (may be NULL:
 * no keys) and sets SCAN->verified. Returns CPN_OK (also for a short form, and for a signed form
 * whose key this till does not have: then verified is POS_VERIFIED_UNKNOWN_KEY and the service
 * must judge), or CPN_ERR_FORGED_CODE or CPN_ERR_KEY_RETIRED (its key was retired) with the
 * cashier's sentence in *WHY. */
CPN_MUST_CHECK enum cpn_err pos_scan_verify(const struct cpn_keyring *keys, struct pos_scan *scan,
                                            const char **why);

/* Checks a verified signed COUPON's card binding against CARD (NULL when no card was given).
 * Returns CPN_OK (also when COUPON is not a verified signed form or not bound: the service
 * judges), CPN_ERR_CARD_REQUIRED or CPN_ERR_WRONG_CARD with the cashier's sentence in *WHY. */
CPN_MUST_CHECK enum cpn_err pos_scan_check_card(const struct pos_scan *coupon,
                                                const struct pos_scan *card, const char **why);

/* Describes the offer of the signed coupon CODE for a cashier into BUF (SIZE bytes): "10% off,
 * minimum basket 20.00 EUR, valid until 2026-12-31". Returns BUF. */
const char *pos_scan_describe(const struct cpn_code *code, char *buf, size_t size);

/* Returns true when the signed CODE's expiry has passed at NOW (unix seconds). */
bool pos_scan_expired(const struct cpn_code *code, long long now);

#endif
