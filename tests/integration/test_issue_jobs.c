/* Issues off the HTTP workers, against a coupond of the test's own (--threads 2
 * --max-issues 2, in a session of its own as a service runs): tills on every worker keep fast
 * answers during a big issue; a third concurrent issue is refused with 503 and leaves nothing;
 * an issue too big for the serial space left is refused before anything is written; SIGTERM
 * during an issue rolls it back, coupond exits 0, and the same Idempotency-Key then issues the
 * batch once. (The stalled export: test_export_stall.c.) */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "itest.h"
#include "itest_daemon.h"

#define TILLS        16  /* keep-alive till connections, spread over the 2 workers */
#define TILL_EVERY_S 0.1 /* each till checks a code every 100 ms (open loop) */
#define BASELINE_S   3.0 /* checks measured before the issue, for comparison */
/* The bound on the p99 of checks during the issue: 500 ms, or ten times the p99 before it
 * when the machine is so busy (other jobs) that even that is slow. A check held up by the
 * issue waits for all of it: seconds. */
#define P99_BOUND_MS       500.0
#define P99_BASELINE_TIMES 10.0

/* A big issue: a million coupons; fewer under the sanitizers (a few seconds there too). */
static int big_issue_count(void)
{
    const char *env = getenv("COUPOND_TEST_BIG_ISSUE");
    if (env != NULL && *env != '\0')
        return (int)strtol(env, NULL, 10);
#if defined(__SANITIZE_ADDRESS__)
    return 200000;
#else
    return 1000000;
#endif
}

static void sleep_s(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static char *id_text(long long id)
{
    static _Thread_local char buf[32];
    snprintf(buf, sizeof buf, "%lld", id);
    return buf;
}

/* ---------------------------------------------------------------- tills during a big issue */

struct sample {
    double scheduled, latency;
};

struct till {
    pthread_t thread;
    struct itest_client *client;
    const char *body;
    struct sample *samples;
    size_t n, cap;
    unsigned errors;
};

static atomic_bool tills_stop;
static pthread_barrier_t tills_ready;

/* Checks a code every TILL_EVERY_S on a schedule fixed in advance; a request is timed from
 * its scheduled moment, so a till held up by a blocked worker counts every check it could
 * not send (no coordinated omission). */
static void *till_main(void *arg)
{
    struct till *t = arg;
    if (itest_request(t->client, "POST", "/v1/checks", t->body, NULL, NULL) != 200)
        t->errors++;
    pthread_barrier_wait(&tills_ready);
    double next = itest_now_s();
    while (!atomic_load(&tills_stop)) {
        next += TILL_EVERY_S;
        sleep_s(next - itest_now_s());
        long status = itest_request(t->client, "POST", "/v1/checks", t->body, NULL, NULL);
        double done = itest_now_s();
        if (status != 200)
            t->errors++;
        if (t->n == t->cap) {
            t->cap = t->cap ? 2 * t->cap : 1024;
            t->samples = realloc(t->samples, t->cap * sizeof *t->samples);
            assert_non_null(t->samples);
        }
        t->samples[t->n++] = (struct sample){next, done - next};
    }
    return NULL;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct stats {
    size_t n;
    double p50, p99, max; /* ms */
};

/* The latencies of the checks scheduled within [FROM, TO] on all tills; with PER_TILL, each
 * till's slowest is printed too. */
static struct stats window(const struct till *tills, double from, double to, bool per_till)
{
    double *lat = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < TILLS; i++) {
        double worst = 0;
        for (size_t k = 0; k < tills[i].n; k++) {
            const struct sample *s = &tills[i].samples[k];
            if (s->scheduled < from || s->scheduled > to)
                continue;
            if (n == cap) {
                cap = cap ? 2 * cap : 4096;
                lat = realloc(lat, cap * sizeof *lat);
                assert_non_null(lat);
            }
            lat[n++] = s->latency * 1000.0;
            worst = s->latency * 1000.0 > worst ? s->latency * 1000.0 : worst;
        }
        if (per_till)
            fprintf(stderr, " %.0f", worst);
    }
    struct stats st = {n, 0, 0, 0};
    if (n > 0) {
        qsort(lat, n, sizeof *lat, by_value);
        st.p50 = lat[n / 2];
        st.p99 = lat[(size_t)((double)(n - 1) * 0.99)];
        st.max = lat[n - 1];
    }
    free(lat);
    return st;
}

static void big_issue_leaves_every_worker_answering(void **state)
{
    (void)state;
    long long small = itest_campaign(NULL), big = itest_campaign("{\"name\":\"big issue\"}");
    json_t *issued = itest_issue(small, 1, NULL);
    assert_non_null(issued);
    char body[160];
    snprintf(body, sizeof body, "{\"code\":\"%s\",\"basket_cents\":5000}", itest_code(issued, 0));
    struct till tills[TILLS];
    memset(tills, 0, sizeof tills);
    atomic_store(&tills_stop, false);
    pthread_barrier_init(&tills_ready, NULL, TILLS + 1);
    for (int i = 0; i < TILLS; i++) {
        tills[i].client = itest_client_new("terminal-1");
        tills[i].body = body;
        assert_int_equal(pthread_create(&tills[i].thread, NULL, till_main, &tills[i]), 0);
    }
    pthread_barrier_wait(&tills_ready);
    double base_from = itest_now_s() + 0.5;
    sleep_s(0.5 + BASELINE_S);
    int count = big_issue_count();
    char issue[64], path[96];
    snprintf(issue, sizeof issue, "{\"count\":%d}", count);
    snprintf(path, sizeof path, "/v1/campaigns/%lld/coupons", big);
    struct itest_client *m = itest_client_new("marketer");
    json_t *answer = NULL;
    double from = itest_now_s();
    long status = itest_request(m, "POST", path, issue, &answer, NULL);
    double to = itest_now_s();
    sleep_s(0.3);
    atomic_store(&tills_stop, true);
    unsigned errors = 0;
    for (int i = 0; i < TILLS; i++) {
        pthread_join(tills[i].thread, NULL);
        errors += tills[i].errors;
    }
    const char *dump = getenv("COUPOND_TEST_DUMP"); /* scheduled,latency,till per line */
    FILE *df = dump != NULL ? fopen(dump, "w") : NULL;
    for (int i = 0; df != NULL && i < TILLS; i++)
        for (size_t k = 0; k < tills[i].n; k++)
            fprintf(df, "%.3f %.1f %d\n", tills[i].samples[k].scheduled - from,
                    tills[i].samples[k].latency * 1000.0, i);
    if (df != NULL) {
        fprintf(df, "# issue %.3f %.3f\n", 0.0, to - from);
        fclose(df);
    }
    struct stats base = window(tills, base_from, base_from + BASELINE_S, false);
    fprintf(stderr, "issue of %d coupons: HTTP %ld in %.2f s; slowest check per till (ms):", count,
            status, to - from);
    struct stats during = window(tills, from, to, true);
    fprintf(stderr,
            "\nchecks before the issue: %zu, p50 %.1f ms, p99 %.1f ms, max %.1f ms\n"
            "checks during the issue: %zu, p50 %.1f ms, p99 %.1f ms, max %.1f ms; errors %u\n",
            base.n, base.p50, base.p99, base.max, during.n, during.p50, during.p99, during.max,
            errors);
    for (int i = 0; i < TILLS; i++) {
        free(tills[i].samples);
        itest_client_free(tills[i].client);
    }
    pthread_barrier_destroy(&tills_ready);
    assert_int_equal(status, 201);
    assert_int_equal(json_integer_value(json_object_get(answer, "issued")), count);
    assert_int_equal(itest_sql_number("SELECT issued FROM campaigns WHERE id = $1", id_text(big)),
                     count);
    assert_int_equal(errors, 0);
    assert_true(during.n >= TILLS);
    /* A till stuck behind the issue waits for all of it: on the old code the p99 was the
     * issue's own duration (15.3 s of a 15.6 s issue). The bound is the larger of a fixed
     * floor, a multiple of the p99 before the issue, and a quarter of the issue's duration, so
     * that a machine busy with other work (ASan at load 27: p99 942 ms of an 11.6 s issue)
     * does not fail a service that keeps answering, while a stalled worker always does. */
    double bound =
        base.p99 * P99_BASELINE_TIMES > P99_BOUND_MS ? base.p99 * P99_BASELINE_TIMES : P99_BOUND_MS;
    if ((to - from) * 1000.0 / 4 > bound)
        bound = (to - from) * 1000.0 / 4;
    fprintf(stderr, "bound on the p99 during the issue: %.0f ms\n", bound);
    assert_true(during.p99 < bound);
    json_decref(answer);
    json_decref(issued);
    itest_client_free(m);
}

/* ---------------------------------------------------------------- bounded concurrency */

struct issuer {
    pthread_t thread;
    long long campaign;
    int count;
    long status;
};

static void *issuer_main(void *arg)
{
    struct issuer *s = arg;
    char path[96], body[64];
    snprintf(path, sizeof path, "/v1/campaigns/%lld/coupons", s->campaign);
    snprintf(body, sizeof body, "{\"count\":%d}", s->count);
    struct itest_client *m = itest_client_new("marketer");
    s->status = itest_request(m, "POST", path, body, NULL, NULL);
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
        sleep_s(0.05);
        v = itest_sql_number(sql, NULL);
    }
    return v;
}

static long long batches_of(long long campaign)
{
    return itest_sql_number("SELECT count(*) FROM coupon_batches WHERE campaign_id = $1",
                            id_text(campaign));
}

static PGconn *lock;
static struct issuer a, b;
static bool a_started, b_started;

/* Releases the serial counter and waits for the two issues, also after a failed assertion. */
static int release_lock_and_join(void **state)
{
    (void)state;
    PQfinish(lock);
    lock = NULL;
    if (a_started)
        pthread_join(a.thread, NULL);
    if (b_started)
        pthread_join(b.thread, NULL);
    a_started = b_started = false;
    return 0;
}

static void third_concurrent_issue_is_refused_and_leaves_nothing(void **state)
{
    (void)state;
    a = (struct issuer){.campaign = itest_campaign(NULL), .count = 1000};
    b = (struct issuer){.campaign = itest_campaign(NULL), .count = 1000};
    long long c = itest_campaign(NULL);
    /* Hold the serial counter: both issues wait for it inside their transactions, holding
     * their slots for as long as the test wants. */
    lock = db_connect();
    db_exec(lock, "BEGIN");
    db_exec(lock, "SELECT next_serial FROM serial_counters WHERE kind = 'coupon' FOR UPDATE");
    a_started = pthread_create(&a.thread, NULL, issuer_main, &a) == 0;
    b_started = pthread_create(&b.thread, NULL, issuer_main, &b) == 0;
    assert_true(a_started && b_started);
    long long waiting =
        wait_for_count("SELECT count(*) FROM pg_stat_activity WHERE "
                       "wait_event_type = 'Lock' AND query LIKE '%coupon_issue_begin%'",
                       2, 30);
    assert_int_equal(waiting, 2);
    struct itest_client *m = itest_client_new("marketer");
    char path[96];
    snprintf(path, sizeof path, "/v1/campaigns/%lld/coupons", c);
    json_t *answer = NULL;
    double t0 = itest_now_s();
    long status = itest_request(m, "POST", path, "{\"count\":5}", &answer, NULL);
    double took = itest_now_s() - t0;
    const char *message = json_string_value(json_object_get(answer, "message"));
    fprintf(stderr, "third issue: HTTP %ld in %.3f s: %s\n", status, took, message ? message : "");
    assert_int_equal(status, 503);
    assert_string_equal(itest_error_code(answer), "unavailable");
    assert_non_null(message);
    assert_non_null(strstr(message, "2 issues are running already"));
    json_decref(answer);
    assert_int_equal(batches_of(c), 0);
    assert_int_equal(
        itest_sql_number("SELECT count(*) FROM coupons WHERE campaign_id = $1", id_text(c)), 0);
    release_lock_and_join(NULL);
    assert_int_equal(a.status, 201);
    assert_int_equal(b.status, 201);
    assert_int_equal(
        itest_sql_number("SELECT issued FROM campaigns WHERE id = $1", id_text(a.campaign)), 1000);
    /* The slots are free again. */
    assert_int_equal(itest_request(m, "POST", path, "{\"count\":5}", NULL, NULL), 201);
    assert_int_equal(batches_of(c), 1);
    itest_client_free(m);
}

/* ---------------------------------------------------------------- serial space */

#define SERIALS_END_AT 4294967196LL /* the test leaves 100 serials: ..196 to ..295 */

static long long saved_next_serial = -1;

/* Puts the serial counter back and removes what the test issued at the end of the space, so
 * the test database serves other tests (and this one again). */
static int restore_serial_counter(void **state)
{
    (void)state;
    PGconn *conn = PQconnectdb(getenv("COUPOND_DB"));
    char v[32];
    snprintf(v, sizeof v, "%lld", saved_next_serial);
    const char *params[] = {v};
    PGresult *r = saved_next_serial <= 0
                      ? NULL
                      : PQexecParams(conn,
                                     "UPDATE serial_counters SET next_serial = $1::bigint"
                                     " WHERE kind = 'coupon'",
                                     1, NULL, params, NULL, NULL, 0);
    PQclear(r);
    r = PQexec(conn, "DELETE FROM coupons WHERE serial >= 4294967196");
    PQclear(r);
    r = PQexec(conn, "DELETE FROM coupon_batches WHERE first_serial >= 4294967196");
    PQclear(r);
    r = PQexec(conn, "UPDATE serial_counters SET next_serial = (SELECT coalesce(max(serial), 0)"
                     " + 1 FROM coupons) WHERE kind = 'coupon' AND next_serial >= 4294967196");
    PQclear(r);
    PQfinish(conn);
    saved_next_serial = -1;
    return 0;
}

static void issue_beyond_the_serial_space_is_refused_before_anything_is_written(void **state)
{
    (void)state;
    long long campaign = itest_campaign(NULL);
    restore_serial_counter(NULL); /* what a crashed run may have left */
    saved_next_serial =
        itest_sql_number("SELECT next_serial FROM serial_counters WHERE kind = 'coupon'", NULL);
    assert_true(saved_next_serial > 0 && saved_next_serial < SERIALS_END_AT);
    PGconn *conn = db_connect();
    db_exec(conn, "UPDATE serial_counters SET next_serial = 4294967196 WHERE kind = 'coupon'");
    PQfinish(conn);
    struct itest_client *m = itest_client_new("marketer");
    char path[96];
    snprintf(path, sizeof path, "/v1/campaigns/%lld/coupons", campaign);
    const char *bodies[] = {"{\"count\":101}", "{\"count\":1000000}"};
    for (size_t i = 0; i < 2; i++) {
        json_t *answer = NULL;
        double t0 = itest_now_s();
        long status = itest_request(m, "POST", path, bodies[i], &answer, NULL);
        double took = itest_now_s() - t0;
        const char *message = json_string_value(json_object_get(answer, "message"));
        fprintf(stderr, "%s near the end: HTTP %ld in %.3f s: %s\n", bodies[i], status, took,
                message ? message : "");
        assert_int_equal(status, 503);
        assert_string_equal(itest_error_code(answer), "unavailable");
        assert_non_null(message);
        assert_non_null(strstr(message, "Only 100 serial numbers are left"));
        assert_non_null(strstr(message, "nothing was issued"));
        json_decref(answer);
    }
    assert_int_equal(
        itest_sql_number("SELECT next_serial FROM serial_counters WHERE kind = 'coupon'", NULL),
        4294967196LL);
    assert_int_equal(batches_of(campaign), 0);
    assert_int_equal(
        itest_sql_number("SELECT issued FROM campaigns WHERE id = $1", id_text(campaign)), 0);
    assert_int_equal(
        itest_sql_number("SELECT count(*) FROM coupons WHERE serial >= 4294967196", NULL), 0);
    /* Exactly as many as are left: the word filter skips some of them (about 2.4%), so this
     * runs out midway (unless all 100 happen to be clean) and rolls back whole. */
    json_t *answer = NULL;
    long status = itest_request(m, "POST", path, "{\"count\":100}", &answer, NULL);
    const char *message = json_string_value(json_object_get(answer, "message"));
    fprintf(stderr, "{\"count\":100} with 100 left: HTTP %ld: %s\n", status,
            message ? message : "");
    assert_true(status == 503 || status == 201);
    if (status == 503) {
        assert_non_null(strstr(message, "too few for 100 coupons"));
        assert_int_equal(batches_of(campaign), 0);
        assert_int_equal(
            itest_sql_number("SELECT next_serial FROM serial_counters WHERE kind = 'coupon'", NULL),
            4294967196LL);
    }
    json_decref(answer);
    if (status == 201) { /* all 100 were clean: the space is used up exactly */
        itest_client_free(m);
        return;
    }
    /* What fits is still issued, up to the last serial. */
    assert_int_equal(itest_request(m, "POST", path, "{\"count\":50}", NULL, NULL), 201);
    assert_int_equal(
        itest_sql_number("SELECT count(*) FROM coupons WHERE campaign_id = $1", id_text(campaign)),
        50);
    itest_client_free(m);
}

/* ---------------------------------------------------------------- shutdown during an issue */

struct keyed_issue {
    pthread_t thread;
    char path[96], body[64], key[96];
    long status;
};

/* POSTs K->body to K->path with the Idempotency-Key K->key (curl directly: itest_request
 * sends no extra headers); K->status gets the HTTP status, or -1 when no answer came. */
static void *keyed_issue_main(void *arg)
{
    struct keyed_issue *k = arg;
    char *ca = itest_source_path("certs/dev/ca.pem"),
         *cert = itest_source_path("certs/dev/marketer.pem"),
         *key = itest_source_path("certs/dev/marketer.key");
    char url[256], header[128];
    snprintf(url, sizeof url, "%s%s", itest_base_url(), k->path);
    snprintf(header, sizeof header, "Idempotency-Key: %s", k->key);
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, header);
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
    curl_easy_setopt(curl, CURLOPT_SSLCERT, cert);
    curl_easy_setopt(curl, CURLOPT_SSLKEY, key);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, k->body);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 300L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    FILE *sink = fopen("/dev/null", "w");
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, sink);
    k->status = -1;
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &k->status);
    if (sink != NULL)
        fclose(sink);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    free(ca);
    free(cert);
    free(key);
    return NULL;
}

static void sigterm_during_an_issue_rolls_it_back_and_exits_cleanly(void **state)
{
    (void)state;
    long long campaign = itest_campaign(NULL);
    int count = big_issue_count();
    struct keyed_issue k;
    memset(&k, 0, sizeof k);
    snprintf(k.path, sizeof k.path, "/v1/campaigns/%lld/coupons", campaign);
    snprintf(k.body, sizeof k.body, "{\"count\":%d}", count);
    snprintf(k.key, sizeof k.key, "sigterm-%lld-%d", campaign, (int)getpid());
    assert_int_equal(pthread_create(&k.thread, NULL, keyed_issue_main, &k), 0);
    /* SIGTERM while the rows stream in. */
    long long copying = wait_for_count("SELECT count(*) FROM pg_stat_activity WHERE state = "
                                       "'active' AND query LIKE 'COPY coupons%'",
                                       1, 120);
    int rc = itest_daemon_stop(120);
    pthread_join(k.thread, NULL);
    long long batches = batches_of(campaign);
    long long rows =
        itest_sql_number("SELECT count(*) FROM coupons WHERE campaign_id = $1", id_text(campaign));
    long long issued =
        itest_sql_number("SELECT issued FROM campaigns WHERE id = $1", id_text(campaign));
    fprintf(stderr,
            "SIGTERM during COPY (seen: %lld): coupond exited %d; the issue answered %ld; "
            "batches %lld, coupons %lld, issued %lld\n",
            copying, rc, k.status, batches, rows, issued);
    assert_int_equal(copying, 1);
    assert_int_equal(rc, 0);
    assert_false(itest_daemon_sanitizer_report());
    assert_true(itest_daemon_log_has("cancelling 1 running issue"));
    /* Rolled back whole, or (had it committed first) complete: never half-issued; a 503
     * means nothing was issued. */
    assert_true(k.status == 201 || k.status == 503 || k.status == -1);
    bool complete = batches == 1 && rows == count && issued == count;
    bool nothing = batches == 0 && rows == 0 && issued == 0;
    assert_true(k.status == 201 ? complete : k.status == 503 ? nothing : complete || nothing);
    /* The marketer sends it again with the same key: issued exactly once. */
    assert_int_equal(itest_daemon_start(NULL), 0);
    k.status = 0;
    keyed_issue_main(&k);
    assert_true(k.status == 201 || k.status == 200);
    assert_int_equal(batches_of(campaign), 1);
    assert_int_equal(
        itest_sql_number("SELECT count(*) FROM coupons WHERE campaign_id = $1", id_text(campaign)),
        count);
    assert_int_equal(
        itest_sql_number("SELECT issued FROM campaigns WHERE id = $1", id_text(campaign)), count);
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
        cmocka_unit_test(big_issue_leaves_every_worker_answering),
        cmocka_unit_test_teardown(third_concurrent_issue_is_refused_and_leaves_nothing,
                                  release_lock_and_join),
        cmocka_unit_test_teardown(
            issue_beyond_the_serial_space_is_refused_before_anything_is_written,
            restore_serial_counter),
        cmocka_unit_test(sigterm_during_an_issue_rolls_it_back_and_exits_cleanly),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    int rc = itest_daemon_stop(120);
    bool report = itest_daemon_sanitizer_report();
    fprintf(stderr, "coupond exited with %d%s\n", rc, report ? " and a sanitizer report" : "");
    if (failed == 0 && rc == 0 && !report)
        itest_daemon_remove_log();
    return failed != 0 || rc != 0 || report ? 1 : 0;
}
