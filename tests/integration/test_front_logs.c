/* What coupond writes to its log about strangers, read from the running coupond's log
 * ($COUPOND_BUILD_DIR/coupond.log): a certificate subject cannot forge a log line or drive a
 * terminal, a flood of refused certificates does not flood the log, and card numbers are
 * masked. */
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

/* The fixture's log from byte FROM on (caller frees); *END gets the log's length. */
static char *log_since(long from, long *end)
{
    const char *build = getenv("COUPOND_BUILD_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/coupond.log", build != NULL ? build : ".");
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    if (end != NULL)
        *end = size;
    if (from > size)
        from = size;
    fseek(f, from, SEEK_SET);
    char *text = calloc(1, (size_t)(size - from) + 1);
    assert_non_null(text);
    size_t got = fread(text, 1, (size_t)(size - from), f);
    text[got] = '\0';
    fclose(f);
    return text;
}

static long log_size(void)
{
    long end = 0;
    free(log_since(0, &end));
    return end;
}

/* Lines of TEXT that contain NEEDLE. */
static int count_lines(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Waits until the log has grown past FROM with a line containing NEEDLE (2 s at most). */
static char *wait_for_log(long from, const char *needle)
{
    for (int i = 0; i < 20; i++) {
        char *text = log_since(from, NULL);
        if (strstr(text, needle) != NULL)
            return text;
        free(text);
        usleep(100 * 1000);
    }
    return log_since(from, NULL);
}

static void refused_subject_cannot_forge_a_log_line(void **state)
{
    (void)state;
    /* A self-signed certificate whose CN carries a newline, a fake log line and an ANSI
     * escape sequence. */
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
             "-keyout '%s/evil.key' -out '%s/evil.pem' -utf8 "
             "-subj \"$(printf '/O=coupond/OU=marketer/CN=evil\\n2099-01-01T00:00:00.000Z "
             "error FORGED\\033[31m')\" >/dev/null 2>&1",
             tmpdir, tmpdir);
    assert_int_equal(itest_sh(cmd), 0);
    char pem[512], key[512];
    snprintf(pem, sizeof pem, "%s/evil.pem", tmpdir);
    snprintf(key, sizeof key, "%s/evil.key", tmpdir);
    sleep(1); /* let the refusal log's rate limit refill after other tests */
    long from = log_size();
    struct itest_client *c = itest_client_files(pem, key);
    assert_int_equal(itest_request(c, "GET", "/v1/campaigns", NULL, NULL, NULL), 401);
    itest_client_free(c);
    char *text = wait_for_log(from, "CN=evil");
    fprintf(stderr, "logged: %s", text);
    assert_non_null(strstr(text, "CN=evil\\x0a2099-01-01T00:00:00.000Z error FORGED\\x1b[31m"));
    assert_null(strstr(text, "\n2099-01-01T00:00:00.000Z error FORGED"));
    assert_null(strchr(text, '\x1b'));
    free(text);
}

/* The sum of the "(N more refusal(s) not logged before this one)" notes in TEXT. */
static unsigned long left_out(const char *text)
{
    unsigned long sum = 0;
    for (const char *p = strstr(text, "refusal(s) not logged"); p != NULL;
         p = strstr(p + 1, "refusal(s) not logged")) {
        const char *q = p;
        while (q > text && q[-1] != '(')
            q--;
        sum += strtoul(q, NULL, 10);
    }
    return sum;
}

static void refused_certificate_logging_is_rate_limited(void **state)
{
    (void)state;
    enum { FLOOD = 150 };
    sleep(1);
    long from = log_size();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < FLOOD; i++) {
        struct itest_client *c = itest_client_new(NULL); /* no certificate, a new connection */
        assert_int_equal(itest_request(c, "GET", "/v1/campaigns", NULL, NULL, NULL), 401);
        itest_client_free(c);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    usleep(300 * 1000);
    char *text = log_since(from, NULL);
    int lines = count_lines(text, "refused client certificate");
    unsigned long counted = left_out(text);
    free(text);
    /* After a pause the next refusal is logged, saying how many were left out before it. */
    sleep(1);
    from = log_size();
    struct itest_client *c = itest_client_new(NULL);
    assert_int_equal(itest_request(c, "GET", "/v1/campaigns", NULL, NULL, NULL), 401);
    itest_client_free(c);
    text = wait_for_log(from, "refused client certificate");
    int after = count_lines(text, "refused client certificate");
    counted += left_out(text);
    free(text);
    /* A burst of 20, then 2 a second. */
    int allowed = 20 + (int)(2 * secs) + 2;
    fprintf(stderr,
            "%d refusals in %.2f s: %d log lines (at most %d allowed); the lines count %lu "
            "left out\n",
            FLOOD, secs, lines, allowed, counted);
    assert_true(lines >= 1);
    assert_true(lines <= allowed);
    assert_int_equal(after, 1);
    /* Every refusal left out is counted in a later line (earlier tests may add to it). */
    assert_true(counted >= (unsigned long)(FLOOD - lines));
}

static void card_numbers_are_masked_in_the_log(void **state)
{
    (void)state;
    long from = log_size();
    struct itest_client *m = itest_client_new("marketer");
    json_t *card = NULL;
    assert_int_equal(itest_request(m, "POST", "/v1/cards", "{}", &card, NULL), 201);
    itest_client_free(m);
    const char *number = json_string_value(json_object_get(card, "card"));
    const char *signed_form = json_string_value(json_object_get(card, "signed"));
    assert_non_null(number);
    assert_non_null(signed_form);
    char *text = wait_for_log(from, "card ");
    fprintf(stderr, "card %s; logged: %s", number, text);
    assert_null(strstr(text, number));
    assert_null(strstr(text, signed_form));
    char masked[32];
    snprintf(masked, sizeof masked, "%.4s-****-****-****", number);
    assert_non_null(strstr(text, masked));
    free(text);
    json_decref(card);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/coupond-logs-XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refused_subject_cannot_forge_a_log_line),
        cmocka_unit_test(refused_certificate_logging_is_rate_limited),
        cmocka_unit_test(card_numbers_are_masked_in_the_log),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    (void)itest_sh(cmd);
    return failed;
}
