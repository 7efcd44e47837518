/* The campaign's life cycle against a running coupond: pause, resume, end, extend (PATCH) and
 * void a batch, with what the till then hears (campaign_paused, voided_batch, expired) in
 * checks and redemptions alike; every change in the audit log (admin only); and bad input
 * (unknown fields, margins outside 0..100, a variant of a variant, pausing an ended campaign,
 * an earlier end) answered 4xx with a machine code and a sentence, changing nothing. */
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

/* POSTs /v1/campaigns/ID/ACTION (no body) as the marketer; returns the status. */
static long post(const char *action, long long id)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/campaigns/%lld/%s", id, action);
    json_t *a = NULL;
    long st = itest_call("marketer", "POST", path, NULL, &a);
    json_decref(a);
    return st;
}

/* What the till hears for CODE: the check's reason ("" when valid) and the redemption's
 * status and error code. */
static void till(const char *code, const char *want)
{
    char body[256];
    snprintf(body, sizeof body, "{\"code\":\"%s\",\"basket_cents\":5000}", code);
    json_t *a = NULL;
    assert_int_equal(itest_call("terminal-1", "POST", "/v1/checks", body, &a), 200);
    const char *reason = json_string_value(json_object_get(a, "reason"));
    assert_string_equal(reason != NULL ? reason : "", want);
    json_decref(a);
    snprintf(body, sizeof body, "{\"code\":\"%s\",\"basket_cents\":5000,\"txn_id\":\"lc-%d-%d\"}",
             code, (int)getpid(), ++seq);
    long st = itest_call("terminal-1", "POST", "/v1/redemptions", body, &a);
    if (want[0] == '\0') {
        assert_int_equal(st, 201);
    } else {
        assert_int_equal(st, 422);
        assert_string_equal(itest_error_code(a), want);
        assert_true(strlen(json_string_value(json_object_get(a, "message"))) > 10);
    }
    json_decref(a);
}

static const char *state_of(long long campaign, json_t **keep)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/campaigns/%lld", campaign);
    assert_int_equal(itest_call("marketer", "GET", path, NULL, keep), 200);
    return json_string_value(json_object_get(*keep, "state"));
}

static long long audit_count(long long campaign)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", campaign);
    const char *p[] = {id};
    char *t = itest_sql_text("SELECT count(*) FROM audit_log WHERE campaign_id = $1::bigint", 1, p);
    long long v = t != NULL ? strtoll(t, NULL, 10) : -1;
    free(t);
    return v;
}

static void pause_resume_void_and_end_reach_the_till_and_the_audit_log(void **state)
{
    (void)state;
    long long c = itest_campaign(NULL);
    json_t *first = itest_issue(c, 4, NULL), *second = itest_issue(c, 2, NULL), *keep = NULL;
    assert_string_equal(state_of(c, &keep), "running");
    json_decref(keep);
    assert_int_equal(post("pause", c), 200);
    assert_int_equal(post("pause", c), 200); /* again: nothing changes */
    assert_string_equal(state_of(c, &keep), "paused");
    json_decref(keep);
    till(itest_code(first, 0), "campaign_paused");
    assert_int_equal(post("resume", c), 200);
    till(itest_code(first, 0), "");
    /* Void the second batch: its coupons are refused, the first batch's are not. */
    long long batch = json_integer_value(json_object_get(second, "batch_id"));
    char path[96];
    snprintf(path, sizeof path, "/v1/batches/%lld/void", batch);
    json_t *a = NULL;
    assert_int_equal(itest_call("marketer", "POST", path, "{\"reason\":\"misprint\"}", &a), 200);
    assert_true(json_is_true(json_object_get(a, "voided")));
    json_decref(a);
    assert_int_equal(itest_call("marketer", "POST", path, NULL, &a), 200); /* again */
    json_decref(a);
    till(itest_code(second, 0), "voided_batch");
    till(itest_code(first, 1), "");
    snprintf(path, sizeof path, "/v1/campaigns/%lld/batches", c);
    assert_int_equal(itest_call("marketer", "GET", path, NULL, &a), 200);
    json_t *b0 = json_array_get(json_object_get(a, "batches"), 0); /* newest first */
    assert_int_equal(json_integer_value(json_object_get(b0, "id")), batch);
    assert_true(json_is_true(json_object_get(b0, "voided")));
    json_decref(a);
    /* Extend, then end early: expired; then it can be neither paused nor extended. */
    snprintf(path, sizeof path, "/v1/campaigns/%lld", c);
    assert_int_equal(itest_call("marketer", "PATCH", path,
                                "{\"ends_at\":\"2100-01-01T00:00:00Z\",\"name\":\"renamed\"}", &a),
                     200);
    assert_string_equal(json_string_value(json_object_get(a, "ends_at")), "2100-01-01T00:00:00Z");
    json_decref(a);
    /* null counts as absent: the end stays, the margin changes */
    assert_int_equal(
        itest_call("marketer", "PATCH", path, "{\"ends_at\":null,\"gross_margin_pct\":12.5}", &a),
        200);
    assert_string_equal(json_string_value(json_object_get(a, "ends_at")), "2100-01-01T00:00:00Z");
    assert_true(json_number_value(json_object_get(a, "gross_margin_pct")) == 12.5);
    json_decref(a);
    assert_int_equal(post("end", c), 200);
    assert_int_equal(post("end", c), 200);
    till(itest_code(first, 2), "expired");
    long long before = audit_count(c);
    snprintf(path, sizeof path, "/v1/campaigns/%lld/pause", c);
    assert_int_equal(itest_call("marketer", "POST", path, NULL, &a), 409);
    assert_string_equal(itest_error_code(a), "conflict");
    json_decref(a);
    assert_int_equal(post("resume", c), 409);
    snprintf(path, sizeof path, "/v1/campaigns/%lld", c);
    assert_int_equal(
        itest_call("marketer", "PATCH", path, "{\"ends_at\":\"2101-01-01T00:00:00Z\"}", &a), 409);
    json_decref(a);
    assert_int_equal(audit_count(c), before);
    assert_string_equal(state_of(c, &keep), "ended");
    json_decref(keep);
    /* The audit log: each change once (create, two issues, pause, resume, void, two updates,
     * end),
     * with who and before/after; admins only. */
    snprintf(path, sizeof path, "/v1/audit?campaign=%lld", c);
    assert_int_equal(itest_call("marketer", "GET", path, NULL, &a), 403);
    json_decref(a);
    assert_int_equal(itest_call("admin", "GET", path, NULL, &a), 200);
    json_t *entries = json_object_get(a, "entries");
    const char *want[] = {"campaign.create", "batch.issue",     "batch.issue",
                          "campaign.pause",  "campaign.resume", "batch.void",
                          "campaign.update", "campaign.update", "campaign.end"};
    assert_int_equal(json_array_size(entries), 9);
    for (size_t i = 0; i < 9; i++) {
        json_t *e = json_array_get(entries, i);
        assert_string_equal(json_string_value(json_object_get(e, "action")), want[i]);
        assert_true(strlen(json_string_value(json_object_get(e, "actor"))) > 0);
    }
    json_t *upd = json_array_get(entries, 6);
    assert_string_equal(json_string_value(json_object_get(json_object_get(upd, "after"), "name")),
                        "renamed");
    assert_string_equal(json_string_value(json_object_get(json_object_get(upd, "before"), "name")),
                        "itest campaign");
    json_decref(a);
    json_decref(first);
    json_decref(second);
}

static void bad_input_is_refused_with_a_sentence_and_changes_nothing(void **state)
{
    (void)state;
    long long control = itest_campaign(NULL);
    char fields[128];
    snprintf(fields, sizeof fields, "{\"variant_of\":%lld}", control);
    long long variant = itest_campaign(fields);
    assert_true(control > 0 && variant > 0);
    char *campaigns_before = itest_sql_text("SELECT count(*) FROM campaigns", 0, NULL);
    char *audit_before = itest_sql_text("SELECT count(*) FROM audit_log", 0, NULL);
    const char *base =
        "\"name\":\"x\",\"channel\":\"mailing\",\"cost_cents\":1,"
        "\"starts_at\":\"2026-01-01T00:00:00Z\",\"ends_at\":\"2027-01-01T00:00:00Z\","
        "\"offer\":{\"kind\":\"amount\",\"value\":100}";
    const char *extra[] = {"\"gross_margin_pct\":100.01",
                           "\"gross_margin_pct\":-1",
                           "\"gross_margin_pct\":\"40\"",
                           "\"gross_margin_pct\":33.333",
                           "\"fixed_cost_cents\":-5",
                           "\"response_window_days\":0",
                           "\"in_home_date\":\"2026-02-30\"",
                           "\"in_home_date\":\"tomorrow\"",
                           "\"holdout_pct\":10",
                           "\"state\":\"paused\""};
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
        char body[512];
        snprintf(body, sizeof body, "{%s,%s}", base, extra[i]);
        json_t *a = NULL;
        assert_int_equal(itest_call("marketer", "POST", "/v1/campaigns", body, &a), 400);
        assert_string_equal(itest_error_code(a), "bad_request");
        json_decref(a);
    }
    /* A variant of a variant. */
    char body[512];
    snprintf(body, sizeof body, "{%s,\"variant_of\":%lld}", base, variant);
    json_t *a = NULL;
    assert_int_equal(itest_call("marketer", "POST", "/v1/campaigns", body, &a), 400);
    assert_non_null(strstr(json_string_value(json_object_get(a, "message")), "variant"));
    json_decref(a);
    /* PATCH: unknown or fixed fields, margins out of range, an earlier end, nothing at all. */
    char path[96];
    snprintf(path, sizeof path, "/v1/campaigns/%lld", control);
    const char *patches[] = {"{\"colour\":\"red\"}",
                             "{\"offer\":{\"kind\":\"amount\",\"value\":1}}",
                             "{\"gross_margin_pct\":101}",
                             "{\"ends_at\":\"2021-01-01T00:00:00Z\"}",
                             "{}",
                             "{\"name\":\"\"}",
                             "[]"};
    for (size_t i = 0; i < sizeof patches / sizeof patches[0]; i++) {
        assert_int_equal(itest_call("marketer", "PATCH", path, patches[i], &a), 400);
        assert_string_equal(itest_error_code(a), "bad_request");
        json_decref(a);
    }
    snprintf(path, sizeof path, "/v1/campaigns/%lld/pause", control);
    assert_int_equal(itest_call("marketer", "POST", path, "{\"why\":1}", &a), 400);
    json_decref(a);
    assert_int_equal(itest_call("terminal-1", "POST", path, NULL, &a), 403);
    json_decref(a);
    assert_int_equal(itest_call("marketer", "POST", "/v1/campaigns/999999999/pause", NULL, &a),
                     404);
    json_decref(a);
    assert_int_equal(itest_call("marketer", "POST", "/v1/batches/999999999/void", NULL, &a), 404);
    json_decref(a);
    const char *plans[] = {
        "/v1/plan?baseline=0.01",        "/v1/plan?baseline=1.5&mde=0.1",
        "/v1/plan?baseline=0.01&mde=0",  "/v1/plan?baseline=x&mde=0.01",
        "/v1/plan?baseline=0.5&mde=0.6", "/v1/plan?baseline=0.1&mde=0.01&power=2"};
    for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++) {
        assert_int_equal(itest_call("marketer", "GET", plans[i], NULL, &a), 400);
        assert_string_equal(itest_error_code(a), "bad_request");
        json_decref(a);
    }
    /* Nothing changed: no campaign, no audit entry, the control as it was. */
    char *campaigns_after = itest_sql_text("SELECT count(*) FROM campaigns", 0, NULL);
    char *audit_after = itest_sql_text("SELECT count(*) FROM audit_log", 0, NULL);
    assert_string_equal(campaigns_after, campaigns_before);
    assert_string_equal(audit_after, audit_before);
    json_t *keep = NULL;
    assert_string_equal(state_of(control, &keep), "running");
    assert_string_equal(json_string_value(json_object_get(keep, "ends_at")),
                        "2099-01-01T00:00:00Z");
    json_decref(keep);
    free(campaigns_before);
    free(campaigns_after);
    free(audit_before);
    free(audit_after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pause_resume_void_and_end_reach_the_till_and_the_audit_log),
        cmocka_unit_test(bad_input_is_refused_with_a_sentence_and_changes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
