/* Unit tests of the pure parts of the marketer's analytics: CSV in both spreadsheet styles,
 * the statistics added to a report's holdout and to an A/B test, the holdout's size and draw,
 * and the date and percentage readers. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analytics.h"
#include "csv.h"
#include "json_fields.h"
#include "recipients.h"

static void csv_quotes_text_and_follows_the_style(void **state)
{
    (void)state;
    struct csv_style st;
    assert_int_equal(csv_style_from(NULL, &st), 0);
    struct csv_buf b;
    csv_buf_init(&b, &st);
    csv_field(&b, "plain", false);
    csv_field(&b, "a,b", false);
    csv_field(&b, "say \"hi\"", false);
    csv_field(&b, "=SUM(A1)", false);
    csv_field(&b, "-0.5", true);
    csv_field(&b, NULL, false);
    csv_end_row(&b);
    assert_string_equal(b.data, "plain,\"a,b\",\"say \"\"hi\"\"\",\"'=SUM(A1)\",-0.5,\r\n");
    csv_buf_clear(&b);
    assert_int_equal(csv_style_from(";", &st), 0);
    csv_buf_init(&b, &st);
    csv_field(&b, "0.25", true);
    csv_field(&b, "a;b", false);
    csv_field(&b, "1,5", false);
    csv_end_row(&b);
    assert_string_equal(b.data, "\xEF\xBB\xBF"
                                "0,25;\"a;b\";1,5\r\n");
    csv_buf_clear(&b);
    assert_int_equal(csv_style_from("|", &st), -1);
}

static void holdout_statistics_match_the_reference(void **state)
{
    (void)state;
    json_t *report = json_loads(
        "{\"cost_cents\":90000,\"holdout\":{\"mailed\":{\"cards\":9000,\"responders\":720,"
        "\"revenue_cents\":720000},\"held_out\":{\"cards\":1000,\"responders\":30,"
        "\"revenue_cents\":30000}}}",
        0, NULL);
    assert_int_equal(analytics_holdout(report), 0);
    json_t *h = json_object_get(report, "holdout");
    assert_true(fabs(json_real_value(json_object_get(json_object_get(h, "mailed"), "rate")) -
                     0.08) < 1e-12);
    assert_true(fabs(json_real_value(json_object_get(h, "lift_pp")) - 5.0) < 1e-12);
    json_t *ci = json_object_get(h, "lift_pp_ci");
    assert_true(fabs(json_real_value(json_array_get(ci, 0)) - 3.6369) < 1e-9);
    assert_true(fabs(json_real_value(json_array_get(ci, 1)) - 6.0621) < 1e-9);
    assert_true(fabs(json_real_value(json_object_get(h, "lift_pct")) - 166.67) < 1e-9);
    /* statsmodels, compare='ratio', method='log': [1.861723, 3.819639] */
    json_t *pct = json_object_get(h, "lift_pct_ci");
    assert_true(fabs(json_real_value(json_array_get(pct, 0)) - 86.17) < 1e-9);
    assert_true(fabs(json_real_value(json_array_get(pct, 1)) - 281.96) < 1e-9);
    assert_true(fabs(json_real_value(json_object_get(h, "incremental_revenue_per_piece_cents")) -
                     50.0) < 1e-12);
    assert_int_equal(json_integer_value(json_object_get(h, "incremental_revenue_cents")), 450000);
    assert_true(fabs(json_real_value(json_object_get(h, "incremental_roas")) - 5.0) < 1e-12);
    assert_true(json_is_true(json_object_get(h, "significant")));
    json_decref(report);
    /* Nobody held out: the lift is undefined, not a crash. */
    report = json_loads("{\"cost_cents\":0,\"holdout\":{\"mailed\":{\"cards\":5,\"responders\":1,"
                        "\"revenue_cents\":0},\"held_out\":{\"cards\":0,\"responders\":0,"
                        "\"revenue_cents\":0}}}",
                        0, NULL);
    assert_int_equal(analytics_holdout(report), 0);
    h = json_object_get(report, "holdout");
    assert_true(json_is_null(json_object_get(h, "lift_pp")));
    assert_true(json_is_null(json_object_get(h, "incremental_roas")));
    json_decref(report);
}

static json_t *ab(int control_x, int control_n, int x, int n)
{
    char text[512];
    snprintf(text, sizeof text,
             "{\"cells\":[{\"campaign_id\":1,\"name\":\"A\",\"control\":true,\"pieces\":%d,"
             "\"responses\":%d},{\"campaign_id\":2,\"name\":\"B\",\"control\":false,"
             "\"pieces\":%d,\"responses\":%d}]}",
             control_n, control_x, n, x);
    json_t *c = json_loads(text, 0, NULL);
    assert_int_equal(analytics_compare(c), 0);
    return c;
}

static const char *cell_str(const json_t *c, size_t i, const char *k)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(c, "cells"), i), k));
}

static void ab_verdicts_say_what_the_interval_says(void **state)
{
    (void)state;
    json_t *c = ab(200, 20000, 240, 20000);
    assert_string_equal(cell_str(c, 1, "verdict"), "not_significant");
    assert_string_equal(cell_str(c, 1, "sentence"),
                        "Not significant yet: about 42,694 pieces per cell would show a difference "
                        "this size.");
    assert_true(
        json_is_null(json_object_get(json_array_get(json_object_get(c, "cells"), 0), "verdict")));
    json_decref(c);
    c = ab(200, 20000, 300, 20000);
    assert_string_equal(cell_str(c, 1, "verdict"), "better");
    assert_string_equal(cell_str(c, 1, "sentence"), "B responds better than A (95 % confidence).");
    json_decref(c);
    c = ab(300, 20000, 200, 20000);
    assert_string_equal(cell_str(c, 1, "verdict"), "worse");
    json_decref(c);
    c = ab(0, 0, 3, 100);
    assert_string_equal(cell_str(c, 1, "verdict"), "no_data");
    json_decref(c);
    c = ab(10, 100, 10, 100);
    assert_string_equal(cell_str(c, 1, "verdict"), "not_significant");
    assert_non_null(strstr(cell_str(c, 1, "sentence"), "no difference"));
    json_decref(c);
    char buf[32];
    analytics_thousands(1234567, buf, sizeof buf);
    assert_string_equal(buf, "1,234,567");
    analytics_thousands(999, buf, sizeof buf);
    assert_string_equal(buf, "999");
}

static void the_holdout_is_exactly_its_share_and_the_same_in_any_order(void **state)
{
    (void)state;
    assert_int_equal(recipients_holdout_count(10000, 1000), 1000);
    assert_int_equal(recipients_holdout_count(15, 1000), 2); /* 1.5 rounds up */
    assert_int_equal(recipients_holdout_count(14, 1000), 1); /* 1.4 */
    assert_int_equal(recipients_holdout_count(3, 0), 0);
    assert_int_equal(recipients_holdout_count(3, 10000), 3);
    assert_int_equal(recipients_holdout_count(1000000, 250), 25000); /* 2.5 % */
    enum { N = 5000 };
    static uint32_t cards[N], reversed[N];
    static bool held[N], held_rev[N];
    for (size_t i = 0; i < N; i++) {
        cards[i] = (uint32_t)(1000 + 7 * i);
        reversed[N - 1 - i] = cards[i];
    }
    uint8_t key[RECIPIENTS_KEY_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    assert_int_equal(recipients_draw(key, cards, N, 500, held), 0);
    assert_int_equal(recipients_draw(key, reversed, N, 500, held_rev), 0);
    size_t n = 0, first_half = 0;
    for (size_t i = 0; i < N; i++) {
        n += held[i];
        first_half += held[i] && i < N / 2;
        assert_int_equal(held[i], held_rev[N - 1 - i]); /* the same cards, whatever the order */
    }
    assert_int_equal(n, 500);
    assert_true(first_half > 200 && first_half < 300); /* spread, not the first 500 */
    /* Another key draws other cards. */
    key[0] ^= 1;
    assert_int_equal(recipients_draw(key, cards, N, 500, held_rev), 0);
    size_t same = 0;
    for (size_t i = 0; i < N; i++)
        same += held[i] && held_rev[i];
    assert_true(same < 150);
}

static void dates_and_percentages_are_read_strictly(void **state)
{
    (void)state;
    assert_int_equal(jin_date_check("2024-02-29"), 0);
    assert_int_equal(jin_date_check("2023-02-29"), -1);
    assert_int_equal(jin_date_check("2026-13-01"), -1);
    assert_int_equal(jin_date_check("2026-1-01"), -1);
    assert_int_equal(jin_date_check("1969-12-31"), -1);
    json_t *o =
        json_loads("{\"a\":35.5,\"b\":100,\"c\":100.01,\"d\":33.333,\"e\":\"5\",\"f\":0}", 0, NULL);
    int64_t v = -1;
    char detail[160];
    assert_int_equal(jin_pct_field(o, "a", true, 100, &v, detail, sizeof detail), 1);
    assert_int_equal(v, 3550);
    assert_int_equal(jin_pct_field(o, "b", true, 100, &v, detail, sizeof detail), 1);
    assert_int_equal(v, 10000);
    assert_int_equal(jin_pct_field(o, "c", true, 100, &v, detail, sizeof detail), -1);
    assert_int_equal(jin_pct_field(o, "d", true, 100, &v, detail, sizeof detail), -1);
    assert_int_equal(jin_pct_field(o, "e", true, 100, &v, detail, sizeof detail), -1);
    assert_int_equal(jin_pct_field(o, "f", true, 100, &v, detail, sizeof detail), 1);
    assert_int_equal(jin_pct_field(o, "g", false, 100, &v, detail, sizeof detail), 0);
    json_decref(o);
    char buf[24];
    jin_pct_format(3550, buf, sizeof buf);
    assert_string_equal(buf, "35.50");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csv_quotes_text_and_follows_the_style),
        cmocka_unit_test(holdout_statistics_match_the_reference),
        cmocka_unit_test(ab_verdicts_say_what_the_interval_says),
        cmocka_unit_test(the_holdout_is_exactly_its_share_and_the_same_in_any_order),
        cmocka_unit_test(dates_and_percentages_are_read_strictly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
