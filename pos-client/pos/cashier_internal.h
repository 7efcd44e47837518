/* What the cashier mode's source files (cashier*.c) share and nothing else includes: the
 * customer's basket, the session around it, and the handlers the input loop calls for each kind
 * of line. */
#ifndef POS_CASHIER_INTERNAL_H
#define POS_CASHIER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "pos/cashier.h"
#include "pos/receipt.h"

/* Most coupons in one basket. */
#define POS_BASKET_MAX_COUPONS 32

/* A coupon in the basket. */
struct pos_basket_coupon {
    struct pos_scan scan;
    int64_t discount_cents;         /* from the last check, or the redemption once redeemed */
    int64_t redemption_id;          /* once redeemed, else 0 */
    bool pending;                   /* a redeem got no answer: it may have gone through */
    char txn_id[POS_TXN_ID_SIZE];   /* pending: its txn, which pay and cancel send again */
    bool void_pending;              /* cancel's void of it got no answer */
    char void_txn[POS_TXN_ID_SIZE]; /* void_pending: its txn, which cancel sends again */
    const char *waiting_for;        /* NULL, or why the last check said "not yet" (card, minimum) */
    bool offline;                   /* accepted offline (txn_id): sent later by sync */
    bool offline_maybe_sent;        /* offline: its online attempt may have reached the service */
    int64_t preview_cents;          /* its discount in the service's order (pos_basket_order()) */
};

/* The customer's basket. */
struct pos_basket {
    bool has_card;
    struct pos_scan card;
    int64_t card_balance; /* -1 unknown */
    bool has_total;
    int64_t total_cents;
    struct pos_basket_coupon coupons[POS_BASKET_MAX_COUPONS];
    size_t n_coupons;
    int64_t burn_points;               /* 0 none */
    int64_t burn_txn_id;               /* once burned, else 0 */
    bool burn_pending;                 /* the burn got no answer: it may have gone through */
    char burn_txn[POS_TXN_ID_SIZE];    /* burn_pending: its txn */
    int64_t earn_txn_id;               /* once earned, else 0 */
    int64_t earned_points;             /* once earned */
    int64_t earn_cents;                /* what the last earn was for */
    bool earn_pending;                 /* the earn got no answer: it may have gone through */
    char earn_txn[POS_TXN_ID_SIZE];    /* earn_pending: its txn */
    bool earn_offline;                 /* the earn was accepted offline (earn_txn) */
    bool earn_offline_maybe_sent;      /* earn_offline: its online attempt may have arrived */
    bool void_pending[2];              /* cancel's void of the burn [0], the earn [1]: no answer */
    char void_txn[2][POS_TXN_ID_SIZE]; /* void_pending: their txns */
    char receipt[POS_TXN_ID_SIZE];     /* the basket's receipt id ("R" + 32 hex), sent with its
                                          redemptions; "" until first needed */
    struct pos_next_coupon next[POS_RECEIPT_MAX_NEXT]; /* new coupons the service issued at pay */
    size_t n_next;
};

/* The session: the till, where to write, and the basket. */
struct pos_cashier_session {
    struct pos_till *till;
    FILE *out;
    struct pos_basket b;
    bool quit_warned;       /* "quit" with a partly booked basket was said once */
    bool prompt;            /* a person at a terminal: the prompt "> " is shown */
    size_t offline_waiting; /* calls accepted offline in the journal, as last seen */
    time_t next_sync;       /* when to try sending them again (between customers) */
};

/* --- the session (cashier_say.c) --- */

/* Writes one line to the cashier and flushes it, so a pipe or a terminal sees it at once. */
__attribute__((format(printf, 2, 3))) void pos_cashier_say(struct pos_cashier_session *s,
                                                           const char *fmt, ...);

/* --- filling the basket (cashier_basket.c) --- */

/* Starts an empty basket. */
void pos_basket_clear(struct pos_basket *b);

/* Returns true when something of B was booked already, or may have been (a coupon redeemed,
 * points burned or earned, or a call for one unanswered): then the basket must be paid or its
 * bookings voided. */
bool pos_basket_booked(const struct pos_basket *b);

/* "total": sets the basket total to CENTS, re-checks the coupons against it and says the
 * basket's state; refused (and said) once the basket is partly booked. */
void pos_cashier_on_total(struct pos_cashier_session *s, int64_t cents);

/* A scanned bonus card: asks its balance and keeps it for the basket (replacing another card,
 * which drops the points to burn), then re-checks the coupons waiting for a card; refused (and
 * said) when it is scanned already, when asking its balance is refused, or once the basket is
 * partly booked. */
void pos_cashier_on_card(struct pos_cashier_session *s, const struct pos_scan *card);

/* A scanned coupon: checks it and keeps it in the basket unless the check rules it out; refused
 * (and said) when it is there already, the basket is full, or the basket is partly booked. */
void pos_cashier_on_coupon(struct pos_cashier_session *s, const struct pos_scan *scan);

/* A scanned receipt code CODE: credits the basket's bonus card with that earlier purchase's
 * points at once (a transaction of its own, not part of the basket); refused (and said) without
 * a card. */
void pos_cashier_on_receipt(struct pos_cashier_session *s, const char *code);

/* "burn": keeps POINTS to burn from the card at pay (0 drops them, also in a partly booked
 * basket while the burn itself is not booked); refused (and said) without a card, beyond its
 * known balance, or once the basket is partly booked. */
void pos_cashier_on_burn(struct pos_cashier_session *s, int64_t points);

/* Returns B's receipt id, making one first when it has none. Returns NULL when no random id can
 * be made (then the basket's redemptions go without one). */
const char *pos_basket_receipt_id(struct pos_basket *b);

/* --- the service's order of several coupons (cashier_order.c) --- */

/* Puts B's coupons that are not booked yet into the order the coupon service applies them on one
 * receipt (amounts first, in the order scanned; then percents, the largest first; coupons that
 * give no discount, or are not valid yet, last), after the booked ones, and sets each one's
 * preview_cents: amounts capped at what is left, percents of what is left (rounded half up, as
 * the service rounds). A coupon's offer is read from its signed form; a short code counts with
 * the discount its check gave (the service's figure at pay may differ for a percent). Returns the
 * sum of the previews and of the points to burn, at most the total. */
int64_t pos_basket_order(struct pos_basket *b);

/* Says, when B holds two or more coupons that give a discount, the order in which the service
 * applies them with each one's discount and the sum (after pos_basket_order()). */
void pos_cashier_say_order(struct pos_cashier_session *s);

/* --- paying and cancelling (cashier_pay.c, cashier_cancel.c) --- */

/* Books the basket. A call that got no answer is sent again under its own txn by the next pay
 * (the cashier's "again": the service books it at most once); everything else is a new txn.
 * Returns true when it is done (and a new one may start). */
bool pos_cashier_pay(struct pos_cashier_session *s);

/* Drops the basket, voiding what was booked of it. A call that got no answer is first sent again
 * to learn whether it went through (if not, it goes through now), and then voided. */
void pos_cashier_cancel(struct pos_cashier_session *s);

/* Says, when leaving with a partly booked basket, what stays booked and how to void it, and what
 * stays pending and how to settle it. */
void pos_cashier_say_booked(struct pos_cashier_session *s);

/* Returns the line's ending for R, the result of a call sent again under the txn of an earlier
 * attempt that got no answer: what the service said about that attempt ("" when R was no such
 * retry). */
const char *pos_cashier_again_note(const struct pos_result *r);

/* Keeps, after R, whether a call of the basket is pending and under which txn (*PENDING, TXN). */
void pos_cashier_remember(bool *pending, char txn[POS_TXN_ID_SIZE], const struct pos_result *r);

/* Says how many transactions of this till are pending outside the open basket and that "retry"
 * settles them; nothing when there are none. */
void pos_cashier_say_pending(struct pos_cashier_session *s);

/* "retry": settles the till's pending transactions (refused, and said, while the basket is
 * partly booked: pay or cancel settles its own). */
void pos_cashier_retry(struct pos_cashier_session *s);

/* Between customers (nothing in the basket), when calls accepted offline wait and their time
 * has come: sends them (pos_till_sync()), saying so only when some reached the service, and
 * counts again what waits. Returns true when it said something. */
bool pos_cashier_sync_due(struct pos_cashier_session *s);

/* Reads how many calls accepted offline wait in the journal into S. */
void pos_cashier_count_offline(struct pos_cashier_session *s);

#endif
