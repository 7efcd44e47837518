/* SIGTERM drains: a coupond of the test's own (--drain-delay 1) serves six tills that redeem
 * as fast as they can over kept connections; it gets SIGTERM. /readyz answers 503 at once
 * while /livez still answers; coupond exits 0; and every redemption either was answered 201
 * and is in the database, or got no answer (or a 503) and is not: no acknowledged request is
 * lost, and no request that changed something goes unanswered. */
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

#include "coupon/code.h"
#include "itest.h"
#include "itest_daemon.h"

#define TILLS     6
#define CODES_PER 1000

struct attempt {
    char txn[48];
    long status;
    double at; /* seconds after SIGTERM (negative: before) */
};

struct till {
    pthread_t thread;
    int id;
    struct itest_client *client;
    char codes[CODES_PER][CPN_SHORT_LEN + 1];
    struct attempt tries[CODES_PER];
    size_t n;
};

static struct till tills[TILLS];
static atomic_bool stop;
static _Atomic double term_at; /* itest_now_s() of the SIGTERM; 0 before */

/* A till: redeems its coupons one after the other, a new txn_id each; it ends when told to, or
 * after three requests in a row found no coupond (it is gone). */
static void *till_main(void *arg)
{
    struct till *t = arg;
    int gone = 0;
    while (!atomic_load(&stop) && t->n < CODES_PER && gone < 3) {
        struct attempt *a = &t->tries[t->n];
        snprintf(a->txn, sizeof a->txn, "drain-%d-%d-%zu", (int)getpid(), t->id, t->n);
        a->status = itest_redeem(t->client, t->codes[t->n], 2000, a->txn, NULL, NULL);
        double term = atomic_load(&term_at);
        a->at = term > 0 ? itest_now_s() - term : -1;
        t->n++;
        gone = a->status == -1 ? gone + 1 : 0;
    }
    return NULL;
}

static void sigterm_under_load_loses_no_acknowledged_request(void **state)
{
    (void)state;
    long long campaign = itest_campaign("{\"name\": \"drain\"}");
    assert_true(campaign > 0);
    for (int i = 0; i < TILLS; i++) {
        json_t *issued = itest_issue(campaign, CODES_PER, NULL);
        assert_non_null(issued);
        for (size_t k = 0; k < CODES_PER; k++)
            snprintf(tills[i].codes[k], sizeof tills[i].codes[k], "%s", itest_code(issued, k));
        json_decref(issued);
        tills[i].id = i;
        tills[i].client = itest_client_new(i % 2 == 0 ? "terminal-1" : "terminal-2");
    }
    for (int i = 0; i < TILLS; i++)
        assert_int_equal(pthread_create(&tills[i].thread, NULL, till_main, &tills[i]), 0);
    struct timespec second = {1, 0};
    nanosleep(&second, NULL);

    atomic_store(&term_at, itest_now_s());
    assert_int_equal(kill(itest_daemon_pid(), SIGTERM), 0);
    /* Within the drain delay: not ready, still alive, still accepting connections. */
    struct itest_client *probe = itest_client_new(NULL);
    json_t *ready = NULL;
    long readyz = itest_request(probe, "GET", "/readyz", NULL, &ready, NULL);
    itest_client_free(probe);
    probe = itest_client_new(NULL);
    long livez = itest_request(probe, "GET", "/livez", NULL, NULL, NULL);
    itest_client_free(probe);
    fprintf(stderr, "after SIGTERM: /readyz %ld %s, /livez %ld\n", readyz,
            json_string_value(json_object_get(ready, "status")), livez);
    assert_int_equal(readyz, 503);
    assert_string_equal(json_string_value(json_object_get(ready, "status")), "draining");
    json_decref(ready);
    assert_int_equal(livez, 200);

    int rc = itest_daemon_wait(60);
    double stopped = itest_now_s() - atomic_load(&term_at);
    atomic_store(&stop, true);
    for (int i = 0; i < TILLS; i++)
        pthread_join(tills[i].thread, NULL);
    fprintf(stderr, "coupond exited %d, %.2f s after SIGTERM\n", rc, stopped);
    assert_int_equal(rc, 0);

    long acknowledged = 0, after_term = 0, unanswered = 0, refused = 0, ghost = 0;
    for (int i = 0; i < TILLS; i++) {
        for (size_t k = 0; k < tills[i].n; k++) {
            const struct attempt *a = &tills[i].tries[k];
            if (a->status == 201) {
                acknowledged++;
                after_term += a->at >= 0;
            } else if (a->status == -1 || a->status == 503) {
                unanswered += a->status == -1;
                refused += a->status == 503;
                if (itest_sql_number("SELECT count(*) FROM redemptions WHERE txn_id = $1",
                                     a->txn) != 0) {
                    ghost++;
                    fprintf(stderr,
                            "UNANSWERED: %s got %ld (%.3f s after SIGTERM) but was booked\n",
                            a->txn, a->status, a->at);
                }
            } else {
                fail_msg("%s answered %ld", a->txn, a->status);
            }
        }
        itest_client_free(tills[i].client);
    }
    /* A txn_id is booked once at most: the booked ones are the acknowledged ones that were
     * booked and the ghosts; every acknowledged one booked means these add up. */
    char prefix[48];
    snprintf(prefix, sizeof prefix, "drain-%d-%%", (int)getpid());
    long long booked =
        itest_sql_number("SELECT count(*) FROM redemptions WHERE txn_id LIKE $1", prefix);
    long lost = acknowledged - (long)(booked - ghost);
    fprintf(stderr,
            "%ld redemptions acknowledged (%ld after SIGTERM), %ld without an answer, %ld "
            "refused 503; %ld acknowledged but lost, %ld booked without an answer\n",
            acknowledged, after_term, unanswered, refused, lost, ghost);
    assert_int_equal(lost, 0);
    assert_int_equal(ghost, 0);
    assert_true(acknowledged > 0);
    assert_true(after_term > 0); /* requests kept being served while draining */
    assert_true(itest_daemon_log_has("drained: every request in flight finished"));
    assert_false(itest_daemon_sanitizer_report());
}

static int setup(void **state)
{
    (void)state;
    const char *extra[] = {"--drain-delay", "1", "--drain-timeout", "20", NULL};
    return itest_daemon_start(extra);
}

static int teardown(void **state)
{
    (void)state;
    if (itest_daemon_pid() != 0)
        (void)itest_daemon_stop(30);
    itest_daemon_remove_log();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sigterm_under_load_loses_no_acknowledged_request),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
