/* Strict reading of request JSON: known fields only, typed, range-checked, with a
 * sentence for the person when something is off. */
#ifndef SVC_JSON_IN_H
#define SVC_JSON_IN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Returns the first key of OBJ not in ALLOWED (NULL-terminated), or NULL if none. */
const char *json_unknown_key(const json_t *obj, const char *const *allowed);

/* Reads integer KEY of OBJ into *OUT when it lies in [MIN, MAX].
 * Returns 1 when read, 0 when absent or null and not REQUIRED, -1 on error with DETAIL
 * filled (a sentence naming the field); *OUT is unchanged unless 1 is returned. */
int json_int_field(const json_t *obj, const char *key, bool required, int64_t min, int64_t max,
                   int64_t *out, char *detail, size_t dlen);

/* Reads string KEY (1..MAXLEN bytes, valid UTF-8 by jansson) into *OUT (borrowed from OBJ).
 * Returns as json_int_field. */
int json_str_field(const json_t *obj, const char *key, bool required, size_t maxlen,
                   const char **out, char *detail, size_t dlen);

/* Reads RFC 3339 timestamp KEY ("2026-11-22T10:00:00Z", offsets and fractions allowed)
 * into *OUT as Unix seconds. Returns as json_int_field. */
int json_time_field(const json_t *obj, const char *key, bool required, int64_t *out, char *detail,
                    size_t dlen);

/* Parses an RFC 3339 timestamp. Returns 0 and sets *OUT, or -1 (also for an instant before
 * 1970-01-01T00:00:00Z or after 9999-12-31T23:59:59Z, which rfc3339_format could not write back).
 */
int rfc3339_parse(const char *text, int64_t *out);

/* Formats Unix seconds T as "YYYY-MM-DDTHH:MM:SSZ" into BUF (at least 21 bytes). */
void rfc3339_format(int64_t t, char *buf, size_t len);

#endif
