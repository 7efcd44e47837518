/* Campaigns and issuing against a running coupond: strict input (every bad field is a
 * 4xx and changes nothing), roles, unknown ids, idempotent issue, generic codes, the
 * coupon lookup and its QR code, and a streamed CSV export. */
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

#include "itest.h"

static long long issued_count(long long campaign)
{
    char id[32];
    snprintf(id, sizeof id, "%lld", campaign);
    return itest_sql_number("SELECT issued FROM campaigns WHERE id = $1", id);
}

static void expect_status(struct itest_client *c, const char *method, const char *path,
                          const char *body, long status, const char *code)
{
    json_t *a = NULL;
    long got = itest_request(c, method, path, body, &a, NULL);
    if (got != status)
        fprintf(stderr, "%s %s %s: expected %ld, got %ld (%s)\n", method, path, body ? body : "",
                status, got, itest_error_code(a));
    assert_int_equal(got, status);
    if (code != NULL)
        assert_string_equal(itest_error_code(a), code);
    json_decref(a);
}

static void bad_counts_are_refused_and_issue_nothing(void **state)
{
    (void)state;
    long long campaign = itest_campaign(NULL);
    assert_true(campaign > 0);
    struct itest_client *m = itest_client_new("marketer");
    char path[96];
    snprintf(path, sizeof path, "/v1/campaigns/%lld/coupons", campaign);
    const char *bodies[] = {"{\"count\":-1}",
                            "{\"count\":0}",
                            "{\"count\":1000001}",
                            "{\"count\":99999999999999999999}",
                            "{\"count\":\"ten\"}",
                            "{\"count\":1.5}",
                            "{\"count\":null}",
                            "{}",
                            "{\"count\":1,\"campaign_id\":1}",
                            "{\"count\":2,\"uses\":5}",
                            "{\"count\":1,\"card\":\"XXXX-XXXX-XXXX-XXXX\"}",
                            "[1]",
                            "not json"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        json_t *a = NULL;
        long status = itest_request(m, "POST", path, bodies[i], &a, NULL);
        if (status < 400 || status >= 500)
            fprintf(stderr, "body %s: status %ld\n", bodies[i], status);
        assert_true(status >= 400 && status < 500);
        assert_true(strlen(itest_error_code(a)) > 0);
        json_decref(a);
    }
    assert_int_equal(issued_count(campaign), 0);
    expect_status(m, "POST", "/v1/campaigns/999999999/coupons", "{\"count\":1}", 404, "not_found");
    expect_status(m, "POST", "/v1/campaigns/abc/coupons", "{\"count\":1}", 404, "not_found");
    struct itest_client *t = itest_client_new("terminal-1");
    expect_status(t, "POST", path, "{\"count\":1}", 403, "forbidden");
    itest_client_free(t);
    assert_int_equal(issued_count(campaign), 0);
    itest_client_free(m);
}

static void bad_campaigns_are_refused(void **state)
{
    (void)state;
    struct itest_client *m = itest_client_new("marketer");
    long long before = itest_sql_number("SELECT count(*) FROM campaigns", NULL);
    const char *valid_tail = "\"cost_cents\":1,\"starts_at\":\"2026-01-01T00:00:00Z\","
                             "\"ends_at\":\"2027-01-01T00:00:00Z\"";
    const char *cases[] = {
        "\"name\":\"x\",\"channel\":\"carrier-pigeon\",%s,\"offer\":{\"kind\":\"percent\","
        "\"value\":10}",
        "\"name\":\"x\",\"channel\":\"email\",%s,\"offer\":{\"kind\":\"percent\",\"value\":101}",
        "\"name\":\"x\",\"channel\":\"email\",%s,\"offer\":{\"kind\":\"gift\",\"value\":1}",
        "\"name\":\"x\",\"channel\":\"email\",%s,\"offer\":{\"kind\":\"amount\",\"value\":0}",
        "\"name\":\"x\",\"channel\":\"email\",%s,\"offer\":{\"kind\":\"amount\",\"value\":1,"
        "\"colour\":\"red\"}",
        "\"name\":\"x\",\"channel\":\"email\",%s,\"offer\":{\"kind\":\"amount\",\"value\":1},"
        "\"id\":7",
        "\"name\":\"x\",\"channel\":\"email\",%s,\"offer\":{\"kind\":\"amount\",\"value\":1},"
        "\"stores\":[0]",
        "\"name\":\"x\",\"channel\":\"email\",%s,\"offer\":{\"kind\":\"amount\",\"value\":1},"
        "\"variant_of\":999999999",
        "\"name\":\"\",\"channel\":\"email\",%s,\"offer\":{\"kind\":\"amount\",\"value\":1}",
        "\"name\":\"x\",\"channel\":\"email\",%s",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* Each case has one %s where the valid time and cost fields go. */
        char body[600];
        const char *mark = strstr(cases[i], "%s");
        assert_non_null(mark);
        snprintf(body, sizeof body, "{%.*s%s%s}", (int)(mark - cases[i]), cases[i], valid_tail,
                 mark + 2);
        expect_status(m, "POST", "/v1/campaigns", body, 400, "bad_request");
    }
    /* Ends before it starts; a time that is not RFC 3339; a negative cost. */
    expect_status(m, "POST", "/v1/campaigns",
                  "{\"name\":\"x\",\"channel\":\"email\",\"cost_cents\":1,\"starts_at\":"
                  "\"2027-01-01T00:00:00Z\",\"ends_at\":\"2026-01-01T00:00:00Z\",\"offer\":"
                  "{\"kind\":\"amount\",\"value\":1}}",
                  400, "bad_request");
    expect_status(m, "POST", "/v1/campaigns",
                  "{\"name\":\"x\",\"channel\":\"email\",\"cost_cents\":1,\"starts_at\":"
                  "\"tomorrow\",\"ends_at\":\"2026-01-01T00:00:00Z\",\"offer\":"
                  "{\"kind\":\"amount\",\"value\":1}}",
                  400, "bad_request");
    expect_status(m, "POST", "/v1/campaigns",
                  "{\"name\":\"x\",\"channel\":\"email\",\"cost_cents\":1,\"starts_at\":"
                  "\"2026-01-01T00:00:00Z\",\"ends_at\":\"2200-01-01T00:00:00Z\",\"offer\":"
                  "{\"kind\":\"amount\",\"value\":1}}",
                  400, "bad_request");
    expect_status(m, "POST", "/v1/campaigns",
                  "{\"name\":\"x\",\"channel\":\"email\",\"cost_cents\":-5,\"starts_at\":"
                  "\"2026-01-01T00:00:00Z\",\"ends_at\":\"2027-01-01T00:00:00Z\",\"offer\":"
                  "{\"kind\":\"amount\",\"value\":1}}",
                  400, "bad_request");
    assert_int_equal(itest_sql_number("SELECT count(*) FROM campaigns", NULL), before);
    expect_status(m, "GET", "/v1/campaigns/999999999", NULL, 404, "not_found");
    itest_client_free(m);
}

static void variant_and_list_and_get(void **state)
{
    (void)state;
    long long a = itest_campaign("{\"name\":\"A\"}");
    char fields[96];
    snprintf(fields, sizeof fields, "{\"name\":\"B\",\"variant_of\":%lld}", a);
    long long b = itest_campaign(fields);
    assert_true(a > 0 && b > 0);
    struct itest_client *m = itest_client_new("marketer");
    char path[64];
    snprintf(path, sizeof path, "/v1/campaigns/%lld", b);
    json_t *got = NULL;
    assert_int_equal(itest_request(m, "GET", path, NULL, &got, NULL), 200);
    assert_int_equal(json_integer_value(json_object_get(got, "variant_of")), a);
    assert_string_equal(json_string_value(json_object_get(got, "name")), "B");
    json_decref(got);
    snprintf(path, sizeof path, "/v1/campaigns?after=%lld&limit=1", a);
    assert_int_equal(itest_request(m, "GET", path, NULL, &got, NULL), 200);
    json_t *list = json_object_get(got, "campaigns");
    assert_int_equal(json_array_size(list), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "id")), b);
    json_decref(got);
    itest_client_free(m);
}

static void issue_with_idempotency_key_replays_the_same_codes(void **state)
{
    (void)state;
    long long campaign = itest_campaign(NULL);
    char path[96], key[64];
    snprintf(path, sizeof path, "/v1/campaigns/%lld/coupons", campaign);
    snprintf(key, sizeof key, "Idempotency-Key: issue-%d", (int)getpid());
    char cmd[2048];
    char *ca = itest_source_path("certs/dev/ca.pem"),
         *cert = itest_source_path("certs/dev/marketer.pem"),
         *k = itest_source_path("certs/dev/marketer.key");
    /* curl, as a marketer's script would call it, three times with the same key. */
    for (int i = 0; i < 3; i++) {
        snprintf(cmd, sizeof cmd,
                 "curl -s -o /tmp/issue-%d-%d.json -w '%%{http_code}' --cacert '%s' --cert '%s' "
                 "--key '%s' -H '%s' -d '{\"count\":5}' '%s%s' > /tmp/issue-%d-%d.status",
                 (int)getpid(), i, ca, cert, k, key, itest_base_url(), path, (int)getpid(), i);
        assert_int_equal(itest_sh(cmd), 0);
    }
    snprintf(cmd, sizeof cmd,
             "test \"$(cat /tmp/issue-%1$d-0.status)\" = 201 && "
             "test \"$(cat /tmp/issue-%1$d-1.status)\" = 200 && "
             "cmp -s /tmp/issue-%1$d-0.json /tmp/issue-%1$d-1.json && "
             "cmp -s /tmp/issue-%1$d-1.json /tmp/issue-%1$d-2.json",
             (int)getpid());
    int same = itest_sh(cmd);
    /* A key that is not printable ASCII is a bad request, not a server error. */
    snprintf(cmd, sizeof cmd,
             "test \"$(curl -s -o /dev/null -w '%%{http_code}' --cacert '%s' --cert '%s' "
             "--key '%s' -H \"Idempotency-Key: $(printf '\\377\\376')\" -d '{\"count\":1}' "
             "'%s%s')\" = 400",
             ca, cert, k, itest_base_url(), path);
    int bad_key = itest_sh(cmd);
    /* The same key with another count is a conflict. */
    snprintf(cmd, sizeof cmd,
             "test \"$(curl -s -o /dev/null -w '%%{http_code}' --cacert '%s' --cert '%s' "
             "--key '%s' -H '%s' -d '{\"count\":6}' '%s%s')\" = 409",
             ca, cert, k, key, itest_base_url(), path);
    int conflict = itest_sh(cmd);
    snprintf(cmd, sizeof cmd, "rm -f /tmp/issue-%d-*", (int)getpid());
    (void)itest_sh(cmd);
    free(ca);
    free(cert);
    free(k);
    assert_int_equal(same, 0);
    assert_int_equal(conflict, 0);
    assert_int_equal(bad_key, 0);
    assert_int_equal(issued_count(campaign), 5);
}

static void coupon_lookup_qr_and_export(void **state)
{
    (void)state;
    long long campaign = itest_campaign(NULL);
    json_t *issued = itest_issue(campaign, 3, NULL);
    assert_non_null(issued);
    struct itest_client *m = itest_client_new("marketer");
    char path[160];
    snprintf(path, sizeof path, "/v1/coupons/%s", itest_code(issued, 1));
    json_t *c = NULL;
    assert_int_equal(itest_request(m, "GET", path, NULL, &c, NULL), 200);
    assert_string_equal(json_string_value(json_object_get(c, "state")), "issued");
    assert_int_equal(json_integer_value(json_object_get(c, "campaign_id")), campaign);
    assert_string_equal(json_string_value(json_object_get(c, "code")), itest_code(issued, 1));
    json_decref(c);
    /* The QR code decodes to the coupon's signed form. */
    const char *signed_form = json_string_value(
        json_object_get(json_array_get(json_object_get(issued, "coupons"), 1), "signed"));
    snprintf(path, sizeof path, "/v1/coupons/%s/qr.png", itest_code(issued, 1));
    char *png = NULL;
    assert_int_equal(itest_request(m, "GET", path, NULL, NULL, &png), 200);
    assert_non_null(png);
    assert_memory_equal(png, "\x89PNG", 4);
    free(png);
    char cmd[2048];
    char *ca = itest_source_path("certs/dev/ca.pem"),
         *cert = itest_source_path("certs/dev/marketer.pem"),
         *k = itest_source_path("certs/dev/marketer.key");
    snprintf(cmd, sizeof cmd,
             "curl -sf --cacert '%s' --cert '%s' --key '%s' '%s%s' -o /tmp/qr-%d.png && "
             "test \"$(zbarimg --raw -q /tmp/qr-%d.png)\" = '%s'",
             ca, cert, k, itest_base_url(), path, (int)getpid(), (int)getpid(), signed_form);
    assert_int_equal(itest_sh(cmd), 0);
    snprintf(path, sizeof path, "/v1/coupons/%s/qr.svg", itest_code(issued, 1));
    char *svg = NULL;
    assert_int_equal(itest_request(m, "GET", path, NULL, NULL, &svg), 200);
    assert_non_null(strstr(svg, "<svg"));
    free(svg);
    /* The export lists every coupon with both forms, in one streamed answer. */
    snprintf(path, sizeof path, "/v1/campaigns/%lld/coupons.csv", campaign);
    char *csv = NULL;
    assert_int_equal(itest_request(m, "GET", path, NULL, NULL, &csv), 200);
    assert_non_null(csv);
    assert_int_equal(strncmp(csv, "code,signed,issued_at,state\n", 28), 0);
    for (size_t i = 0; i < 3; i++) {
        assert_non_null(strstr(csv, itest_code(issued, i)));
        const char *s = json_string_value(
            json_object_get(json_array_get(json_object_get(issued, "coupons"), i), "signed"));
        assert_non_null(strstr(csv, s));
    }
    size_t lines = 0;
    for (const char *p = csv; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 4);
    free(csv);
    /* The bulk QR archive: one PNG per coupon, named by its code, decoding to its signed form. */
    snprintf(
        cmd, sizeof cmd,
        "d=/tmp/qrtar-%d && rm -rf $d && mkdir $d && "
        "curl -sf --cacert '%s' --cert '%s' --key '%s' '%s/v1/campaigns/%lld/qr.tar' -o $d/a.tar "
        "&& tar -xf $d/a.tar -C $d && test \"$(ls $d/*.png | wc -l)\" = 3",
        (int)getpid(), ca, cert, k, itest_base_url(), campaign);
    assert_int_equal(itest_sh(cmd), 0);
    for (size_t i = 0; i < 3; i++) {
        const char *s = json_string_value(
            json_object_get(json_array_get(json_object_get(issued, "coupons"), i), "signed"));
        snprintf(cmd, sizeof cmd, "test \"$(zbarimg --raw -q /tmp/qrtar-%d/%s.png)\" = '%s'",
                 (int)getpid(), itest_code(issued, i), s);
        assert_int_equal(itest_sh(cmd), 0);
    }
    snprintf(cmd, sizeof cmd, "rm -f /tmp/qr-%d.png; rm -rf /tmp/qrtar-%d", (int)getpid(),
             (int)getpid());
    (void)itest_sh(cmd);
    free(ca);
    free(cert);
    free(k);
    expect_status(m, "GET", "/v1/campaigns/999999999/coupons.csv", NULL, 404, "not_found");
    expect_status(m, "GET", "/v1/coupons/not-a-code", NULL, 400, "malformed_code");
    json_decref(issued);
    itest_client_free(m);
}

/* GET /v1/campaigns/{id}?figures=false (the console's campaign page): the same campaign
 * without the figures that cost a pass over its redemptions; everything else as the full
 * answer gives it. ?figures=true is the full answer; another value is a 400. */
static void get_without_figures_gives_the_terms_only(void **state)
{
    (void)state;
    static const char *const figures[] = {"redeemed",       "response_rate", "revenue_cents",
                                          "discount_cents", "roas",          NULL};
    long long id = itest_campaign("{\"name\":\"terms only\",\"fixed_cost_cents\":500}");
    assert_true(id > 0);
    json_t *issued = itest_issue(id, 2, NULL);
    assert_non_null(issued);
    struct itest_client *t = itest_client_new("terminal-1");
    char body[256];
    snprintf(body, sizeof body, "{\"code\":\"%s\",\"basket_cents\":2500,\"txn_id\":\"terms-%d\"}",
             itest_code(issued, 0), (int)getpid());
    assert_int_equal(itest_request(t, "POST", "/v1/redemptions", body, NULL, NULL), 201);
    itest_client_free(t);
    struct itest_client *m = itest_client_new("marketer");
    char path[96];
    json_t *full = NULL, *terms = NULL, *same = NULL;
    snprintf(path, sizeof path, "/v1/campaigns/%lld", id);
    assert_int_equal(itest_request(m, "GET", path, NULL, &full, NULL), 200);
    assert_int_equal(json_integer_value(json_object_get(full, "redeemed")), 1);
    snprintf(path, sizeof path, "/v1/campaigns/%lld?figures=false", id);
    assert_int_equal(itest_request(m, "GET", path, NULL, &terms, NULL), 200);
    for (const char *const *f = figures; *f != NULL; f++) {
        assert_non_null(json_object_get(full, *f));
        assert_null(json_object_get(terms, *f));
    }
    const char *k;
    json_t *v;
    json_object_foreach(full, k, v)
    {
        bool figure = false;
        for (const char *const *f = figures; *f != NULL; f++)
            figure = figure || strcmp(k, *f) == 0;
        if (!figure) {
            if (!json_equal(v, json_object_get(terms, k)))
                fprintf(stderr, "field %s differs\n", k);
            assert_true(json_equal(v, json_object_get(terms, k)));
        }
    }
    assert_int_equal(json_object_size(terms), json_object_size(full) - 5);
    assert_int_equal(json_integer_value(json_object_get(terms, "issued")), 2);
    assert_int_equal(json_integer_value(json_object_get(terms, "total_cost_cents")), 10500);
    snprintf(path, sizeof path, "/v1/campaigns/%lld?figures=true", id);
    assert_int_equal(itest_request(m, "GET", path, NULL, &same, NULL), 200);
    assert_true(json_equal(same, full));
    snprintf(path, sizeof path, "/v1/campaigns/%lld?figures=no", id);
    expect_status(m, "GET", path, NULL, 400, "bad_request");
    expect_status(m, "GET", "/v1/campaigns/999999999?figures=false", NULL, 404, "not_found");
    json_decref(same);
    json_decref(terms);
    json_decref(full);
    json_decref(issued);
    itest_client_free(m);
    struct itest_client *till = itest_client_new("terminal-1");
    snprintf(path, sizeof path, "/v1/campaigns/%lld?figures=false", id);
    expect_status(till, "GET", path, NULL, 403, "forbidden");
    itest_client_free(till);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_counts_are_refused_and_issue_nothing),
        cmocka_unit_test(bad_campaigns_are_refused),
        cmocka_unit_test(variant_and_list_and_get),
        cmocka_unit_test(issue_with_idempotency_key_replays_the_same_codes),
        cmocka_unit_test(coupon_lookup_qr_and_export),
        cmocka_unit_test(get_without_figures_gives_the_terms_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
