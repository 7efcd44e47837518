/* The mutual-TLS matrix against a running coupond: who gets in, who is refused, and
 * that a kept connection serves many requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"

static char tmpdir[256];

static void pki(const char *args)
{
    char *tool = itest_source_path("certs/coupond-pki");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' %s >/dev/null 2>&1", tool, args);
    free(tool);
    assert_int_equal(itest_sh(cmd), 0);
}

static char *tmpfile_path(const char *name)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", tmpdir, name);
    return strdup(buf);
}

/* A client with certificate NAME issued into tmpdir. */
static struct itest_client *tmp_client(const char *name)
{
    char pem[64], key[64];
    snprintf(pem, sizeof pem, "%s.pem", name);
    snprintf(key, sizeof key, "%s.key", name);
    char *p = tmpfile_path(pem), *k = tmpfile_path(key);
    struct itest_client *c = itest_client_files(p, k);
    free(p);
    free(k);
    return c;
}

static void expect(struct itest_client *c, const char *method, const char *path, const char *body,
                   long status, const char *code)
{
    json_t *json = NULL;
    long got = itest_request(c, method, path, body, &json, NULL);
    if (got != status)
        fprintf(stderr, "%s %s: expected %ld, got %ld\n", method, path, status, got);
    assert_int_equal(got, status);
    if (code != NULL)
        assert_string_equal(itest_error_code(json), code);
    json_decref(json);
}

static void healthz_needs_no_certificate(void **state)
{
    (void)state;
    struct itest_client *c = itest_client_new(NULL);
    expect(c, "GET", "/healthz", NULL, 200, NULL);
    itest_client_free(c);
}

static void no_certificate_is_refused_401(void **state)
{
    (void)state;
    struct itest_client *c = itest_client_new(NULL);
    expect(c, "GET", "/v1/campaigns", NULL, 401, "unauthorized");
    itest_client_free(c);
}

static void marketer_lists_campaigns_200(void **state)
{
    (void)state;
    struct itest_client *c = itest_client_new("marketer");
    json_t *json = NULL;
    assert_int_equal(itest_request(c, "GET", "/v1/campaigns", NULL, &json, NULL), 200);
    assert_true(json_is_array(json_object_get(json, "campaigns")));
    json_decref(json);
    itest_client_free(c);
}

static void terminal_on_marketer_endpoint_is_403(void **state)
{
    (void)state;
    struct itest_client *c = itest_client_new("terminal-1");
    expect(c, "GET", "/v1/campaigns", NULL, 403, "forbidden");
    expect(c, "POST", "/v1/campaigns", "{}", 403, "forbidden");
    itest_client_free(c);
}

static void whoami_names_terminal_and_store(void **state)
{
    (void)state;
    struct itest_client *c = itest_client_new("terminal-2");
    json_t *json = NULL;
    assert_int_equal(itest_request(c, "GET", "/v1/whoami", NULL, &json, NULL), 200);
    assert_string_equal(json_string_value(json_object_get(json, "role")), "terminal");
    assert_string_equal(json_string_value(json_object_get(json, "name")), "terminal-2");
    assert_int_equal(json_integer_value(json_object_get(json, "store")), 2);
    json_decref(json);
    itest_client_free(c);
}

static void foreign_ca_certificate_is_refused(void **state)
{
    (void)state;
    char args[1024];
    snprintf(args, sizeof args, "init '%s/foreign-ca' --name 'Some other CA'", tmpdir);
    pki(args);
    snprintf(args, sizeof args, "marketer '%s/foreign-ca' marketer --out '%s'", tmpdir, tmpdir);
    pki(args);
    struct itest_client *c = tmp_client("marketer");
    expect(c, "GET", "/v1/campaigns", NULL, 401, "unauthorized");
    itest_client_free(c);
}

static void expired_certificate_is_refused(void **state)
{
    (void)state;
    char *ca = itest_source_path("certs/dev");
    char args[1024];
    snprintf(args, sizeof args,
             "marketer '%s' expired-marketer --out '%s' --not-before 20200101000000Z "
             "--not-after 20200201000000Z",
             ca, tmpdir);
    free(ca);
    pki(args);
    struct itest_client *c = tmp_client("expired-marketer");
    expect(c, "GET", "/v1/campaigns", NULL, 401, "unauthorized");
    itest_client_free(c);
}

static void revoked_certificate_is_refused_within_a_second(void **state)
{
    (void)state;
    char *ca = itest_source_path("certs/dev");
    char name[64], args[1024];
    snprintf(name, sizeof name, "revoke-me-%d", (int)getpid());
    snprintf(args, sizeof args, "marketer '%s' %s --out '%s'", ca, name, tmpdir);
    pki(args);
    struct itest_client *kept = tmp_client(name);
    expect(kept, "GET", "/v1/campaigns", NULL, 200, NULL);
    snprintf(args, sizeof args, "revoke '%s' '%s/%s.pem'", ca, tmpdir, name);
    pki(args);
    free(ca);
    usleep(1000 * 1000);
    /* The kept connection is re-checked, and a new connection is refused. */
    expect(kept, "GET", "/v1/campaigns", NULL, 401, "unauthorized");
    struct itest_client *fresh = tmp_client(name);
    expect(fresh, "GET", "/v1/campaigns", NULL, 401, "unauthorized");
    itest_client_free(kept);
    itest_client_free(fresh);
}

static void certificate_expiring_on_a_kept_connection_stops_at_its_not_after(void **state)
{
    (void)state;
    char *ca = itest_source_path("certs/dev");
    char name[64], args[1024], not_after[32];
    snprintf(name, sizeof name, "expiring-%d", (int)getpid());
    time_t end = time(NULL) + 3;
    struct tm tm;
    strftime(not_after, sizeof not_after, "%Y%m%d%H%M%SZ", gmtime_r(&end, &tm));
    snprintf(args, sizeof args, "marketer '%s' %s --out '%s' --not-after %s", ca, name, tmpdir,
             not_after);
    free(ca);
    pki(args);
    struct itest_client *kept = tmp_client(name);
    expect(kept, "GET", "/v1/campaigns", NULL, 200, NULL);
    while (time(NULL) <= end + 1)
        usleep(100 * 1000);
    /* The same connection, verified before notAfter, is refused after it. */
    expect(kept, "GET", "/v1/campaigns", NULL, 401, "unauthorized");
    assert_int_equal(itest_connects(kept), 0); /* no new connection for this request */
    itest_client_free(kept);
}

static void malformed_json_is_400_bad_request(void **state)
{
    (void)state;
    struct itest_client *c = itest_client_new("marketer");
    expect(c, "POST", "/v1/campaigns", "{\"name\": ", 400, "bad_request");
    expect(c, "POST", "/v1/campaigns", "[1,2,3]", 400, "bad_request");
    expect(c, "POST", "/v1/campaigns", "", 400, "bad_request");
    expect(c, "POST", "/v1/campaigns", "{\"name\":\"x\",\"name\":\"y\"}", 400, "bad_request");
    itest_client_free(c);
}

static void unknown_path_is_404_and_wrong_method_405(void **state)
{
    (void)state;
    struct itest_client *c = itest_client_new("marketer");
    expect(c, "GET", "/v1/nothing-here", NULL, 404, "not_found");
    expect(c, "DELETE", "/v1/campaigns", NULL, 405, "method_not_allowed");
    itest_client_free(c);
}

static void hundred_requests_over_one_kept_connection(void **state)
{
    (void)state;
    struct itest_client *c = itest_client_new("marketer");
    long connects = 0;
    for (int i = 0; i < 100; i++) {
        assert_int_equal(itest_request(c, "GET", "/v1/campaigns", NULL, NULL, NULL), 200);
        connects += itest_connects(c); /* new connections made for this transfer */
    }
    assert_int_equal(connects, 1);
    itest_client_free(c);
}

static void metrics_for_admin_only(void **state)
{
    (void)state;
    struct itest_client *admin = itest_client_new("admin");
    char *raw = NULL;
    assert_int_equal(itest_request(admin, "GET", "/metrics", NULL, NULL, &raw), 200);
    assert_non_null(strstr(raw, "coupond_refused_certificates_total"));
    free(raw);
    struct itest_client *m = itest_client_new("marketer");
    expect(m, "GET", "/metrics", NULL, 403, "forbidden");
    itest_client_free(admin);
    itest_client_free(m);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/coupond-mtls-XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(healthz_needs_no_certificate),
        cmocka_unit_test(no_certificate_is_refused_401),
        cmocka_unit_test(marketer_lists_campaigns_200),
        cmocka_unit_test(terminal_on_marketer_endpoint_is_403),
        cmocka_unit_test(whoami_names_terminal_and_store),
        cmocka_unit_test(foreign_ca_certificate_is_refused),
        cmocka_unit_test(expired_certificate_is_refused),
        cmocka_unit_test(revoked_certificate_is_refused_within_a_second),
        cmocka_unit_test(certificate_expiring_on_a_kept_connection_stops_at_its_not_after),
        cmocka_unit_test(malformed_json_is_400_bad_request),
        cmocka_unit_test(unknown_path_is_404_and_wrong_method_405),
        cmocka_unit_test(hundred_requests_over_one_kept_connection),
        cmocka_unit_test(metrics_for_admin_only),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    (void)itest_sh(cmd);
    return failed;
}
