/* The discount by VAT rate against a running coupond and PostgreSQL (issue 17): in the
 * redemption's answer, its replay, the report and the till's closing (and a void there); the
 * stored functions agreeing with libcoupon on VAT shares and stacks, and vat_split's property
 * test over 100,000 random baskets inside PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "coupon/shares.h"
#include "itest_analytics.h"
#include "itest_counter.h"

/* --- discount by VAT rate --- */

/* The discount of rate KEY in terminal-1's closing of today (PART: redemptions or voids). */
static long long closing_vat(const char *part, const char *key)
{
    char path[96];
    long long day = itest_sql_number("SELECT to_char(now() AT TIME ZONE local_tz(), 'YYYYMMDD')"
                                     "::bigint",
                                     NULL);
    snprintf(path, sizeof path, "/v1/terminals/terminal-1/closing?day=%04lld-%02lld-%02lld",
             day / 10000, day / 100 % 100, day % 100);
    json_t *a = NULL;
    assert_int_equal(itest_call("terminal-1", "GET", path, NULL, &a), 200);
    json_t *v = json_object_get(json_object_get(json_object_get(a, "discount_by_vat"), part), key);
    long long cents = json_is_integer(v) ? json_integer_value(v) : 0;
    assert_true(v == NULL || json_is_integer(v));
    json_decref(a);
    return cents;
}

static void a_redemption_answers_and_stores_its_discount_by_vat_rate(void **state)
{
    (void)state;
    long long campaign = itest_campaign("{\"offer\":{\"kind\":\"amount\",\"value\":1001}}");
    json_t *issued = itest_issue(campaign, 2, NULL);
    struct itest_client *t = itest_client_new("terminal-1");
    char txn[64];
    long long before1 = closing_vat("redemptions", "1"), before2 = closing_vat("redemptions", "2");
    long long voided1 = closing_vat("voids", "1");
    itest_uniq(txn, sizeof txn, "vat");
    json_t *body = json_pack("{s:s, s:i, s:s, s:{s:i, s:i, s:i}}", "code", itest_code(issued, 0),
                             "basket_cents", 5000, "txn_id", txn, "basket_by_vat", "1", 3000, "2",
                             1999, "5", 1);
    json_t *first = NULL, *again = NULL, *a = NULL;
    assert_int_equal(itest_post(t, "/v1/redemptions", json_deep_copy(body), &first), 201);
    json_t *vat = json_object_get(first, "discount_by_vat");
    /* 1001 of 5000: 600.6, 400.2, 0.2 -> 600, 400, 0 and the cent left to the largest
     * remainder (rate 1) */
    assert_int_equal(itest_int(vat, "1"), 601);
    assert_int_equal(itest_int(vat, "2"), 400);
    assert_int_equal(itest_int(vat, "5"), 0);
    /* The replay answers the same; other parts under the same txn are a conflict. */
    assert_int_equal(itest_post(t, "/v1/redemptions", json_deep_copy(body), &again), 200);
    assert_true(json_equal(first, again));
    json_object_set_new(json_object_get(body, "basket_by_vat"), "1", json_integer(2999));
    json_object_set_new(json_object_get(body, "basket_by_vat"), "2", json_integer(2000));
    assert_int_equal(itest_post(t, "/v1/redemptions", body, &a), 409);
    assert_string_equal(itest_error_code(a), "conflict");
    json_decref(a);
    /* Parts that do not add up to the basket: refused, nothing booked. */
    body =
        json_pack("{s:s, s:i, s:s, s:{s:i}}", "code", itest_code(issued, 1), "basket_cents", 5000,
                  "txn_id", itest_uniq(txn, sizeof txn, "vat"), "basket_by_vat", "1", 4999);
    assert_int_equal(itest_post(t, "/v1/redemptions", body, &a), 400);
    assert_string_equal(itest_error_code(a), "bad_request");
    json_decref(a);
    /* The report sums the discount per rate. */
    char path[96];
    snprintf(path, sizeof path, "/v1/campaigns/%lld/report", campaign);
    assert_int_equal(itest_call("marketer", "GET", path, NULL, &a), 200);
    assert_int_equal(itest_int(json_object_get(a, "discount_by_vat"), "1"), 601);
    assert_int_equal(itest_int(json_object_get(a, "discount_by_vat"), "2"), 400);
    json_decref(a);
    /* So does the till's closing of the day (for its tax export), and a void there. */
    assert_int_equal(closing_vat("redemptions", "1") - before1, 601);
    assert_int_equal(closing_vat("redemptions", "2") - before2, 400);
    snprintf(path, sizeof path, "/v1/redemptions/%lld/void", itest_int(first, "redemption_id"));
    assert_int_equal(
        itest_post(t, path, json_pack("{s:s}", "txn_id", itest_uniq(txn, sizeof txn, "vv")), NULL),
        200);
    assert_int_equal(closing_vat("voids", "1") - voided1, 601);
    json_decref(first);
    json_decref(again);
    itest_client_free(t);
    json_decref(issued);
}

/* --- the stored functions and libcoupon agree --- */

static uint64_t rng = 88172645463325252u;
static int64_t below(int64_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (int64_t)(rng % (uint64_t)n);
}

static void the_database_and_libcoupon_agree_on_vat_shares_and_stacks(void **state)
{
    (void)state;
    enum { CASES = 2000 };
    json_t *vat_cases = json_array(), *stack_cases = json_array();
    static int64_t want_vat[CASES][CPN_SHARES_MAX], want_stack[CASES];
    static int keys[CASES][CPN_SHARES_MAX];
    static size_t nkeys[CASES];
    for (int i = 0; i < CASES; i++) {
        size_t n = 1 + (size_t)below(7);
        int64_t parts[CPN_SHARES_MAX], basket = 0;
        json_t *p = json_object();
        for (size_t k = 0; k < n; k++) {
            keys[i][k] = (int)k * 2 + 1 + (int)below(2);
            parts[k] = below(4) == 0 ? 0 : below(1000000);
            basket += parts[k];
            char key[4];
            snprintf(key, sizeof key, "%d", keys[i][k]);
            json_object_set_new(p, key, json_integer(parts[k]));
        }
        nkeys[i] = n;
        int64_t discount = basket == 0 ? 0 : below(basket + 1);
        assert_int_equal(cpn_apportion(discount, parts, keys[i], n, want_vat[i]), CPN_OK);
        json_array_append_new(vat_cases,
                              json_pack("{s:I, s:o}", "d", (json_int_t)discount, "p", p));
        size_t m = (size_t)below(6);
        struct cpn_stack_offer o[CPN_SHARES_MAX];
        int64_t d[CPN_SHARES_MAX], b = below(100000);
        json_t *kinds = json_array(), *values = json_array();
        for (size_t k = 0; k < m; k++) {
            bool pct = below(2) == 0;
            o[k] = (struct cpn_stack_offer){pct ? CPN_STACK_PERCENT : CPN_STACK_AMOUNT,
                                            pct ? 1 + below(100) : 1 + below(20000)};
            json_array_append_new(kinds, json_string(pct ? "percent" : "amount"));
            json_array_append_new(values, json_integer(o[k].value));
        }
        assert_int_equal(cpn_stack_apply(b, o, m, d, NULL, &want_stack[i]), CPN_OK);
        json_array_append_new(
            stack_cases, json_pack("{s:I, s:o, s:o}", "b", (json_int_t)b, "k", kinds, "v", values));
    }
    char *v = json_dumps(vat_cases, JSON_COMPACT), *s = json_dumps(stack_cases, JSON_COMPACT);
    const char *pv[] = {v}, *ps[] = {s};
    char *got_vat =
        itest_sql_text("SELECT json_agg(vat_split((e->>'d')::bigint, e->'p') ORDER BY i)"
                       "  FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(e, i)",
                       1, pv);
    char *got_stack = itest_sql_text(
        "SELECT json_agg(stack_total((e->>'b')::bigint,"
        "                ARRAY(SELECT jsonb_array_elements_text(e->'k')),"
        "                ARRAY(SELECT jsonb_array_elements_text(e->'v')::bigint)) ORDER BY i)"
        "  FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(e, i)",
        1, ps);
    assert_non_null(got_vat);
    assert_non_null(got_stack);
    json_t *gv = json_loads(got_vat, 0, NULL), *gs = json_loads(got_stack, 0, NULL);
    assert_int_equal(json_array_size(gv), CASES);
    for (int i = 0; i < CASES; i++) {
        for (size_t k = 0; k < nkeys[i]; k++) {
            char key[4];
            snprintf(key, sizeof key, "%d", keys[i][k]);
            assert_int_equal(itest_int(json_array_get(gv, (size_t)i), key), want_vat[i][k]);
        }
        assert_int_equal(json_integer_value(json_array_get(gs, (size_t)i)), want_stack[i]);
    }
    json_decref(gv);
    json_decref(gs);
    free(got_vat);
    free(got_stack);
    free(v);
    free(s);
    json_decref(vat_cases);
    json_decref(stack_cases);
}

static void vat_split_holds_over_100000_random_baskets_inside_postgresql(void **state)
{
    (void)state;
    /* Random baskets over three rates and offers (a percent as the service rounds it, or any
     * amount up to the basket); counts the cases that break a rule: the shares must add up to
     * the discount, none may exceed its rate's basket, each is within a cent of its exact
     * proportion (|share * basket - discount * part| < basket). */
    char *bad = itest_sql_text(
        "WITH c AS ("
        "  SELECT g, 1 + (random() * 1e6)::bigint AS p1, (random() * 1e6)::bigint AS p2,"
        "         (random() * 1e4)::bigint AS p3, random() AS r FROM generate_series(1, 100000) g"
        "), o AS ("
        "  SELECT g, jsonb_build_object('1', p1, '2', p2, '5', p3) AS parts, p1 + p2 + p3 AS b,"
        "         CASE WHEN r < 0.5 THEN ((p1 + p2 + p3) * (1 + (r * 198)::bigint) + 50) / 100"
        "              ELSE ((p1 + p2 + p3) * (r - 0.5) * 2)::bigint END AS d FROM c"
        "), s AS (SELECT g, parts, b, d, vat_split(d, parts) AS sh FROM o)"
        " SELECT count(*) FROM s WHERE"
        "   (SELECT sum(value::bigint) FROM jsonb_each_text(sh)) <> d"
        "   OR EXISTS (SELECT 1 FROM jsonb_each_text(sh) e"
        "               WHERE e.value::bigint > (parts->>e.key)::bigint"
        "                  OR abs(e.value::numeric * b - d::numeric * (parts->>e.key)::bigint)"
        "                     >= b)",
        0, NULL);
    assert_non_null(bad);
    assert_string_equal(bad, "0");
    free(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_redemption_answers_and_stores_its_discount_by_vat_rate),
        cmocka_unit_test(the_database_and_libcoupon_agree_on_vat_shares_and_stacks),
        cmocka_unit_test(vat_split_holds_over_100000_random_baskets_inside_postgresql),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
