/* libFuzzer target for the RFC 3339 parser: libcoupon's cpn_rfc3339_parse (lib/rfc3339.c,
 * the one coupond and pos-client use). On arbitrary text it may not crash or read past the
 * string. What it accepts must have the shape YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM), denote
 * the instant timegm(3) gives for it, survive cpn_rfc3339_format and parse again unchanged;
 * a refusal leaves the output alone. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coupon/rfc3339.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* The instant of accepted text S by timegm(3), independent of the parser's own calendar. */
static int64_t reference(const char *s)
{
    struct tm tm = {.tm_year = num(s, 4) - 1900,
                    .tm_mon = num(s + 5, 2) - 1,
                    .tm_mday = num(s + 8, 2),
                    .tm_hour = num(s + 11, 2),
                    .tm_min = num(s + 14, 2),
                    .tm_sec = num(s + 17, 2) == 60 ? 59 : num(s + 17, 2)};
    int64_t t = (int64_t)timegm(&tm);
    const char *p = s + 19;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    if (*p == '+' || *p == '-')
        t -= (*p == '+' ? 1 : -1) * (int64_t)(num(p + 1, 2) * 3600 + num(p + 4, 2) * 60);
    return t;
}

static void check_shape(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    for (size_t i = 0; i < sizeof shape - 1; i++) {
        if (shape[i] == 'd'   ? (s[i] < '0' || s[i] > '9')
            : shape[i] == 'T' ? (s[i] != 'T' && s[i] != 't')
                              : s[i] != shape[i])
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256)
        return 0;
    char text[257], buf[CPN_RFC3339_SIZE];
    memcpy(text, data, size);
    text[size] = '\0';

    int64_t t = -42, again = 0;
    if (cpn_rfc3339_parse(text, &t) != CPN_OK) {
        if (t != -42)
            abort(); /* a refusal changes nothing */
        return 0;
    }
    check_shape(text);
    if (t != reference(text))
        abort();
    cpn_rfc3339_format(t, buf, sizeof buf);
    if (cpn_rfc3339_parse(buf, &again) != CPN_OK || again != t)
        abort();
    return 0;
}
