/* Printing a receipt block: laid out (receipt.c), then its text written to the receipt file or
 * standard output and its ESC/POS bytes to the printer (escpos.c, printer.c). A failure is said
 * in one line and never undoes or blocks the sale. */
#ifndef POS_RECEIPT_OUT_H
#define POS_RECEIPT_OUT_H

#include <stdbool.h>
#include <stdio.h>

#include "pos/receipt.h"

/* Prints R: its text to TEXT_PATH ("-" standard output; NULL none) and its ESC/POS bytes to
 * PRINTER (a device or a file; NULL none). Returns true when everything asked for was written;
 * else false after one line to SAY ("PRINTER: ... The sale is booked ..."). */
bool pos_receipt_print(const char *printer, const char *text_path, const struct pos_receipt *r,
                       FILE *say);

#endif
