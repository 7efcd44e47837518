/* More strict readers of request JSON fields (beside json_in.h): local dates and percentages
 * with at most two decimals. Same conventions: 1 read, 0 absent or null and not required,
 * -1 with a sentence naming the field in DETAIL. */
#ifndef SVC_JSON_FIELDS_H
#define SVC_JSON_FIELDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JIN_DATE_LEN 10 /* YYYY-MM-DD */

/* Reads date KEY ("YYYY-MM-DD", a real calendar day in 1970..2105) into OUT (11 bytes,
 * NUL-terminated). Returns as jin_int_field. */
int jin_date_field(const json_t *obj, const char *key, bool required, char out[JIN_DATE_LEN + 1],
                   char *detail, size_t dlen);

/* Checks TEXT is a date as jin_date_field wants it. Returns 0 or -1. */
int jin_date_check(const char *text);

/* Reads number KEY (a whole number or one with at most two decimals) within [0, MAX] into
 * *HUNDREDTHS (35.5 → 3550). Returns as jin_int_field. */
int jin_pct_field(const json_t *obj, const char *key, bool required, int64_t max,
                  int64_t *hundredths, char *detail, size_t dlen);

/* Writes HUNDREDTHS as a decimal ("35.50") into BUF. */
void jin_pct_format(int64_t hundredths, char *buf, size_t len);

#endif
