/* Strict readers of dates and percentages in request JSON. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json_fields.h"

int jin_date_check(const char *s)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (s == NULL || strlen(s) != JIN_DATE_LEN || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < JIN_DATE_LEN; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1970 || y > 2105 || m < 1 || m > 12 || d < 1)
        return -1;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int max = days[m - 1] + (m == 2 && leap ? 1 : 0);
    return d <= max ? 0 : -1;
}

int jin_date_field(const json_t *obj, const char *key, bool required, char out[JIN_DATE_LEN + 1],
                   char *detail, size_t dlen)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v)) {
        if (!required)
            return 0;
        snprintf(detail, dlen, "The field '%s' is required.", key);
        return -1;
    }
    if (!json_is_string(v) || jin_date_check(json_string_value(v)) != 0) {
        snprintf(detail, dlen, "The field '%s' must be a date such as 2026-12-01.", key);
        return -1;
    }
    memcpy(out, json_string_value(v), JIN_DATE_LEN + 1);
    return 1;
}

int jin_pct_field(const json_t *obj, const char *key, bool required, int64_t max,
                  int64_t *hundredths, char *detail, size_t dlen)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v)) {
        if (!required)
            return 0;
        snprintf(detail, dlen, "The field '%s' is required.", key);
        return -1;
    }
    double x = json_is_integer(v) ? (double)json_integer_value(v)
               : json_is_real(v)  ? json_real_value(v)
                                  : NAN;
    double scaled = x * 100.0;
    if (!(x >= 0.0 && x <= (double)max) || fabs(scaled - round(scaled)) > 1e-6) {
        snprintf(detail, dlen,
                 "The field '%s' must be a number from 0 to %" PRId64 " with at most two decimals.",
                 key, max);
        return -1;
    }
    *hundredths = (int64_t)llround(scaled);
    return 1;
}

void jin_pct_format(int64_t hundredths, char *buf, size_t len)
{
    snprintf(buf, len, "%" PRId64 ".%02" PRId64, hundredths / 100, hundredths % 100);
}
