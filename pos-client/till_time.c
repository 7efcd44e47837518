/* The till's local time: an RFC 3339 time from the service (such as when a coupon was redeemed),
 * read by libcoupon's parser (coupon/rfc3339.h), written the way the cashier reads it,
 * "2026-05-01 14:03" (in German "01.05.2026 14:03"). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "coupon/rfc3339.h"
#include "pos/i18n.h"
#include "pos/till.h"

bool pos_till_local_time(const char *text, char *buf, size_t size)
{
    snprintf(buf, size, "%s", text);
    int64_t secs;
    if (cpn_rfc3339_parse(text, &secs) != CPN_OK)
        return false;
    time_t t = (time_t)secs;
    struct tm local;
    /* TRANSLATORS: a strftime() date and time, as the cashier reads it */
    if (localtime_r(&t, &local) == NULL || strftime(buf, size, _("%Y-%m-%d %H:%M"), &local) == 0) {
        snprintf(buf, size, "%s", text);
        return false;
    }
    return true;
}
