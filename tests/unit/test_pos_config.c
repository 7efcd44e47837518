/* Unit tests for the POS client's configuration: the key = value file, the POS_* environment
 * that wins over it, the default state directory, and the one-line errors for bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pos/config.h"

static char tmpdir[] = "/tmp/test_pos_config.XXXXXX";
static char conf_path[256];
static char msg[512];

static const char *const env_vars[] = {
    "POS_URL",
    "POS_CA",
    "POS_CERT",
    "POS_KEY",
    "POS_STATE",
    "POS_TIMEOUT_MS",
    "POS_CONNECT_TIMEOUT_MS",
    "POS_JOURNAL_MAX_BYTES",
    "XDG_STATE_HOME",
};

/* Writes TEXT to the test's configuration file. */
static void write_conf(const char *text)
{
    FILE *f = fopen(conf_path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* Loads the test's configuration file as if named with --config; returns the error. */
static enum cpn_err load(struct pos_config **cfg)
{
    msg[0] = '\0';
    return pos_config_load(conf_path, true, cfg, msg, sizeof msg);
}

static const char complete[] = "# a till in store 1\n"
                               "url = https://coupond.example:8443/\n"
                               "\n"
                               "ca = /etc/coupond/ca.pem\n"
                               "   cert=/etc/coupond/terminal-1.pem   \n"
                               "key =\t/etc/coupond/terminal-1.key\r\n"
                               "state = /var/lib/pos-client\n"
                               "timeout_ms = 5000\n"
                               "connect_timeout_ms = 1500\n";

/* Before each test: a clean environment (no POS_*, no XDG_STATE_HOME, HOME=/home/till). */
static int setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof env_vars / sizeof env_vars[0]; i++)
        unsetenv(env_vars[i]);
    setenv("HOME", "/home/till", 1);
    unlink(conf_path);
    return 0;
}

static void file_sets_every_key(void **state)
{
    (void)state;
    write_conf(complete);
    struct pos_config *cfg = NULL;
    assert_int_equal(load(&cfg), CPN_OK);
    assert_string_equal(cfg->url, "https://coupond.example:8443");
    assert_string_equal(cfg->ca, "/etc/coupond/ca.pem");
    assert_string_equal(cfg->cert, "/etc/coupond/terminal-1.pem");
    assert_string_equal(cfg->key, "/etc/coupond/terminal-1.key");
    assert_string_equal(cfg->state_dir, "/var/lib/pos-client");
    assert_int_equal(cfg->timeout_ms, 5000);
    assert_int_equal(cfg->connect_timeout_ms, 1500);
    pos_config_free(cfg);
}

static void defaults_apply_when_file_is_silent(void **state)
{
    (void)state;
    write_conf("url = https://h\nca = c\ncert = t\nkey = k\n");
    struct pos_config *cfg = NULL;
    assert_int_equal(load(&cfg), CPN_OK);
    assert_int_equal(cfg->timeout_ms, 8000);
    assert_int_equal(cfg->connect_timeout_ms, 3000);
    assert_string_equal(cfg->state_dir, "/home/till/.local/state/pos-client");
    pos_config_free(cfg);
}

static void state_dir_defaults_to_xdg_state_home(void **state)
{
    (void)state;
    write_conf("url = https://h\nca = c\ncert = t\nkey = k\n");
    setenv("XDG_STATE_HOME", "/srv/state/", 1);
    struct pos_config *cfg = NULL;
    assert_int_equal(load(&cfg), CPN_OK);
    assert_string_equal(cfg->state_dir, "/srv/state/pos-client");
    pos_config_free(cfg);
}

static void relative_xdg_state_home_is_ignored(void **state)
{
    (void)state;
    write_conf("url = https://h\nca = c\ncert = t\nkey = k\n");
    setenv("XDG_STATE_HOME", "relative/state", 1);
    struct pos_config *cfg = NULL;
    assert_int_equal(load(&cfg), CPN_OK);
    assert_string_equal(cfg->state_dir, "/home/till/.local/state/pos-client");
    pos_config_free(cfg);
}

static void no_home_and_no_state_is_an_error(void **state)
{
    (void)state;
    write_conf("url = https://h\nca = c\ncert = t\nkey = k\n");
    unsetenv("HOME");
    struct pos_config *cfg = NULL;
    assert_int_equal(load(&cfg), CPN_ERR_BAD_REQUEST);
    assert_null(cfg);
    assert_non_null(strstr(msg, "POS_STATE"));
}

static void environment_wins_over_file(void **state)
{
    (void)state;
    write_conf(complete);
    setenv("POS_URL", "https://other:9443", 1);
    setenv("POS_CA", "/env/ca.pem", 1);
    setenv("POS_CERT", "/env/t.pem", 1);
    setenv("POS_KEY", "/env/t.key", 1);
    setenv("POS_STATE", "/env/state", 1);
    setenv("POS_TIMEOUT_MS", "2500", 1);
    setenv("POS_CONNECT_TIMEOUT_MS", "700", 1);
    setenv("XDG_STATE_HOME", "/srv/state", 1);
    struct pos_config *cfg = NULL;
    assert_int_equal(load(&cfg), CPN_OK);
    assert_string_equal(cfg->url, "https://other:9443");
    assert_string_equal(cfg->ca, "/env/ca.pem");
    assert_string_equal(cfg->cert, "/env/t.pem");
    assert_string_equal(cfg->key, "/env/t.key");
    assert_string_equal(cfg->state_dir, "/env/state");
    assert_int_equal(cfg->timeout_ms, 2500);
    assert_int_equal(cfg->connect_timeout_ms, 700);
    pos_config_free(cfg);
}

static void empty_environment_variable_is_ignored(void **state)
{
    (void)state;
    write_conf(complete);
    setenv("POS_URL", "", 1);
    struct pos_config *cfg = NULL;
    assert_int_equal(load(&cfg), CPN_OK);
    assert_string_equal(cfg->url, "https://coupond.example:8443");
    pos_config_free(cfg);
}

static void environment_alone_is_enough_without_default_file(void **state)
{
    (void)state;
    setenv("POS_URL", "https://127.0.0.1:8443", 1);
    setenv("POS_CA", "ca.pem", 1);
    setenv("POS_CERT", "terminal-1.pem", 1);
    setenv("POS_KEY", "terminal-1.key", 1);
    struct pos_config *cfg = NULL;
    /* conf_path does not exist; not named by the user, so that is fine. */
    assert_int_equal(pos_config_load(conf_path, false, &cfg, msg, sizeof msg), CPN_OK);
    assert_string_equal(cfg->url, "https://127.0.0.1:8443");
    pos_config_free(cfg);
}

static void missing_explicit_file_is_an_error(void **state)
{
    (void)state;
    setenv("POS_URL", "https://127.0.0.1:8443", 1);
    setenv("POS_CA", "ca.pem", 1);
    setenv("POS_CERT", "terminal-1.pem", 1);
    setenv("POS_KEY", "terminal-1.key", 1);
    struct pos_config *cfg = NULL;
    assert_int_equal(load(&cfg), CPN_ERR_IO);
    assert_null(cfg);
    assert_non_null(strstr(msg, conf_path));
    assert_non_null(strstr(msg, "No such file"));
}

static void unknown_key_names_file_and_line(void **state)
{
    (void)state;
    write_conf("url = https://h\n# comment\n\nproxy = http://x\n");
    struct pos_config *cfg = NULL;
    assert_int_equal(load(&cfg), CPN_ERR_BAD_REQUEST);
    assert_null(cfg);
    char where[300];
    snprintf(where, sizeof where, "%s:4: unknown key 'proxy'", conf_path);
    assert_non_null(strstr(msg, where));
    assert_null(strchr(msg, '\n'));
}

static void line_without_equals_is_an_error(void **state)
{
    (void)state;
    write_conf("url https://h\n");
    struct pos_config *cfg = NULL;
    assert_int_equal(load(&cfg), CPN_ERR_BAD_REQUEST);
    char where[300];
    snprintf(where, sizeof where, "%s:1: expected 'key = value'", conf_path);
    assert_non_null(strstr(msg, where));
}

static void empty_value_is_an_error(void **state)
{
    (void)state;
    write_conf("url = https://h\nca =   \n");
    struct pos_config *cfg = NULL;
    assert_int_equal(load(&cfg), CPN_ERR_BAD_REQUEST);
    assert_non_null(strstr(msg, ":2: 'ca' has no value"));
}

static void bad_timeout_in_file_is_an_error(void **state)
{
    (void)state;
    const char *bad[] = {"timeout_ms = 8s\n", "timeout_ms = 0\n", "timeout_ms = -5\n",
                         "timeout_ms = 99999999999999999999\n", "connect_timeout_ms = 600001\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_conf(bad[i]);
        struct pos_config *cfg = NULL;
        assert_int_equal(load(&cfg), CPN_ERR_BAD_REQUEST);
        assert_non_null(strstr(msg, ":1: "));
        assert_non_null(strstr(msg, "milliseconds"));
    }
}

static void bad_timeout_in_environment_names_the_variable(void **state)
{
    (void)state;
    write_conf(complete);
    setenv("POS_TIMEOUT_MS", "fast", 1);
    struct pos_config *cfg = NULL;
    assert_int_equal(load(&cfg), CPN_ERR_BAD_REQUEST);
    assert_non_null(strstr(msg, "POS_TIMEOUT_MS"));
}

static void journal_max_bytes_from_file_and_environment_within_its_range(void **state)
{
    (void)state;
    write_conf(complete);
    struct pos_config *cfg = NULL;
    assert_int_equal(load(&cfg), CPN_OK);
    assert_int_equal(cfg->journal_max_bytes, POS_DEFAULT_JOURNAL_MAX_BYTES);
    pos_config_free(cfg);
    char text[sizeof complete + 64];
    snprintf(text, sizeof text, "%sjournal_max_bytes = 8192\n", complete);
    write_conf(text);
    assert_int_equal(load(&cfg), CPN_OK);
    assert_int_equal(cfg->journal_max_bytes, 8192);
    pos_config_free(cfg);
    setenv("POS_JOURNAL_MAX_BYTES", "4096", 1);
    assert_int_equal(load(&cfg), CPN_OK);
    assert_int_equal(cfg->journal_max_bytes, 4096);
    pos_config_free(cfg);
    setenv("POS_JOURNAL_MAX_BYTES", "4095", 1); /* too small to hold a few entries */
    assert_int_equal(load(&cfg), CPN_ERR_BAD_REQUEST);
    assert_non_null(strstr(msg, "POS_JOURNAL_MAX_BYTES must be a whole number of bytes from 4096"));
    unsetenv("POS_JOURNAL_MAX_BYTES");
    write_conf("journal_max_bytes = 64k\n");
    assert_int_equal(load(&cfg), CPN_ERR_BAD_REQUEST);
    assert_non_null(strstr(msg, ":1: journal_max_bytes must be a whole number of bytes"));
}

static void offline_limits_from_file_and_environment_within_their_ranges(void **state)
{
    (void)state;
    write_conf(complete);
    struct pos_config *cfg = NULL;
    assert_int_equal(load(&cfg), CPN_OK);
    assert_int_equal(cfg->offline_max_discount_cents, 1000); /* 10 EUR, 50, 24 hours */
    assert_int_equal(cfg->offline_max_count, 50);
    assert_int_equal(cfg->offline_max_hours, 24);
    pos_config_free(cfg);
    char text[sizeof complete + 128];
    snprintf(text, sizeof text,
             "%soffline_max_discount = 12,50\noffline_max_count = 500\noffline_max_hours = 0\n",
             complete);
    write_conf(text);
    assert_int_equal(load(&cfg), CPN_OK);
    assert_int_equal(cfg->offline_max_discount_cents, 1250);
    assert_int_equal(cfg->offline_max_count, 500);
    assert_int_equal(cfg->offline_max_hours, 0);
    pos_config_free(cfg);
    setenv("POS_OFFLINE_MAX_DISCOUNT", "0", 1);
    setenv("POS_OFFLINE_MAX_HOURS", "48", 1);
    assert_int_equal(load(&cfg), CPN_OK);
    assert_int_equal(cfg->offline_max_discount_cents, 0);
    assert_int_equal(cfg->offline_max_hours, 48);
    pos_config_free(cfg);
    setenv("POS_OFFLINE_MAX_DISCOUNT", "10.005", 1);
    assert_int_equal(load(&cfg), CPN_ERR_BAD_REQUEST);
    assert_non_null(strstr(msg, "POS_OFFLINE_MAX_DISCOUNT must be an amount of euros from 0.00 "
                                "EUR to 10000.00 EUR, not '10.005'"));
    unsetenv("POS_OFFLINE_MAX_DISCOUNT");
    setenv("POS_OFFLINE_MAX_HOURS", "8761", 1);
    assert_int_equal(load(&cfg), CPN_ERR_BAD_REQUEST);
    assert_non_null(strstr(msg, "POS_OFFLINE_MAX_HOURS must be a whole number of hours from 0 "
                                "to 8760"));
    unsetenv("POS_OFFLINE_MAX_HOURS");
    write_conf("offline_max_count = -1\n");
    assert_int_equal(load(&cfg), CPN_ERR_BAD_REQUEST);
    assert_non_null(strstr(msg, ":1: offline_max_count must be a whole number of redemptions"));
}

static void url_must_be_https(void **state)
{
    (void)state;
    const char *bad[] = {"url = http://h:8443\nca = c\ncert = t\nkey = k\n",
                         "url = https://\nca = c\ncert = t\nkey = k\n",
                         "url = coupond:8443\nca = c\ncert = t\nkey = k\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_conf(bad[i]);
        struct pos_config *cfg = NULL;
        assert_int_equal(load(&cfg), CPN_ERR_BAD_REQUEST);
        assert_non_null(strstr(msg, "https://"));
    }
}

static void missing_url_ca_cert_or_key_is_named(void **state)
{
    (void)state;
    const struct {
        const char *conf, *expect;
    } cases[] = {
        {"ca = c\ncert = t\nkey = k\n", "POS_URL"},
        {"url = https://h\ncert = t\nkey = k\n", "POS_CA"},
        {"url = https://h\nca = c\nkey = k\n", "POS_CERT"},
        {"url = https://h\nca = c\ncert = t\n", "POS_KEY"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_conf(cases[i].conf);
        struct pos_config *cfg = NULL;
        assert_int_equal(load(&cfg), CPN_ERR_BAD_REQUEST);
        assert_null(cfg);
        assert_non_null(strstr(msg, cases[i].expect));
    }
}

static void later_line_wins_for_repeated_key(void **state)
{
    (void)state;
    write_conf("url = https://a\nurl = https://b\nca = c\ncert = t\nkey = k\n");
    struct pos_config *cfg = NULL;
    assert_int_equal(load(&cfg), CPN_OK);
    assert_string_equal(cfg->url, "https://b");
    pos_config_free(cfg);
}

static void free_null_is_a_no_op(void **state)
{
    (void)state;
    pos_config_free(NULL);
    struct pos_config *cfg = pos_config_new();
    assert_non_null(cfg);
    assert_null(cfg->url);
    assert_int_equal(cfg->timeout_ms, POS_DEFAULT_TIMEOUT_MS);
    pos_config_free(cfg);
}

int main(void)
{
    if (mkdtemp(tmpdir) == NULL)
        return 1;
    snprintf(conf_path, sizeof conf_path, "%s/pos-client.conf", tmpdir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(file_sets_every_key, setup),
        cmocka_unit_test_setup(defaults_apply_when_file_is_silent, setup),
        cmocka_unit_test_setup(state_dir_defaults_to_xdg_state_home, setup),
        cmocka_unit_test_setup(relative_xdg_state_home_is_ignored, setup),
        cmocka_unit_test_setup(no_home_and_no_state_is_an_error, setup),
        cmocka_unit_test_setup(environment_wins_over_file, setup),
        cmocka_unit_test_setup(empty_environment_variable_is_ignored, setup),
        cmocka_unit_test_setup(environment_alone_is_enough_without_default_file, setup),
        cmocka_unit_test_setup(missing_explicit_file_is_an_error, setup),
        cmocka_unit_test_setup(unknown_key_names_file_and_line, setup),
        cmocka_unit_test_setup(line_without_equals_is_an_error, setup),
        cmocka_unit_test_setup(empty_value_is_an_error, setup),
        cmocka_unit_test_setup(bad_timeout_in_file_is_an_error, setup),
        cmocka_unit_test_setup(bad_timeout_in_environment_names_the_variable, setup),
        cmocka_unit_test_setup(url_must_be_https, setup),
        cmocka_unit_test_setup(missing_url_ca_cert_or_key_is_named, setup),
        cmocka_unit_test_setup(later_line_wins_for_repeated_key, setup),
        cmocka_unit_test_setup(free_null_is_a_no_op, setup),
        cmocka_unit_test_setup(journal_max_bytes_from_file_and_environment_within_its_range, setup),
        cmocka_unit_test_setup(offline_limits_from_file_and_environment_within_their_ranges, setup),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(conf_path);
    rmdir(tmpdir);
    return failed;
}
