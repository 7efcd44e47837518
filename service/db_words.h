/* The one vocabulary of the stored functions: every status a function answers (its "status"
 * column, an offline conflict's "reason") is one word of this list, decoded once, in the
 * database layer, into enum db_word, which handlers switch on. The SQL side lists the same
 * words in sql/functions/0010_status_word.sql (the domain status_word every function's status
 * is typed with, so a misspelt word fails where it is assigned); scripts/check holds the two
 * lists equal. One word per outcome across coupons, cards, voids, campaigns, issues and
 * recipient lists: the same refusal is the same word everywhere. */
#ifndef SVC_DB_WORDS_H
#define SVC_DB_WORDS_H

#include <stddef.h>

#include "coupon/err.h"

enum db_word {
    DBW_NONE = 0, /* no word: what a struct holds before a call answered */
    /* done */
    DBW_OK,     /* done now */
    DBW_REPLAY, /* done before: the first answer again */
    DBW_RESUME, /* the same work again, not finished before (a recipient list): go on */
    /* refusals of every kind of call */
    DBW_NOT_FOUND, /* the thing named does not exist (or is another store's) */
    DBW_CONFLICT,  /* the idempotency key was used for another request, or a race lost */
    DBW_VOIDED,    /* a replay of an operation that was voided since */
    /* coupons (redeem, check) */
    DBW_NOT_STARTED,
    DBW_EXPIRED,
    DBW_WRONG_STORE,
    DBW_CARD_REQUIRED,
    DBW_WRONG_CARD,
    DBW_UNKNOWN_CARD,
    DBW_BELOW_MINIMUM,
    DBW_ALREADY_REDEEMED,
    DBW_CAMPAIGN_EXHAUSTED,
    DBW_CAMPAIGN_PAUSED,
    DBW_VOIDED_BATCH,
    /* offline acceptance (redeem with offline_at; an offline conflict's reason) */
    DBW_OFFLINE_CONFLICT,
    DBW_OFFLINE_IN_FUTURE,
    DBW_OFFLINE_TOO_OLD,
    /* voids */
    DBW_ALREADY_VOIDED,
    DBW_NOT_VOIDABLE,
    /* cards (and voids that would take spent points back) */
    DBW_INSUFFICIENT_POINTS,
    /* campaigns and their life cycle */
    DBW_VARIANT_NOT_FOUND,
    DBW_VARIANT_OF_VARIANT,
    DBW_ENDED,
    DBW_EARLIER_END,
    /* issues */
    DBW_NO_SERIALS,
    DBW_STALE_KEY,
    /* recipient lists */
    DBW_OTHER_LIST,
    DBW_DRAW_CHANGED,
    DBW_MISMATCH,
    /* webhook subscriptions: redelivery of a deleted one, or from an event pruned or not yet
     * published */
    DBW_DELETED,
    DBW_PRUNED,
    DBW_FUTURE,
    /* at the counter (issue 17) */
    DBW_CARD_LIMIT_REACHED,     /* the card used up a code's or campaign's max_per_card */
    DBW_CARD_REQUIRED_LIMIT,    /* a code or campaign limited per card, redeemed without one */
    DBW_NOT_COMBINABLE_RECEIPT, /* max_per_receipt of the campaign on this receipt already */
    DBW_NOT_COMBINABLE_OTHER,   /* an exclusive coupon would join a receipt's others */
    DBW_NOT_COMBINABLE_ALONE,   /* the receipt carries an exclusive coupon already */
    DBW_RECEIPT_BASKET,         /* another basket amount than the receipt's first coupon's */
    DBW_BEYOND_BASKET,          /* a return beyond what is left of the basket */
    DBW_VOIDED_REDEMPTION,      /* a return of a voided redemption */
    DBW_ALREADY_CREDITED,       /* a receipt code's purchase credited to a card already */
    DBW_ALREADY_EARNED,         /* a receipt code's purchase earned points at the till */
    DBW__COUNT
};

/* Decodes the word TEXT (LEN bytes, not necessarily terminated) into *OUT. Returns 0, or -1
 * when TEXT is not a word of the vocabulary (*OUT is then DBW_NONE). */
int db_word_parse(const char *text, size_t len, enum db_word *out) CPN_MUST_CHECK;

/* The word W as the stored functions spell it (static); "" for DBW_NONE or a value out of
 * range. */
const char *db_word_name(enum db_word w);

/* The refusal W stands for: CPN_OK for ok, replay and resume; CPN_ERR_INTERNAL for DBW_NONE,
 * words that only a bug produces (draw_changed, mismatch) and values out of range. */
enum cpn_err db_word_err(enum db_word w);

#endif
