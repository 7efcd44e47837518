/* Receipt codes against a running coupond and PostgreSQL (issue 17): the code of a card-less
 * purchase credits one card once: the same code on two cards, twice on one card, after its
 * deadline (a code made here with the service's own keys), for a purchase that earned points at
 * the till, and 16 cards racing for one code: credited exactly once; a forged code is refused;
 * a replay answers the first answer. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "coupon/keys.h"
#include "coupon/receipt_code.h"
#include "itest_analytics.h"
#include "itest_counter.h"

/* A receipt code for purchase TXN of BASKET cents at terminal-1 (store 1), from the service. */
static char *receipt_code(const char *txn, long long basket, json_t **answer)
{
    struct itest_client *t = itest_client_new("terminal-1");
    json_t *a = NULL;
    long st =
        itest_post(t, "/v1/receipt-codes",
                   json_pack("{s:s, s:I}", "txn_id", txn, "basket_cents", (json_int_t)basket), &a);
    itest_client_free(t);
    assert_int_equal(st, 200);
    char *code = strdup(json_string_value(json_object_get(a, "receipt_code")));
    if (answer != NULL)
        *answer = a;
    else
        json_decref(a);
    return code;
}

/* Credits CARD with CODE at WHO under TXN. */
static long credit(const char *who, const char *card, const char *code, const char *txn,
                   json_t **out)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/cards/%s/credit-receipt", card);
    struct itest_client *c = itest_client_new(who);
    long st =
        itest_post(c, path, json_pack("{s:s, s:s}", "receipt_code", code, "txn_id", txn), out);
    itest_client_free(c);
    return st;
}

static long long balance(const char *card)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/cards/%s", card);
    json_t *a = NULL;
    assert_int_equal(itest_call("terminal-2", "GET", path, NULL, &a), 200);
    long long b = itest_int(a, "balance");
    json_decref(a);
    return b;
}

static void a_receipt_code_credits_one_card_once(void **state)
{
    (void)state;
    struct itest_cards cards;
    assert_int_equal(itest_cards_make(2, &cards), 0);
    char purchase[64], txn[64];
    json_t *made = NULL, *a = NULL, *again = NULL;
    char *code = receipt_code(itest_uniq(purchase, sizeof purchase, "buy"), 4599, &made);
    assert_int_equal(itest_int(made, "store"), 1);
    assert_int_equal(itest_int(made, "credit_days"), 14);
    assert_non_null(json_string_value(json_object_get(made, "valid_until")));
    json_decref(made);
    /* Credited at another store's till, later: the points the purchase would have earned. */
    itest_uniq(txn, sizeof txn, "cr");
    assert_int_equal(credit("terminal-2", cards.numbers[0], code, txn, &a), 201);
    assert_int_equal(itest_int(a, "points"), 45);
    assert_int_equal(itest_int(json_object_get(a, "receipt"), "basket_cents"), 4599);
    assert_int_equal(credit("terminal-2", cards.numbers[0], code, txn, &again), 200);
    assert_true(json_equal(a, again));
    json_decref(a);
    json_decref(again);
    /* The same code on another card, and again on the same card: refused. */
    assert_int_equal(
        credit("terminal-2", cards.numbers[1], code, itest_uniq(txn, sizeof txn, "cr"), &a), 409);
    assert_string_equal(itest_error_code(a), "already_credited");
    json_decref(a);
    assert_int_equal(
        credit("terminal-1", cards.numbers[0], code, itest_uniq(txn, sizeof txn, "cr"), &a), 409);
    assert_string_equal(itest_error_code(a), "already_credited");
    json_decref(a);
    /* A second code for the same purchase (asked again) is the same purchase. */
    char *second = receipt_code(purchase, 4599, NULL);
    assert_int_equal(
        credit("terminal-2", cards.numbers[1], second, itest_uniq(txn, sizeof txn, "cr"), NULL),
        409);
    assert_int_equal(balance(cards.numbers[0]), 45);
    assert_int_equal(balance(cards.numbers[1]), 0);
    /* A changed symbol: forged (or not a code at all); nothing credited. */
    size_t n = strlen(code);
    code[n - 3] = code[n - 3] == 'A' ? 'B' : 'A';
    assert_int_equal(
        credit("terminal-2", cards.numbers[1], code, itest_uniq(txn, sizeof txn, "cr"), &a), 422);
    assert_string_equal(itest_error_code(a), "forged_code");
    json_decref(a);
    free(code);
    free(second);
    itest_cards_free(&cards);
}

static void a_receipt_code_after_its_deadline_credits_nothing(void **state)
{
    (void)state;
    /* A code the service's keys made, whose deadline passed a minute ago. */
    struct cpn_keyring *keys = cpn_keyring_new();
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/var/keys",
             getenv("COUPOND_SOURCE_DIR") != NULL ? getenv("COUPOND_SOURCE_DIR") : ".");
    assert_int_equal(cpn_keyring_load_dir(keys, dir), CPN_OK);
    struct cpn_receipt r = {.store = 1,
                            .issued_at = (uint32_t)time(NULL) - 15 * 86400,
                            .valid_until = (uint32_t)time(NULL) - 60,
                            .basket_cents = 9999};
    snprintf(r.terminal, sizeof r.terminal, "terminal-1");
    itest_uniq(r.txn, sizeof r.txn, "old");
    char code[CPN_RECEIPT_CODE_MAX], txn[64];
    assert_int_equal(cpn_receipt_make(keys, &r, code), CPN_OK);
    struct itest_cards cards;
    assert_int_equal(itest_cards_make(1, &cards), 0);
    json_t *a = NULL;
    assert_int_equal(
        credit("terminal-2", cards.numbers[0], code, itest_uniq(txn, sizeof txn, "cr"), &a), 422);
    assert_string_equal(itest_error_code(a), "expired");
    assert_non_null(json_string_value(json_object_get(a, "valid_until")));
    json_decref(a);
    assert_int_equal(balance(cards.numbers[0]), 0);
    /* The same purchase with a deadline ahead: credited (the deadline is the code's own). */
    r.valid_until = (uint32_t)time(NULL) + 3600;
    assert_int_equal(cpn_receipt_make(keys, &r, code), CPN_OK);
    assert_int_equal(
        credit("terminal-2", cards.numbers[0], code, itest_uniq(txn, sizeof txn, "cr"), NULL), 201);
    assert_int_equal(balance(cards.numbers[0]), 99);
    itest_cards_free(&cards);
    cpn_keyring_free(keys);
}

static void a_purchase_that_earned_points_is_not_credited_again(void **state)
{
    (void)state;
    struct itest_cards cards;
    assert_int_equal(itest_cards_make(2, &cards), 0);
    char purchase[64], path[96], txn[64];
    itest_uniq(purchase, sizeof purchase, "earned");
    /* The till earned on the purchase with card 0 (under the purchase's txn) ... */
    snprintf(path, sizeof path, "/v1/cards/%s/earn", cards.numbers[0]);
    struct itest_client *t = itest_client_new("terminal-1");
    assert_int_equal(itest_post(t, path,
                                json_pack("{s:i, s:s}", "basket_cents", 3000, "txn_id", purchase),
                                NULL),
                     201);
    itest_client_free(t);
    /* ... so its receipt code credits no card. */
    char *code = receipt_code(purchase, 3000, NULL);
    json_t *a = NULL;
    assert_int_equal(
        credit("terminal-1", cards.numbers[1], code, itest_uniq(txn, sizeof txn, "cr"), &a), 409);
    assert_string_equal(itest_error_code(a), "already_credited");
    assert_non_null(strstr(json_string_value(json_object_get(a, "message")), "already earned"));
    json_decref(a);
    assert_int_equal(balance(cards.numbers[1]), 0);
    free(code);
    itest_cards_free(&cards);
}

struct credit_race {
    const char *code;
    struct itest_cards *cards;
    pthread_barrier_t barrier;
    pthread_mutex_t lock;
    long created, refused, other;
};
struct credit_racer {
    struct credit_race *race;
    size_t i;
};

static void *credit_racer_run(void *arg)
{
    struct credit_racer *me = arg;
    char txn[64];
    itest_uniq(txn, sizeof txn, "race");
    pthread_barrier_wait(&me->race->barrier);
    json_t *a = NULL;
    long st = credit(me->i % 2 ? "terminal-1" : "terminal-2", me->race->cards->numbers[me->i],
                     me->race->code, txn, &a);
    pthread_mutex_lock(&me->race->lock);
    if (st == 201)
        me->race->created++;
    else if (st == 409 && strcmp(itest_error_code(a), "already_credited") == 0)
        me->race->refused++;
    else
        me->race->other++;
    pthread_mutex_unlock(&me->race->lock);
    json_decref(a);
    return NULL;
}

static void sixteen_cards_racing_for_one_receipt_get_it_credited_once(void **state)
{
    (void)state;
    enum { N = 16 };
    struct itest_cards cards;
    assert_int_equal(itest_cards_make(N, &cards), 0);
    char purchase[64];
    char *code = receipt_code(itest_uniq(purchase, sizeof purchase, "race"), 10000, NULL);
    struct credit_race race = {.code = code, .cards = &cards};
    pthread_barrier_init(&race.barrier, NULL, N);
    pthread_mutex_init(&race.lock, NULL);
    pthread_t threads[N];
    struct credit_racer racers[N];
    for (size_t i = 0; i < N; i++) {
        racers[i] = (struct credit_racer){&race, i};
        assert_int_equal(pthread_create(&threads[i], NULL, credit_racer_run, &racers[i]), 0);
    }
    for (size_t i = 0; i < N; i++)
        pthread_join(threads[i], NULL);
    fprintf(stderr, "16 cards, one receipt: %ld credited, %ld refused, %ld other\n", race.created,
            race.refused, race.other);
    assert_int_equal(race.created, 1);
    assert_int_equal(race.refused, N - 1);
    const char *p = purchase;
    assert_int_equal(itest_sql_number("SELECT count(*) FROM receipt_credits WHERE txn_id = $1", p),
                     1);
    free(code);
    itest_cards_free(&cards);
    pthread_barrier_destroy(&race.barrier);
    pthread_mutex_destroy(&race.lock);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_receipt_code_credits_one_card_once),
        cmocka_unit_test(a_receipt_code_after_its_deadline_credits_nothing),
        cmocka_unit_test(a_purchase_that_earned_points_is_not_credited_again),
        cmocka_unit_test(sixteen_cards_racing_for_one_receipt_get_it_credited_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
