/* Recipient lists off the HTTP workers, against a coupond of the test's own (--threads 2
 * --max-issues 2): tills on every worker keep fast answers while a list of a million cards
 * (fewer under the sanitizers) is checked, drawn and issued; an upload finding every issue
 * slot taken is refused with 503 and changes nothing; SIGTERM during an upload (while its
 * coupons are to be copied, or with them written but not committed) rolls all of it back
 * (no list, no coupon, no held-out card, no audit entry), coupond exits 0, and the same list
 * uploaded again to the restarted coupond is recorded and issued once. */
#include <pthread.h>
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
#include <libpq-fe.h>

#include "itest.h"
#include "itest_analytics.h"
#include "itest_daemon.h"
#include "itest_tills.h"

#define TILLS        16  /* keep-alive till connections, spread over the 2 workers */
#define TILL_EVERY_S 0.1 /* each till checks a code every 100 ms (open loop) */
#define BASELINE_S   3.0 /* checks measured before the upload, for comparison */
/* The floor of the bound on the p99 of checks during the upload, and the multiple of the p99
 * before it, as for a big issue (test_issue_jobs.c). */
#define P99_BOUND_MS       500.0
#define P99_BASELINE_TIMES 10.0
#define HOLDOUT_PCT        10

/* A big list: a million cards; fewer under the sanitizers. */
static size_t big_list_count(void)
{
    const char *env = getenv("COUPOND_TEST_BIG_RECIPIENTS");
    if (env != NULL && *env != '\0')
        return (size_t)strtoul(env, NULL, 10);
#if defined(__SANITIZE_ADDRESS__)
    return 100000;
#else
    return 1000000;
#endif
}

/* The cards of every list here (a card may be on the lists of many campaigns). */
static struct itest_cards cards;

static int make_cards(void **state)
{
    (void)state;
    double t0 = itest_now_s();
    if (itest_cards_make(big_list_count(), &cards) != 0)
        return -1;
    fprintf(stderr, "made %zu cards in %.1f s\n", cards.n, itest_now_s() - t0);
    return 0;
}

static int free_cards(void **state)
{
    (void)state;
    itest_cards_free(&cards);
    return 0;
}

/* {"holdout_pct": HOLDOUT_PCT, "cards": [the first N cards]} as a new string. */
static char *list_body(size_t n)
{
    size_t cap = n * 24 + 64, pos = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    pos += (size_t)snprintf(s, cap, "{\"holdout_pct\":%d,\"cards\":[", HOLDOUT_PCT);
    for (size_t i = 0; i < n; i++)
        pos += (size_t)snprintf(s + pos, cap - pos, "%s\"%s\"", i ? "," : "", cards.numbers[i]);
    snprintf(s + pos, cap - pos, "]}");
    return s;
}

/* POSTs BODY to PATH as the marketer with the curl program in a session of its own, so that
 * sending (and encrypting) megabytes is scheduled apart from the tills of this process, as a
 * marketer's browser on another machine would be. Returns the HTTP status (-1: no answer);
 * *ANSWER gets the parsed answer (caller decrefs). */
static long upload_apart(const char *path, const char *body, json_t **answer)
{
    char body_path[] = "/tmp/itest-recipients-body-XXXXXX";
    char out_path[] = "/tmp/itest-recipients-answer-XXXXXX";
    char code_path[] = "/tmp/itest-recipients-status-XXXXXX";
    int fd = mkstemp(body_path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(body, f);
    fclose(f);
    fd = mkstemp(out_path);
    assert_true(fd >= 0);
    close(fd);
    fd = mkstemp(code_path);
    assert_true(fd >= 0);
    close(fd);
    char *ca = itest_source_path("certs/dev/ca.pem"),
         *cert = itest_source_path("certs/dev/marketer.pem"),
         *key = itest_source_path("certs/dev/marketer.key");
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "setsid -w curl -s -o %s -w '%%{http_code}' --cacert %s --cert %s --key %s"
             " -H 'Content-Type: application/json' --data-binary @%s '%s%s' >%s",
             out_path, ca, cert, key, body_path, itest_base_url(), path, code_path);
    long status = itest_sh(cmd) == 0 ? 0 : -1;
    f = fopen(code_path, "r");
    if (status == 0 && (f == NULL || fscanf(f, "%ld", &status) != 1))
        status = -1;
    if (f != NULL)
        fclose(f);
    json_error_t jerr;
    *answer = json_load_file(out_path, 0, &jerr);
    unlink(body_path);
    unlink(out_path);
    unlink(code_path);
    free(ca);
    free(cert);
    free(key);
    return status;
}

static size_t holdout_of(size_t n)
{
    return (n * HOLDOUT_PCT + 50) / 100;
}

static char *id_text(long long id)
{
    static _Thread_local char buf[32];
    snprintf(buf, sizeof buf, "%lld", id);
    return buf;
}

/* What of campaign C's upload is in the database. */
struct stored {
    long long lists, done, coupons, issued, held, audits;
};

static struct stored stored_of(long long c)
{
    const char *id = id_text(c);
    return (struct stored){
        itest_sql_number("SELECT count(*) FROM recipient_lists WHERE campaign_id = $1", id),
        itest_sql_number("SELECT count(*) FROM recipient_lists WHERE campaign_id = $1 AND done",
                         id),
        itest_sql_number("SELECT count(*) FROM coupons WHERE campaign_id = $1", id),
        itest_sql_number("SELECT issued FROM campaigns WHERE id = $1", id),
        itest_sql_number("SELECT count(*) FROM recipient_holdout WHERE campaign_id = $1", id),
        itest_sql_number("SELECT count(*) FROM audit_log WHERE campaign_id = $1"
                         " AND action = 'recipients.upload'",
                         id)};
}

/* True when S is all of an upload of the first N cards. */
static bool stored_complete(struct stored s, size_t n)
{
    long long held = (long long)holdout_of(n), mailed = (long long)n - held;
    return s.lists == 1 && s.done == 1 && s.coupons == mailed && s.issued == mailed &&
           s.held == held && s.audits == 1;
}

static bool stored_nothing(struct stored s)
{
    return s.lists == 0 && s.coupons == 0 && s.issued == 0 && s.held == 0 && s.audits == 0;
}

static void check_upload_answer(const json_t *a)
{
    long long held = (long long)holdout_of(cards.n);
    assert_int_equal(json_integer_value(json_object_get(a, "recipients")), (long long)cards.n);
    assert_int_equal(json_integer_value(json_object_get(a, "holdout")), held);
    assert_int_equal(json_integer_value(json_object_get(a, "mailed")), (long long)cards.n - held);
    assert_int_equal(json_integer_value(json_object_get(a, "issued")), (long long)cards.n - held);
}

/* ---------------------------------------------------------------- tills during an upload */

static void big_upload_leaves_every_worker_answering(void **state)
{
    (void)state;
    long long small = itest_campaign(NULL), big = itest_campaign("{\"name\":\"big mailing\"}");
    json_t *issued = itest_issue(small, 1, NULL);
    assert_non_null(issued);
    char check[160];
    snprintf(check, sizeof check, "{\"code\":\"%s\",\"basket_cents\":5000}", itest_code(issued, 0));
    char *body = list_body(cards.n);
    struct itest_tills *tills = itest_tills_start(TILLS, "terminal-1", check, TILL_EVERY_S);
    double base_from = itest_now_s() + 0.5;
    itest_sleep_s(0.5 + BASELINE_S);
    char path[96];
    snprintf(path, sizeof path, "/v1/campaigns/%lld/recipients", big);
    json_t *answer = NULL;
    double from = itest_now_s();
    long status = upload_apart(path, body, &answer);
    double to = itest_now_s();
    itest_sleep_s(0.3);
    unsigned errors = itest_tills_stop(tills);
    itest_tills_dump(tills, getenv("COUPOND_TEST_DUMP"), from); /* for a plot */
    struct itest_latency base = itest_tills_window(tills, base_from, base_from + BASELINE_S, false);
    fprintf(stderr,
            "upload of %zu cards (%zu bytes): HTTP %ld in %.2f s; slowest check per till (ms):",
            cards.n, strlen(body), status, to - from);
    struct itest_latency during = itest_tills_window(tills, from, to, true);
    fprintf(stderr,
            "\nchecks before the upload: %zu, p50 %.1f ms, p99 %.1f ms, max %.1f ms\n"
            "checks during the upload: %zu, p50 %.1f ms, p99 %.1f ms, max %.1f ms; errors %u\n",
            base.n, base.p50, base.p99, base.max, during.n, during.p50, during.p99, during.max,
            errors);
    itest_tills_free(tills);
    free(body);
    assert_int_equal(status, 201);
    check_upload_answer(answer);
    assert_true(stored_complete(stored_of(big), cards.n));
    assert_int_equal(errors, 0);
    assert_true(during.n >= TILLS);
    /* As for a big issue (test_issue_jobs.c): the larger of a floor, a multiple of the p99
     * before, and a quarter of the upload's duration (a machine busy with other work must not
     * fail a service that keeps answering); a till on a stalled worker waits for all of it
     * (on the code before the upload job: p99 29.3 s of a 29.9 s upload). */
    double bound =
        base.p99 * P99_BASELINE_TIMES > P99_BOUND_MS ? base.p99 * P99_BASELINE_TIMES : P99_BOUND_MS;
    if ((to - from) * 1000.0 / 4 > bound)
        bound = (to - from) * 1000.0 / 4;
    fprintf(stderr, "bound on the p99 during the upload: %.0f ms\n", bound);
    assert_true(during.p99 < bound);
    json_decref(answer);
    json_decref(issued);
}

/* ---------------------------------------------------------------- bounded with the issues */

struct issuer {
    pthread_t thread;
    long long campaign;
    long status;
};

static void *issuer_main(void *arg)
{
    struct issuer *s = arg;
    char path[96];
    snprintf(path, sizeof path, "/v1/campaigns/%lld/coupons", s->campaign);
    struct itest_client *m = itest_client_new("marketer");
    s->status = itest_request(m, "POST", path, "{\"count\":1000}", NULL, NULL);
    itest_client_free(m);
    return NULL;
}

static PGconn *db_connect(void)
{
    PGconn *conn = PQconnectdb(getenv("COUPOND_DB"));
    assert_int_equal(PQstatus(conn), CONNECTION_OK);
    return conn;
}

static void db_exec(PGconn *conn, const char *sql)
{
    PGresult *r = PQexec(conn, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fprintf(stderr, "%s: %s", sql, PQerrorMessage(conn));
    assert_true(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
    PQclear(r);
}

/* Polls SQL (a count) until it equals WANT or TIMEOUT_S passes; returns the last value. */
static long long wait_for_count(const char *sql, long long want, double timeout_s)
{
    double until = itest_now_s() + timeout_s;
    long long v = itest_sql_number(sql, NULL);
    while (v != want && itest_now_s() < until) {
        itest_sleep_s(0.05);
        v = itest_sql_number(sql, NULL);
    }
    return v;
}

static PGconn *lock;
static struct issuer issuers[2];
static bool issuers_started[2];

/* Releases the serial counter and waits for the issues, also after a failed assertion. */
static int release_lock_and_join(void **state)
{
    (void)state;
    PQfinish(lock);
    lock = NULL;
    for (int i = 0; i < 2; i++)
        if (issuers_started[i])
            pthread_join(issuers[i].thread, NULL);
    issuers_started[0] = issuers_started[1] = false;
    return 0;
}

static void upload_finding_every_slot_taken_is_refused_and_changes_nothing(void **state)
{
    (void)state;
    long long c = itest_campaign("{\"name\":\"mailing waiting for a slot\"}");
    /* Two issues wait for the serial counter inside their transactions, holding both slots. */
    lock = db_connect();
    db_exec(lock, "BEGIN");
    db_exec(lock, "SELECT next_serial FROM serial_counters WHERE kind = 'coupon' FOR UPDATE");
    for (int i = 0; i < 2; i++) {
        issuers[i] = (struct issuer){.campaign = itest_campaign(NULL)};
        issuers_started[i] =
            pthread_create(&issuers[i].thread, NULL, issuer_main, &issuers[i]) == 0;
        assert_true(issuers_started[i]);
    }
    assert_int_equal(
        wait_for_count("SELECT count(*) FROM pg_stat_activity WHERE "
                       "wait_event_type = 'Lock' AND query LIKE '%coupon_issue_begin%'",
                       2, 30),
        2);
    char path[96], body[160];
    snprintf(path, sizeof path, "/v1/campaigns/%lld/recipients", c);
    snprintf(body, sizeof body, "{\"holdout_pct\":50,\"cards\":[\"%s\",\"%s\"]}", cards.numbers[0],
             cards.numbers[1]);
    json_t *answer = NULL;
    long status = itest_call("marketer", "POST", path, body, &answer);
    const char *message = json_string_value(json_object_get(answer, "message"));
    fprintf(stderr, "upload with both slots taken: HTTP %ld: %s\n", status, message ? message : "");
    assert_int_equal(status, 503);
    assert_string_equal(itest_error_code(answer), "unavailable");
    assert_non_null(message);
    assert_non_null(strstr(message, "running already"));
    json_decref(answer);
    assert_true(stored_nothing(stored_of(c)));
    release_lock_and_join(NULL);
    assert_int_equal(issuers[0].status, 201);
    assert_int_equal(issuers[1].status, 201);
    /* The slots are free again: the same list is taken now. */
    assert_int_equal(itest_call("marketer", "POST", path, body, &answer), 201);
    assert_int_equal(json_integer_value(json_object_get(answer, "holdout")), 1);
    json_decref(answer);
}

/* ---------------------------------------------------------------- shutdown during an upload */

#define SIGTERM_LIST 20000 /* cards of the lists cut short (the locks below make the moment) */

struct uploader {
    pthread_t thread;
    char path[96];
    const char *body;
    long status;
};

static void *uploader_main(void *arg)
{
    struct uploader *u = arg;
    struct itest_client *m = itest_client_new("marketer");
    u->status = itest_request(m, "POST", u->path, u->body, NULL, NULL);
    itest_client_free(m);
    return NULL;
}

static PGconn *blocker; /* holds the lock that stops an upload at a chosen step */

static int release_blocker(void **state)
{
    (void)state;
    PQfinish(blocker);
    blocker = NULL;
    return 0;
}

/* Uploads the first SIGTERM_LIST cards to a new campaign while the test holds LOCK_SQL (a LOCK
 * TABLE), waits until the upload's statement matching WAITING (a LIKE pattern) waits for that
 * lock, stops coupond with SIGTERM, and checks that nothing of the upload is left; then the
 * same list to the restarted coupond is recorded and issued once. */
static void sigterm_while_an_upload_waits(const char *lock_sql, const char *waiting)
{
    long long c = itest_campaign("{\"name\":\"mailing cut short\"}");
    char *body = list_body(SIGTERM_LIST);
    struct uploader u = {.body = body};
    snprintf(u.path, sizeof u.path, "/v1/campaigns/%lld/recipients", c);
    blocker = db_connect();
    db_exec(blocker, "BEGIN");
    db_exec(blocker, lock_sql);
    assert_int_equal(pthread_create(&u.thread, NULL, uploader_main, &u), 0);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
             " AND query LIKE '%s'",
             waiting);
    long long seen = wait_for_count(sql, 1, 120);
    int rc = itest_daemon_stop(120);
    pthread_join(u.thread, NULL);
    release_blocker(NULL);
    struct stored s = stored_of(c);
    fprintf(stderr,
            "SIGTERM while the upload waits in %s (seen: %lld): coupond exited %d; the upload "
            "answered %ld; lists %lld, coupons %lld, issued %lld, held out %lld, audit %lld\n",
            waiting, seen, rc, u.status, s.lists, s.coupons, s.issued, s.held, s.audits);
    assert_int_equal(seen, 1);
    assert_int_equal(rc, 0);
    assert_false(itest_daemon_sanitizer_report());
    assert_true(itest_daemon_log_has("cancelling 1 running issue"));
    /* Cancelled and rolled back whole: no list, no coupon, no held-out card, no audit entry
     * (the client sees 503, or nothing when coupond closed first). */
    assert_true(u.status == 503 || u.status == -1);
    assert_true(stored_nothing(s));
    /* The marketer uploads the same list again: recorded and issued once. */
    assert_int_equal(itest_daemon_start(NULL), 0);
    u.status = 0;
    uploader_main(&u);
    assert_int_equal(u.status, 201);
    assert_true(stored_complete(stored_of(c), SIGTERM_LIST));
    free(body);
}

/* Stopped while its coupons are to be copied (the COPY waits for the coupons table). */
static void sigterm_during_the_issue_of_an_upload_rolls_all_of_it_back(void **state)
{
    (void)state;
    sigterm_while_an_upload_waits("LOCK TABLE coupons IN SHARE MODE", "COPY coupons%");
}

/* Stopped at its last step, with its list claimed and its coupons issued but not committed (the
 * held-out cards wait). */
static void sigterm_before_an_upload_commits_rolls_all_of_it_back(void **state)
{
    (void)state;
    sigterm_while_an_upload_waits("LOCK TABLE recipient_holdout IN EXCLUSIVE MODE",
                                  "%recipients_finish%");
}

int main(void)
{
    static const char *const flags[] = {"--threads", "2", "--max-issues", "2", NULL};
    if (itest_daemon_start(flags) != 0)
        return 1;
    const char *only = getenv("COUPOND_TEST_FILTER"); /* e.g. "big_*" while working on one */
    if (only != NULL && *only != '\0')
        cmocka_set_test_filter(only);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(big_upload_leaves_every_worker_answering),
        cmocka_unit_test_teardown(upload_finding_every_slot_taken_is_refused_and_changes_nothing,
                                  release_lock_and_join),
        cmocka_unit_test_teardown(sigterm_during_the_issue_of_an_upload_rolls_all_of_it_back,
                                  release_blocker),
        cmocka_unit_test_teardown(sigterm_before_an_upload_commits_rolls_all_of_it_back,
                                  release_blocker),
    };
    int failed = cmocka_run_group_tests(tests, make_cards, free_cards);
    int rc = itest_daemon_stop(120);
    bool report = itest_daemon_sanitizer_report();
    fprintf(stderr, "coupond exited with %d%s\n", rc, report ? " and a sanitizer report" : "");
    if (failed == 0 && rc == 0 && !report)
        itest_daemon_remove_log();
    return failed != 0 || rc != 0 || report ? 1 : 0;
}
