/* SIGTERM stops coupond while a background thread waits in a statement: a coupond of the
 * test's own has its outbox publisher wait for the row lock of event_counter (held here, as
 * another instance's publisher holds it while it publishes a backlog); coupond exits 0 within
 * seconds, not when the lock goes (on the code that joined the thread without cancelling its
 * statement it waited for the lock: killed after the test's bound), and the event it was to
 * publish is not lost: the restarted coupond publishes it. On a database of its own, so that
 * no other coupond's publisher (the suite's, which may be publishing another test's backlog)
 * holds the lock or fills the queue it counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "itest.h"
#include "itest_daemon.h"
#include "itest_tills.h"

#define STOP_BOUND_S 15 /* coupond must have exited by then (a loaded machine included) */

static PGconn *holder; /* holds the row lock of event_counter */

static void exec_ok(PGconn *conn, const char *sql)
{
    PGresult *r = PQexec(conn, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fprintf(stderr, "%s: %s", sql, PQerrorMessage(conn));
    assert_true(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
    PQclear(r);
}

static int release_holder(void **state)
{
    (void)state;
    PQfinish(holder);
    holder = NULL;
    return 0;
}

/* 1 once every connection that last ran events_publish waits for a lock (the publisher of
 * this test's coupond; the database is the test's own), else 0. */
#define ALL_PUBLISHERS_WAIT                                                                        \
    "SELECT (count(*) >= 1 AND count(*) = count(*) FILTER (WHERE wait_event_type = 'Lock'))"       \
    "::int FROM pg_stat_activity WHERE query LIKE '%events_publish(%' AND pid <> "                 \
    "pg_backend_pid() AND datname = current_database()"

static void sigterm_while_the_publisher_waits_for_a_lock_stops_at_once(void **state)
{
    (void)state;
    holder = PQconnectdb(getenv("COUPOND_DB"));
    assert_int_equal(PQstatus(holder), CONNECTION_OK);
    exec_ok(holder, "BEGIN");
    exec_ok(holder, "SELECT last_id FROM event_counter FOR UPDATE");
    /* Something to publish: the publishers find the queue not empty and wait for the lock. */
    long long c = itest_campaign("{\"name\":\"published after the stop\"}");
    assert_true(c > 0);
    double until = itest_now_s() + 30;
    long long waiting = itest_sql_number(ALL_PUBLISHERS_WAIT, NULL);
    while (waiting != 1 && itest_now_s() < until) {
        itest_sleep_s(0.05);
        waiting = itest_sql_number(ALL_PUBLISHERS_WAIT, NULL);
    }
    assert_int_equal(waiting, 1);
    double t0 = itest_now_s();
    int rc = itest_daemon_stop(STOP_BOUND_S);
    double took = itest_now_s() - t0;
    fprintf(stderr, "coupond exited %d %.2f s after SIGTERM, its publisher waiting for a lock\n",
            rc, took);
    assert_int_equal(rc, 0);
    assert_true(itest_daemon_log_has("outbox publisher: cancelling its database statement"));
    assert_false(itest_daemon_sanitizer_report());
    release_holder(NULL);
    /* Nothing lost: the cancelled publish rolled back; the restarted coupond publishes it. */
    assert_int_equal(itest_daemon_start(NULL), 0);
    until = itest_now_s() + 30;
    long long queued = itest_sql_number("SELECT count(*) FROM event_queue", NULL);
    while (queued != 0 && itest_now_s() < until) {
        itest_sleep_s(0.05);
        queued = itest_sql_number("SELECT count(*) FROM event_queue", NULL);
    }
    assert_int_equal(queued, 0);
    char id[32];
    snprintf(id, sizeof id, "%lld", c);
    assert_int_equal(itest_sql_number("SELECT count(*) FROM events WHERE type = "
                                      "'campaign.created' AND campaign_id = $1",
                                      id),
                     1);
}

static char db[64], base[1024];

/* A new database of the test's own, migrated; COUPOND_DB names it from here on. */
static int own_database(void)
{
    const char *build = getenv("COUPOND_BUILD_DIR"), *src = getenv("COUPOND_SOURCE_DIR");
    const char *info = getenv("COUPOND_DB");
    if (build == NULL || src == NULL || info == NULL)
        return -1;
    snprintf(base, sizeof base, "%s", info);
    snprintf(db, sizeof db, "coupond_stop_bg_%d", (int)getpid());
    char conninfo[1200], cmd[4096];
    snprintf(conninfo, sizeof conninfo, "%s dbname=%s", base, db);
    snprintf(cmd, sizeof cmd,
             "PGOPTIONS='-c client_min_messages=warning' psql \"$COUPOND_DB\" -qAtc 'DROP DATABASE "
             "IF EXISTS %s' -c 'CREATE DATABASE %s' && "
             "'%s/coupond' migrate --db '%s' --sql '%s/sql' >/dev/null 2>&1",
             db, db, build, conninfo, src);
    if (itest_sh(cmd) != 0)
        return -1;
    setenv("COUPOND_DB", conninfo, 1);
    return 0;
}

static void drop_own_database(void)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "psql \"%s dbname=postgres\" -qAtc 'DROP DATABASE IF EXISTS %s WITH (FORCE)'", base,
             db);
    (void)itest_sh(cmd);
}

int main(void)
{
    if (own_database() != 0) {
        fprintf(stderr, "test_stop_background: could not make a database of its own\n");
        return 1;
    }
    if (itest_daemon_start(NULL) != 0) {
        drop_own_database();
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(sigterm_while_the_publisher_waits_for_a_lock_stops_at_once,
                                  release_holder),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    int rc = itest_daemon_stop(120);
    bool report = itest_daemon_sanitizer_report();
    fprintf(stderr, "coupond exited with %d%s\n", rc, report ? " and a sanitizer report" : "");
    if (failed == 0 && rc == 0 && !report)
        itest_daemon_remove_log();
    drop_own_database();
    return failed != 0 || rc != 0 || report ? 1 : 0;
}
