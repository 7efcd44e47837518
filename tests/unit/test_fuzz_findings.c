/* Regression tests for what the fuzz targets (tests/fuzz) found, one test per finding, each
 * failing on the code before its fix. The inputs also stay in the targets' corpora. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "../../service/json_in.h"

/* fuzz_rfc3339: the service accepted times whose instant lies before 1970 or after 9999 once
 * the offset is applied, and then wrote them back as text it refuses itself
 * ("1969-12-31T23:00:00Z") or that is no RFC 3339 at all ("10000-01-01T23:58:59Z"). */
static void rfc3339_refuses_instants_it_cannot_write_back(void **state)
{
    (void)state;
    int64_t t = 42;
    assert_int_equal(rfc3339_parse("1970-01-01T00:00:00+01:00", &t), -1);
    assert_int_equal(rfc3339_parse("9999-12-31T23:59:59-23:59", &t), -1);
    assert_int_equal(t, 42); /* unchanged on refusal */
    /* The edges themselves are fine and round-trip. */
    char buf[32];
    assert_int_equal(rfc3339_parse("1970-01-01T01:00:00+01:00", &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(rfc3339_parse("9999-12-31T23:59:59Z", &t), 0);
    rfc3339_format(t, buf, sizeof buf);
    assert_string_equal(buf, "9999-12-31T23:59:59Z");
    assert_int_equal(rfc3339_parse("10000-01-01T00:00:00Z", &t), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc3339_refuses_instants_it_cannot_write_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
