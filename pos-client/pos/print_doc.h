/* A printed document in the till's own terms: lines of UTF-8 text (each at most
 * POS_DOC_WIDTH characters, plain or bold, left or centred, normal or double size), rules, QR
 * codes and the cut at the end. The receipt (receipt.c) is built as one; it is written out as
 * plain text (pos_doc_text()) for the screen or a file, or as ESC/POS bytes for a receipt
 * printer (escpos.c). */
#ifndef POS_PRINT_DOC_H
#define POS_PRINT_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "coupon/err.h"

/* Characters per line: what an 80 mm receipt printer prints in its normal font (42 to 48
 * columns) and a 58 mm one in its small font; the text form is as wide. */
#define POS_DOC_WIDTH 42

/* What an item is. */
enum pos_doc_kind {
    POS_DOC_TEXT, /* a line of text */
    POS_DOC_RULE, /* a line across ('-' in text, '-' * width on paper) */
    POS_DOC_QR,   /* a QR code of the text (QR alphanumeric characters), model 2, level M */
};

/* How a line of text is printed (ORed). */
enum pos_doc_style {
    POS_DOC_PLAIN = 0,
    POS_DOC_BOLD = 1,
    POS_DOC_CENTER = 2,
    POS_DOC_LARGE = 4, /* double height (and the text form in capitals: nothing) */
};

struct pos_doc_item {
    enum pos_doc_kind kind;
    unsigned style;
    char *text; /* TEXT: the line (UTF-8, no control characters); QR: its payload; RULE: NULL */
};

/* A document: its items in order. Zeroed it is empty; pos_doc_free() frees what it holds. */
struct pos_doc {
    struct pos_doc_item *items;
    size_t n, cap;
    bool failed; /* an addition ran out of memory: the document is incomplete */
};

/* Appends a line of TEXT (copied; control characters become spaces; longer than POS_DOC_WIDTH
 * characters it is wrapped at spaces, or cut where there are none) in STYLE. On out of memory
 * DOC->failed is set and nothing is added. */
void pos_doc_line(struct pos_doc *doc, unsigned style, const char *text);

/* Appends the formatted line, as pos_doc_line(). */
__attribute__((format(printf, 3, 4))) void pos_doc_linef(struct pos_doc *doc, unsigned style,
                                                         const char *fmt, ...);

/* Appends a line with LEFT at the left and RIGHT at the right margin (LEFT shortened when both
 * do not fit), as pos_doc_line(). */
void pos_doc_columns(struct pos_doc *doc, unsigned style, const char *left, const char *right);

/* Appends a rule. */
void pos_doc_rule(struct pos_doc *doc);

/* Appends a QR code of PAYLOAD (copied). */
void pos_doc_qr(struct pos_doc *doc, const char *payload);

/* Frees what DOC holds and empties it; pos_doc_free(NULL) does nothing. */
void pos_doc_free(struct pos_doc *doc);

/* The number of characters (UTF-8 code points) of the string S. */
size_t pos_utf8_width(const char *s);

/* Writes DOC as plain text to OUT: each text line (centred ones padded to the middle of
 * POS_DOC_WIDTH), a rule as POS_DOC_WIDTH '-', a QR code as "QR: " and its payload. Returns
 * CPN_OK, or CPN_ERR_IO when OUT could not be written (errno set). */
CPN_MUST_CHECK enum cpn_err pos_doc_text(const struct pos_doc *doc, FILE *out);

#endif
