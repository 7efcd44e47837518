/* A printed document (print_doc.h) as the bytes an ESC/POS receipt printer takes: initialise,
 * code page PC858 (Latin-1 with the euro sign: German text and "€" print as they read), each
 * line with its alignment, emphasis and size, rules, QR codes with ESC/POS's own QR commands
 * (GS ( k: model 2, error correction level M, module size, store the data, print), and at the
 * end a feed and a partial cut. The bytes for one document never change from one run to the
 * next (the golden-file test holds them). */
#ifndef POS_ESCPOS_H
#define POS_ESCPOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"
#include "pos/print_doc.h"

/* The module size of printed QR codes, in printer dots (ESC/POS allows 1 to 16): a version 7
 * code (45 modules) is then 270 dots, 34 mm at 203 dpi, on 58 mm and 80 mm paper alike. */
#define POS_ESCPOS_QR_MODULE 6
/* The most data one QR store command takes (ESC/POS: 7089 bytes). */
#define POS_ESCPOS_QR_MAX 7089

/* Bytes being built: LEN bytes of DATA (CAP allocated). Zeroed it is empty; free DATA. */
struct pos_bytes {
    uint8_t *data;
    size_t len, cap;
};

/* Writes DOC as ESC/POS bytes into *OUT (appended; the caller frees OUT->data). Text is
 * converted from UTF-8 to PC858: Latin-1 letters and "€" as such, dashes and typographic quotes
 * as ASCII, anything else as '?'. Returns CPN_OK; CPN_ERR_BAD_REQUEST when DOC is incomplete
 * (DOC->failed) or a QR payload is empty or longer than POS_ESCPOS_QR_MAX; CPN_ERR_NO_MEMORY.
 * On error *OUT may hold part of the bytes. */
CPN_MUST_CHECK enum cpn_err pos_escpos_render(const struct pos_doc *doc, struct pos_bytes *out);

/* Finds the data of the first QR store command (GS ( k ... 1 P 0) in the LEN bytes at DATA and
 * copies it, NUL-terminated, into BUF (SIZE bytes). Returns false when there is none or it does
 * not fit. (For tests that read a printout back.) */
bool pos_escpos_first_qr(const uint8_t *data, size_t len, char *buf, size_t size);

#endif
