/* Unit tests for the service's pure parts: configuration precedence and options (every
 * setting from the environment, what a reload cannot apply), log levels and JSON records,
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

/* The default number of workers lets durable commits share WAL flushes: eight per processor,
 * at least 16, at most 64 (issue 12, item 6; it was one per processor, then four). */
static void default_workers_are_eight_per_processor_at_least_sixteen(void **state)
{
    (void)state;
    char err[256];
    unsetenv("COUPOND_THREADS");
    char *argv[] = {"coupond", "migrate", NULL};
    struct svc_config *c = svc_config_new(2, argv, err, sizeof err);
    assert_non_null(c);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned want = ncpu * 8 < 16 ? 16u : ncpu * 8 > 64 ? 64u : (unsigned)(ncpu * 8);
    assert_int_equal(c->threads, want);
    assert_true(c->threads >= 16);
    svc_config_free(c);
}

static void group_commit_is_on_by_default_and_can_be_switched_off(void **state)
{
    (void)state;
    char err[256];
    unsetenv("COUPOND_GROUP_COMMIT");
    unsetenv("COUPOND_GROUP_THREADS");
    char *a1[] = {"coupond", "migrate", NULL};
    struct svc_config *c = svc_config_new(2, a1, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(c->group_commit, 32);
    assert_int_equal(c->group_threads, 2);
    svc_config_free(c);
    char *a2[] = {"coupond", "migrate", "--group-commit", "0", "--group-threads", "3", NULL};
    c = svc_config_new(6, a2, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(c->group_commit, 0);
    assert_int_equal(c->group_threads, 3);
    svc_config_free(c);
    char *a3[] = {"coupond", "migrate", "--group-commit", "65", NULL};
    assert_null(svc_config_new(4, a3, err, sizeof err));
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
    assert_non_null(strstr(buf, "\"level\":\"warn\",\"message\":\"a warning\"}\n"));
    assert_non_null(strstr(buf, "\"level\":\"debug\",\"message\":\"a debug record\"}\n"));
    assert_null(strstr(buf, "another debug record"));
}

static void every_setting_comes_from_its_environment_variable(void **state)
{
    (void)state;
    char path[] = "/tmp/coupond-conf-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "threads = 3\nlog-level = error\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    setenv("COUPOND_CONFIG", path, 1); /* the file, when no --config names one */
    setenv("COUPOND_LOG_LEVEL", "debug", 1);
    setenv("COUPOND_NO_CRL", "yes", 1);
    setenv("COUPOND_MAX_CONNECTIONS_PER_ADDRESS", "7", 1);
    setenv("COUPOND_DRAIN_DELAY", "4", 1);
    char err[256];
    char *a1[] = {"coupond", "serve", NULL};
    struct svc_config *c = svc_config_new(2, a1, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(c->threads, 3);            /* from the file COUPOND_CONFIG names */
    assert_int_equal(c->log_level, LOGL_DEBUG); /* the environment over the file */
    assert_true(c->no_crl);
    assert_int_equal(c->max_per_address, 7);
    assert_int_equal(c->drain_delay_s, 4);
    assert_string_equal(c->config_file, path);
    svc_config_free(c);
    char *a2[] = {"coupond", "--drain-delay", "9", NULL}; /* flags over the environment */
    c = svc_config_new(3, a2, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(c->drain_delay_s, 9);
    svc_config_free(c);
    setenv("COUPOND_THREADS", "0", 1); /* a bad value names its variable */
    assert_null(svc_config_new(2, a1, err, sizeof err));
    assert_non_null(strstr(err, "COUPOND_THREADS"));
    unsetenv("COUPOND_THREADS");
    unsetenv("COUPOND_CONFIG");
    unsetenv("COUPOND_LOG_LEVEL");
    unsetenv("COUPOND_NO_CRL");
    unsetenv("COUPOND_MAX_CONNECTIONS_PER_ADDRESS");
    unsetenv("COUPOND_DRAIN_DELAY");
    unlink(path);
}

static void a_reload_names_and_keeps_what_needs_a_restart(void **state)
{
    (void)state;
    char err[256];
    char *a1[] = {"coupond", "--listen", "127.0.0.1:1000", "--threads", "2",
                  "--cert",  "/a.pem",   "--log-level",    "info",      NULL};
    char *a2[] = {"coupond", "--listen", "127.0.0.1:2000", "--threads", "4",
                  "--cert",  "/b.pem",   "--log-level",    "warn",      NULL};
    struct svc_config *cur = svc_config_new(9, a1, err, sizeof err);
    struct svc_config *next = svc_config_new(9, a2, err, sizeof err);
    assert_non_null(cur);
    assert_non_null(next);
    char changed[256];
    svc_config_restart_only(next, cur, changed, sizeof changed);
    assert_string_equal(changed, "listen, threads");
    assert_int_equal(next->port, 1000); /* kept as in force */
    assert_int_equal(next->threads, 2);
    assert_string_equal(next->cert, "/b.pem"); /* a reload applies these */
    assert_int_equal(next->log_level, LOGL_WARN);
    svc_config_restart_only(next, cur, changed, sizeof changed);
    assert_string_equal(changed, "");
    svc_config_free(cur);
    svc_config_free(next);
}

static void log_records_are_json_objects_with_escaped_masked_fields(void **state)
{
    (void)state;
    char path[] = "/tmp/coupond-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    struct log_field f[] = {LOGF_STR("subject", "CN=\"evil\"\n{\"level\":\"error\"}\\"),
                            LOGF_STR("card", "ABCD-EFGH-JKMN-PQRS"), LOGF_NUM("store", -7),
                            LOGF_DBL("duration_ms", 1.5), LOGF_STR("absent", NULL)};
    log_record(LOGL_WARN, f, sizeof f / sizeof f[0], "refused %s\x1b[31m", "ABCDEFGHJKMNPQRS");
    dup2(saved, STDERR_FILENO);
    close(saved);
    char buf[2048];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    unlink(path);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_int_equal(strchr(buf, '\n') - buf, n - 1); /* one line */
    json_error_t jerr;
    json_t *rec = json_loads(buf, 0, &jerr);
    assert_non_null(rec);
    assert_string_equal(json_string_value(json_object_get(rec, "level")), "warn");
    assert_string_equal(json_string_value(json_object_get(rec, "message")),
                        "refused ABCD************\\x1b[31m");
    assert_string_equal(json_string_value(json_object_get(rec, "subject")),
                        "CN=\"evil\"\\x0a{\"level\":\"error\"}\\\\");
    assert_string_equal(json_string_value(json_object_get(rec, "card")), "ABCD-****-****-****");
    assert_int_equal(json_integer_value(json_object_get(rec, "store")), -7);
    assert_true(json_real_value(json_object_get(rec, "duration_ms")) == 1.5);
    assert_null(json_object_get(rec, "absent"));
    assert_true(json_is_string(json_object_get(rec, "time")));
    json_decref(rec);
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
        cmocka_unit_test(default_workers_are_eight_per_processor_at_least_sixteen),
        cmocka_unit_test(group_commit_is_on_by_default_and_can_be_switched_off),
        cmocka_unit_test(the_config_file_takes_every_option_by_its_name),
        cmocka_unit_test(log_level_drops_records_below_it),
        cmocka_unit_test(every_setting_comes_from_its_environment_variable),
        cmocka_unit_test(a_reload_names_and_keeps_what_needs_a_restart),
        cmocka_unit_test(log_records_are_json_objects_with_escaped_masked_fields),
        cmocka_unit_test(listen_addresses),
        cmocka_unit_test(strict_json_fields),
        cmocka_unit_test(every_error_has_a_code_a_status_and_a_sentence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
