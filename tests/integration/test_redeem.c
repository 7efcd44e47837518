/* Redemption at the till against a running coupond and PostgreSQL: exactly once under
 * races, idempotent replays, limits, every refusal with its machine code, voids, and a
 * report that equals a recount of the raw rows. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "coupon/code.h"
#include "coupon/keys.h"
#include "itest.h"

#define RACERS 64

/* A txn id unique to this run (the test database outlives runs). */
static const char *uniq(const char *base)
{
    static char buf[8][64];
    static int next;
    char *b = buf[next++ % 8];
    snprintf(b, 64, "%s-%d", base, (int)getpid());
    return b;
}
#define RACE_CODES 200

static void expect_refusal(struct itest_client *c, const char *code, long basket, long status,
                           const char *machine)
{
    json_t *a = NULL;
    char txn[64];
    snprintf(txn, sizeof txn, "refuse-%d-%ld", (int)getpid(), random());
    long got = itest_redeem(c, code, basket, txn, NULL, &a);
    if (got != status || strcmp(itest_error_code(a), machine) != 0)
        fprintf(stderr, "expected %ld %s, got %ld %s\n", status, machine, got, itest_error_code(a));
    assert_int_equal(got, status);
    assert_string_equal(itest_error_code(a), machine);
    assert_non_null(json_string_value(json_object_get(a, "message")));
    json_decref(a);
}

/* --- the race: RACERS terminals redeem each of RACE_CODES codes at once --- */

struct race {
    json_t *issued;
    pthread_barrier_t barrier;
    long success[RACE_CODES];
    long already, server_errors, other;
    pthread_mutex_t lock;
};

struct racer {
    struct race *race;
    int id;
};

static void *race_thread(void *arg)
{
    struct racer *me = arg;
    struct race *race = me->race;
    struct itest_client *c = itest_client_new(me->id % 2 ? "terminal-1" : "terminal-2");
    for (int k = 0; k < RACE_CODES; k++) {
        char txn[64];
        snprintf(txn, sizeof txn, "race-%d-%d-%d", (int)getpid(), k, me->id);
        pthread_barrier_wait(&race->barrier);
        json_t *a = NULL;
        long status = itest_redeem(c, itest_code(race->issued, (size_t)k), 5000, txn, NULL, &a);
        pthread_mutex_lock(&race->lock);
        if (status == 201)
            race->success[k]++;
        else if (status == 409 && strcmp(itest_error_code(a), "already_redeemed") == 0)
            race->already++;
        else if (status >= 500 || status < 0)
            race->server_errors++;
        else
            race->other++;
        pthread_mutex_unlock(&race->lock);
        json_decref(a);
    }
    itest_client_free(c);
    return NULL;
}

static void race_64_terminals_x_200_codes_exactly_one_success_each(void **state)
{
    (void)state;
    long long campaign = itest_campaign("{\"name\":\"race\"}");
    assert_true(campaign > 0);
    struct race race = {.issued = itest_issue(campaign, RACE_CODES, NULL)};
    assert_non_null(race.issued);
    pthread_barrier_init(&race.barrier, NULL, RACERS);
    pthread_mutex_init(&race.lock, NULL);
    pthread_t threads[RACERS];
    struct racer racers[RACERS];
    for (int i = 0; i < RACERS; i++) {
        racers[i] = (struct racer){&race, i};
        assert_int_equal(pthread_create(&threads[i], NULL, race_thread, &racers[i]), 0);
    }
    for (int i = 0; i < RACERS; i++)
        pthread_join(threads[i], NULL);
    long total = 0;
    for (int k = 0; k < RACE_CODES; k++) {
        if (race.success[k] != 1)
            fprintf(stderr, "code %d: %ld successes\n", k, race.success[k]);
        assert_int_equal(race.success[k], 1);
        total += race.success[k];
    }
    fprintf(stderr, "race: %ld successes, %ld already_redeemed, %ld 5xx, %ld other\n", total,
            race.already, race.server_errors, race.other);
    assert_int_equal(total, RACE_CODES);
    assert_int_equal(race.already, (long)RACE_CODES * (RACERS - 1));
    assert_int_equal(race.server_errors, 0);
    assert_int_equal(race.other, 0);

    /* The report equals a recount of the raw rows. */
    char path[128], id[32];
    snprintf(path, sizeof path, "/v1/campaigns/%lld/report", campaign);
    snprintf(id, sizeof id, "%lld", campaign);
    struct itest_client *m = itest_client_new("marketer");
    json_t *report = NULL;
    assert_int_equal(itest_request(m, "GET", path, NULL, &report, NULL), 200);
    long long rows =
        itest_sql_number("SELECT count(*) FROM redemptions WHERE campaign_id = $1", id);
    long long revenue =
        itest_sql_number("SELECT sum(basket_cents) FROM redemptions WHERE campaign_id = $1", id);
    long long discount =
        itest_sql_number("SELECT sum(discount_cents) FROM redemptions WHERE campaign_id = $1", id);
    assert_int_equal(rows, RACE_CODES);
    assert_int_equal(json_integer_value(json_object_get(report, "redeemed")), rows);
    assert_int_equal(json_integer_value(json_object_get(report, "issued")), RACE_CODES);
    assert_int_equal(json_integer_value(json_object_get(report, "revenue_cents")), revenue);
    assert_int_equal(json_integer_value(json_object_get(report, "discount_cents")), discount);
    assert_int_equal(discount, RACE_CODES * 500);
    json_t *by_store = json_object_get(report, "by_store");
    long long store_sum = 0;
    for (size_t i = 0; i < json_array_size(by_store); i++)
        store_sum += json_integer_value(json_object_get(json_array_get(by_store, i), "redeemed"));
    assert_int_equal(store_sum, rows);
    json_decref(report);
    itest_client_free(m);
    json_decref(race.issued);
    pthread_barrier_destroy(&race.barrier);
    pthread_mutex_destroy(&race.lock);
}

/* --- replays --- */

static void redeem_same_txn_same_body_replays_first_answer(void **state)
{
    (void)state;
    long long campaign = itest_campaign(NULL);
    json_t *issued = itest_issue(campaign, 1, NULL);
    assert_non_null(issued);
    struct itest_client *t = itest_client_new("terminal-1");
    char txn[64];
    snprintf(txn, sizeof txn, "replay-%d", (int)getpid());
    char *first = NULL;
    for (int i = 0; i < 10; i++) {
        json_t *a = NULL;
        long status = itest_redeem(t, itest_code(issued, 0), 1234, txn, NULL, &a);
        assert_int_equal(status, i == 0 ? 201 : 200);
        char *text = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
        if (first == NULL)
            first = text;
        else {
            assert_string_equal(text, first);
            free(text);
        }
        json_decref(a);
    }
    free(first);
    assert_int_equal(itest_sql_number("SELECT count(*) FROM redemptions WHERE txn_id = $1", txn),
                     1);
    /* The same txn_id with another body is a conflict. */
    json_t *a = NULL;
    assert_int_equal(itest_redeem(t, itest_code(issued, 0), 9999, txn, NULL, &a), 409);
    assert_string_equal(itest_error_code(a), "conflict");
    json_decref(a);
    /* Another txn for the same code: already redeemed, with when and where. */
    snprintf(txn, sizeof txn, "replay2-%d", (int)getpid());
    assert_int_equal(itest_redeem(t, itest_code(issued, 0), 1234, txn, NULL, &a), 409);
    assert_string_equal(itest_error_code(a), "already_redeemed");
    assert_non_null(json_string_value(json_object_get(a, "redeemed_at")));
    assert_int_equal(json_integer_value(json_object_get(a, "store")), 1);
    json_decref(a);
    itest_client_free(t);
    json_decref(issued);
}

/* --- limits: a generic code and a campaign cap under concurrency --- */

struct limit_run {
    const char *codes[RACERS];
    pthread_barrier_t barrier;
    long success, refused_ok, bad;
    const char *expect_code;
    pthread_mutex_t lock;
};

struct limit_racer {
    struct limit_run *run;
    int id;
};

static void *limit_thread(void *arg)
{
    struct limit_racer *me = arg;
    struct itest_client *c = itest_client_new("terminal-1");
    char txn[64];
    snprintf(txn, sizeof txn, "limit-%d-%s-%d", (int)getpid(), me->run->expect_code, me->id);
    pthread_barrier_wait(&me->run->barrier);
    json_t *a = NULL;
    long status = itest_redeem(c, me->run->codes[me->id], 5000, txn, NULL, &a);
    pthread_mutex_lock(&me->run->lock);
    if (status == 201)
        me->run->success++;
    else if (status == 409 && strcmp(itest_error_code(a), me->run->expect_code) == 0)
        me->run->refused_ok++;
    else
        me->run->bad++;
    pthread_mutex_unlock(&me->run->lock);
    json_decref(a);
    itest_client_free(c);
    return NULL;
}

static void run_limit(struct limit_run *run, long want_success)
{
    pthread_barrier_init(&run->barrier, NULL, RACERS);
    pthread_mutex_init(&run->lock, NULL);
    pthread_t threads[RACERS];
    struct limit_racer racers[RACERS];
    for (int i = 0; i < RACERS; i++) {
        racers[i] = (struct limit_racer){run, i};
        assert_int_equal(pthread_create(&threads[i], NULL, limit_thread, &racers[i]), 0);
    }
    for (int i = 0; i < RACERS; i++)
        pthread_join(threads[i], NULL);
    fprintf(stderr, "limit: %ld successes, %ld %s, %ld other\n", run->success, run->refused_ok,
            run->expect_code, run->bad);
    assert_int_equal(run->success, want_success);
    assert_int_equal(run->refused_ok, RACERS - want_success);
    assert_int_equal(run->bad, 0);
    pthread_barrier_destroy(&run->barrier);
    pthread_mutex_destroy(&run->lock);
}

static void generic_code_with_10_uses_redeems_exactly_10_times_under_64_racers(void **state)
{
    (void)state;
    long long campaign = itest_campaign("{\"channel\":\"poster\"}");
    json_t *issued = itest_issue(campaign, 1, "{\"uses\":10}");
    assert_non_null(issued);
    struct limit_run run = {.expect_code = "already_redeemed"};
    for (int i = 0; i < RACERS; i++)
        run.codes[i] = itest_code(issued, 0);
    run_limit(&run, 10);
    json_decref(issued);
}

static void campaign_max_redemptions_5_holds_under_64_racers(void **state)
{
    (void)state;
    long long campaign = itest_campaign("{\"max_redemptions\":5}");
    json_t *issued = itest_issue(campaign, RACERS, NULL);
    assert_non_null(issued);
    struct limit_run run = {.expect_code = "campaign_exhausted"};
    for (int i = 0; i < RACERS; i++)
        run.codes[i] = itest_code(issued, (size_t)i);
    run_limit(&run, 5);
    json_decref(issued);
}

/* --- refusals --- */

static void refusals_carry_their_machine_codes(void **state)
{
    (void)state;
    struct itest_client *t = itest_client_new("terminal-1");
    long long other_store = itest_campaign("{\"stores\":[2]}");
    long long future = itest_campaign("{\"starts_at\":\"2098-01-01T00:00:00Z\"}");
    long long past = itest_campaign(
        "{\"starts_at\":\"2020-01-01T00:00:00Z\",\"ends_at\":\"2021-01-01T00:00:00Z\"}");
    long long minimum =
        itest_campaign("{\"offer\":{\"kind\":\"amount\",\"value\":500,\"min_basket_cents\":2000}}");
    json_t *a = itest_issue(other_store, 1, NULL), *b = itest_issue(future, 1, NULL),
           *c = itest_issue(past, 1, NULL), *d = itest_issue(minimum, 1, NULL);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_non_null(d);
    expect_refusal(t, itest_code(a, 0), 5000, 422, "wrong_store");
    expect_refusal(t, itest_code(b, 0), 5000, 422, "not_started");
    expect_refusal(t, itest_code(c, 0), 5000, 422, "expired");
    expect_refusal(t, itest_code(d, 0), 1999, 422, "below_minimum");
    /* Amount offers are capped at the basket: 500 off a basket of 2000. */
    json_t *ans = NULL;
    assert_int_equal(itest_redeem(t, itest_code(d, 0), 2000, uniq("min-ok-1"), NULL, &ans), 201);
    assert_int_equal(json_integer_value(json_object_get(ans, "discount_cents")), 500);
    json_decref(ans);
    expect_refusal(t, "not a code at all", 100, 400, "malformed_code");
    /* One symbol changed: the check symbol catches it (a typo). */
    char typo[32];
    snprintf(typo, sizeof typo, "%s", itest_code(a, 0));
    typo[5] = typo[5] == 'A' ? 'B' : 'A';
    expect_refusal(t, typo, 100, 400, "malformed_code");
    /* A well-formed code made with a key that is not ours: forged, no database needed. */
    struct cpn_keyring *k = cpn_keyring_new();
    uint8_t key[CPN_MAC_KEY_BYTES];
    memset(key, 0x5a, sizeof key);
    assert_int_equal(cpn_keyring_add_mac_key(k, 1, key), CPN_OK);
    struct cpn_code forged;
    char forged_text[CPN_SHORT_LEN + 1];
    assert_int_equal(cpn_code_issue(k, CPN_KIND_COUPON, 12345, &forged, forged_text), CPN_OK);
    cpn_keyring_free(k);
    expect_refusal(t, forged_text, 100, 422, "forged_code");
    /* Missing fields and unknown fields are bad requests, and change nothing. */
    long status = itest_request(t, "POST", "/v1/redemptions", "{\"code\":\"x\"}", &ans, NULL);
    assert_int_equal(status, 400);
    assert_string_equal(itest_error_code(ans), "bad_request");
    json_decref(ans);
    status = itest_request(t, "POST", "/v1/redemptions",
                           "{\"code\":\"x\",\"basket_cents\":1,\"txn_id\":\"a\",\"store\":2}", &ans,
                           NULL);
    assert_int_equal(status, 400);
    json_decref(ans);
    /* A marketer cannot redeem; a terminal cannot issue. */
    struct itest_client *m = itest_client_new("marketer");
    status = itest_request(m, "POST", "/v1/redemptions", "{}", &ans, NULL);
    assert_int_equal(status, 403);
    json_decref(ans);
    itest_client_free(m);
    json_decref(a);
    json_decref(b);
    json_decref(c);
    json_decref(d);
    itest_client_free(t);
}

static void check_changes_nothing_and_predicts_the_redeem(void **state)
{
    (void)state;
    long long campaign = itest_campaign(NULL);
    json_t *issued = itest_issue(campaign, 1, NULL);
    struct itest_client *t = itest_client_new("terminal-1");
    char body[256];
    snprintf(body, sizeof body, "{\"code\":\"%s\",\"basket_cents\":1235}", itest_code(issued, 0));
    for (int i = 0; i < 3; i++) {
        json_t *a = NULL;
        assert_int_equal(itest_request(t, "POST", "/v1/checks", body, &a, NULL), 200);
        assert_true(json_is_true(json_object_get(a, "valid")));
        assert_int_equal(json_integer_value(json_object_get(a, "discount_cents")), 124);
        json_decref(a);
    }
    json_t *a = NULL;
    assert_int_equal(
        itest_redeem(t, itest_code(issued, 0), 1235, uniq("check-then-redeem"), NULL, &a), 201);
    assert_int_equal(json_integer_value(json_object_get(a, "discount_cents")), 124);
    json_decref(a);
    assert_int_equal(itest_request(t, "POST", "/v1/checks", body, &a, NULL), 200);
    assert_true(json_is_false(json_object_get(a, "valid")));
    assert_string_equal(json_string_value(json_object_get(a, "reason")), "already_redeemed");
    json_decref(a);
    itest_client_free(t);
    json_decref(issued);
}

static void void_gives_the_coupon_back_once_and_only_in_its_store(void **state)
{
    (void)state;
    long long campaign = itest_campaign(NULL);
    json_t *issued = itest_issue(campaign, 1, NULL);
    struct itest_client *t1 = itest_client_new("terminal-1"), *t2 = itest_client_new("terminal-2");
    json_t *a = NULL;
    assert_int_equal(itest_redeem(t1, itest_code(issued, 0), 1000, uniq("void-1"), NULL, &a), 201);
    long long id = json_integer_value(json_object_get(a, "redemption_id"));
    json_decref(a);
    char path[96];
    snprintf(path, sizeof path, "/v1/redemptions/%lld/void", id);
    char vb[3][96];
    snprintf(vb[0], sizeof vb[0], "{\"txn_id\":\"%s\"}", uniq("v-x"));
    snprintf(vb[1], sizeof vb[1], "{\"txn_id\":\"%s\"}", uniq("v-1"));
    snprintf(vb[2], sizeof vb[2], "{\"txn_id\":\"%s\"}", uniq("v-2"));
    /* Another store's terminal gets exactly the answer for an id that does not exist. */
    char *foreign = NULL, *unknown = NULL;
    assert_int_equal(itest_request(t2, "POST", path, vb[0], &a, &foreign), 404);
    assert_string_equal(itest_error_code(a), "not_found");
    json_decref(a);
    snprintf(vb[0], sizeof vb[0], "{\"txn_id\":\"%s\"}", uniq("v-y"));
    assert_int_equal(
        itest_request(t2, "POST", "/v1/redemptions/999999999999/void", vb[0], &a, &unknown), 404);
    json_decref(a);
    assert_string_equal(foreign, unknown);
    free(foreign);
    free(unknown);
    assert_int_equal(itest_request(t1, "POST", path, vb[1], &a, NULL), 200);
    long long void_id = json_integer_value(json_object_get(a, "void_id"));
    json_decref(a);
    assert_int_equal(itest_request(t1, "POST", path, vb[1], &a, NULL), 200);
    json_decref(a); /* replay */
    assert_int_equal(itest_request(t1, "POST", path, vb[2], &a, NULL), 409);
    json_decref(a); /* already voided */
    /* A till retrying the voided redemption's txn learns of the void, with both ids, and
     * gets no discount: 409 voided. */
    assert_int_equal(itest_redeem(t1, itest_code(issued, 0), 1000, uniq("void-1"), NULL, &a), 409);
    assert_string_equal(itest_error_code(a), "voided");
    assert_int_equal(json_integer_value(json_object_get(a, "redemption_id")), id);
    assert_int_equal(json_integer_value(json_object_get(a, "void_id")), void_id);
    assert_null(json_object_get(a, "discount_cents"));
    json_decref(a);
    assert_int_equal(itest_redeem(t1, itest_code(issued, 0), 1000, uniq("void-2"), NULL, &a), 201);
    json_decref(a); /* the coupon is usable again */
    char idtext[32];
    snprintf(idtext, sizeof idtext, "%lld", campaign);
    assert_int_equal(
        itest_sql_number("SELECT count(*) FROM redemptions WHERE campaign_id = $1", idtext), 2);
    snprintf(path, sizeof path, "/v1/campaigns/%lld/report", campaign);
    struct itest_client *m = itest_client_new("marketer");
    assert_int_equal(itest_request(m, "GET", path, NULL, &a, NULL), 200);
    assert_int_equal(json_integer_value(json_object_get(a, "redeemed")), 1);
    json_decref(a);
    itest_client_free(m);
    itest_client_free(t1);
    itest_client_free(t2);
    json_decref(issued);
}

static void multiplying_points_offer_credits_the_card_factor_minus_one_times(void **state)
{
    (void)state;
    long long campaign =
        itest_campaign("{\"offer\":{\"kind\":\"points\",\"value\":3,\"multiply\":true}}");
    assert_true(campaign > 0);
    json_t *issued = itest_issue(campaign, 1, NULL);
    assert_non_null(issued);
    struct itest_client *m = itest_client_new("marketer"), *t = itest_client_new("terminal-1");
    json_t *card = NULL;
    assert_int_equal(itest_request(m, "POST", "/v1/cards", "{}", &card, NULL), 201);
    const char *card_code = json_string_value(json_object_get(card, "card"));
    assert_non_null(card_code);
    json_t *a = NULL;
    /* 42.50 EUR earns 42 points at the default rate; 3x adds 2 x 42 = 84. */
    assert_int_equal(itest_redeem(t, itest_code(issued, 0), 4250, uniq("multiply"), card_code, &a),
                     201);
    assert_int_equal(json_integer_value(json_object_get(a, "points")), 84);
    assert_int_equal(json_integer_value(json_object_get(a, "discount_cents")), 0);
    json_decref(a);
    char path[96];
    snprintf(path, sizeof path, "/v1/cards/%s", card_code);
    assert_int_equal(itest_request(t, "GET", path, NULL, &a, NULL), 200);
    assert_int_equal(json_integer_value(json_object_get(a, "balance")), 84);
    json_decref(a);
    /* Only points offers multiply, and by 2 to 10. */
    const char *bad[] = {"{\"name\":\"x\",\"channel\":\"app\",\"cost_cents\":0,\"starts_at\":"
                         "\"2026-01-01T00:00:00Z\",\"ends_at\":\"2027-01-01T00:00:00Z\",\"offer\":"
                         "{\"kind\":\"percent\",\"value\":3,\"multiply\":true}}",
                         "{\"name\":\"x\",\"channel\":\"app\",\"cost_cents\":0,\"starts_at\":"
                         "\"2026-01-01T00:00:00Z\",\"ends_at\":\"2027-01-01T00:00:00Z\",\"offer\":"
                         "{\"kind\":\"points\",\"value\":11,\"multiply\":true}}"};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(itest_request(m, "POST", "/v1/campaigns", bad[i], &a, NULL), 400);
        json_decref(a);
    }
    json_decref(card);
    json_decref(issued);
    itest_client_free(m);
    itest_client_free(t);
}

int main(void)
{
    srandom((unsigned)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(redeem_same_txn_same_body_replays_first_answer),
        cmocka_unit_test(check_changes_nothing_and_predicts_the_redeem),
        cmocka_unit_test(refusals_carry_their_machine_codes),
        cmocka_unit_test(void_gives_the_coupon_back_once_and_only_in_its_store),
        cmocka_unit_test(generic_code_with_10_uses_redeems_exactly_10_times_under_64_racers),
        cmocka_unit_test(campaign_max_redemptions_5_holds_under_64_racers),
        cmocka_unit_test(multiplying_points_offer_credits_the_card_factor_minus_one_times),
        cmocka_unit_test(race_64_terminals_x_200_codes_exactly_one_success_each),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
