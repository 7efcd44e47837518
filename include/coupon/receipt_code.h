/* Receipt codes (issue 17): the code the till prints on the receipt of a purchase made
 * without a bonus card, so that the customer's card can be credited with its points later.
 * It carries the purchase (store, terminal, txn, basket, time) and the deadline for crediting,
 * under a MAC of the service's MAC key (domain-separated from the short form's MAC), as text
 * of upper-case alphanumerics (QR alphanumeric mode): "RC" and Crockford base32. Only the
 * service, which holds the MAC keys, makes and checks them. The format is in docs/codes.md. */
#ifndef COUPON_RECEIPT_CODE_H
#define COUPON_RECEIPT_CODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"

struct cpn_keyring;

#define CPN_RECEIPT_TERMINAL_MAX 32 /* bytes of the terminal's name */
#define CPN_RECEIPT_TXN_MAX      64 /* bytes of the purchase's txn id */
#define CPN_RECEIPT_BASKET_MAX   ((INT64_C(1) << 48) - 1)
/* Longest text (prefix, base32 of the longest payload and tag) + NUL. */
#define CPN_RECEIPT_CODE_MAX 218

/* What a receipt code says. */
struct cpn_receipt {
    unsigned key_id;      /* the MAC key that made it (set by cpn_receipt_make) */
    uint32_t store;       /* the store of the till */
    uint32_t issued_at;   /* Unix seconds: when the purchase was made */
    uint32_t valid_until; /* Unix seconds: the last moment a card can be credited with it */
    int64_t basket_cents; /* 0..CPN_RECEIPT_BASKET_MAX */
    char terminal[CPN_RECEIPT_TERMINAL_MAX + 1]; /* the till's name (printable ASCII) */
    char txn[CPN_RECEIPT_TXN_MAX + 1];           /* the purchase's txn id (printable ASCII) */
};

/* Writes the receipt code of *R, with the keyring's current MAC key (whose id it puts into
 * R->key_id), into OUT (CPN_RECEIPT_CODE_MAX bytes). Returns CPN_OK; CPN_ERR_BAD_REQUEST for
 * a field out of range (empty or over-long or non-printable terminal or txn, basket out of
 * range); CPN_ERR_UNKNOWN_KEY when the keyring has no MAC key. On error OUT is "". */
enum cpn_err cpn_receipt_make(const struct cpn_keyring *keys, struct cpn_receipt *r,
                              char out[CPN_RECEIPT_CODE_MAX]) CPN_MUST_CHECK;

/* Reads untrusted TEXT (LEN bytes; case, O/I/L, spaces and dashes as for codes) as a receipt
 * code and checks its MAC, in constant time. Returns CPN_OK with *OUT filled;
 * CPN_ERR_MALFORMED_CODE (not a receipt code); CPN_ERR_FORGED_CODE (bad MAC, or a key we never
 * held); CPN_ERR_KEY_RETIRED (its key was retired). Does not look at the deadline. On error
 * *OUT is zeroed. */
enum cpn_err cpn_receipt_read(const struct cpn_keyring *keys, const char *text, size_t len,
                              struct cpn_receipt *out) CPN_MUST_CHECK;

/* Whether TEXT starts like a receipt code ("RC", either case), for a reader of scanned lines
 * that must tell receipt codes from coupons and cards. */
bool cpn_receipt_looks_like(const char *text);

#endif
