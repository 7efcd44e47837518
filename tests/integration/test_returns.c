/* Partial returns against a running coupond and PostgreSQL (issue 17): the discount's share of
 * a return by running totals (3,333 of a 10,000 basket with 10 % off gives back 333; returns
 * adding up to the basket give back exactly the discount, also when 16 race), the report net of
 * returns, replays, a return beyond the basket refused, the points a points coupon credited
 * taken back in proportion (rounded down, never below zero), and a void after returns taking
 * back only the rest. */
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

#include "itest_analytics.h"
#include "itest_counter.h"

/* Returns RETURNED cents of redemption ID at WHO under TXN. */
static long give_back(const char *who, long long id, long long returned, const char *txn,
                      json_t **out)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/redemptions/%lld/returns", id);
    struct itest_client *c = itest_client_new(who);
    long st = itest_post(
        c, path, json_pack("{s:I, s:s}", "returned_cents", (json_int_t)returned, "txn_id", txn),
        out);
    itest_client_free(c);
    return st;
}

/* A redemption of a fresh 10 % coupon for BASKET at terminal-1 (CARD may be NULL); its id. */
static long long redeemed(long long campaign, long long basket, const char *card)
{
    json_t *issued = itest_issue(campaign, 1, NULL), *a = NULL;
    struct itest_client *t = itest_client_new("terminal-1");
    char txn[64];
    assert_int_equal(itest_redeem_at(t, itest_code(issued, 0), basket,
                                     itest_uniq(txn, sizeof txn, "rr"), NULL, card, &a),
                     201);
    long long id = itest_int(a, "redemption_id");
    json_decref(a);
    itest_client_free(t);
    json_decref(issued);
    return id;
}

static json_t *report(long long campaign)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/campaigns/%lld/report", campaign);
    json_t *a = NULL;
    assert_int_equal(itest_call("marketer", "GET", path, NULL, &a), 200);
    return a;
}

static void a_return_of_3333_of_10000_with_10_percent_off_gives_back_333(void **state)
{
    (void)state;
    long long campaign = itest_campaign(NULL);
    long long id = redeemed(campaign, 10000, NULL);
    char txn[64];
    json_t *a = NULL, *again = NULL;
    itest_uniq(txn, sizeof txn, "ret");
    assert_int_equal(give_back("terminal-1", id, 3333, txn, &a), 201);
    assert_int_equal(itest_int(a, "discount_cents"), 333);
    assert_int_equal(itest_int(a, "net_basket_cents"), 6667);
    assert_int_equal(itest_int(a, "net_discount_cents"), 667);
    assert_int_equal(itest_int(a, "points"), 0);
    /* The same return again (a lost answer): the same answer; another body: a conflict. */
    assert_int_equal(give_back("terminal-1", id, 3333, txn, &again), 200);
    assert_true(json_equal(a, again));
    json_decref(again);
    assert_int_equal(give_back("terminal-1", id, 3334, txn, &again), 409);
    assert_string_equal(itest_error_code(again), "conflict");
    json_decref(again);
    json_decref(a);
    /* The report: revenue and discount net of the return. */
    json_t *r = report(campaign);
    assert_int_equal(itest_int(r, "revenue_cents"), 6667);
    assert_int_equal(itest_int(r, "discount_cents"), 667);
    assert_int_equal(itest_int(r, "redeemed"), 1);
    assert_int_equal(itest_int(json_object_get(r, "returns"), "returned_cents"), 3333);
    assert_int_equal(itest_int(json_object_get(r, "returns"), "discount_cents"), 333);
    json_decref(r);
    /* So do the campaign's figures (campaign_totals, the campaign list's and page's). */
    char path[64];
    snprintf(path, sizeof path, "/v1/campaigns/%lld", campaign);
    assert_int_equal(itest_call("marketer", "GET", path, NULL, &r), 200);
    assert_int_equal(itest_int(r, "revenue_cents"), 6667);
    assert_int_equal(itest_int(r, "discount_cents"), 667);
    assert_int_equal(itest_int(r, "redeemed"), 1);
    json_decref(r);
    /* Another store's till: as if there were no such redemption. */
    assert_int_equal(give_back("terminal-2", id, 1, itest_uniq(txn, sizeof txn, "ret"), &a), 404);
    assert_string_equal(itest_error_code(a), "not_found");
    json_decref(a);
}

static void returns_adding_up_to_the_basket_give_back_exactly_the_discount(void **state)
{
    (void)state;
    long long campaign = itest_campaign(NULL);
    long long id = redeemed(campaign, 10000, NULL);
    long long parts[3] = {3333, 3333, 3334}, sum = 0;
    char txn[64];
    for (int i = 0; i < 3; i++) {
        json_t *a = NULL;
        assert_int_equal(
            give_back("terminal-1", id, parts[i], itest_uniq(txn, sizeof txn, "t3"), &a), 201);
        sum += itest_int(a, "discount_cents");
        json_decref(a);
    }
    assert_int_equal(sum, 1000);
    /* Nothing is left to return: refused, and said how much could. */
    json_t *a = NULL;
    assert_int_equal(give_back("terminal-1", id, 1, itest_uniq(txn, sizeof txn, "t3"), &a), 409);
    assert_string_equal(itest_error_code(a), "conflict");
    assert_int_equal(itest_int(a, "returnable_cents"), 0);
    json_decref(a);
    json_t *r = report(campaign);
    assert_int_equal(itest_int(r, "revenue_cents"), 0);
    assert_int_equal(itest_int(r, "discount_cents"), 0);
    json_decref(r);
    /* A return beyond what is left of another basket is refused and changes nothing. */
    id = redeemed(campaign, 10000, NULL);
    assert_int_equal(give_back("terminal-1", id, 6000, itest_uniq(txn, sizeof txn, "t3"), NULL),
                     201);
    assert_int_equal(give_back("terminal-1", id, 4001, itest_uniq(txn, sizeof txn, "t3"), &a), 409);
    assert_int_equal(itest_int(a, "returnable_cents"), 4000);
    json_decref(a);
}

struct return_race {
    long long id;
    pthread_barrier_t barrier;
    pthread_mutex_t lock;
    long created, refused, other;
    long long discount;
};

static void *return_racer(void *arg)
{
    struct return_race *race = arg;
    char txn[64];
    itest_uniq(txn, sizeof txn, "rrace");
    pthread_barrier_wait(&race->barrier);
    json_t *a = NULL;
    long st = give_back("terminal-1", race->id, 1000, txn, &a);
    pthread_mutex_lock(&race->lock);
    if (st == 201) {
        race->created++;
        race->discount += itest_int(a, "discount_cents");
    } else if (st == 409) {
        race->refused++;
    } else {
        race->other++;
    }
    pthread_mutex_unlock(&race->lock);
    json_decref(a);
    return NULL;
}

static void sixteen_racing_returns_never_give_back_more_than_the_basket(void **state)
{
    (void)state;
    enum { N = 16 };
    long long campaign = itest_campaign("{\"offer\":{\"kind\":\"percent\",\"value\":7}}");
    struct return_race race = {.id = redeemed(campaign, 10000, NULL)};
    pthread_barrier_init(&race.barrier, NULL, N);
    pthread_mutex_init(&race.lock, NULL);
    pthread_t threads[N];
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, return_racer, &race), 0);
    for (int i = 0; i < N; i++)
        pthread_join(threads[i], NULL);
    fprintf(stderr,
            "16 returns of 10.00 of a 100.00 basket: %ld booked, %ld refused, discount %lld\n",
            race.created, race.refused, race.discount);
    assert_int_equal(race.created, 10);
    assert_int_equal(race.refused, 6);
    assert_int_equal(race.other, 0);
    assert_int_equal(race.discount, 700);
    pthread_barrier_destroy(&race.barrier);
    pthread_mutex_destroy(&race.lock);
}

static long long balance(const char *card)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/cards/%s", card);
    json_t *a = NULL;
    assert_int_equal(itest_call("terminal-1", "GET", path, NULL, &a), 200);
    long long b = itest_int(a, "balance");
    json_decref(a);
    return b;
}

/* Events of TYPE whose payload meets WHERE ($1 = PARAM), queued or published. */
static long long returned_events(const char *type, const char *where, const char *param)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM (SELECT type, payload FROM event_queue UNION ALL "
             "SELECT type, payload FROM events) e WHERE e.type = '%s' AND %s",
             type, where);
    return itest_sql_number(sql, param);
}

static void points_come_back_in_proportion_and_a_void_takes_only_the_rest(void **state)
{
    (void)state;
    long long campaign = itest_campaign("{\"offer\":{\"kind\":\"points\",\"value\":100}}");
    struct itest_cards cards;
    assert_int_equal(itest_cards_make(2, &cards), 0);
    long long id = redeemed(campaign, 10000, cards.numbers[0]);
    assert_int_equal(balance(cards.numbers[0]), 100);
    char txn[64];
    long long parts[2] = {3333, 3333}, want[2] = {33, 33}; /* floor(33.33), floor(66.66) - 33 */
    for (int i = 0; i < 2; i++) {
        json_t *a = NULL;
        assert_int_equal(
            give_back("terminal-1", id, parts[i], itest_uniq(txn, sizeof txn, "pt"), &a), 201);
        assert_int_equal(itest_int(a, "points"), want[i]);
        assert_int_equal(itest_int(a, "balance"), 100 - 33 * (i + 1));
        json_decref(a);
    }
    /* Each return is an event (redemption.returned), and so is each points reversal
     * (card.returned), written in the return's transaction (h15's outbox). */
    char idtext[24];
    snprintf(idtext, sizeof idtext, "%lld", id);
    assert_int_equal(returned_events("redemption.returned",
                                     "(e.payload->>'redemption_id')::bigint = $1::bigint", idtext),
                     2);
    assert_int_equal(returned_events("card.returned",
                                     "(e.payload->>'returns_of')::bigint = (SELECT t.id FROM "
                                     "card_transactions t WHERE t.redemption_id = $1::bigint "
                                     "AND t.kind = 'coupon')",
                                     idtext),
                     2);
    /* The void gives the coupon back and takes back the 34 points left, not 100. */
    char path[96];
    snprintf(path, sizeof path, "/v1/redemptions/%lld/void", id);
    struct itest_client *t = itest_client_new("terminal-1");
    assert_int_equal(
        itest_post(t, path, json_pack("{s:s}", "txn_id", itest_uniq(txn, sizeof txn, "pv")), NULL),
        200);
    assert_int_equal(balance(cards.numbers[0]), 0);
    /* A voided redemption has nothing to return. */
    json_t *a = NULL;
    assert_int_equal(give_back("terminal-1", id, 1, itest_uniq(txn, sizeof txn, "pt"), &a), 409);
    assert_string_equal(itest_error_code(a), "conflict");
    json_decref(a);
    /* Points already spent: a return takes what the card holds, never below zero. */
    id = redeemed(campaign, 10000, cards.numbers[1]);
    char burn[96];
    snprintf(burn, sizeof burn, "/v1/cards/%s/burn", cards.numbers[1]);
    assert_int_equal(itest_post(t, burn,
                                json_pack("{s:i, s:s}", "points", 90, "txn_id",
                                          itest_uniq(txn, sizeof txn, "burn")),
                                NULL),
                     201);
    assert_int_equal(give_back("terminal-1", id, 5000, itest_uniq(txn, sizeof txn, "pt"), &a), 201);
    assert_int_equal(itest_int(a, "points"), 10); /* 50 were due, the card held 10 */
    assert_int_equal(itest_int(a, "balance"), 0);
    json_decref(a);
    itest_client_free(t);
    itest_cards_free(&cards);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_return_of_3333_of_10000_with_10_percent_off_gives_back_333),
        cmocka_unit_test(returns_adding_up_to_the_basket_give_back_exactly_the_discount),
        cmocka_unit_test(sixteen_racing_returns_never_give_back_more_than_the_basket),
        cmocka_unit_test(points_come_back_in_proportion_and_a_void_takes_only_the_rest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
