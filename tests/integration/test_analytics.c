/* The campaign report, the A/B comparison and the exports against a running coupond: a basket
 * with two coupons counts its revenue once; the report equals a recount from the raw rows
 * (receipts, stores, local days, days since the in-home date, median, from/to); the reference
 * A/B test (240 of 20,000 against 200 of 20,000: +0.20 pp, CI [-0.0047, 0.4058] pp, p 0.0552,
 * 42,694 pieces per cell); report.csv and redemptions.csv, also in the German style. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest_analytics.h"

static int seq;

/* Redeems CODE for BASKET cents at terminal WHO, with RECEIPT (NULL: none). Returns the status
 * and the redemption id in *ID. */
static long redeem(const char *who, const char *code, long basket, const char *receipt,
                   long long *id)
{
    char body[256], txn[64];
    snprintf(txn, sizeof txn, "an-%d-%d", (int)getpid(), ++seq);
    if (receipt != NULL)
        snprintf(body, sizeof body,
                 "{\"code\":\"%s\",\"basket_cents\":%ld,\"txn_id\":\"%s\",\"receipt\":\"%s\"}",
                 code, basket, txn, receipt);
    else
        snprintf(body, sizeof body, "{\"code\":\"%s\",\"basket_cents\":%ld,\"txn_id\":\"%s\"}",
                 code, basket, txn);
    json_t *a = NULL;
    long st = itest_call(who, "POST", "/v1/redemptions", body, &a);
    if (id != NULL)
        *id = json_integer_value(json_object_get(a, "redemption_id"));
    json_decref(a);
    return st;
}

static json_t *report(long long campaign, const char *query)
{
    char path[160];
    snprintf(path, sizeof path, "/v1/campaigns/%lld/report%s", campaign, query);
    json_t *a = NULL;
    assert_int_equal(itest_call("marketer", "GET", path, NULL, &a), 200);
    return a;
}

static long long int_at(const json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

static void a_basket_with_two_coupons_counts_its_revenue_once(void **state)
{
    (void)state;
    /* Two coupons of one campaign on one receipt: allowed by max_per_receipt (issue 17). */
    long long campaign = itest_campaign("{\"cost_cents\":1000,\"max_per_receipt\":2}");
    json_t *issued = itest_issue(campaign, 3, NULL);
    char receipt[40];
    snprintf(receipt, sizeof receipt, "R-%d", (int)getpid());
    assert_int_equal(redeem("terminal-1", itest_code(issued, 0), 2590, receipt, NULL), 201);
    assert_int_equal(redeem("terminal-1", itest_code(issued, 1), 2590, receipt, NULL), 201);
    json_t *r = report(campaign, "");
    assert_int_equal(int_at(r, "redeemed"), 2);
    assert_int_equal(int_at(r, "baskets"), 1);
    assert_int_equal(int_at(r, "revenue_cents"), 2590); /* not 5180 */
    /* 10 % of 25.90, then 10 % of what is left (issue 17: the fixed order) */
    assert_int_equal(int_at(r, "discount_cents"), 259 + 233);
    json_decref(r);
    /* The same receipt id at another terminal is another basket; no receipt is one alone. */
    assert_int_equal(redeem("terminal-2", itest_code(issued, 2), 1000, receipt, NULL), 201);
    r = report(campaign, "");
    assert_int_equal(int_at(r, "baskets"), 2);
    assert_int_equal(int_at(r, "revenue_cents"), 3590);
    json_decref(r);
    /* The campaign list shows the same revenue. */
    char path[96];
    snprintf(path, sizeof path, "/v1/campaigns/%lld", campaign);
    json_t *c = NULL;
    assert_int_equal(itest_call("marketer", "GET", path, NULL, &c), 200);
    assert_int_equal(int_at(c, "revenue_cents"), 3590);
    assert_int_equal(int_at(c, "pieces"), 3);
    assert_string_equal(json_string_value(json_object_get(c, "state")), "running");
    json_decref(c);
    json_decref(issued);
}

/* The recount: the report's figures from the raw rows, with SQL written here. */
static long long recount(const char *sql, long long campaign)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", campaign);
    const char *p[] = {id};
    char *t = itest_sql_text(sql, 1, p);
    assert_non_null(t);
    long long v = strtoll(t, NULL, 10);
    free(t);
    return v;
}

static void the_report_equals_a_recount_from_raw_rows(void **state)
{
    (void)state;
    /* In-home 10 days ago; margin 40 %; cost 500.00 + 100.00 EUR. */
    char *in_home = itest_sql_text(
        "SELECT to_char((now() AT TIME ZONE local_tz())::date - 10, 'YYYY-MM-DD')", 0, NULL);
    char fields[256];
    snprintf(fields, sizeof fields,
             "{\"cost_cents\":50000,\"fixed_cost_cents\":10000,\"gross_margin_pct\":40,"
             "\"in_home_date\":\"%s\",\"max_per_receipt\":3}",
             in_home);
    free(in_home);
    long long campaign = itest_campaign(fields);
    json_t *issued = itest_issue(campaign, 40, NULL);
    long long ids[30];
    int n = 0;
    char receipt[40];
    for (int i = 0; i < 30; i++) {
        /* three coupons on every fifth receipt, two stores, baskets of 20.00 to 49.00 EUR */
        snprintf(receipt, sizeof receipt, "R%d-%d", (int)getpid(), i / 3);
        bool shared = (i / 3) % 5 == 0;
        long basket = shared ? 3000 : 2000 + 100 * i;
        assert_int_equal(redeem(i % 2 ? "terminal-2" : "terminal-1", itest_code(issued, i), basket,
                                shared || i % 4 == 0 ? receipt : NULL, &ids[n]),
                         201);
        n++;
    }
    /* Spread them over the days since the in-home date (raw rows moved back in time), and
     * void two. */
    char id[24];
    snprintf(id, sizeof id, "%lld", campaign);
    const char *p[] = {id};
    assert_int_equal(itest_sql_exec("UPDATE redemptions SET created_at = created_at"
                                    "  - make_interval(days => (id % 9)::integer)"
                                    " WHERE campaign_id = $1::bigint",
                                    1, p),
                     0);
    for (int k = 0; k < 2; k++) {
        char path[96], body[96];
        snprintf(path, sizeof path, "/v1/redemptions/%lld/void", ids[5 + 7 * k]);
        snprintf(body, sizeof body, "{\"txn_id\":\"vd-%d-%d\"}", (int)getpid(), k);
        json_t *a = NULL;
        assert_int_equal(itest_call(k == 0 ? "terminal-2" : "terminal-1", "POST", path, body, &a),
                         200);
        json_decref(a);
    }
    json_t *r = report(campaign, "");
    /* Live rows, and baskets: (terminal, receipt), or the row alone without a receipt. */
    const char *live = "FROM redemptions r WHERE r.campaign_id = $1::bigint AND NOT EXISTS"
                       " (SELECT 1 FROM redemption_voids v WHERE v.redemption_id = r.id)";
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT count(*) %s", live);
    assert_int_equal(int_at(r, "redeemed"), recount(sql, campaign));
    assert_int_equal(int_at(r, "redeemed"), 28);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM (SELECT DISTINCT terminal, coalesce(receipt, 'id' || id) %s) b",
             live);
    assert_int_equal(int_at(r, "baskets"), recount(sql, campaign));
    snprintf(sql, sizeof sql,
             "SELECT sum(b) FROM (SELECT max(basket_cents) b %s"
             " GROUP BY terminal, coalesce(receipt, 'id' || id)) x",
             live);
    long long revenue = recount(sql, campaign);
    assert_int_equal(int_at(r, "revenue_cents"), revenue);
    snprintf(sql, sizeof sql, "SELECT sum(discount_cents) %s", live);
    long long discount = recount(sql, campaign);
    assert_int_equal(int_at(r, "discount_cents"), discount);
    assert_int_equal(int_at(r, "cost_cents"), 60000);
    assert_int_equal(int_at(r, "cost_per_response_cents"), (60000 + 14) / 28);
    /* break-even: (cost / pieces) / (average basket x margin - average discount) */
    double avg_basket = (double)revenue / 28.0, avg_discount = (double)discount / 28.0;
    double be = (60000.0 / 40.0) / (avg_basket * 0.4 - avg_discount);
    assert_true(fabs(itest_num(r, "break_even_response_rate") - be) < 1e-6);
    /* by_store and by_day (local days) */
    size_t i;
    json_t *e;
    long long sum = 0;
    json_array_foreach(json_object_get(r, "by_store"), i, e)
    {
        snprintf(sql, sizeof sql, "SELECT count(*) %s AND r.store_id = %lld", live,
                 int_at(e, "store"));
        assert_int_equal(int_at(e, "redeemed"), recount(sql, campaign));
        sum += int_at(e, "revenue_cents");
    }
    assert_int_equal(sum, revenue);
    sum = 0;
    json_array_foreach(json_object_get(r, "by_day"), i, e)
    {
        char day[16];
        snprintf(day, sizeof day, "%s", json_string_value(json_object_get(e, "day")));
        snprintf(sql, sizeof sql,
                 "SELECT count(*) %s AND (r.created_at AT TIME ZONE 'Europe/Berlin')::date"
                 " = '%s'::date",
                 live, day);
        assert_int_equal(int_at(e, "redeemed"), recount(sql, campaign));
        sum += int_at(e, "redeemed");
    }
    assert_int_equal(sum, 28);
    /* days since the in-home date, with the cumulative share */
    long long cum = 0;
    json_array_foreach(json_object_get(r, "by_days_since_drop"), i, e)
    {
        snprintf(sql, sizeof sql,
                 "SELECT count(*) %s AND (r.created_at AT TIME ZONE 'Europe/Berlin')::date"
                 " - (SELECT in_home_date FROM campaigns WHERE id = $1::bigint) = %lld",
                 live, int_at(e, "day"));
        assert_int_equal(int_at(e, "redeemed"), recount(sql, campaign));
        cum += int_at(e, "redeemed");
        assert_true(fabs(itest_num(e, "cumulative_share") - (double)cum / 28.0) < 1e-6);
    }
    assert_int_equal(cum, 28);
    snprintf(sql, sizeof sql,
             "SELECT (percentile_cont(0.5) WITHIN GROUP (ORDER BY"
             " (r.created_at AT TIME ZONE 'Europe/Berlin')::date"
             " - (SELECT in_home_date FROM campaigns WHERE id = $1::bigint)) * 2)::bigint %s",
             live);
    assert_int_equal((long long)(itest_num(r, "median_days_to_redeem") * 2 + 0.5),
                     recount(sql, campaign));
    json_decref(r);
    /* from/to: one local day */
    char *today = itest_sql_text("SELECT to_char((now() AT TIME ZONE local_tz())::date,"
                                 " 'YYYY-MM-DD')",
                                 0, NULL);
    char q[64];
    snprintf(q, sizeof q, "?from=%s&to=%s", today, today);
    r = report(campaign, q);
    snprintf(sql, sizeof sql,
             "SELECT count(*) %s AND (r.created_at AT TIME ZONE 'Europe/Berlin')::date"
             " = (now() AT TIME ZONE 'Europe/Berlin')::date",
             live);
    assert_int_equal(int_at(r, "redeemed"), recount(sql, campaign));
    assert_string_equal(json_string_value(json_object_get(r, "from")), today);
    json_decref(r);
    free(today);
    json_decref(issued);
}

/* Issues COUNT coupons of CAMPAIGN (1,000 of them listed) and redeems RESPONSES of them. */
static void cell(long long campaign, int count, int responses)
{
    json_t *listed = itest_issue(campaign, 1000, NULL);
    assert_non_null(listed);
    json_t *rest = itest_issue(campaign, count - 1000, NULL);
    assert_non_null(rest);
    json_decref(rest);
    struct itest_client *t = itest_client_new("terminal-1");
    for (int i = 0; i < responses; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"code\":\"%s\",\"basket_cents\":3000,\"txn_id\":\"ab-%d-%d\"}",
                 itest_code(listed, (size_t)i), (int)getpid(), ++seq);
        assert_int_equal(itest_request(t, "POST", "/v1/redemptions", body, NULL, NULL), 201);
    }
    itest_client_free(t);
    json_decref(listed);
}

static void the_reference_ab_test_is_not_significant_yet(void **state)
{
    (void)state;
    long long a = itest_campaign("{\"name\":\"Spring A\"}");
    char fields[96];
    snprintf(fields, sizeof fields, "{\"name\":\"Spring B\",\"variant_of\":%lld}", a);
    long long b = itest_campaign(fields);
    assert_true(a > 0 && b > 0);
    cell(a, 20000, 200);
    cell(b, 20000, 240);
    char path[96];
    snprintf(path, sizeof path, "/v1/campaigns/%lld/compare", b); /* from the variant too */
    json_t *c = NULL;
    assert_int_equal(itest_call("marketer", "GET", path, NULL, &c), 200);
    assert_int_equal(int_at(c, "control_id"), a);
    json_t *cells = json_object_get(c, "cells");
    assert_int_equal(json_array_size(cells), 2);
    json_t *ctl = json_array_get(cells, 0), *var = json_array_get(cells, 1);
    assert_true(json_is_true(json_object_get(ctl, "control")));
    assert_int_equal(int_at(ctl, "pieces"), 20000);
    assert_int_equal(int_at(ctl, "responses"), 200);
    assert_int_equal(int_at(var, "responses"), 240);
    assert_true(fabs(itest_num(var, "diff_pp") - 0.2) < 1e-9);
    json_t *ci = json_object_get(var, "ci_pp");
    assert_true(fabs(json_number_value(json_array_get(ci, 0)) - -0.0047) < 0.00005);
    assert_true(fabs(json_number_value(json_array_get(ci, 1)) - 0.4058) < 0.00005);
    assert_true(fabs(itest_num(var, "p_value") - 0.0552) < 0.00005);
    assert_false(json_is_true(json_object_get(var, "significant")));
    assert_string_equal(json_string_value(json_object_get(var, "verdict")), "not_significant");
    assert_int_equal(int_at(var, "pieces_needed"), 42694);
    assert_non_null(strstr(json_string_value(json_object_get(var, "sentence")), "42,694"));
    json_decref(c);
    /* The planner: 1.0 % -> 1.2 % at alpha 0.05 two-sided and power 0.8. */
    assert_int_equal(itest_call("marketer", "GET", "/v1/plan?baseline=0.01&mde=0.002", NULL, &c),
                     200);
    assert_int_equal(int_at(c, "pieces_per_cell"), 42694);
    json_decref(c);
}

/* Fetches PATH as the marketer into a new string (the raw body); *STATUS the status. */
static char *fetch_raw(const char *path, long *status)
{
    struct itest_client *m = itest_client_new("marketer");
    char *raw = NULL;
    *status = itest_request(m, "GET", path, NULL, NULL, &raw);
    itest_client_free(m);
    return raw;
}

static void exports_stream_every_row_in_either_spreadsheet_style(void **state)
{
    (void)state;
    long long campaign =
        itest_campaign("{\"cost_cents\":12345,\"gross_margin_pct\":37.5,\"max_per_receipt\":4}");
    json_t *issued = itest_issue(campaign, 5, NULL);
    long long rid = 0;
    for (int i = 0; i < 4; i++)
        assert_int_equal(redeem("terminal-1", itest_code(issued, (size_t)i), 2599, "x;y", &rid),
                         201);
    char path[128], body[96];
    snprintf(path, sizeof path, "/v1/redemptions/%lld/void", rid);
    snprintf(body, sizeof body, "{\"txn_id\":\"ex-%d\"}", (int)getpid());
    json_t *a = NULL;
    assert_int_equal(itest_call("terminal-1", "POST", path, body, &a), 200);
    json_decref(a);
    long st;
    snprintf(path, sizeof path, "/v1/campaigns/%lld/redemptions.csv", campaign);
    char *csv = fetch_raw(path, &st);
    assert_int_equal(st, 200);
    assert_true(strncmp(csv,
                        "id,redeemed_at,day,store,terminal,code,card,basket_cents,"
                        "discount_cents,points,receipt,voided_at\r\n",
                        98) == 0);
    int lines = 0, voided = 0;
    for (char *p = csv; (p = strstr(p, "\r\n")) != NULL; p += 2)
        lines++;
    assert_int_equal(lines, 1 + 4); /* the voided one is listed, with when */
    for (char *p = csv; (p = strstr(p, "Z\r\n")) != NULL; p += 3)
        voided++;
    assert_int_equal(voided, 1);
    assert_non_null(strstr(csv, itest_code(issued, 0)));
    assert_non_null(strstr(csv, ",x;y,")); /* no comma in it: not quoted */
    free(csv);
    /* German style: byte order mark, semicolons, decimal commas, quoted ';' in text. */
    snprintf(path, sizeof path, "/v1/campaigns/%lld/report.csv?sep=;", campaign);
    csv = fetch_raw(path, &st);
    assert_int_equal(st, 200);
    assert_true(strncmp(csv,
                        "\xEF\xBB\xBF"
                        "section;key;value;",
                        21) == 0);
    assert_non_null(strstr(csv, "\r\nsummary;redeemed;3;"));
    assert_non_null(strstr(csv, "\r\nsummary;gross_margin_pct;37,5;"));
    assert_non_null(strstr(csv, "\r\nsummary;response_rate;0,6;"));
    free(csv);
    snprintf(path, sizeof path, "/v1/campaigns/%lld/redemptions.csv?from=2000-01-01&to=2000-01-02",
             campaign);
    csv = fetch_raw(path, &st);
    assert_int_equal(st, 200);
    assert_null(strstr(csv, "\r\n1")); /* only the header */
    free(csv);
    snprintf(path, sizeof path, "/v1/campaigns/%lld/report.csv?sep=%%7C", campaign);
    free(fetch_raw(path, &st));
    assert_int_equal(st, 400);
    free(fetch_raw("/v1/campaigns/999999999/redemptions.csv", &st));
    assert_int_equal(st, 404);
    snprintf(path, sizeof path, "/v1/campaigns/%lld/report?from=2026-02-30", campaign);
    free(fetch_raw(path, &st));
    assert_int_equal(st, 400);
    json_decref(issued);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_basket_with_two_coupons_counts_its_revenue_once),
        cmocka_unit_test(the_report_equals_a_recount_from_raw_rows),
        cmocka_unit_test(the_reference_ab_test_is_not_significant_yet),
        cmocka_unit_test(exports_stream_every_row_in_either_spreadsheet_style),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
