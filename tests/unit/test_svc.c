/* Unit tests for the service's pure parts: configuration precedence and options, log levels,
 * listen addresses, strict JSON fields and the error registry (RFC 3339 times:
 * test_rfc3339.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "json_in.h"
#include "log.h"
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

static void options_are_read_with_getopt_long(void **state)
{
    (void)state;
    char err[256];
    unsetenv("COUPOND_LISTEN");
    unsetenv("COUPOND_DB");
    char *a1[] = {"coupond", "migrate",     "--db=dbname=x", "--threads",
                  "7",       "--log-level", "warn",          NULL};
    struct svc_config *c = svc_config_new(7, a1, err, sizeof err);
    assert_non_null(c);
    assert_string_equal(c->command, "migrate");
    assert_string_equal(c->db, "dbname=x");
    assert_int_equal(c->threads, 7);
    assert_int_equal(c->log_level, LOGL_WARN);
    svc_config_free(c);
    char *a2[] = {"coupond", NULL};
    c = svc_config_new(1, a2, err, sizeof err);
    assert_non_null(c);
    assert_string_equal(c->command, "serve");
    assert_int_equal(c->log_level, LOGL_INFO);
    svc_config_free(c);
    const char *help[][2] = {
        {"-h", "help"}, {"--help", "help"}, {"-V", "version"}, {"--version", "version"}};
    for (size_t i = 0; i < 4; i++) {
        char *a[] = {"coupond", "--db", "dbname=y", (char *)help[i][0], NULL};
        c = svc_config_new(4, a, err, sizeof err);
        assert_non_null(c);
        assert_string_equal(c->command, help[i][1]);
        svc_config_free(c);
    }
    char *b1[] = {"coupond", "--log-level", "loud", NULL};
    assert_null(svc_config_new(3, b1, err, sizeof err));
    assert_non_null(strstr(err, "log-level"));
    char *b2[] = {"coupond", "--db", NULL};
    assert_null(svc_config_new(2, b2, err, sizeof err));
    assert_non_null(strstr(err, "--db"));
    char *b3[] = {"coupond", "serve", "stray", NULL};
    assert_null(svc_config_new(3, b3, err, sizeof err));
    assert_non_null(strstr(err, "stray"));
}

static void the_config_file_takes_every_option_by_its_name(void **state)
{
    (void)state;
    char path[] = "/tmp/coupond-conf-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "log-level = debug\nno-crl = yes\nmax-issues = 5\nkeys = /k\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char err[256];
    char *a1[] = {"coupond", "--config", path, NULL};
    struct svc_config *c = svc_config_new(3, a1, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(c->log_level, LOGL_DEBUG);
    assert_true(c->no_crl);
    assert_int_equal(c->max_issues, 5);
    assert_string_equal(c->keys_dir, "/k");
    svc_config_free(c);
    fd = open(path, O_WRONLY | O_TRUNC);
    const char *bad = "threads = 2\nconfig = /other\n";
    assert_int_equal(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
    close(fd);
    assert_null(svc_config_new(3, a1, err, sizeof err));
    assert_non_null(strstr(err, ":2: config may not name another file"));
    unlink(path);
}

static void log_level_drops_records_below_it(void **state)
{
    (void)state;
    char path[] = "/tmp/coupond-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    log_set_level(LOGL_WARN);
    log_msg(LOGL_INFO, "an info record");
    log_msg(LOGL_WARN, "a warning");
    log_set_level(LOGL_DEBUG);
    log_msg(LOGL_DEBUG, "a debug record");
    log_set_level(LOGL_INFO);
    log_msg(LOGL_DEBUG, "another debug record");
    dup2(saved, STDERR_FILENO);
    close(saved);
    char buf[1024];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    unlink(path);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_null(strstr(buf, "an info record"));
    assert_non_null(strstr(buf, " warn a warning\n"));
    assert_non_null(strstr(buf, " debug a debug record\n"));
    assert_null(strstr(buf, "another debug record"));
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
        cmocka_unit_test(options_are_read_with_getopt_long),
        cmocka_unit_test(the_config_file_takes_every_option_by_its_name),
        cmocka_unit_test(log_level_drops_records_below_it),
        cmocka_unit_test(listen_addresses),
        cmocka_unit_test(strict_json_fields),
        cmocka_unit_test(every_error_has_a_code_a_status_and_a_sentence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
