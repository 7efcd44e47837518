/* Strict reading of request JSON: known fields only, typed, range-checked, with a
 * sentence for the person when something is off. The prefix jin_ ("JSON in") keeps these
 * out of jansson's json_ namespace. */
#ifndef SVC_JSON_IN_H
#define SVC_JSON_IN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* Returns the first key of OBJ not in ALLOWED (NULL-terminated), or NULL if none. */
const char *jin_unknown_key(const json_t *obj, const char *const *allowed);

/* Reads integer KEY of OBJ into *OUT when it lies in [MIN, MAX].
 * Returns 1 when read, 0 when absent or null and not REQUIRED, -1 on error with DETAIL
 * filled (a sentence naming the field); *OUT is unchanged unless 1 is returned. */
int jin_int_field(const json_t *obj, const char *key, bool required, int64_t min, int64_t max,
                  int64_t *out, char *detail, size_t dlen);

/* Reads string KEY (1..MAXLEN bytes, valid UTF-8 by jansson) into *OUT (borrowed from OBJ).
 * Returns as jin_int_field. */
int jin_str_field(const json_t *obj, const char *key, bool required, size_t maxlen,
                  const char **out, char *detail, size_t dlen);

/* Reads RFC 3339 timestamp KEY ("2026-11-22T10:00:00Z", offsets and fractions allowed)
 * into *OUT as Unix seconds. Returns as jin_int_field. */
int jin_time_field(const json_t *obj, const char *key, bool required, int64_t *out, char *detail,
                   size_t dlen);

#endif
