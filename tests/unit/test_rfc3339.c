/* Unit tests for libcoupon's RFC 3339 parser and formatter (lib/rfc3339.c), the one both
 * programs use: exact instants, offsets and fractions, the calendar, what is refused, and a
 * round trip through the formatter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "coupon/rfc3339.h"

static void rfc3339_times_parse_to_their_instant(void **state)
{
    (void)state;
    int64_t t = 0;
    assert_int_equal(cpn_rfc3339_parse("1970-01-01T00:00:00Z", &t), CPN_OK);
    assert_int_equal(t, 0);
    assert_int_equal(cpn_rfc3339_parse("2026-11-22T10:00:00Z", &t), CPN_OK);
    assert_int_equal(t, 1795341600);
    assert_int_equal(cpn_rfc3339_parse("2026-11-22T11:00:00+01:00", &t), CPN_OK);
    assert_int_equal(t, 1795341600);
    assert_int_equal(cpn_rfc3339_parse("2026-11-22T05:30:00-04:30", &t), CPN_OK);
    assert_int_equal(t, 1795341600);
    assert_int_equal(cpn_rfc3339_parse("2026-11-22T10:00:00.123Z", &t), CPN_OK);
    assert_int_equal(t, 1795341600);
    assert_int_equal(cpn_rfc3339_parse("2026-11-22t10:00:00z", &t), CPN_OK);
    assert_int_equal(t, 1795341600);
    assert_int_equal(cpn_rfc3339_parse("2024-02-29T00:00:00Z", &t), CPN_OK);
    assert_int_equal(t, 1709164800);
    assert_int_equal(cpn_rfc3339_parse("2000-02-29T00:00:00Z", &t), CPN_OK);
    assert_int_equal(cpn_rfc3339_parse("2016-12-31T23:59:60Z", &t), CPN_OK); /* leap second */
    assert_int_equal(t, 1483228799);
    assert_int_equal(cpn_rfc3339_parse("9999-12-31T23:59:59Z", &t), CPN_OK);
    assert_int_equal(t, INT64_C(253402300799));
}

static void anything_else_is_refused_and_changes_nothing(void **state)
{
    (void)state;
    const char *bad[] = {"2023-02-29T00:00:00Z",       "2026-13-01T00:00:00Z",
                         "2026-11-22 10:00:00Z",       "2026-11-22T10:00:00",
                         "2026-11-22T24:00:00Z",       "yesterday",
                         "2026-11-22T10:00:00Zjunk",   "",
                         "1900-02-29T00:00:00Z",       "2026-04-31T00:00:00Z",
                         "2026-11-22T10:60:00Z",       "2026-11-22T10:00:61Z",
                         "2026-11-22T10:00:00.Z",      "2026-11-22T10:00:00+1:00",
                         "2026-11-22T10:00:00+24:00",  "2026-11-22T10:00:00+01:60",
                         "2026-11-22T10:00:00+01:00x", "1969-12-31T23:59:59Z",
                         "1970-01-01T00:00:00+01:00",  "9999-12-31T23:59:59-00:01",
                         "+2026-11-22T10:00:00Z",      "2026-1-22T10:00:00Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t t = 42;
        assert_int_equal(cpn_rfc3339_parse(bad[i], &t), CPN_ERR_BAD_REQUEST);
        assert_int_equal(t, 42);
    }
}

static void the_formatter_writes_utc_and_reads_back(void **state)
{
    (void)state;
    char buf[CPN_RFC3339_SIZE];
    cpn_rfc3339_format(1795341600, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-22T10:00:00Z");
    cpn_rfc3339_format(0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01T00:00:00Z");
    cpn_rfc3339_format(INT64_C(253402300799), buf, sizeof buf);
    assert_string_equal(buf, "9999-12-31T23:59:59Z");
    for (int64_t t = 0; t < INT64_C(253402300799); t += INT64_C(86399) * 367 + 12345) {
        int64_t back = -1;
        cpn_rfc3339_format(t, buf, sizeof buf);
        assert_int_equal(cpn_rfc3339_parse(buf, &back), CPN_OK);
        assert_int_equal(back, t);
    }
    char small[10] = "untouched";
    cpn_rfc3339_format(1795341600, small, sizeof small);
    assert_string_equal(small, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc3339_times_parse_to_their_instant),
        cmocka_unit_test(anything_else_is_refused_and_changes_nothing),
        cmocka_unit_test(the_formatter_writes_utc_and_reads_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
