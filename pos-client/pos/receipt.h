/* The receipt block of a basket: what pos-client prints for the customer under the till's own
 * receipt — the coupons redeemed with their discounts, points burned and earned, the card's new
 * balance, each new coupon the service issued for the next purchase (a bounce-back coupon:
 * offer, validity, QR code of its signed form, short code), and for a purchase without a bonus
 * card the receipt code that credits its points to a card later. Built into a printed document
 * (print_doc.h) in the till's language, then written as text or ESC/POS (output.c). */
#ifndef POS_RECEIPT_H
#define POS_RECEIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "coupon/code.h"
#include "pos/journal.h"
#include "pos/print_doc.h"
#include "pos/scan.h"
#include "pos/state.h"

#define POS_RECEIPT_MAX_COUPONS 32
#define POS_RECEIPT_MAX_NEXT    4
/* Room for a receipt code (the service's, "RC" and base32; at most 217 characters) and NUL. */
#define POS_RECEIPT_CODE_SIZE 256

/* A new coupon the service issued with an answer (next_coupon). */
struct pos_next_coupon {
    char code[CPN_SHORT_LEN + 1];             /* short form */
    char signed_form[CPN_SIGNED_MAX_LEN + 1]; /* the QR code's text */
    char offer[POS_DESCRIBE_SIZE];            /* "10% off, minimum basket 20.00 EUR" ("" unknown) */
    char valid_from[POS_TIME_SIZE];           /* RFC 3339, "" unknown */
    char valid_until[POS_TIME_SIZE];          /* RFC 3339, "" unknown */
};

/* A coupon on the receipt. */
struct pos_receipt_coupon {
    char code[CPN_SHORT_LEN + 1];
    int64_t discount_cents;
    bool offline; /* accepted offline: sent to the service later */
};

/* What the receipt block says. Zero it, then set what applies (balance -1: not known). */
struct pos_receipt {
    char time[POS_TIME_SIZE];  /* when (RFC 3339), shown in local time; "" none */
    char txn[POS_TXN_ID_SIZE]; /* the receipt's (or the call's) txn id; "" none */
    bool has_total;
    int64_t total_cents;
    struct pos_receipt_coupon coupons[POS_RECEIPT_MAX_COUPONS];
    size_t n_coupons;
    char card[CPN_SHORT_LEN + 1]; /* the bonus card's short form; "" none */
    int64_t burned_points;        /* burned at this purchase (1 point = 1 cent off) */
    int64_t earned_points;        /* earned at this purchase */
    bool earn_offline;            /* the earn was accepted offline: booked later */
    int64_t earn_basket_cents;    /* earn_offline: what the points are for */
    int64_t balance;              /* the card's balance after it, -1 unknown */
    struct pos_next_coupon next[POS_RECEIPT_MAX_NEXT];
    size_t n_next;
    char receipt_code[POS_RECEIPT_CODE_SIZE]; /* "" none */
    char receipt_code_until[POS_TIME_SIZE];   /* until when it credits a card ("" unknown) */
};

/* Reads the next_coupon object of the service's ANSWER (may be NULL) into *NEXT: the short
 * code and signed form are required (the signed form must be QR alphanumeric text); the offer is
 * described from the signed form when it parses (else left ""), the validity taken from
 * valid_from and valid_until when present. Returns false when ANSWER has no usable next_coupon
 * (then *NEXT is zeroed). */
bool pos_next_coupon_read(const json_t *answer, struct pos_next_coupon *next);

/* Adds NEXT to R (nothing when R holds POS_RECEIPT_MAX_NEXT already or the same code). */
void pos_receipt_add_next(struct pos_receipt *r, const struct pos_next_coupon *next);

/* Builds R's block into DOC (appended; DOC->failed when out of memory), in the till's
 * language. */
void pos_receipt_doc(const struct pos_receipt *r, struct pos_doc *doc);

/* Returns true when R has something worth printing (a coupon, points, a new coupon, a receipt
 * code). */
bool pos_receipt_has_content(const struct pos_receipt *r);

#endif
