/* RFC 3339 times: a strict parser into Unix seconds (its own calendar arithmetic, no time
 * zone, no locale) and the UTC formatter. */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "coupon/rfc3339.h"

/* 9999-12-31T23:59:59Z, the last instant with a four-digit year. */
#define RFC3339_MAX INT64_C(253402300799)

/* Reads exactly N decimal digits at S into *OUT. Returns false when one is not a digit. */
static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
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

/* True when Y-M-D is a day of the calendar. */
static bool real_day(int y, int m, int d)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m >= 1 && m <= 12 && d >= 1 && d <= mdays[m - 1] && !(m == 2 && d == 29 && !leap);
}

/* Reads the part after the seconds at P: an optional fraction, then Z or an offset, then the
 * end. Returns true with *OFFSET (seconds east of UTC). */
static bool read_zone(const char *p, int64_t *offset)
{
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    *offset = 0;
    if (*p == 'Z' || *p == 'z')
        return p[1] == '\0';
    if (*p != '+' && *p != '-')
        return false;
    int oh, om;
    if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59 ||
        p[6] != '\0')
        return false;
    *offset = (int64_t)(oh * 3600 + om * 60) * (*p == '+' ? 1 : -1);
    return true;
}

enum cpn_err cpn_rfc3339_parse(const char *s, int64_t *out)
{
    int Y, M, D, h, m, sec;
    int64_t offset;
    if (strlen(s) < 20 || !digits(s, 4, &Y) || s[4] != '-' || !digits(s + 5, 2, &M) ||
        s[7] != '-' || !digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't') ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &m) || s[16] != ':' ||
        !digits(s + 17, 2, &sec))
        return CPN_ERR_BAD_REQUEST;
    if (Y < 1970 || !real_day(Y, M, D) || h > 23 || m > 59 || sec > 60 ||
        !read_zone(s + 19, &offset))
        return CPN_ERR_BAD_REQUEST;
    if (sec == 60)
        sec = 59;
    int64_t t = days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec - offset;
    if (t < 0 || t > RFC3339_MAX)
        return CPN_ERR_BAD_REQUEST;
    *out = t;
    return CPN_OK;
}

void cpn_rfc3339_format(int64_t t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (len == 0)
        return;
    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        buf[0] = '\0';
}
