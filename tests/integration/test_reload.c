/* SIGHUP reloads without dropping a till: a coupond of the test's own (its own database, key
 * directory and server certificate files) serves four tills that check and redeem coupons over
 * kept connections at a steady pace; meanwhile the server certificate is replaced by a new
 * one, a signing key is added (coupond keygen) and coupond gets SIGHUP. Not one till request
 * fails and no till opens a second connection; a new connection sees the new certificate; a
 * coupon issued after the reload is signed with the new key id while the older ones still
 * redeem. Then a broken certificate file, and a key that does not match the certificate, are
 * refused on SIGHUP with a log line: the certificate in force stays, and /metrics counts the
 * failed reload. */
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "coupon/code.h"
#include "itest.h"
#include "itest_daemon.h"

#define TILLS         4
#define CODES_PER     400 /* redemptions a till can make; it checks on after that */
#define PACE_MS       5   /* between two requests of one till */
#define RELOAD_WAIT_S 20

static char tmp[64], db[64], conninfo[512], dev[512];

struct till {
    pthread_t thread;
    struct itest_client *client;
    char codes[CODES_PER][CPN_SHORT_LEN + 1];
    size_t ncodes, next;
    long requests, failures, connects, redeemed;
    char first_failure[256];
};

static struct till tills[TILLS];
static atomic_bool stop;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Counts one answer of T: EXPECT or a failure (remembering the first). */
static void tally(struct till *t, const char *what, long status, long expect)
{
    t->requests++;
    t->connects += itest_connects(t->client);
    if (status == expect)
        return;
    if (t->failures++ == 0)
        snprintf(t->first_failure, sizeof t->first_failure, "%s answered %ld (expected %ld)", what,
                 status, expect);
}

/* A till: a check of its next coupon, then its redemption, over one kept connection; checks
 * only once its coupons are used up. */
static void *till_main(void *arg)
{
    struct till *t = arg;
    unsigned n = 0;
    while (!atomic_load(&stop)) {
        const char *code = t->codes[t->next < t->ncodes ? t->next : 0];
        char body[160];
        snprintf(body, sizeof body, "{\"code\":\"%s\",\"basket_cents\":3000}", code);
        tally(t, "check", itest_request(t->client, "POST", "/v1/checks", body, NULL, NULL), 200);
        sleep_ms(PACE_MS);
        if (t->next < t->ncodes) {
            char txn[64];
            snprintf(txn, sizeof txn, "reload-%d-%p-%u", (int)getpid(), (void *)t, n++);
            tally(t, "redemption", itest_redeem(t->client, code, 3000, txn, NULL, NULL), 201);
            t->redeemed++;
            t->next++;
            sleep_ms(PACE_MS);
        }
    }
    return NULL;
}

/* Waits until coupond's log holds NEEDLE. */
static bool log_shows(const char *needle)
{
    for (int i = 0; i < RELOAD_WAIT_S * 10; i++) {
        if (itest_daemon_log_has(needle))
            return true;
        sleep_ms(100);
    }
    return false;
}

/* Counts the lines of coupond's log holding NEEDLE, via grep. */
static int log_count(const char *needle)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "exit $(grep -cF '%s' \"$COUPOND_RELOAD_LOG\")", needle);
    return itest_sh(cmd);
}

/* Exit status 0 when a new TLS connection to coupond shows the certificate in PEM. */
static int new_connection_shows(const char *pem)
{
    char cmd[2048];
    const char *url = itest_base_url() + strlen("https://");
    snprintf(cmd, sizeof cmd,
             "seen=$(openssl s_client -connect '%s' -CAfile '%s/ca.pem' </dev/null 2>/dev/null "
             "| openssl x509 -noout -serial) && want=$(openssl x509 -in '%s' -noout -serial) "
             "&& echo \"new connection: $seen, wanted $want\" >&2 && [ \"$seen\" = \"$want\" ]",
             url, dev, pem);
    return itest_sh(cmd);
}

/* Replaces FILE in the test's directory atomically with the bytes of FROM (a rename). */
static void put_file(const char *from, const char *file)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s/%s.new' && mv -f '%s/%s.new' '%s/%s'", from, tmp, file,
             tmp, file, tmp, file);
    assert_int_equal(itest_sh(cmd), 0);
}

/* The value of the /metrics sample whose line starts with LINE_PREFIX, or -1. */
static long metric(const char *line_prefix)
{
    struct itest_client *admin = itest_client_new("admin");
    char *raw = NULL;
    assert_int_equal(itest_request(admin, "GET", "/metrics", NULL, NULL, &raw), 200);
    itest_client_free(admin);
    char needle[256];
    snprintf(needle, sizeof needle, "\n%s", line_prefix);
    const char *p = strstr(raw, needle);
    long v = p != NULL ? strtol(p + strlen(needle), NULL, 10) : -1;
    free(raw);
    return v;
}

static void start_tills(void)
{
    long long campaign = itest_campaign("{\"name\": \"reload\"}");
    assert_true(campaign > 0);
    for (int i = 0; i < TILLS; i++) {
        json_t *issued = itest_issue(campaign, CODES_PER, NULL);
        assert_non_null(issued);
        for (size_t k = 0; k < CODES_PER; k++)
            snprintf(tills[i].codes[k], sizeof tills[i].codes[k], "%s", itest_code(issued, k));
        tills[i].ncodes = CODES_PER;
        json_decref(issued);
        tills[i].client = itest_client_new(i % 2 == 0 ? "terminal-1" : "terminal-2");
        assert_int_equal(pthread_create(&tills[i].thread, NULL, till_main, &tills[i]), 0);
    }
}

static void stop_tills(long *requests, long *failures)
{
    atomic_store(&stop, true);
    *requests = *failures = 0;
    for (int i = 0; i < TILLS; i++) {
        pthread_join(tills[i].thread, NULL);
        fprintf(stderr,
                "till %d: %ld requests (%ld redemptions), %ld failed%s%s, %ld connection(s)\n", i,
                tills[i].requests, tills[i].redeemed, tills[i].failures,
                tills[i].failures > 0 ? ": first " : "", tills[i].first_failure, tills[i].connects);
        *requests += tills[i].requests;
        *failures += tills[i].failures;
        assert_int_equal(tills[i].connects, 1); /* the kept connection was never dropped */
        itest_client_free(tills[i].client);
    }
}

/* The signing key id of a coupon issued now. */
static unsigned new_coupon_key(void)
{
    long long campaign = itest_campaign("{\"name\": \"after reload\"}");
    json_t *issued = itest_issue(campaign, 1, NULL);
    assert_non_null(issued);
    const char *signed_form = json_string_value(
        json_object_get(json_array_get(json_object_get(issued, "coupons"), 0), "signed"));
    assert_non_null(signed_form);
    struct cpn_code code;
    assert_int_equal(cpn_code_parse(signed_form, strlen(signed_form), &code), CPN_OK);
    json_decref(issued);
    return code.sign_key_id;
}

static void reload_under_load_drops_nothing_and_refuses_broken_files(void **state)
{
    (void)state;
    char old_pem[256], new_pem[256], cmd[2048];
    snprintf(old_pem, sizeof old_pem, "%s/server.pem", tmp);
    snprintf(new_pem, sizeof new_pem, "%s/new/reload-server.pem", tmp);
    assert_int_equal(new_connection_shows(old_pem), 0);
    assert_int_equal(new_coupon_key(), 1);
    start_tills();
    sleep_ms(1000);

    /* A new server certificate (the same CA), and a second signing key. */
    snprintf(cmd, sizeof cmd,
             "'%s/certs/coupond-pki' server '%s' reload-server --dns localhost --ip 127.0.0.1 "
             "--out '%s/new' --force >/dev/null && '%s/coupond' keygen --keys '%s/keys' >/dev/null",
             getenv("COUPOND_SOURCE_DIR"), dev, tmp, getenv("COUPOND_BUILD_DIR"), tmp);
    assert_int_equal(itest_sh(cmd), 0);
    char new_key[256];
    snprintf(new_key, sizeof new_key, "%s/new/reload-server.key", tmp);
    put_file(new_key, "server.key"); /* a moment of mismatch, as an operator's copy has */
    put_file(new_pem, "server.pem");
    kill(itest_daemon_pid(), SIGHUP);
    assert_true(log_shows("reload done"));
    sleep_ms(1000); /* the tills go on over their kept connections */
    assert_int_equal(new_connection_shows(new_pem), 0);
    assert_int_equal(new_coupon_key(), 2);
    assert_int_equal(metric("coupond_signing_key_id "), 2);
    assert_int_equal(metric("coupond_key_info{id=\"1\",state=\"verifying\"} "), 1);

    /* A broken certificate file: refused, the new certificate stays in force. */
    snprintf(cmd, sizeof cmd, "printf 'not a certificate\\n' >'%s/broken.pem'", tmp);
    assert_int_equal(itest_sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/broken.pem", tmp);
    put_file(cmd, "server.pem");
    kill(itest_daemon_pid(), SIGHUP);
    assert_true(log_shows("reload refused"));
    assert_int_equal(log_count("the server certificate is refused"), 1);
    assert_int_equal(new_connection_shows(new_pem), 0);
    assert_int_equal(metric("coupond_config_last_reload_successful "), 0);

    /* A certificate whose key is another one (the old key beside the new certificate). */
    put_file(new_pem, "server.pem");
    snprintf(cmd, sizeof cmd, "%s/old.key", tmp);
    put_file(cmd, "server.key");
    kill(itest_daemon_pid(), SIGHUP);
    for (int i = 0; i < RELOAD_WAIT_S * 10 && log_count("does not belong to the certificate") < 1;
         i++)
        sleep_ms(100);
    assert_int_equal(log_count("does not belong to the certificate"), 1);
    assert_int_equal(new_connection_shows(new_pem), 0);
    assert_int_equal(metric("coupond_reloads_total{result=\"ok\"} "), 1);
    assert_int_equal(metric("coupond_reloads_total{result=\"failed\"} "), 2);
    sleep_ms(300);

    long requests, failures;
    stop_tills(&requests, &failures);
    fprintf(stderr, "%ld till requests across three reloads, %ld failed\n", requests, failures);
    assert_int_equal(failures, 0);
    assert_true(requests > 200);
    /* Every coupon redeemed before and after the reload is in the database once. */
    long long redeemed = 0;
    for (int i = 0; i < TILLS; i++)
        redeemed += tills[i].redeemed;
    assert_int_equal(itest_sql_number("SELECT count(*) FROM redemptions", NULL), redeemed);
    assert_int_equal(itest_daemon_stop(30), 0);
    assert_false(itest_daemon_sanitizer_report());
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof tmp, "/tmp/coupond-reload-XXXXXX");
    if (mkdtemp(tmp) == NULL)
        return -1;
    const char *src = getenv("COUPOND_SOURCE_DIR"), *build = getenv("COUPOND_BUILD_DIR");
    const char *base = getenv("COUPOND_DB");
    if (src == NULL || build == NULL || base == NULL)
        return -1;
    snprintf(dev, sizeof dev, "%s/certs/dev", src);
    snprintf(db, sizeof db, "coupond_reload_%d", (int)getpid());
    /* A database of its own: the key it adds is activated there, never in the shared one. */
    snprintf(conninfo, sizeof conninfo, "%s dbname=%s", base, db);
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "PGOPTIONS='-c client_min_messages=warning' psql \"$COUPOND_DB\" -qAtc 'DROP DATABASE "
             "IF EXISTS %s' -c 'CREATE DATABASE %s' && "
             "'%s/coupond' migrate --db '%s' --sql '%s/sql' >/dev/null 2>&1 && "
             "cp '%s/server.pem' '%s/server.pem' && cp '%s/server.key' '%s/server.key' && "
             "cp '%s/server.key' '%s/old.key' && chmod 600 '%s/server.key' '%s/old.key' && "
             "'%s/coupond' keygen --keys '%s/keys' >/dev/null",
             db, db, build, conninfo, src, dev, tmp, dev, tmp, dev, tmp, tmp, tmp, build, tmp);
    if (itest_sh(cmd) != 0)
        return -1;
    setenv("COUPOND_DB", conninfo, 1);
    char cert[256], key[256], keys[256];
    snprintf(cert, sizeof cert, "%s/server.pem", tmp);
    snprintf(key, sizeof key, "%s/server.key", tmp);
    snprintf(keys, sizeof keys, "%s/keys", tmp);
    const char *extra[] = {"--cert", cert, "--key", key, "--keys", keys, NULL};
    if (itest_daemon_start(extra) != 0)
        return -1;
    char logfile[64];
    snprintf(logfile, sizeof logfile, "/proc/%d/fd/2", (int)itest_daemon_pid());
    setenv("COUPOND_RELOAD_LOG", logfile, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (itest_daemon_pid() != 0)
        (void)itest_daemon_stop(30);
    itest_daemon_remove_log();
    const char *base = getenv("COUPOND_DB");
    char cmd[1024];
    /* COUPOND_DB names the test's database now: drop it from the maintenance database. */
    snprintf(cmd, sizeof cmd,
             "psql \"%s dbname=postgres\" -qAtc 'DROP DATABASE IF EXISTS %s WITH (FORCE)' && "
             "rm -rf '%s'",
             base != NULL ? base : "", db, tmp);
    (void)itest_sh(cmd);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reload_under_load_drops_nothing_and_refuses_broken_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
