/* The receipt printer: ESC/POS bytes written to a printer device (a character device such as
 * /dev/usb/lp0, or a FIFO a print spooler reads: opened write-only, no seeking, never waiting
 * longer than POS_PRINTER_TIMEOUT_MS) or appended to a file; and the receipt's text appended to
 * a file or written to standard output. A printer that fails never stops the sale: the caller
 * gets one sentence and the sale stays booked. */
#ifndef POS_PRINTER_H
#define POS_PRINTER_H

#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"
#include "pos/print_doc.h"

/* Longest the till waits for a printer device to take a receipt (paper out, cover open, a
 * spooler that does not read), in milliseconds. */
#define POS_PRINTER_TIMEOUT_MS 5000

/* Writes the LEN bytes at DATA to PATH: to a character device or FIFO opened O_WRONLY |
 * O_NOCTTY | O_NONBLOCK (no seeking; waiting for it at most TIMEOUT_MS in all), else appended
 * to a regular file (created 0600 when missing). Returns CPN_OK; CPN_ERR_IO (nothing or only
 * part written) or CPN_ERR_TIMEOUT (the device did not take it in time) with WHY (WHY_SIZE
 * bytes) saying what in one sentence for the cashier. */
CPN_MUST_CHECK enum cpn_err pos_printer_write(const char *path, const uint8_t *data, size_t len,
                                              int timeout_ms, char *why, size_t why_size);

/* Writes DOC's text form to PATH: standard output for "-", else appended to the file (created
 * 0600 when missing). Returns CPN_OK, or CPN_ERR_IO with WHY as for pos_printer_write(). */
CPN_MUST_CHECK enum cpn_err pos_printer_text(const char *path, const struct pos_doc *doc, char *why,
                                             size_t why_size);

#endif
