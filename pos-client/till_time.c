/* The till's local time: an RFC 3339 time from the service (such as when a coupon was redeemed)
 * written the way the cashier reads it, "2026-05-01 14:03" (in German "01.05.2026 14:03"). */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "pos/i18n.h"
#include "pos/till.h"

/* Reads exactly N digits at *P into *V and advances *P. Returns false when there are fewer. */
static bool digits(const char **p, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        *v = *v * 10 + (c - '0');
    }
    *p += n;
    return true;
}

bool pos_till_local_time(const char *text, char *buf, size_t size)
{
    snprintf(buf, size, "%s", text);
    const char *p = text;
    int year, mon, day, hour, min, sec;
    if (!digits(&p, 4, &year) || *p++ != '-' || !digits(&p, 2, &mon) || *p++ != '-' ||
        !digits(&p, 2, &day) || (*p != 'T' && *p != 't' && *p != ' '))
        return false;
    p++;
    if (!digits(&p, 2, &hour) || *p++ != ':' || !digits(&p, 2, &min) || *p++ != ':' ||
        !digits(&p, 2, &sec))
        return false;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) || oh > 23 || om > 59)
            return false;
        offset = sign * (oh * 3600L + om * 60L);
    } else {
        return false;
    }
    if (*p != '\0' || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 ||
        sec > 60)
        return false;
    struct tm tm = {
        .tm_year = year - 1900,
        .tm_mon = mon - 1,
        .tm_mday = day,
        .tm_hour = hour,
        .tm_min = min,
        .tm_sec = sec,
    };
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return false;
    t -= offset;
    struct tm local;
    /* TRANSLATORS: a strftime() date and time, as the cashier reads it */
    if (localtime_r(&t, &local) == NULL || strftime(buf, size, _("%Y-%m-%d %H:%M"), &local) == 0) {
        snprintf(buf, size, "%s", text);
        return false;
    }
    return true;
}
