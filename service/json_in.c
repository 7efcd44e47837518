/* Strict reading of request JSON fields, and RFC 3339 time stamps. */
#include <stdio.h>
#include <string.h>

#include "json_in.h"

const char *json_unknown_key(const json_t *obj, const char *const *allowed)
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

int json_int_field(const json_t *obj, const char *key, bool required, int64_t min, int64_t max,
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

int json_str_field(const json_t *obj, const char *key, bool required, size_t maxlen,
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

int json_time_field(const json_t *obj, const char *key, bool required, int64_t *out, char *detail,
                    size_t dlen)
{
    const char *s = NULL;
    int rc = json_str_field(obj, key, required, 64, &s, detail, dlen);
    if (rc <= 0)
        return rc;
    if (rfc3339_parse(s, out) != 0) {
        snprintf(detail, dlen,
                 "The field '%s' must be an RFC 3339 time such as 2026-12-01T00:00:00Z.", key);
        return -1;
    }
    return 1;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Days from 1970-01-01 to Y-M-D in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* 9999-12-31T23:59:59Z, the last instant with a four-digit year. */
#define RFC3339_MAX INT64_C(253402300799)

int rfc3339_parse(const char *s, int64_t *out)
{
    int Y, M, D, h, m, sec;
    if (strlen(s) < 20 || digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) || s[7] != '-' ||
        digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
        s[13] != ':' || digits(s + 14, 2, &m) || s[16] != ':' || digits(s + 17, 2, &sec))
        return -1;
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
    if (Y < 1970 || Y > 9999 || M < 1 || M > 12 || D < 1 || D > mdays[M - 1] ||
        (M == 2 && D == 29 && !leap) || h > 23 || m > 59 || sec > 60)
        return -1;
    if (sec == 60)
        sec = 59;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    int64_t offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return -1;
        offset = (int64_t)(oh * 3600 + om * 60) * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    /* Only instants rfc3339_format writes back as RFC 3339 (a four-digit year from 1970 on,
     * in UTC): "1970-01-01T00:00:00+01:00" or "9999-12-31T23:59:59-01:00" are refused. */
    int64_t t = days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec - offset;
    if (t < 0 || t > RFC3339_MAX)
        return -1;
    *out = t;
    return 0;
}

void rfc3339_format(int64_t t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
