/* Unit tests for cpn_decimal (lib/decimal.c): the same text as "%" PRId64 for the edges and
 * for 200,000 pseudo-random values of every magnitude. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "coupon/decimal.h"

/* Fails unless cpn_decimal(V) writes what printf writes, terminated, with its length. */
static void same_as_printf(int64_t v)
{
    char want[32], got[CPN_DECIMAL_MAX + 8];
    memset(got, 'x', sizeof got);
    int n = snprintf(want, sizeof want, "%" PRId64, v);
    size_t len = cpn_decimal(v, got);
    assert_int_equal(len, (size_t)n);
    assert_string_equal(got, want);
    assert_true(len + 1 <= CPN_DECIMAL_MAX);
}

static void decimal_edges_are_printfs(void **state)
{
    (void)state;
    const int64_t edges[] = {
        0,   1,          -1,          9,         10,        -10,           99,
        100, 1234567890, -1234567890, INT64_MAX, INT64_MIN, INT64_MIN + 1, INT64_MAX - 1};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        same_as_printf(edges[i]);
    char out[CPN_DECIMAL_MAX];
    assert_int_equal(cpn_decimal(INT64_MIN, out), 20);
    assert_string_equal(out, "-9223372036854775808");
}

static void decimal_random_values_are_printfs(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15ULL; /* xorshift64: fixed seed, the same run every time */
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int shift = (int)(x % 64); /* every magnitude, not only 19-digit numbers */
        same_as_printf((int64_t)(x >> shift));
        same_as_printf(-(int64_t)(x >> (shift | 1)));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decimal_edges_are_printfs),
        cmocka_unit_test(decimal_random_values_are_printfs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
