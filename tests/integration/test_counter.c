/* The counter's rules against a running coupond and PostgreSQL (issue 17): a generic code's
 * limit per card under 64 racers, its campaign's cap, a void giving the slot back; coupons on
 * one receipt (one per campaign by default, exclusive ones alone, stackable ones in the fixed
 * order, racing coupons never beyond the basket); German sentences with the same machine
 * codes. The discount by VAT rate is test_counter_vat.c's. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "coupon/shares.h"
#include "itest_analytics.h"
#include "itest_counter.h"

#define RACERS 64

/* --- a generic code limited per card --- */

struct card_race {
    const char *code, *card;
    pthread_barrier_t barrier;
    pthread_mutex_t lock;
    long created, limited, other;
    long long redemption; /* the one that got through */
};

static void *card_racer(void *arg)
{
    struct card_race *race = arg;
    struct itest_client *c = itest_client_new("terminal-1");
    char txn[64];
    itest_uniq(txn, sizeof txn, "cr");
    pthread_barrier_wait(&race->barrier);
    json_t *a = NULL;
    long st = itest_redeem_at(c, race->code, 5000, txn, NULL, race->card, &a);
    pthread_mutex_lock(&race->lock);
    if (st == 201) {
        race->created++;
        race->redemption = itest_int(a, "redemption_id");
    } else if (st == 409 && strcmp(itest_error_code(a), "card_limit_reached") == 0) {
        race->limited++;
    } else {
        fprintf(stderr, "card racer: %ld %s\n", st, itest_error_code(a));
        race->other++;
    }
    pthread_mutex_unlock(&race->lock);
    json_decref(a);
    itest_client_free(c);
    return NULL;
}

static void generic_code_limited_per_card_holds_under_64_racers_and_500_cards(void **state)
{
    (void)state;
    /* A newspaper code: 1,000 uses, one per card; the campaign allows 500 redemptions. */
    long long campaign = itest_campaign("{\"channel\":\"print\",\"max_redemptions\":500,"
                                        "\"offer\":{\"kind\":\"amount\",\"value\":200}}");
    json_t *issued = itest_issue(campaign, 1, "{\"uses\":1000,\"max_per_card\":1}");
    assert_non_null(issued);
    const char *code = itest_code(issued, 0);
    struct itest_cards cards;
    assert_int_equal(itest_cards_make(501, &cards), 0);
    /* 64 racers with one card: exactly one gets through. */
    struct card_race race = {.code = code, .card = cards.numbers[0]};
    pthread_barrier_init(&race.barrier, NULL, RACERS);
    pthread_mutex_init(&race.lock, NULL);
    pthread_t threads[RACERS];
    for (int i = 0; i < RACERS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, card_racer, &race), 0);
    for (int i = 0; i < RACERS; i++)
        pthread_join(threads[i], NULL);
    fprintf(stderr, "one card, 64 racers: %ld created, %ld card_limit_reached, %ld other\n",
            race.created, race.limited, race.other);
    assert_int_equal(race.created, 1);
    assert_int_equal(race.limited, RACERS - 1);
    assert_int_equal(race.other, 0);
    /* Without a card the limit cannot be counted: refused. */
    struct itest_client *t = itest_client_new("terminal-1");
    char txn[64];
    json_t *a = NULL;
    assert_int_equal(
        itest_redeem_at(t, code, 5000, itest_uniq(txn, sizeof txn, "nc"), NULL, NULL, &a), 422);
    assert_string_equal(itest_error_code(a), "card_required");
    json_decref(a);
    /* 499 more cards: 500 in all succeed; the 501st finds the campaign exhausted. */
    long long of_card1 = 0;
    for (size_t i = 1; i < 500; i++) {
        assert_int_equal(itest_redeem_at(t, code, 5000, itest_uniq(txn, sizeof txn, "c5"), NULL,
                                         cards.numbers[i], &a),
                         201);
        if (i == 1)
            of_card1 = itest_int(a, "redemption_id");
        json_decref(a);
    }
    assert_int_equal(itest_redeem_at(t, code, 5000, itest_uniq(txn, sizeof txn, "c5"), NULL,
                                     cards.numbers[500], &a),
                     409);
    assert_string_equal(itest_error_code(a), "campaign_exhausted");
    json_decref(a);
    char id[24];
    snprintf(id, sizeof id, "%lld", campaign);
    assert_int_equal(itest_sql_number("SELECT count(*) FROM redemptions WHERE campaign_id = "
                                      "$1::bigint",
                                      id),
                     500);
    /* A void gives card 0 its slot back (and the campaign its redemption): once more, not twice
     * (card 1's void leaves the campaign room, so that the second refusal is card 0's limit). */
    char path[96];
    long long voids[2] = {race.redemption, of_card1};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "/v1/redemptions/%lld/void", voids[k]);
        assert_int_equal(itest_post(t, path,
                                    json_pack("{s:s}", "txn_id", itest_uniq(txn, sizeof txn, "v")),
                                    NULL),
                         200);
    }
    assert_int_equal(itest_redeem_at(t, code, 5000, itest_uniq(txn, sizeof txn, "again"), NULL,
                                     cards.numbers[0], NULL),
                     201);
    assert_int_equal(itest_redeem_at(t, code, 5000, itest_uniq(txn, sizeof txn, "again"), NULL,
                                     cards.numbers[0], &a),
                     409);
    assert_string_equal(itest_error_code(a), "card_limit_reached");
    json_decref(a);
    itest_client_free(t);
    itest_cards_free(&cards);
    json_decref(issued);
    pthread_barrier_destroy(&race.barrier);
    pthread_mutex_destroy(&race.lock);
}

static void a_campaign_limited_per_card_counts_every_code_of_it(void **state)
{
    (void)state;
    long long campaign = itest_campaign("{\"max_per_card\":2}");
    json_t *issued = itest_issue(campaign, 3, NULL);
    struct itest_cards cards;
    assert_int_equal(itest_cards_make(1, &cards), 0);
    struct itest_client *t = itest_client_new("terminal-2");
    char txn[64];
    json_t *a = NULL;
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(itest_redeem_at(t, itest_code(issued, i), 3000,
                                         itest_uniq(txn, sizeof txn, "pc"), NULL, cards.numbers[0],
                                         NULL),
                         201);
    /* The check says it first, and changes nothing. */
    json_t *check = json_pack("{s:s, s:i, s:s}", "code", itest_code(issued, 2), "basket_cents",
                              3000, "card", cards.numbers[0]);
    assert_int_equal(itest_post(t, "/v1/checks", check, &a), 200);
    assert_false(json_is_true(json_object_get(a, "valid")));
    assert_string_equal(json_string_value(json_object_get(a, "reason")), "card_limit_reached");
    json_decref(a);
    assert_int_equal(itest_redeem_at(t, itest_code(issued, 2), 3000,
                                     itest_uniq(txn, sizeof txn, "pc"), NULL, cards.numbers[0], &a),
                     409);
    assert_string_equal(itest_error_code(a), "card_limit_reached");
    json_decref(a);
    itest_client_free(t);
    itest_cards_free(&cards);
    json_decref(issued);
}

/* --- coupons on one receipt --- */

static void two_coupons_of_one_campaign_on_one_receipt_the_second_is_not_combinable(void **state)
{
    (void)state;
    long long campaign = itest_campaign(NULL); /* max_per_receipt: the default, 1 */
    json_t *issued = itest_issue(campaign, 2, NULL);
    struct itest_client *t = itest_client_new("terminal-1");
    char txn[64], receipt[64];
    itest_uniq(receipt, sizeof receipt, "R");
    json_t *a = NULL;
    assert_int_equal(itest_redeem_at(t, itest_code(issued, 0), 6490,
                                     itest_uniq(txn, sizeof txn, "nc"), receipt, NULL, &a),
                     201);
    long long first = itest_int(a, "redemption_id");
    assert_int_equal(itest_int(a, "discount_cents"), 649);
    json_t *r = json_object_get(a, "receipt");
    assert_int_equal(itest_int(r, "discount_cents"), 649);
    assert_int_equal(itest_int(r, "remaining_cents"), 6490 - 649);
    json_decref(a);
    /* In German for a German till; the machine code stays. */
    itest_client_language(t, "de-DE,de;q=0.9");
    assert_int_equal(itest_redeem_at(t, itest_code(issued, 1), 6490,
                                     itest_uniq(txn, sizeof txn, "nc"), receipt, NULL, &a),
                     409);
    assert_string_equal(itest_error_code(a), "not_combinable");
    assert_string_equal(json_string_value(json_object_get(a, "message")),
                        "Pro Einkauf nur ein Coupon dieser Aktion.");
    json_decref(a);
    itest_client_language(t, NULL);
    assert_int_equal(itest_redeem_at(t, itest_code(issued, 1), 6490,
                                     itest_uniq(txn, sizeof txn, "nc"), receipt, NULL, &a),
                     409);
    assert_string_equal(json_string_value(json_object_get(a, "message")),
                        "Only one coupon of this campaign per purchase.");
    json_decref(a);
    /* On another receipt it is fine; after a void of the first, on this one too. */
    char path[96];
    snprintf(path, sizeof path, "/v1/redemptions/%lld/void", first);
    assert_int_equal(
        itest_post(t, path, json_pack("{s:s}", "txn_id", itest_uniq(txn, sizeof txn, "v")), NULL),
        200);
    assert_int_equal(itest_redeem_at(t, itest_code(issued, 1), 6490,
                                     itest_uniq(txn, sizeof txn, "nc"), receipt, NULL, &a),
                     201);
    assert_int_equal(itest_int(a, "discount_cents"), 649);
    json_decref(a);
    itest_client_free(t);
    json_decref(issued);
}

static void stackable_10_and_15_percent_on_one_100_euro_receipt_give_23_50(void **state)
{
    (void)state;
    long long ten = itest_campaign(NULL);
    long long fifteen = itest_campaign("{\"offer\":{\"kind\":\"percent\",\"value\":15}}");
    long long five_euros = itest_campaign("{\"offer\":{\"kind\":\"amount\",\"value\":500}}");
    json_t *a10 = itest_issue(ten, 2, NULL), *a15 = itest_issue(fifteen, 2, NULL);
    json_t *a5 = itest_issue(five_euros, 1, NULL);
    struct itest_client *t = itest_client_new("terminal-1");
    char txn[64], receipt[64];
    json_t *a = NULL;
    /* 10 % then 15 %: 10.00, then 15 % of 100.00 less what 10 % of it left... in the fixed
     * order the larger percent comes first: 15.00 + 8.50 = 23.50, the second gets 13.50. */
    itest_uniq(receipt, sizeof receipt, "S");
    assert_int_equal(itest_redeem_at(t, itest_code(a10, 0), 10000,
                                     itest_uniq(txn, sizeof txn, "st"), receipt, NULL, &a),
                     201);
    assert_int_equal(itest_int(a, "discount_cents"), 1000);
    json_decref(a);
    /* The check shows the place the second coupon would take. */
    json_t *check = json_pack("{s:s, s:i, s:s}", "code", itest_code(a15, 0), "basket_cents", 10000,
                              "receipt", receipt);
    assert_int_equal(itest_post(t, "/v1/checks", check, &a), 200);
    assert_int_equal(itest_int(a, "discount_cents"), 1350);
    assert_int_equal(itest_int(json_object_get(a, "receipt"), "discount_cents"), 2350);
    json_decref(a);
    assert_int_equal(itest_redeem_at(t, itest_code(a15, 0), 10000,
                                     itest_uniq(txn, sizeof txn, "st"), receipt, NULL, &a),
                     201);
    assert_int_equal(itest_int(a, "discount_cents"), 1350);
    json_t *r = json_object_get(a, "receipt");
    assert_int_equal(itest_int(r, "discount_cents"), 2350); /* not 25.00 */
    assert_int_equal(itest_int(r, "remaining_cents"), 7650);
    assert_int_equal(itest_int(r, "coupons"), 2);
    json_decref(a);
    /* The other way round, the same 23.50. */
    itest_uniq(receipt, sizeof receipt, "S");
    long long total = 0;
    for (int k = 0; k < 2; k++) {
        assert_int_equal(itest_redeem_at(t, itest_code(k == 0 ? a15 : a10, 1), 10000,
                                         itest_uniq(txn, sizeof txn, "st"), receipt, NULL, &a),
                         201);
        total += itest_int(a, "discount_cents");
        json_decref(a);
    }
    assert_int_equal(total, 2350);
    /* An amount after a percent still gives what the fixed order gives: 5.00, then 10 % of
     * 95.00 = 14.50 in all (not 10.00 + 5.00). */
    itest_uniq(receipt, sizeof receipt, "S");
    json_t *a10b = itest_issue(ten, 1, NULL);
    assert_int_equal(itest_redeem_at(t, itest_code(a10b, 0), 10000,
                                     itest_uniq(txn, sizeof txn, "st"), receipt, NULL, &a),
                     201);
    json_decref(a);
    assert_int_equal(itest_redeem_at(t, itest_code(a5, 0), 10000, itest_uniq(txn, sizeof txn, "st"),
                                     receipt, NULL, &a),
                     201);
    assert_int_equal(itest_int(json_object_get(a, "receipt"), "discount_cents"), 1450);
    json_decref(a);
    itest_client_free(t);
    json_decref(a10);
    json_decref(a10b);
    json_decref(a15);
    json_decref(a5);
}

static void an_exclusive_coupon_refuses_company_either_way(void **state)
{
    (void)state;
    long long solo = itest_campaign("{\"combinable\":\"exclusive\"}");
    long long other = itest_campaign(NULL);
    json_t *s = itest_issue(solo, 2, NULL), *o = itest_issue(other, 2, NULL);
    struct itest_client *t = itest_client_new("terminal-2");
    char txn[64], receipt[64];
    json_t *a = NULL;
    itest_uniq(receipt, sizeof receipt, "X");
    assert_int_equal(itest_redeem_at(t, itest_code(o, 0), 4000, itest_uniq(txn, sizeof txn, "x"),
                                     receipt, NULL, NULL),
                     201);
    assert_int_equal(itest_redeem_at(t, itest_code(s, 0), 4000, itest_uniq(txn, sizeof txn, "x"),
                                     receipt, NULL, &a),
                     409);
    assert_string_equal(itest_error_code(a), "not_combinable");
    assert_non_null(strstr(json_string_value(json_object_get(a, "message")), "only one"));
    json_decref(a);
    itest_uniq(receipt, sizeof receipt, "X");
    assert_int_equal(itest_redeem_at(t, itest_code(s, 1), 4000, itest_uniq(txn, sizeof txn, "x"),
                                     receipt, NULL, NULL),
                     201);
    assert_int_equal(itest_redeem_at(t, itest_code(o, 1), 4000, itest_uniq(txn, sizeof txn, "x"),
                                     receipt, NULL, &a),
                     409);
    assert_string_equal(itest_error_code(a), "not_combinable");
    json_decref(a);
    /* The same receipt id with another basket is another basket: refused, said so. */
    json_t *o2 = itest_issue(other, 1, NULL);
    itest_uniq(receipt, sizeof receipt, "X");
    assert_int_equal(itest_redeem_at(t, itest_code(o, 1), 4000, itest_uniq(txn, sizeof txn, "x"),
                                     receipt, NULL, NULL),
                     201);
    assert_int_equal(itest_redeem_at(t, itest_code(o2, 0), 3999, itest_uniq(txn, sizeof txn, "x"),
                                     receipt, NULL, &a),
                     409);
    assert_string_equal(itest_error_code(a), "conflict");
    assert_non_null(strstr(json_string_value(json_object_get(a, "message")), "40.00 EUR"));
    json_decref(a);
    itest_client_free(t);
    json_decref(s);
    json_decref(o);
    json_decref(o2);
}

/* 16 half-price coupons of one campaign race onto one receipt: every one goes through, and the
 * receipt's discount is the fixed order's, never the basket or more. */
struct stack_race {
    json_t *issued;
    const char *receipt;
    pthread_barrier_t barrier;
    pthread_mutex_t lock;
    long created, other;
    long long sum;
};
struct stack_racer {
    struct stack_race *race;
    size_t i;
};

static void *stack_racer_run(void *arg)
{
    struct stack_racer *me = arg;
    struct itest_client *c = itest_client_new("terminal-1");
    char txn[64];
    itest_uniq(txn, sizeof txn, "sr");
    pthread_barrier_wait(&me->race->barrier);
    json_t *a = NULL;
    long st = itest_redeem_at(c, itest_code(me->race->issued, me->i), 1000, txn, me->race->receipt,
                              NULL, &a);
    pthread_mutex_lock(&me->race->lock);
    if (st == 201) {
        me->race->created++;
        me->race->sum += itest_int(a, "discount_cents");
    } else {
        me->race->other++;
    }
    pthread_mutex_unlock(&me->race->lock);
    json_decref(a);
    itest_client_free(c);
    return NULL;
}

static void racing_coupons_on_one_receipt_add_up_to_the_fixed_order(void **state)
{
    (void)state;
    enum { N = 16 };
    long long half =
        itest_campaign("{\"max_per_receipt\":16,\"offer\":{\"kind\":\"percent\",\"value\":50}}");
    char receipt[64];
    struct stack_race race = {.issued = itest_issue(half, N, NULL),
                              .receipt = itest_uniq(receipt, sizeof receipt, "H")};
    pthread_barrier_init(&race.barrier, NULL, N);
    pthread_mutex_init(&race.lock, NULL);
    pthread_t threads[N];
    struct stack_racer racers[N];
    for (size_t i = 0; i < N; i++) {
        racers[i] = (struct stack_racer){&race, i};
        assert_int_equal(pthread_create(&threads[i], NULL, stack_racer_run, &racers[i]), 0);
    }
    for (size_t i = 0; i < N; i++)
        pthread_join(threads[i], NULL);
    struct cpn_stack_offer offers[N];
    int64_t d[N], total;
    for (size_t i = 0; i < N; i++)
        offers[i] = (struct cpn_stack_offer){CPN_STACK_PERCENT, 50};
    assert_int_equal(cpn_stack_apply(1000, offers, N, d, NULL, &total), CPN_OK);
    fprintf(stderr, "16 racers on one receipt: %ld created, discount %lld (fixed order %lld)\n",
            race.created, race.sum, (long long)total);
    assert_int_equal(race.created, N);
    assert_int_equal(race.other, 0);
    assert_int_equal(race.sum, total);
    assert_true(race.sum <= 1000);
    json_decref(race.issued);
    pthread_barrier_destroy(&race.barrier);
    pthread_mutex_destroy(&race.lock);
}

/* --- German --- */

static void german_tills_get_german_sentences_with_the_same_machine_codes(void **state)
{
    (void)state;
    struct itest_client *t = itest_client_new("terminal-1");
    itest_client_language(t, "de-DE,de;q=0.9,en;q=0.8");
    json_t *a = NULL;
    char txn[64];
    assert_int_equal(
        itest_redeem_at(t, "nonsense", 100, itest_uniq(txn, sizeof txn, "de"), NULL, NULL, &a),
        400);
    assert_string_equal(itest_error_code(a), "malformed_code");
    assert_string_equal(json_string_value(json_object_get(a, "message")),
                        "Das ist kein Coupon-Code: bitte noch einmal scannen oder eintippen.");
    json_decref(a);
    long long campaign = itest_campaign(NULL);
    json_t *issued = itest_issue(campaign, 1, NULL);
    assert_int_equal(itest_redeem_at(t, itest_code(issued, 0), 100,
                                     itest_uniq(txn, sizeof txn, "de"), NULL, NULL, NULL),
                     201);
    assert_int_equal(itest_redeem_at(t, itest_code(issued, 0), 100,
                                     itest_uniq(txn, sizeof txn, "de"), NULL, NULL, &a),
                     409);
    assert_string_equal(itest_error_code(a), "already_redeemed");
    assert_non_null(strstr(json_string_value(json_object_get(a, "message")),
                           "Dieser Coupon wurde bereits am "));
    json_decref(a);
    json_t *check = json_pack("{s:s, s:i}", "code", itest_code(issued, 0), "basket_cents", 100);
    assert_int_equal(itest_post(t, "/v1/checks", check, &a), 200);
    assert_string_equal(json_string_value(json_object_get(a, "reason")), "already_redeemed");
    assert_non_null(strstr(json_string_value(json_object_get(a, "message")), "eingelöst"));
    json_decref(a);
    /* The same coupon accepted offline a minute ago, after it was redeemed: the offline
     * conflict's sentence is German too. */
    char at[32];
    time_t minute_ago = time(NULL) - 60;
    struct tm tm;
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&minute_ago, &tm));
    json_t *late = json_pack("{s:s, s:i, s:s, s:s}", "code", itest_code(issued, 0), "basket_cents",
                             100, "txn_id", itest_uniq(txn, sizeof txn, "de"), "offline_at", at);
    assert_int_equal(itest_post(t, "/v1/redemptions", late, &a), 409);
    assert_string_equal(itest_error_code(a), "offline_conflict");
    assert_non_null(strstr(json_string_value(json_object_get(a, "message")),
                           "Dieser Coupon wurde offline angenommen, aber er war am "));
    json_decref(a);
    /* English stays the default. */
    itest_client_language(t, "fr-FR");
    assert_int_equal(
        itest_redeem_at(t, "nonsense", 100, itest_uniq(txn, sizeof txn, "de"), NULL, NULL, &a),
        400);
    assert_string_equal(json_string_value(json_object_get(a, "message")),
                        "This is not a coupon code: please scan or type it again.");
    json_decref(a);
    json_decref(issued);
    itest_client_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(generic_code_limited_per_card_holds_under_64_racers_and_500_cards),
        cmocka_unit_test(a_campaign_limited_per_card_counts_every_code_of_it),
        cmocka_unit_test(two_coupons_of_one_campaign_on_one_receipt_the_second_is_not_combinable),
        cmocka_unit_test(stackable_10_and_15_percent_on_one_100_euro_receipt_give_23_50),
        cmocka_unit_test(an_exclusive_coupon_refuses_company_either_way),
        cmocka_unit_test(racing_coupons_on_one_receipt_add_up_to_the_fixed_order),
        cmocka_unit_test(german_tills_get_german_sentences_with_the_same_machine_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
