/* CSV for spreadsheets: a growing buffer of rows in one of two styles, the international one
 * (comma, decimal point) or the German one (?sep=; semicolon, decimal comma, and a UTF-8 byte
 * order mark so that spreadsheet programs read the umlauts right). Text fields that a
 * spreadsheet would take for a formula (= + - @ first) are prefixed with a quote. */
#ifndef SVC_CSV_H
#define SVC_CSV_H

#include <stdbool.h>
#include <stddef.h>

struct csv_style {
    char sep;           /* ',', ';' or '\t' */
    bool decimal_comma; /* numbers with a decimal comma */
    bool bom;           /* start with a UTF-8 byte order mark */
};

/* Reads the ?sep= parameter SEP (NULL, ",", ";" or "tab") into *STYLE: ";" selects the
 * German style. Returns 0, or -1 for another value. */
int csv_style_from(const char *sep, struct csv_style *style);

struct csv_buf {
    char *data; /* owned; freed by csv_buf_clear */
    size_t len, cap;
    bool failed; /* out of memory: everything after it was dropped */
    bool row_open;
    struct csv_style style;
};

/* An empty buffer in STYLE (starting with the byte order mark when the style wants one). */
void csv_buf_init(struct csv_buf *b, const struct csv_style *style);

/* Frees the buffer's data; the buffer is empty afterwards. */
void csv_buf_clear(struct csv_buf *b);

/* Appends one field: TEXT (NULL: an empty field), as a number when NUMERIC (the decimal point
 * follows the style, no quoting), else as text (quoted when needed). */
void csv_field(struct csv_buf *b, const char *text, bool numeric);

/* Ends the current row. */
void csv_end_row(struct csv_buf *b);

/* Appends a whole row of text fields (a header). */
void csv_header(struct csv_buf *b, const char *const *names);

#endif
