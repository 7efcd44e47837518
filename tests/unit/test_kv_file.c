/* Unit tests for libcoupon's `key = value` reader (lib/kv_file.c): settings in order, comments
 * and blank lines, white space, lines longer than any buffer, and each refusal with its line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "coupon/kv_file.h"

/* Writes LEN bytes of TEXT into a new temporary file; returns its path (static buffer). */
static const char *file_with(const char *text, size_t len)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/cpn-kv-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

struct seen {
    char text[8192];
    unsigned calls;
    const char *refuse; /* a key the callback refuses */
};

static int collect(void *ctx, const char *key, const char *value, unsigned lineno, char *msg,
                   size_t msglen)
{
    struct seen *s = ctx;
    s->calls++;
    if (s->refuse != NULL && strcmp(key, s->refuse) == 0) {
        snprintf(msg, msglen, "unknown setting '%s'", key);
        return -1;
    }
    size_t n = strlen(s->text);
    snprintf(s->text + n, sizeof s->text - n, "%u:%s=%s;", lineno, key, value);
    return 0;
}

static void settings_come_in_order_trimmed(void **state)
{
    (void)state;
    const char *text = "# a comment\n\n  listen = 127.0.0.1:1111  \r\n\tdb=dbname=x y\n"
                       "   # indented comment\nempty =\nlast = no newline";
    const char *path = file_with(text, strlen(text));
    struct seen s = {.text = ""};
    char err[256] = "";
    assert_int_equal(cpn_kv_file_read(path, collect, &s, err, sizeof err), CPN_OK);
    assert_string_equal(s.text, "3:listen=127.0.0.1:1111;4:db=dbname=x y;6:empty=;7:last=no "
                                "newline;");
    unlink(path);
}

static void a_line_of_any_length_is_one_line(void **state)
{
    (void)state;
    /* A comment longer than any fixed buffer whose tail looks like a setting stays a comment. */
    size_t n = 10000;
    char *text = malloc(n + 64);
    assert_non_null(text);
    text[0] = '#';
    memset(text + 1, 'x', n - 1);
    int len = snprintf(text + n, 64, "crl = /evil.pem\nkey = v\n");
    const char *path = file_with(text, n + (size_t)len);
    struct seen s = {.text = ""};
    char err[256] = "";
    assert_int_equal(cpn_kv_file_read(path, collect, &s, err, sizeof err), CPN_OK);
    assert_string_equal(s.text, "2:key=v;");
    free(text);
    unlink(path);
}

static void refusals_name_the_file_and_line(void **state)
{
    (void)state;
    char err[256];
    struct seen s = {.text = ""};
    const char *path = file_with("a = 1\nno equals sign\nb = 2\n", 27);
    assert_int_equal(cpn_kv_file_read(path, collect, &s, err, sizeof err), CPN_ERR_BAD_REQUEST);
    char want[128];
    snprintf(want, sizeof want, "%s:2: expected 'key = value', not 'no equals sign'", path);
    assert_string_equal(err, want);
    assert_string_equal(s.text, "1:a=1;"); /* what came before was taken, nothing after */
    unlink(path);

    memset(&s, 0, sizeof s);
    path = file_with("a = 1\n# x\0crl = /evil.pem\n", 26);
    assert_int_equal(cpn_kv_file_read(path, collect, &s, err, sizeof err), CPN_ERR_BAD_REQUEST);
    snprintf(want, sizeof want, "%s:2: the line contains a NUL byte", path);
    assert_string_equal(err, want);
    unlink(path);

    memset(&s, 0, sizeof s);
    s.refuse = "bogus";
    path = file_with("a = 1\nbogus = 2\nc = 3\n", 22);
    assert_int_equal(cpn_kv_file_read(path, collect, &s, err, sizeof err), CPN_ERR_BAD_REQUEST);
    snprintf(want, sizeof want, "%s:2: unknown setting 'bogus'", path);
    assert_string_equal(err, want);
    assert_int_equal(s.calls, 2);
    unlink(path);

    assert_int_equal(cpn_kv_file_read("/nonexistent/x.conf", collect, &s, err, sizeof err),
                     CPN_ERR_IO);
    assert_string_equal(err, "cannot read /nonexistent/x.conf: No such file or directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(settings_come_in_order_trimmed),
        cmocka_unit_test(a_line_of_any_length_is_one_line),
        cmocka_unit_test(refusals_name_the_file_and_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
