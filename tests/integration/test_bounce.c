/* Bounce-back coupons against a running coupond and PostgreSQL (issue 17): a purchase that
 * meets a 'receipt' campaign's trigger gets one coupon of it in the same transaction; 64
 * concurrent retries of one qualifying txn give one coupon, a reprint the same code, which
 * redeems; one coupon per receipt; an earn gets one (bound to its card when the trigger needs
 * a card); below the trigger, none; the campaign's pieces are the coupons printed. Each run's
 * triggers sit at baskets of their own (the test database outlives runs, and its bounce-back
 * campaigns are ended at the end, by a teardown when a test failed), so that no other test's
 * purchase meets them. */
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

#include "coupon/code.h"
#include "itest_analytics.h"
#include "itest_counter.h"

#define RACERS 64

/* A trigger basket no other test (nor another run) uses: 9,000.00 EUR and up, by pid. */
static long long trigger_basket(int k)
{
    return 90000000LL + (long long)(getpid() % 100000) * 100 + k;
}

/* The bounce-back campaign of the test running, until it ended it; ended by end_left when
 * the test failed before (a live trigger left behind would meet later runs' baskets). */
static long long running_bounce;

/* A bounce-back campaign (5.00 EUR off) triggered from MIN cents, CARD required or not. */
static long long bounce_campaign(long long min, bool card)
{
    char fields[256];
    snprintf(fields, sizeof fields,
             "{\"channel\":\"receipt\",\"offer\":{\"kind\":\"amount\",\"value\":500},"
             "\"trigger\":{\"min_basket_cents\":%lld,\"card_required\":%s}}",
             min, card ? "true" : "false");
    running_bounce = itest_campaign(fields);
    return running_bounce;
}

static void end_campaign(long long id)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/campaigns/%lld/end", id);
    json_t *a = NULL;
    running_bounce = 0;
    assert_int_equal(itest_call("marketer", "POST", path, "{}", &a), 200);
    json_decref(a);
}

/* Teardown of every test: ends the test's bounce-back campaign when a failed assertion left
 * it live. */
static int end_left(void **state)
{
    (void)state;
    if (running_bounce != 0) {
        char path[96];
        snprintf(path, sizeof path, "/v1/campaigns/%lld/end", running_bounce);
        json_t *a = NULL;
        long st = itest_call("marketer", "POST", path, "{}", &a);
        json_decref(a);
        fprintf(stderr, "test_bounce: ended campaign %lld left live by a failed test (%ld)\n",
                running_bounce, st);
        running_bounce = 0;
    }
    return 0;
}

static long long pieces(long long campaign)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/campaigns/%lld/report", campaign);
    json_t *a = NULL;
    assert_int_equal(itest_call("marketer", "GET", path, NULL, &a), 200);
    long long n = itest_int(a, "pieces");
    json_decref(a);
    return n;
}

struct retry_race {
    const char *code, *txn;
    long long basket;
    pthread_barrier_t barrier;
    pthread_mutex_t lock;
    long ok, other;
    char next[8][32]; /* the next_coupon codes seen (distinct) */
    int distinct;
};

static void *retry_racer(void *arg)
{
    struct retry_race *race = arg;
    struct itest_client *c = itest_client_new("terminal-1");
    pthread_barrier_wait(&race->barrier);
    json_t *a = NULL;
    long st = itest_redeem_at(c, race->code, race->basket, race->txn, NULL, NULL, &a);
    const char *next =
        json_string_value(json_object_get(json_object_get(a, "next_coupon"), "code"));
    pthread_mutex_lock(&race->lock);
    if ((st == 201 || st == 200) && next != NULL) {
        race->ok++;
        bool seen = false;
        for (int i = 0; i < race->distinct; i++)
            seen = seen || strcmp(race->next[i], next) == 0;
        if (!seen && race->distinct < 8)
            snprintf(race->next[race->distinct++], sizeof race->next[0], "%s", next);
    } else {
        fprintf(stderr, "retry racer: %ld %s\n", st, itest_error_code(a));
        race->other++;
    }
    pthread_mutex_unlock(&race->lock);
    json_decref(a);
    itest_client_free(c);
    return NULL;
}

static void sixty_four_retries_of_one_qualifying_txn_give_one_coupon(void **state)
{
    (void)state;
    long long min = trigger_basket(0);
    long long bounce = bounce_campaign(min, false);
    long long before = pieces(bounce);
    long long mailing = itest_campaign(NULL);
    json_t *issued = itest_issue(mailing, 1, NULL);
    char txn[64];
    struct retry_race race = {
        .code = itest_code(issued, 0), .txn = itest_uniq(txn, sizeof txn, "bb"), .basket = min};
    pthread_barrier_init(&race.barrier, NULL, RACERS);
    pthread_mutex_init(&race.lock, NULL);
    pthread_t threads[RACERS];
    for (int i = 0; i < RACERS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, retry_racer, &race), 0);
    for (int i = 0; i < RACERS; i++)
        pthread_join(threads[i], NULL);
    fprintf(stderr,
            "64 retries of one txn: %ld answered with a next_coupon, %d distinct, %ld other\n",
            race.ok, race.distinct, race.other);
    assert_int_equal(race.ok, RACERS);
    assert_int_equal(race.distinct, 1);
    assert_int_equal(pieces(bounce) - before, 1);
    const char *p[] = {txn};
    assert_int_equal(itest_sql_number("SELECT count(*) FROM bounce_coupons b JOIN redemptions r"
                                      " ON r.id = b.redemption_id WHERE r.txn_id = $1",
                                      p[0]),
                     1);
    /* A reprint (the same request again, later) gives the same code and signed form. */
    struct itest_client *t = itest_client_new("terminal-1");
    json_t *a = NULL, *b = NULL;
    assert_int_equal(itest_redeem_at(t, race.code, min, txn, NULL, NULL, &a), 200);
    assert_int_equal(itest_redeem_at(t, race.code, min, txn, NULL, NULL, &b), 200);
    json_t *next = json_object_get(a, "next_coupon");
    assert_string_equal(json_string_value(json_object_get(next, "code")), race.next[0]);
    assert_true(json_equal(next, json_object_get(b, "next_coupon")));
    assert_int_equal(itest_int(next, "campaign_id"), bounce);
    assert_string_equal(json_string_value(json_object_get(next, "valid_until")),
                        "2099-01-01T00:00:00Z");
    assert_false(json_is_true(json_object_get(next, "card_bound")));
    /* Its signed form says its campaign and offer, and it redeems like any coupon. */
    const char *signed_form = json_string_value(json_object_get(next, "signed"));
    struct cpn_code parsed;
    assert_int_equal(cpn_code_parse(signed_form, strlen(signed_form), &parsed), CPN_OK);
    assert_int_equal(parsed.campaign, (uint32_t)bounce);
    assert_int_equal(parsed.offer_kind, CPN_OFFER_AMOUNT);
    assert_int_equal(parsed.offer_value, 500);
    json_t *r = NULL;
    char txn2[64];
    assert_int_equal(
        itest_redeem_at(t, signed_form, 2000, itest_uniq(txn2, sizeof txn2, "use"), NULL, NULL, &r),
        201);
    assert_int_equal(itest_int(r, "campaign_id"), bounce);
    assert_int_equal(itest_int(r, "discount_cents"), 500);
    assert_null(json_object_get(r, "next_coupon")); /* 20.00 EUR is below the trigger */
    json_decref(r);
    json_decref(a);
    json_decref(b);
    itest_client_free(t);
    json_decref(issued);
    end_campaign(bounce);
    pthread_barrier_destroy(&race.barrier);
    pthread_mutex_destroy(&race.lock);
}

static void a_receipt_gets_one_coupon_and_a_smaller_basket_none(void **state)
{
    (void)state;
    long long min = trigger_basket(1);
    long long bounce = bounce_campaign(min, false);
    long long before = pieces(bounce);
    long long a_id = itest_campaign(NULL), b_id = itest_campaign(NULL);
    json_t *a = itest_issue(a_id, 2, NULL), *b = itest_issue(b_id, 1, NULL);
    struct itest_client *t = itest_client_new("terminal-2");
    char txn[64], receipt[64];
    itest_uniq(receipt, sizeof receipt, "BR");
    json_t *x = NULL, *y = NULL;
    assert_int_equal(itest_redeem_at(t, itest_code(a, 0), min, itest_uniq(txn, sizeof txn, "r"),
                                     receipt, NULL, &x),
                     201);
    assert_int_equal(itest_redeem_at(t, itest_code(b, 0), min, itest_uniq(txn, sizeof txn, "r"),
                                     receipt, NULL, &y),
                     201);
    const char *cx = json_string_value(json_object_get(json_object_get(x, "next_coupon"), "code"));
    const char *cy = json_string_value(json_object_get(json_object_get(y, "next_coupon"), "code"));
    assert_non_null(cx);
    assert_non_null(cy);
    assert_string_equal(cx, cy);
    assert_int_equal(pieces(bounce) - before, 1);
    json_decref(x);
    json_decref(y);
    /* One cent below the trigger: no coupon. */
    assert_int_equal(itest_redeem_at(t, itest_code(a, 1), min - 1, itest_uniq(txn, sizeof txn, "r"),
                                     NULL, NULL, &x),
                     201);
    assert_null(json_object_get(x, "next_coupon"));
    json_decref(x);
    assert_int_equal(pieces(bounce) - before, 1);
    itest_client_free(t);
    json_decref(a);
    json_decref(b);
    end_campaign(bounce);
}

static void an_earn_gets_a_coupon_bound_to_its_card_when_the_trigger_needs_one(void **state)
{
    (void)state;
    long long min = trigger_basket(2);
    long long bounce = bounce_campaign(min, true);
    long long mailing = itest_campaign(NULL);
    json_t *issued = itest_issue(mailing, 1, NULL);
    struct itest_cards cards;
    assert_int_equal(itest_cards_make(1, &cards), 0);
    struct itest_client *t = itest_client_new("terminal-1");
    char txn[64], path[128];
    json_t *a = NULL, *b = NULL;
    /* A redemption without a card does not meet a trigger that needs one. */
    assert_int_equal(itest_redeem_at(t, itest_code(issued, 0), min,
                                     itest_uniq(txn, sizeof txn, "nc"), NULL, NULL, &a),
                     201);
    assert_null(json_object_get(a, "next_coupon"));
    json_decref(a);
    /* The card's earn does; its replay answers the same coupon. */
    snprintf(path, sizeof path, "/v1/cards/%s/earn", cards.numbers[0]);
    itest_uniq(txn, sizeof txn, "earn");
    assert_int_equal(
        itest_post(t, path, json_pack("{s:I, s:s}", "basket_cents", (json_int_t)min, "txn_id", txn),
                   &a),
        201);
    assert_int_equal(
        itest_post(t, path, json_pack("{s:I, s:s}", "basket_cents", (json_int_t)min, "txn_id", txn),
                   &b),
        200);
    json_t *next = json_object_get(a, "next_coupon");
    assert_non_null(next);
    assert_true(json_is_true(json_object_get(next, "card_bound")));
    assert_true(json_equal(next, json_object_get(b, "next_coupon")));
    /* Bound to the card: without it, refused; with it, redeemed. */
    const char *code = json_string_value(json_object_get(next, "code"));
    json_t *r = NULL;
    assert_int_equal(
        itest_redeem_at(t, code, 1000, itest_uniq(txn, sizeof txn, "u"), NULL, NULL, &r), 422);
    assert_string_equal(itest_error_code(r), "card_required");
    json_decref(r);
    assert_int_equal(itest_redeem_at(t, code, 1000, itest_uniq(txn, sizeof txn, "u"), NULL,
                                     cards.numbers[0], &r),
                     201);
    json_decref(r);
    json_decref(a);
    json_decref(b);
    itest_client_free(t);
    itest_cards_free(&cards);
    json_decref(issued);
    end_campaign(bounce);
}

static void purchases_beyond_one_pool_keep_getting_coupons(void **state)
{
    (void)state;
    /* More purchases than one block of serials: the pool thread fills it again meanwhile. */
    long long min = trigger_basket(3);
    long long bounce = bounce_campaign(min, false);
    long long before = pieces(bounce);
    struct itest_cards cards;
    assert_int_equal(itest_cards_make(1, &cards), 0);
    struct itest_client *t = itest_client_new("terminal-2");
    char txn[64], path[128];
    snprintf(path, sizeof path, "/v1/cards/%s/earn", cards.numbers[0]);
    int got = 0;
    for (int i = 0; i < 200; i++) {
        json_t *a = NULL;
        assert_int_equal(itest_post(t, path,
                                    json_pack("{s:I, s:s}", "basket_cents", (json_int_t)min,
                                              "txn_id", itest_uniq(txn, sizeof txn, "pool")),
                                    &a),
                         201);
        got += json_object_get(a, "next_coupon") != NULL;
        json_decref(a);
        if (i % 50 == 49)
            usleep(300000); /* a till's pace, roughly; the thread fills in the meantime */
    }
    fprintf(stderr, "200 qualifying earns: %d got a coupon\n", got);
    assert_int_equal(got, 200);
    assert_int_equal(pieces(bounce) - before, 200);
    itest_client_free(t);
    itest_cards_free(&cards);
    end_campaign(bounce);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(sixty_four_retries_of_one_qualifying_txn_give_one_coupon,
                                  end_left),
        cmocka_unit_test_teardown(a_receipt_gets_one_coupon_and_a_smaller_basket_none, end_left),
        cmocka_unit_test_teardown(
            an_earn_gets_a_coupon_bound_to_its_card_when_the_trigger_needs_one, end_left),
        cmocka_unit_test_teardown(purchases_beyond_one_pool_keep_getting_coupons, end_left),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
