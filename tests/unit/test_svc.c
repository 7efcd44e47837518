/* Unit tests for the service's pure parts: configuration precedence, listen addresses,
 * strict JSON fields and the error registry (RFC 3339 times: test_rfc3339.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "json_in.h"
#include "coupon/err.h"

static void flags_win_over_environment_and_environment_over_file(void **state)
{
    (void)state;
    char path[] = "/tmp/coupond-conf-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "# test\nlisten = 127.0.0.1:1111\ndb = dbname=fromfile\nthreads = 3\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    setenv("COUPOND_LISTEN", "127.0.0.1:2222", 1);
    unsetenv("COUPOND_DB");
    char err[256];
    char *argv1[] = {"coupond", "serve", "--config", path, NULL};
    struct svc_config *c = svc_config_new(4, argv1, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(c->port, 2222);               /* env over file */
    assert_string_equal(c->db, "dbname=fromfile"); /* file over default */
    assert_int_equal(c->threads, 3);
    svc_config_free(c);
    char *argv2[] = {"coupond", "serve", "--config", path, "--listen", "[::1]:3333", NULL};
    c = svc_config_new(6, argv2, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(c->port, 3333); /* flag over env */
    assert_string_equal(c->listen_host, "::1");
    svc_config_free(c);
    unsetenv("COUPOND_LISTEN");
    unlink(path);
}

static void bad_configuration_is_refused_with_a_reason(void **state)
{
    (void)state;
    char err[256];
    char *a1[] = {"coupond", "--threads", "0", NULL};
    assert_null(svc_config_new(3, a1, err, sizeof err));
    assert_non_null(strstr(err, "threads"));
    char *a2[] = {"coupond", "--listen", "nowhere", NULL};
    assert_null(svc_config_new(3, a2, err, sizeof err));
    char *a3[] = {"coupond", "--bogus", "1", NULL};
    assert_null(svc_config_new(3, a3, err, sizeof err));
    assert_non_null(strstr(err, "bogus"));
    char *a4[] = {"coupond", "--config", "/nonexistent/coupond.conf", NULL};
    assert_null(svc_config_new(3, a4, err, sizeof err));
    svc_config_free(NULL);
}

static void listen_addresses(void **state)
{
    (void)state;
    char *host = NULL;
    unsigned port = 0;
    assert_int_equal(svc_parse_listen("127.0.0.1:8443", &host, &port), CPN_OK);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 8443);
    assert_int_equal(svc_parse_listen(":9000", &host, &port), CPN_OK);
    assert_string_equal(host, "0.0.0.0");
    assert_int_not_equal(svc_parse_listen("127.0.0.1:0", &host, &port), CPN_OK);
    assert_int_not_equal(svc_parse_listen("127.0.0.1:65536", &host, &port), CPN_OK);
    assert_int_not_equal(svc_parse_listen("127.0.0.1", &host, &port), CPN_OK);
    free(host);
}

static void strict_json_fields(void **state)
{
    (void)state;
    json_t *o = json_loads("{\"n\":5,\"s\":\"abc\",\"f\":1.5,\"x\":true}", 0, NULL);
    static const char *const allowed[] = {"n", "s", "f", NULL};
    assert_string_equal(jin_unknown_key(o, allowed), "x");
    char detail[128];
    int64_t n = 0;
    assert_int_equal(jin_int_field(o, "n", true, 1, 10, &n, detail, sizeof detail), 1);
    assert_int_equal(n, 5);
    assert_int_equal(jin_int_field(o, "n", true, 6, 10, &n, detail, sizeof detail), -1);
    assert_non_null(strstr(detail, "'n'"));
    assert_int_equal(jin_int_field(o, "f", true, 0, 10, &n, detail, sizeof detail), -1);
    assert_int_equal(jin_int_field(o, "s", true, 0, 10, &n, detail, sizeof detail), -1);
    assert_int_equal(jin_int_field(o, "missing", false, 0, 10, &n, detail, sizeof detail), 0);
    assert_int_equal(jin_int_field(o, "missing", true, 0, 10, &n, detail, sizeof detail), -1);
    const char *s = NULL;
    assert_int_equal(jin_str_field(o, "s", true, 3, &s, detail, sizeof detail), 1);
    assert_string_equal(s, "abc");
    assert_int_equal(jin_str_field(o, "s", true, 2, &s, detail, sizeof detail), -1);
    json_decref(o);
}

static void every_error_has_a_code_a_status_and_a_sentence(void **state)
{
    (void)state;
    for (int e = CPN_ERR_BAD_REQUEST; e < CPN_ERR__COUNT; e++) {
        const char *code = cpn_err_code((enum cpn_err)e);
        int status = cpn_err_http_status((enum cpn_err)e);
        const char *msg = cpn_err_message((enum cpn_err)e);
        assert_true(strlen(code) > 0);
        assert_true(status >= 400 && status < 600);
        assert_true(strlen(msg) > 10 && msg[strlen(msg) - 1] == '.');
        /* The machine code reads back to an entry with the same code. */
        assert_string_equal(cpn_err_code(cpn_err_from_code(code)), code);
    }
    static const char *const spec[] = {"bad_request",   "unauthorized",        "forbidden",
                                       "not_found",     "malformed_code",      "forged_code",
                                       "expired",       "not_started",         "already_redeemed",
                                       "wrong_store",   "below_minimum",       "campaign_exhausted",
                                       "card_required", "insufficient_points", "conflict"};
    for (size_t i = 0; i < sizeof spec / sizeof spec[0]; i++)
        assert_string_equal(cpn_err_code(cpn_err_from_code(spec[i])), spec[i]);
    assert_int_equal(cpn_err_http_status(CPN_ERR_ALREADY_REDEEMED), 409);
    assert_int_equal(cpn_err_http_status(CPN_ERR_UNAUTHORIZED), 401);
    assert_int_equal(cpn_err_http_status(CPN_ERR_FORBIDDEN), 403);
    assert_string_equal(cpn_err_code((enum cpn_err)9999), "internal");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flags_win_over_environment_and_environment_over_file),
        cmocka_unit_test(bad_configuration_is_refused_with_a_reason),
        cmocka_unit_test(listen_addresses),
        cmocka_unit_test(strict_json_fields),
        cmocka_unit_test(every_error_has_a_code_a_status_and_a_sentence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
