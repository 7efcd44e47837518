/* An issue's pacing (issue 10: a 10^6 issue must not slow the tills' redemptions), against a
 * coupond of the test's own (--issue-share 33): an issue stored in many pieces issues exactly
 * its count (one batch, distinct serials inside its range, the campaign's count, the first
 * and the last code redeemable), and a big issue pauses between its pieces while a till is
 * being served: its database session is seen idle inside its transaction, between two COPY
 * statements, most of the time, and the issue takes about three times as long as the same
 * issue with no till around (which nobody waits for, so it runs at full speed). The latency the
 * tills see is measured by tests/bench/issue_stall.sh. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "itest.h"
#include "itest_daemon.h"

#define PIECE 4096 /* as service/issue.c */
#define SHARE "33" /* --issue-share */

static char *id_text(long long id)
{
    static char buf[24];
    snprintf(buf, sizeof buf, "%lld", id);
    return buf;
}

static void an_issue_in_many_pieces_issues_exactly_its_count(void **state)
{
    (void)state;
    const int count = 3 * PIECE + 5;
    long long campaign = itest_campaign(NULL);
    assert_true(campaign > 0);
    json_t *issued = itest_issue(campaign, count, NULL);
    assert_non_null(issued);
    assert_int_equal(json_integer_value(json_object_get(issued, "issued")), count);
    json_decref(issued);
    const char *id = id_text(campaign);
    assert_int_equal(
        itest_sql_number("SELECT count(*) FROM coupon_batches WHERE campaign_id = $1", id), 1);
    assert_int_equal(itest_sql_number("SELECT count(*) FROM coupons WHERE campaign_id = $1", id),
                     count);
    assert_int_equal(
        itest_sql_number("SELECT count(DISTINCT serial) FROM coupons WHERE campaign_id = $1", id),
        count);
    assert_int_equal(itest_sql_number("SELECT count(*) FROM coupons c JOIN coupon_batches b ON"
                                      " b.id = c.batch_id WHERE c.campaign_id = $1 AND"
                                      " c.serial BETWEEN b.first_serial AND b.last_serial",
                                      id),
                     count);
    assert_int_equal(itest_sql_number("SELECT issued FROM campaigns WHERE id = $1", id), count);
    /* The first and the last coupon (of the first and the last piece), from the export, are
     * redeemable. */
    struct itest_client *m = itest_client_new("marketer");
    char path[96], *csv = NULL;
    snprintf(path, sizeof path, "/v1/campaigns/%lld/coupons.csv", campaign);
    assert_int_equal(itest_request(m, "GET", path, NULL, NULL, &csv), 200);
    itest_client_free(m);
    assert_non_null(csv);
    char first[64] = "", last[64] = "";
    int rows = 0;
    for (char *line = strchr(csv, '\n'); line != NULL && line[1] != '\0';
         line = strchr(line + 1, '\n')) {
        size_t n = strcspn(line + 1, ",\n");
        assert_true(n > 0 && n < sizeof last);
        memcpy(last, line + 1, n);
        last[n] = '\0';
        if (rows++ == 0)
            memcpy(first, last, n + 1);
    }
    free(csv);
    assert_int_equal(rows, count);
    struct itest_client *till = itest_client_new("terminal-1");
    char txn[64];
    snprintf(txn, sizeof txn, "pace-first-%lld", campaign);
    assert_int_equal(itest_redeem(till, first, 5000, txn, NULL, NULL), 201);
    snprintf(txn, sizeof txn, "pace-last-%lld", campaign);
    assert_int_equal(itest_redeem(till, last, 5000, txn, NULL, NULL), 201);
    itest_client_free(till);
}

struct issuer {
    long long campaign;
    int count;
    long status;
    pthread_t thread;
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

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A till asking GET /v1/whoami every 20 ms until told to stop: the traffic that makes an
 * issue pace itself. */
struct till {
    atomic_bool stop;
    long requests;
    pthread_t thread;
};

static void *till_main(void *arg)
{
    struct till *t = arg;
    struct itest_client *c = itest_client_new("terminal-1");
    while (!atomic_load(&t->stop)) {
        if (itest_request(c, "GET", "/v1/whoami", NULL, NULL, NULL) == 200)
            t->requests++;
        sleep_ms(20);
    }
    itest_client_free(c);
    return NULL;
}

/* Issues COUNT coupons of a new campaign (in a thread) and samples the issue's database
 * session until it has answered; *IDLE and *ACTIVE count the samples, and the issue's time
 * (seconds, request to answer) is returned. */
static double issue_and_watch(int count, long *active, long *idle)
{
    struct issuer s = {.campaign = itest_campaign(NULL), .count = count};
    assert_true(s.campaign > 0);
    PGconn *conn = PQconnectdb(getenv("COUPOND_DB"));
    assert_int_equal(PQstatus(conn), CONNECTION_OK);
    double t0 = itest_now_s();
    assert_int_equal(pthread_create(&s.thread, NULL, issuer_main, &s), 0);
    /* The issue's session while it stores coupons: its last statement is a COPY; "active"
     * while PostgreSQL stores a piece, "idle in transaction" while coupond works out the next
     * piece or pauses. Sampled every 2 ms until the issue has answered. */
    *active = 0, *idle = 0;
    double until = t0 + 300;
    while (itest_now_s() < until) {
        PGresult *r = PQexec(conn, "SELECT state FROM pg_stat_activity WHERE"
                                   " query LIKE 'COPY coupons%' AND state <> 'idle'");
        assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
        for (int i = 0; i < PQntuples(r); i++) {
            if (strcmp(PQgetvalue(r, i, 0), "active") == 0)
                (*active)++;
            else if (strcmp(PQgetvalue(r, i, 0), "idle in transaction") == 0)
                (*idle)++;
        }
        PQclear(r);
        if (itest_sql_number("SELECT issued FROM campaigns WHERE id = $1", id_text(s.campaign)) ==
            s.count)
            break;
        sleep_ms(2);
    }
    pthread_join(s.thread, NULL);
    double took = itest_now_s() - t0;
    PQfinish(conn);
    assert_int_equal(s.status, 201);
    assert_int_equal(itest_sql_number("SELECT count(*) FROM coupons WHERE campaign_id = $1",
                                      id_text(s.campaign)),
                     s.count);
    return took;
}

static void a_big_issue_paces_itself_only_while_tills_are_served(void **state)
{
    (void)state;
    const int count = 200000;
    long active0, idle0, active1, idle1;
    /* Nobody waits: full speed. The test before redeemed codes as a till: wait until that
     * is longer ago than the till window (ISSUE_TILL_WINDOW, 1 s), or the first pieces of
     * this issue pace (with redemptions in one statement that test ends soon enough for it:
     * "alone" 1.26 s, beside the till 1.85 s, once in a full run). */
    sleep_ms(1500);
    double alone = issue_and_watch(count, &active0, &idle0);
    /* A till is served meanwhile: the issue pauses between its pieces. */
    struct till t = {.requests = 0};
    atomic_init(&t.stop, false);
    assert_int_equal(pthread_create(&t.thread, NULL, till_main, &t), 0);
    sleep_ms(100);
    double with_till = issue_and_watch(count, &active1, &idle1);
    atomic_store(&t.stop, true);
    pthread_join(t.thread, NULL);
    fprintf(stderr,
            "issue of %d alone: %.2f s, its session seen storing %ld times, between pieces %ld"
            " times; with a till (%ld requests): %.2f s, storing %ld, between pieces %ld\n",
            count, alone, active0, idle0, t.requests, with_till, active1, idle1);
    assert_true(t.requests > 0);
    /* At a share of 33 % the session is idle at least two thirds of the time (pauses, and
     * coupond's own work between pieces); at full speed, one COPY, it is never seen idle. */
    assert_true(active1 + idle1 >= 20);
    assert_true((double)idle1 >= 0.5 * (double)(active1 + idle1));
    /* Alone it takes about a third of the time it takes beside a till (the same work). */
    assert_true(alone < 0.67 * with_till);
}

int main(void)
{
    static const char *const flags[] = {"--issue-share", SHARE, NULL};
    if (itest_daemon_start(flags) != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_issue_in_many_pieces_issues_exactly_its_count),
        cmocka_unit_test(a_big_issue_paces_itself_only_while_tills_are_served),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    int rc = itest_daemon_stop(120);
    bool report = itest_daemon_sanitizer_report();
    fprintf(stderr, "coupond exited with %d%s\n", rc, report ? " and a sanitizer report" : "");
    if (failed == 0 && rc == 0 && !report)
        itest_daemon_remove_log();
    return failed != 0 || rc != 0 || report ? 1 : 0;
}
