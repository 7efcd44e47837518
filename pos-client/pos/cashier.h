/* The cashier mode: reads one line at a time from standard input (typed, or typed by a
 * keyboard-wedge scanner: the QR text and Enter), keeps the customer's basket — bonus card,
 * coupons, total, points to burn — and books it on "pay", answering every line with one line. */
#ifndef POS_CASHIER_H
#define POS_CASHIER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "coupon/err.h"
#include "pos/receipt.h"
#include "pos/scan.h"
#include "pos/till.h"

/* Longest input line the cashier mode reads as a whole; longer lines are refused. */
#define POS_CASHIER_LINE_MAX 1024

/* What a line of input asks for. */
enum pos_line_kind {
    POS_LINE_EMPTY,      /* nothing: ignored */
    POS_LINE_HELP,       /* "help", "?" */
    POS_LINE_QUIT,       /* "quit", "exit" */
    POS_LINE_CANCEL,     /* "cancel", "clear": drop the basket */
    POS_LINE_PAY,        /* "pay", "done": book the basket */
    POS_LINE_RETRY,      /* "retry": settle the till's pending transactions */
    POS_LINE_TOTAL,      /* "total 12.34", or an amount alone: the basket total (amount) */
    POS_LINE_BURN,       /* "burn 500": points to burn from the card (amount; 0 drops them) */
    POS_LINE_COUPON,     /* a coupon code (scan) */
    POS_LINE_CARD,       /* a bonus card code (scan) */
    POS_LINE_RECEIPT,    /* a receipt code, "RC..." (receipt): credit the card with it */
    POS_LINE_BAD_CODE,   /* looks like a code but is not one (err: typo or malformed; why) */
    POS_LINE_BAD_NUMBER, /* "total"/"burn" or an amount that does not parse (why) */
    POS_LINE_UNKNOWN,    /* a word the till does not know (why) */
};

/* A classified line. */
struct pos_line {
    enum pos_line_kind kind;
    int64_t amount;                      /* TOTAL: cents; BURN: points */
    struct pos_scan scan;                /* COUPON, CARD: the code */
    char receipt[POS_RECEIPT_CODE_SIZE]; /* RECEIPT: the receipt code, upper case */
    enum cpn_err err;                    /* BAD_CODE: CPN_ERR_TYPO or CPN_ERR_MALFORMED_CODE */
    const char *why;                     /* BAD_*, UNKNOWN: one sentence for the cashier (static) */
};

/* Classifies LINE (one line of input, with or without its newline; white space around it and
 * the case of words do not matter), in this order: "total X" and "burn N" (BAD_NUMBER when X or
 * N does not parse); a command word alone (in English or German: "summe", "punkte", "zahlen",
 * "abbrechen", "wiederholen", "hilfe", "ende" too); a code of either form (COUPON or CARD by its
 * kind; BAD_CODE with CPN_ERR_TYPO when its check character does not match); a receipt code
 * (RECEIPT); a line of digits, '.' and ',' as an amount (TOTAL or BAD_NUMBER); one or two words
 * starting with a word of letters as UNKNOWN; anything else BAD_CODE with CPN_ERR_MALFORMED_CODE.
 * Pure: no I/O, no allocation. */
void pos_cashier_classify(const char *line, struct pos_line *out);

/* Runs the cashier mode with TILL: reads lines from IN until "quit" or end of input, writes one
 * line per result to OUT, and the prompt "> " before each line when PROMPT. Returns the exit
 * status: 0, or 2 when IN cannot be read. */
int pos_cashier_run(struct pos_till *till, FILE *in, FILE *out, bool prompt);

#endif
