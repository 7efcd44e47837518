/* Unit tests for the till's money handling: what a cashier may type as a basket (euros with up
 * to two decimals, '.' or ','), what is refused (signs, a third decimal, junk, overflow), how
 * cents are shown, and whole counts for points and ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pos/money.h"

/* Returns the cents TEXT parses to; fails the test when it does not parse. */
static int64_t cents_of(const char *text)
{
    int64_t cents = -12345;
    assert_int_equal(pos_money_parse(text, &cents), CPN_OK);
    return cents;
}

/* Asserts that TEXT is refused and leaves the output alone. */
static void refused(const char *text)
{
    int64_t cents = -777;
    if (pos_money_parse(text, &cents) != CPN_ERR_BAD_REQUEST)
        fail_msg("'%s' should be refused", text);
    assert_int_equal(cents, -777);
}

static void basket_accepts_euros_with_up_to_two_decimals(void **state)
{
    (void)state;
    assert_int_equal(cents_of("12"), 1200);
    assert_int_equal(cents_of("12.3"), 1230);
    assert_int_equal(cents_of("12.34"), 1234);
    assert_int_equal(cents_of("12,34"), 1234);
    assert_int_equal(cents_of("0"), 0);
    assert_int_equal(cents_of("0.05"), 5);
    assert_int_equal(cents_of("0,5"), 50);
    assert_int_equal(cents_of("007.10"), 710);
}

static void basket_accepts_the_largest_amount_that_fits(void **state)
{
    (void)state;
    assert_int_equal(cents_of("92233720368547758.07"), INT64_MAX);
}

static void basket_refuses_overflow(void **state)
{
    (void)state;
    refused("92233720368547758.08");
    refused("92233720368547759");
    refused("99999999999999999999999");
}

static void basket_refuses_negatives_and_signs(void **state)
{
    (void)state;
    refused("-1");
    refused("-0.01");
    refused("+12.34");
}

static void basket_refuses_a_third_decimal(void **state)
{
    (void)state;
    refused("12.345");
    refused("0.001");
}

static void basket_refuses_junk(void **state)
{
    (void)state;
    refused("");
    refused(".5");
    refused("12.");
    refused("12,");
    refused("1.234,56");
    refused("12.34.5");
    refused(" 12.34");
    refused("12.34 ");
    refused("12 EUR");
    refused("12e2");
    refused("0x10");
    refused("1 000");
    refused("abc");
}

/* Asserts that CENTS is shown as WANT. */
static void shows(int64_t cents, const char *want)
{
    char buf[POS_MONEY_SIZE];
    assert_string_equal(pos_money_format(cents, buf), want);
}

static void cents_are_shown_as_euros(void **state)
{
    (void)state;
    shows(0, "0.00 EUR");
    shows(5, "0.05 EUR");
    shows(250, "2.50 EUR");
    shows(1234, "12.34 EUR");
    shows(-5, "-0.05 EUR");
    shows(-98400, "-984.00 EUR");
    shows(INT64_MAX, "92233720368547758.07 EUR");
    shows(INT64_MIN, "-92233720368547758.08 EUR");
}

static void parse_and_format_round_trip(void **state)
{
    (void)state;
    static const char *const amounts[] = {"0.00", "0.01", "9.99", "10.00", "123456.78"};
    for (size_t i = 0; i < sizeof amounts / sizeof amounts[0]; i++) {
        char buf[POS_MONEY_SIZE], want[POS_MONEY_SIZE];
        snprintf(want, sizeof want, "%s EUR", amounts[i]);
        assert_string_equal(pos_money_format(cents_of(amounts[i]), buf), want);
    }
}

static void counts_are_whole_numbers_from_one(void **state)
{
    (void)state;
    int64_t v = -1;
    assert_int_equal(pos_count_parse("1", &v), CPN_OK);
    assert_int_equal(v, 1);
    assert_int_equal(pos_count_parse("500", &v), CPN_OK);
    assert_int_equal(v, 500);
    assert_int_equal(pos_count_parse("9223372036854775807", &v), CPN_OK);
    assert_int_equal(v, INT64_MAX);
    v = -1;
    static const char *const bad[] = {"0", "", "-5", "+5", "5.0", "5 ", "x", "9223372036854775808"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (pos_count_parse(bad[i], &v) != CPN_ERR_BAD_REQUEST)
            fail_msg("'%s' should be refused", bad[i]);
        assert_int_equal(v, -1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(basket_accepts_euros_with_up_to_two_decimals),
        cmocka_unit_test(basket_accepts_the_largest_amount_that_fits),
        cmocka_unit_test(basket_refuses_overflow),
        cmocka_unit_test(basket_refuses_negatives_and_signs),
        cmocka_unit_test(basket_refuses_a_third_decimal),
        cmocka_unit_test(basket_refuses_junk),
        cmocka_unit_test(cents_are_shown_as_euros),
        cmocka_unit_test(parse_and_format_round_trip),
        cmocka_unit_test(counts_are_whole_numbers_from_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
