/* Regression tests for what the fuzz targets (tests/fuzz) found, one test per finding, each
 * failing on the code before its fix. The inputs also stay in the targets' corpora. */
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
#include "coupon/rfc3339.h"

/* fuzz_rfc3339: the service's parser (now libcoupon's, the one both programs use) accepted times
 * whose instant lies before 1970 or after 9999 once the offset is applied, and then wrote them back
 * as text it refuses itself
 * ("1969-12-31T23:00:00Z") or that is no RFC 3339 at all ("10000-01-01T23:58:59Z"). */
static void rfc3339_refuses_instants_it_cannot_write_back(void **state)
{
    (void)state;
    int64_t t = 42;
    assert_int_equal(cpn_rfc3339_parse("1970-01-01T00:00:00+01:00", &t), CPN_ERR_BAD_REQUEST);
    assert_int_equal(cpn_rfc3339_parse("9999-12-31T23:59:59-23:59", &t), CPN_ERR_BAD_REQUEST);
    assert_int_equal(t, 42); /* unchanged on refusal */
    /* The edges themselves are fine and round-trip. */
    char buf[32];
    assert_int_equal(cpn_rfc3339_parse("1970-01-01T01:00:00+01:00", &t), CPN_OK);
    assert_int_equal(t, 0);
    assert_int_equal(cpn_rfc3339_parse("9999-12-31T23:59:59Z", &t), CPN_OK);
    cpn_rfc3339_format(t, buf, sizeof buf);
    assert_string_equal(buf, "9999-12-31T23:59:59Z");
    assert_int_equal(cpn_rfc3339_parse("10000-01-01T00:00:00Z", &t), CPN_ERR_BAD_REQUEST);
}

/* Writes LEN bytes of TEXT to a new temporary file; its name goes to PATH (PATH_SIZE bytes). */
static void write_temp(const char *text, size_t len, char *path, size_t path_size)
{
    snprintf(path, path_size, "/tmp/coupond-fuzz-finding-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

/* fuzz_svc_config (its property: a file of only comments changes nothing): coupond read its
 * config file in 4095-byte pieces, so the tail of a longer comment line became a setting of
 * its own ("#xxx...xxxcrl = /etc/evil.pem" set the CRL), and a NUL byte silently cut a line. */
static void config_long_comment_is_one_comment(void **state)
{
    (void)state;
    size_t n = 1 + 4094 + strlen("crl = /etc/evil.pem\n");
    char *text = malloc(n + 1), path[64], err[512] = "";
    assert_non_null(text);
    text[0] = '#';
    memset(text + 1, 'x', 4094);
    memcpy(text + 4095, "crl = /etc/evil.pem\n", strlen("crl = /etc/evil.pem\n") + 1);
    write_temp(text, n, path, sizeof path);
    unsetenv("COUPOND_DB");
    unsetenv("COUPOND_LISTEN");
    char *argv[] = {"coupond", "serve", "--config", path, NULL};
    struct svc_config *c = svc_config_new(4, argv, err, sizeof err);
    assert_non_null(c);
    assert_null(c->crl);
    svc_config_free(c);
    unlink(path);
    free(text);

    static const char with_nul[] = "# note\0crl = /etc/evil.pem\n";
    write_temp(with_nul, sizeof with_nul - 1, path, sizeof path);
    c = svc_config_new(4, argv, err, sizeof err);
    assert_null(c);
    assert_non_null(strstr(err, "NUL"));
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc3339_refuses_instants_it_cannot_write_back),
        cmocka_unit_test(config_long_comment_is_one_comment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
