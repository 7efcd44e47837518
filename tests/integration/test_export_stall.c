/* An export whose client stops reading, against a coupond of the test's own
 * (--export-stall-timeout 2): four exports fill every slot and then stall; within a few
 * seconds of the deadline their REPEATABLE READ transactions are gone from pg_stat_activity
 * and their slots are free, so a fifth export (refused with 503 before) starts streaming. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "itest.h"
#include "itest_daemon.h"

#define EXPORTS_MAX 4      /* as service/http_export.c */
#define STALL_S     "2"    /* --export-stall-timeout */
#define COUPONS     100000 /* a CSV of ~23 MB: far more than the socket buffers hold */

/* Sessions of coupond's exports: their cursor's statements. */
#define EXPORT_SESSIONS                                                                            \
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND"                 \
    " (query LIKE 'FETCH % FROM export' OR query LIKE 'DECLARE export%')"

/* A client that reads the first bytes of the answer, then stops reading (the transfer is
 * paused: libcurl reads nothing more from the socket). */
struct reader {
    CURL *curl;
    size_t got;
};

static size_t read_then_stall(char *ptr, size_t size, size_t n, void *userdata)
{
    (void)ptr;
    struct reader *r = userdata;
    if (r->got == 0)
        r->got = size * n;
    return CURL_WRITEFUNC_PAUSE;
}

/* Keeps the first bytes of an answer, then ends the transfer. */
struct head {
    char text[64];
    size_t len;
};

static size_t keep_head(char *ptr, size_t size, size_t n, void *userdata)
{
    struct head *h = userdata;
    size_t take = size * n < sizeof h->text - 1 - h->len ? size * n : sizeof h->text - 1 - h->len;
    memcpy(h->text + h->len, ptr, take);
    h->len += take;
    return h->len == sizeof h->text - 1 ? 0 : size * n; /* 0: enough, stop */
}

/* Starts an export of URL and reads only its beginning (a whole one would take a minute
 * under the sanitizers); returns the HTTP status, the first bytes in HEAD. */
static long export_head(const char *url, const char *ca, const char *cert, const char *key,
                        struct head *head)
{
    CURL *c = curl_easy_init();
    memset(head, 0, sizeof *head);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_SSLCERT, cert);
    curl_easy_setopt(c, CURLOPT_SSLKEY, key);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_head);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, head);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(c);
    long status = -1;
    if (rc == CURLE_OK || rc == CURLE_WRITE_ERROR)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    return status;
}

static long long export_sessions(void)
{
    return itest_sql_number(EXPORT_SESSIONS, NULL);
}

static long long wait_for_sessions(long long want, double timeout_s, double *took)
{
    double from = itest_now_s();
    long long v = export_sessions();
    while (v != want && itest_now_s() - from < timeout_s) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        v = export_sessions();
    }
    *took = itest_now_s() - from;
    return v;
}

static void stalled_readers_give_back_slots_and_snapshots(void **state)
{
    (void)state;
    long long campaign = itest_campaign(NULL);
    assert_true(campaign > 0);
    json_t *issued = itest_issue(campaign, COUPONS, NULL);
    assert_non_null(issued);
    json_decref(issued);
    char path[96], url[256];
    snprintf(path, sizeof path, "/v1/campaigns/%lld/coupons.csv", campaign);
    snprintf(url, sizeof url, "%s%s", itest_base_url(), path);
    char *ca = itest_source_path("certs/dev/ca.pem"),
         *cert = itest_source_path("certs/dev/marketer.pem"),
         *key = itest_source_path("certs/dev/marketer.key");
    CURLM *multi = curl_multi_init();
    struct reader readers[EXPORTS_MAX];
    memset(readers, 0, sizeof readers);
    for (int i = 0; i < EXPORTS_MAX; i++) {
        CURL *c = curl_easy_init();
        readers[i].curl = c;
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CAINFO, ca);
        curl_easy_setopt(c, CURLOPT_SSLCERT, cert);
        curl_easy_setopt(c, CURLOPT_SSLKEY, key);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, read_then_stall);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &readers[i]);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_multi_add_handle(multi, c);
    }
    /* Drive the transfers until each has its first bytes (and is paused). */
    double until = itest_now_s() + 60;
    int all = 0;
    while (all < EXPORTS_MAX && itest_now_s() < until) {
        int running = 0;
        curl_multi_perform(multi, &running);
        curl_multi_poll(multi, NULL, 0, 100, NULL);
        all = 0;
        for (int i = 0; i < EXPORTS_MAX; i++)
            all += readers[i].got > 0;
    }
    assert_int_equal(all, EXPORTS_MAX);
    double took = 0;
    long long open = wait_for_sessions(EXPORTS_MAX, 10, &took);
    fprintf(stderr, "%d exports started and stalled; their database sessions: %lld\n", EXPORTS_MAX,
            open);
    assert_int_equal(open, EXPORTS_MAX);
    /* Every slot is taken now. */
    struct head head;
    long status = export_head(url, ca, cert, key, &head);
    fprintf(stderr, "a fifth export meanwhile: HTTP %ld %s\n", status, head.text);
    assert_int_equal(status, 503);
    /* The deadline passes: the stalled exports end their transactions and free their slots,
     * while their clients are still connected (paused). */
    long long left = wait_for_sessions(0, 30, &took);
    fprintf(stderr, "sessions left %.1f s later: %lld\n", took, left);
    assert_int_equal(left, 0);
    assert_true(itest_daemon_log_has("read nothing for " STALL_S " s"));
    status = export_head(url, ca, cert, key, &head);
    fprintf(stderr, "a fifth export after the deadline: HTTP %ld, starting %.28s\n", status,
            head.text);
    assert_int_equal(status, 200);
    assert_memory_equal(head.text, "code,signed,issued_at,state\n", 28);
    for (int i = 0; i < EXPORTS_MAX; i++) {
        curl_multi_remove_handle(multi, readers[i].curl);
        curl_easy_cleanup(readers[i].curl);
    }
    curl_multi_cleanup(multi);
    free(ca);
    free(cert);
    free(key);
}

int main(void)
{
    static const char *const flags[] = {"--export-stall-timeout", STALL_S, NULL};
    if (itest_daemon_start(flags) != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stalled_readers_give_back_slots_and_snapshots),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    int rc = itest_daemon_stop(120);
    bool report = itest_daemon_sanitizer_report();
    fprintf(stderr, "coupond exited with %d%s\n", rc, report ? " and a sanitizer report" : "");
    if (failed == 0 && rc == 0 && !report)
        itest_daemon_remove_log();
    return failed != 0 || rc != 0 || report ? 1 : 0;
}
