/* The one error registry of coupond and pos-client: every refusal has an
 * enum value, a machine code for programs, an HTTP status and one sentence
 * for a person (a cashier or a marketer). */
#ifndef COUPON_ERR_H
#define COUPON_ERR_H

#if defined(__GNUC__)
#define CPN_MUST_CHECK __attribute__((warn_unused_result))
#else
#define CPN_MUST_CHECK
#endif

enum cpn_err {
    CPN_OK = 0,
    CPN_ERR_BAD_REQUEST,
    CPN_ERR_UNAUTHORIZED,
    CPN_ERR_CERT_REVOKED,
    CPN_ERR_FORBIDDEN,
    CPN_ERR_NOT_FOUND,
    CPN_ERR_METHOD_NOT_ALLOWED,
    CPN_ERR_PAYLOAD_TOO_LARGE,
    CPN_ERR_MALFORMED_CODE,
    CPN_ERR_TYPO,
    CPN_ERR_FORGED_CODE,
    CPN_ERR_EXPIRED,
    CPN_ERR_NOT_STARTED,
    CPN_ERR_ALREADY_REDEEMED,
    CPN_ERR_WRONG_STORE,
    CPN_ERR_BELOW_MINIMUM,
    CPN_ERR_CAMPAIGN_EXHAUSTED,
    CPN_ERR_CARD_REQUIRED,
    CPN_ERR_WRONG_CARD,
    CPN_ERR_UNKNOWN_CARD,
    CPN_ERR_NO_SERIALS,
    CPN_ERR_INSUFFICIENT_POINTS,
    CPN_ERR_CONFLICT,
    CPN_ERR_UNKNOWN_KEY,
    CPN_ERR_NO_MEMORY,
    CPN_ERR_IO,
    CPN_ERR_UNAVAILABLE,
    CPN_ERR_TIMEOUT,
    CPN_ERR_INTERNAL,
    CPN_ERR_VOIDED,      /* a replay of an operation that was voided since */
    CPN_ERR_KEY_RETIRED, /* a code of a key the operator retired */
    CPN_ERR_STALE_KEY,   /* this coupond's issuing key is older than one already in use */
    CPN_ERR_CAMPAIGN_PAUSED,
    CPN_ERR_VOIDED_BATCH,
    CPN_ERR_URI_TOO_LONG,
    CPN_ERR_OFFLINE_CONFLICT,
    CPN_ERR_CARD_LIMIT_REACHED, /* this card has used up its uses of a code or campaign */
    CPN_ERR_NOT_COMBINABLE,     /* the coupon cannot join the receipt's other coupons */
    CPN_ERR_ALREADY_CREDITED,   /* a receipt code's purchase was credited to a card already */
    CPN_ERR_ALREADY_EARNED,     /* a receipt code's purchase earned points at the till */
    CPN_ERR__COUNT
};

/* The machine code ("already_redeemed"); never NULL, "internal" for unknown values. */
const char *cpn_err_code(enum cpn_err err);

/* The HTTP status the service answers with for this error (200 for CPN_OK). */
int cpn_err_http_status(enum cpn_err err);

/* One sentence for a person; never NULL. */
const char *cpn_err_message(enum cpn_err err);

/* The first registry entry whose machine code is CODE, or CPN_ERR_INTERNAL when
 * CODE is NULL or unknown. Used by the POS client to read the service's answers. */
enum cpn_err cpn_err_from_code(const char *code);

/* The languages the registry's sentences are written in. */
enum cpn_lang {
    CPN_LANG_EN = 0,
    CPN_LANG_DE = 1,
};

/* One sentence for a person in LANG (lib/err_de.c holds the German ones); never NULL: the
 * English sentence when LANG is unknown or a German one is missing. */
const char *cpn_err_message_lang(enum cpn_err err, enum cpn_lang lang);

#endif
