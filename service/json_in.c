/* Strict reading of request JSON fields (times by libcoupon's RFC 3339 parser). */
#include <stdio.h>
#include <string.h>

#include "coupon/rfc3339.h"
#include "json_in.h"

const char *jin_unknown_key(const json_t *obj, const char *const *allowed)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)obj, key, value)
    {
        (void)value;
        bool known = false;
        for (const char *const *a = allowed; *a != NULL && !known; a++)
            known = strcmp(*a, key) == 0;
        if (!known)
            return key;
    }
    return NULL;
}

int jin_int_field(const json_t *obj, const char *key, bool required, int64_t min, int64_t max,
                  int64_t *out, char *detail, size_t dlen)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v)) {
        if (!required)
            return 0;
        snprintf(detail, dlen, "The field '%s' is required.", key);
        return -1;
    }
    if (!json_is_integer(v)) {
        snprintf(detail, dlen, "The field '%s' must be a whole number.", key);
        return -1;
    }
    json_int_t n = json_integer_value(v);
    if (n < min || n > max) {
        snprintf(detail, dlen, "The field '%s' must be between %lld and %lld.", key, (long long)min,
                 (long long)max);
        return -1;
    }
    *out = n;
    return 1;
}

int jin_str_field(const json_t *obj, const char *key, bool required, size_t maxlen,
                  const char **out, char *detail, size_t dlen)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v)) {
        if (!required)
            return 0;
        snprintf(detail, dlen, "The field '%s' is required.", key);
        return -1;
    }
    if (!json_is_string(v)) {
        snprintf(detail, dlen, "The field '%s' must be a string.", key);
        return -1;
    }
    size_t len = json_string_length(v);
    const char *s = json_string_value(v);
    if (len == 0 || len > maxlen || memchr(s, '\0', len) != NULL) {
        snprintf(detail, dlen, "The field '%s' must be 1 to %zu characters long.", key, maxlen);
        return -1;
    }
    *out = s;
    return 1;
}

int jin_time_field(const json_t *obj, const char *key, bool required, int64_t *out, char *detail,
                   size_t dlen)
{
    const char *s = NULL;
    int rc = jin_str_field(obj, key, required, 64, &s, detail, dlen);
    if (rc <= 0)
        return rc;
    if (cpn_rfc3339_parse(s, out) != CPN_OK) {
        snprintf(detail, dlen,
                 "The field '%s' must be an RFC 3339 time such as 2026-12-01T00:00:00Z.", key);
        return -1;
    }
    return 1;
}
