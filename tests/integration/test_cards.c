/* Bonus cards against a running coupond and PostgreSQL: 64 tills burning 5 cards at once
 * never overdraw them and the ledger always adds up; earn, burn and void are idempotent
 * and a void reverses exactly its own transaction, once; burns spend the points closest
 * to expiry first and the expiry run is idempotent; points coupons credit their card;
 * personalised coupons work only with their card. */
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

#include "coupon/code.h"
#include "coupon/keys.h"
#include "itest.h"

#define RACE_CARDS    5
#define RACE_POINTS   1000
#define RACE_CLIENTS  64
#define RACE_BURNS    200
#define RACE_MAX_BURN 50

/* A txn id unique to this run (the test database outlives runs). */
static void txn_id(char *buf, size_t len, const char *base, int n)
{
    snprintf(buf, len, "%s-%d-%d", base, (int)getpid(), n);
}

/* Issues a card as the marketer; returns its short form (caller frees) or NULL. */
static char *new_card(void)
{
    struct itest_client *m = itest_client_new("marketer");
    json_t *a = NULL;
    long status = itest_request(m, "POST", "/v1/cards", NULL, &a, NULL);
    itest_client_free(m);
    const char *card = json_string_value(json_object_get(a, "card"));
    char *out = status == 201 && card != NULL ? strdup(card) : NULL;
    if (out == NULL)
        fprintf(stderr, "new_card: status %ld\n", status);
    json_decref(a);
    return out;
}

/* The card's serial as decimal text (for SQL), read from its short form. */
static void card_serial_text(const char *card, char *buf, size_t len)
{
    struct cpn_code code;
    assert_int_equal(cpn_code_parse(card, strlen(card), &code), CPN_OK);
    snprintf(buf, len, "%u", (unsigned)code.serial);
}

/* POSTs {KEY: AMOUNT, txn_id: TXN} to /v1/cards/CARD/WHAT ("earn" or "burn"). */
static long card_book(struct itest_client *c, const char *card, const char *what, long amount,
                      const char *txn, json_t **answer)
{
    char path[96], body[160];
    snprintf(path, sizeof path, "/v1/cards/%s/%s", card, what);
    snprintf(body, sizeof body, "{\"%s\":%ld,\"txn_id\":\"%s\"}",
             strcmp(what, "earn") == 0 ? "basket_cents" : "points", amount, txn);
    return itest_request(c, "POST", path, body, answer, NULL);
}

static long card_void(struct itest_client *c, long long id, const char *txn, json_t **answer)
{
    char path[96], body[96];
    snprintf(path, sizeof path, "/v1/card-transactions/%lld/void", id);
    snprintf(body, sizeof body, "{\"txn_id\":\"%s\"}", txn);
    return itest_request(c, "POST", path, body, answer, NULL);
}

/* The balance GET /v1/cards/CARD shows, or -1. */
static long long card_balance(struct itest_client *c, const char *card)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/cards/%s", card);
    json_t *a = NULL;
    long status = itest_request(c, "GET", path, NULL, &a, NULL);
    long long b = status == 200 && json_is_integer(json_object_get(a, "balance"))
                      ? json_integer_value(json_object_get(a, "balance"))
                      : -1;
    json_decref(a);
    return b;
}

static long long int_of(const json_t *a, const char *key)
{
    return json_integer_value(json_object_get(a, key));
}

/* Asserts the books of card CARD agree: the ledger sums to the balance, the open lots
 * hold exactly the balance, and no ledger row ever recorded a negative balance. Returns
 * the balance. */
static long long assert_books(const char *card)
{
    char serial[16];
    card_serial_text(card, serial, sizeof serial);
    long long balance = itest_sql_number("SELECT balance FROM cards WHERE serial = $1", serial);
    long long ledger = itest_sql_number(
        "SELECT coalesce(sum(points), 0) FROM card_transactions WHERE card_serial = $1", serial);
    long long lots = itest_sql_number(
        "SELECT coalesce(sum(remaining), 0) FROM card_lots WHERE card_serial = $1", serial);
    long long lowest = itest_sql_number(
        "SELECT coalesce(min(balance_after), 0) FROM card_transactions WHERE card_serial = $1",
        serial);
    assert_true(balance >= 0);
    assert_int_equal(ledger, balance);
    assert_int_equal(lots, balance);
    assert_true(lowest >= 0);
    return balance;
}

/* --- the race: 64 tills burn 5 cards at once --- */

struct burn_race {
    char *cards[RACE_CARDS];
    pthread_barrier_t barrier;
    pthread_mutex_t lock;
    long long accepted_points[RACE_CARDS];
    long accepted, insufficient, server_errors, other, bad_answers;
    long long lowest_seen; /* the lowest balance any answer or sample showed */
    long samples;
    int running; /* under lock */
};

struct burner {
    struct burn_race *race;
    int id;
};

static void see_balance(struct burn_race *race, long long balance)
{
    if (balance < race->lowest_seen)
        race->lowest_seen = balance;
}

static void *burn_thread(void *arg)
{
    struct burner *me = arg;
    struct burn_race *race = me->race;
    struct itest_client *c = itest_client_new(me->id % 2 ? "terminal-1" : "terminal-2");
    unsigned seed = (unsigned)getpid() * 7919u + (unsigned)me->id;
    pthread_barrier_wait(&race->barrier);
    for (int k = 0; k < RACE_BURNS; k++) {
        int card = rand_r(&seed) % RACE_CARDS;
        long points = 1 + rand_r(&seed) % RACE_MAX_BURN;
        char txn[64];
        snprintf(txn, sizeof txn, "burn-%d-%d-%d", (int)getpid(), me->id, k);
        json_t *a = NULL;
        long status = card_book(c, race->cards[card], "burn", points, txn, &a);
        pthread_mutex_lock(&race->lock);
        if (status == 201) {
            race->accepted++;
            race->accepted_points[card] += points;
            if (int_of(a, "points") != points)
                race->bad_answers++;
            see_balance(race, int_of(a, "balance"));
        } else if (status == 409 && strcmp(itest_error_code(a), "insufficient_points") == 0) {
            race->insufficient++;
            /* Refused only when the points really were not there. */
            if (int_of(a, "balance") >= points)
                race->bad_answers++;
            see_balance(race, int_of(a, "balance"));
        } else if (status >= 500 || status < 0) {
            race->server_errors++;
        } else {
            race->other++;
            fprintf(stderr, "burn: unexpected %ld %s\n", status, itest_error_code(a));
        }
        pthread_mutex_unlock(&race->lock);
        json_decref(a);
    }
    itest_client_free(c);
    return NULL;
}

/* Samples the balances while the race runs, over the API and straight from PostgreSQL. */
static void *sample_thread(void *arg)
{
    struct burn_race *race = arg;
    struct itest_client *m = itest_client_new("marketer");
    char serials[RACE_CARDS * 12 + 8];
    size_t len = 0;
    for (int i = 0; i < RACE_CARDS; i++) {
        char s[16];
        card_serial_text(race->cards[i], s, sizeof s);
        len += (size_t)snprintf(serials + len, sizeof serials - len, "%s%s", i == 0 ? "{" : ",", s);
    }
    snprintf(serials + len, sizeof serials - len, "}");
    for (;;) {
        pthread_mutex_lock(&race->lock);
        int running = race->running;
        pthread_mutex_unlock(&race->lock);
        if (!running)
            break;
        for (int i = 0; i < RACE_CARDS; i++) {
            long long b = card_balance(m, race->cards[i]);
            pthread_mutex_lock(&race->lock);
            race->samples++;
            if (b < 0)
                race->bad_answers++;
            else
                see_balance(race, b);
            pthread_mutex_unlock(&race->lock);
        }
        long long low = itest_sql_number(
            "SELECT min(balance) FROM cards WHERE serial = ANY ($1::bigint[])", serials);
        pthread_mutex_lock(&race->lock);
        race->samples++;
        see_balance(race, low);
        pthread_mutex_unlock(&race->lock);
    }
    itest_client_free(m);
    return NULL;
}

static void burn_race_64_clients_x_200_burns_never_overdraws_5_cards(void **state)
{
    (void)state;
    struct burn_race race = {.lowest_seen = RACE_POINTS, .running = 1};
    struct itest_client *t = itest_client_new("terminal-1");
    for (int i = 0; i < RACE_CARDS; i++) {
        race.cards[i] = new_card();
        assert_non_null(race.cards[i]);
        char txn[64];
        txn_id(txn, sizeof txn, "race-fill", i);
        json_t *a = NULL;
        assert_int_equal(card_book(t, race.cards[i], "earn", RACE_POINTS * 100L, txn, &a), 201);
        assert_int_equal(int_of(a, "points"), RACE_POINTS);
        assert_int_equal(int_of(a, "balance"), RACE_POINTS);
        json_decref(a);
    }
    itest_client_free(t);
    pthread_barrier_init(&race.barrier, NULL, RACE_CLIENTS);
    pthread_mutex_init(&race.lock, NULL);
    pthread_t threads[RACE_CLIENTS], sampler;
    struct burner burners[RACE_CLIENTS];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(pthread_create(&sampler, NULL, sample_thread, &race), 0);
    for (int i = 0; i < RACE_CLIENTS; i++) {
        burners[i] = (struct burner){&race, i};
        assert_int_equal(pthread_create(&threads[i], NULL, burn_thread, &burners[i]), 0);
    }
    for (int i = 0; i < RACE_CLIENTS; i++)
        pthread_join(threads[i], NULL);
    pthread_mutex_lock(&race.lock);
    race.running = 0;
    pthread_mutex_unlock(&race.lock);
    pthread_join(sampler, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

    fprintf(stderr,
            "burn race: %d clients x %d burns on %d cards in %.1f s: %ld accepted, %ld "
            "insufficient_points, %ld 5xx, %ld other, %ld bad answers; %ld balance samples, "
            "lowest balance seen %lld\n",
            RACE_CLIENTS, RACE_BURNS, RACE_CARDS, secs, race.accepted, race.insufficient,
            race.server_errors, race.other, race.bad_answers, race.samples, race.lowest_seen);
    struct itest_client *m = itest_client_new("marketer");
    for (int i = 0; i < RACE_CARDS; i++) {
        long long final = assert_books(race.cards[i]);
        long long shown = card_balance(m, race.cards[i]);
        fprintf(stderr, "  card %s: %d - %lld accepted = %lld final (API %lld)\n", race.cards[i],
                RACE_POINTS, race.accepted_points[i], final, shown);
        /* No burn was accepted beyond the balance. */
        assert_int_equal(RACE_POINTS - race.accepted_points[i], final);
        assert_int_equal(shown, final);
        char serial[16];
        card_serial_text(race.cards[i], serial, sizeof serial);
        assert_int_equal(itest_sql_number("SELECT count(*) FROM card_transactions"
                                          " WHERE card_serial = $1 AND kind = 'burn'",
                                          serial),
                         itest_sql_number("SELECT count(*) FROM card_lot_moves m"
                                          " JOIN card_transactions t ON t.id = m.transaction_id"
                                          " WHERE t.card_serial = $1 AND t.kind = 'burn'",
                                          serial));
    }
    itest_client_free(m);
    assert_int_equal(race.accepted + race.insufficient, (long)RACE_CLIENTS * RACE_BURNS);
    assert_int_equal(race.server_errors, 0);
    assert_int_equal(race.other, 0);
    assert_int_equal(race.bad_answers, 0);
    assert_true(race.lowest_seen >= 0);
    assert_true(race.samples > 0);
    for (int i = 0; i < RACE_CARDS; i++)
        free(race.cards[i]);
    pthread_barrier_destroy(&race.barrier);
    pthread_mutex_destroy(&race.lock);
}

/* --- issue, read, refuse --- */

static void card_issue_gives_both_forms_and_stores_no_person(void **state)
{
    (void)state;
    struct itest_client *m = itest_client_new("marketer"), *t = itest_client_new("terminal-1"),
                        *ad = itest_client_new("admin");
    json_t *a = NULL;
    assert_int_equal(itest_request(t, "POST", "/v1/cards", "{}", &a, NULL), 201);
    json_decref(a);
    assert_int_equal(itest_request(ad, "POST", "/v1/cards", NULL, &a, NULL), 201);
    json_decref(a);
    assert_int_equal(itest_request(m, "POST", "/v1/cards", "{\"name\":\"Erika Muster\"}", &a, NULL),
                     400);
    assert_string_equal(itest_error_code(a), "bad_request");
    json_decref(a);
    assert_int_equal(itest_request(m, "POST", "/v1/cards", NULL, &a, NULL), 201);
    char card[32], sig[CPN_SIGNED_MAX_LEN + 1];
    snprintf(card, sizeof card, "%s", json_string_value(json_object_get(a, "card")));
    snprintf(sig, sizeof sig, "%s", json_string_value(json_object_get(a, "signed")));
    json_decref(a);
    assert_true(strlen(card) > 0 && strlen(card) <= 20);
    assert_true(strlen(sig) > strlen(card));
    /* Both forms name the same card; a terminal and a marketer may read it. */
    char path[256];
    snprintf(path, sizeof path, "/v1/cards/%s", sig);
    assert_int_equal(itest_request(t, "GET", path, NULL, &a, NULL), 200);
    assert_string_equal(json_string_value(json_object_get(a, "card")), card);
    assert_int_equal(int_of(a, "balance"), 0);
    assert_true(json_is_array(json_object_get(a, "expiring")));
    json_decref(a);
    assert_int_equal(card_balance(m, card), 0);
    snprintf(path, sizeof path, "/v1/cards/%s/qr.svg", card);
    char *raw = NULL;
    assert_int_equal(itest_request(m, "GET", path, NULL, NULL, &raw), 200);
    assert_non_null(strstr(raw, "<svg"));
    free(raw);
    /* Typed badly, forged, or a coupon's code: refused before the database. */
    assert_int_equal(itest_request(t, "GET", "/v1/cards/NOT-A-CARD", NULL, &a, NULL), 400);
    assert_string_equal(itest_error_code(a), "malformed_code");
    json_decref(a);
    long long campaign = itest_campaign(NULL);
    json_t *issued = itest_issue(campaign, 1, NULL);
    snprintf(path, sizeof path, "/v1/cards/%s", itest_code(issued, 0));
    assert_int_equal(itest_request(t, "GET", path, NULL, &a, NULL), 422);
    assert_string_equal(itest_error_code(a), "forged_code");
    json_decref(a);
    json_decref(issued);
    /* Pseudonymous: the card table holds a number, a time and a balance, nothing else. */
    assert_int_equal(itest_sql_number("SELECT count(*) FROM information_schema.columns"
                                      " WHERE table_name = 'cards'",
                                      NULL),
                     3);
    itest_client_free(m);
    itest_client_free(t);
    itest_client_free(ad);
}

/* --- earn and burn: rules, replays, refusals --- */

static void earn_one_point_per_full_euro_replays_and_conflicts(void **state)
{
    (void)state;
    char *card = new_card();
    assert_non_null(card);
    struct itest_client *t = itest_client_new("terminal-1"), *m = itest_client_new("marketer");
    char txn[64];
    txn_id(txn, sizeof txn, "earn", 1);
    json_t *a = NULL;
    assert_int_equal(card_book(t, card, "earn", 1999, txn, &a), 201);
    char *first = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
    assert_int_equal(int_of(a, "points"), 19);
    assert_int_equal(int_of(a, "balance"), 19);
    json_decref(a);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(card_book(t, card, "earn", 1999, txn, &a), 200);
        char *again = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
        assert_string_equal(again, first);
        free(again);
        json_decref(a);
    }
    free(first);
    /* The same txn_id with another body, or for a burn: a conflict, nothing booked. */
    assert_int_equal(card_book(t, card, "earn", 2000, txn, &a), 409);
    assert_string_equal(itest_error_code(a), "conflict");
    json_decref(a);
    assert_int_equal(card_book(t, card, "burn", 5, txn, &a), 409);
    assert_string_equal(itest_error_code(a), "conflict");
    json_decref(a);
    /* The same txn_id on the other terminal is that terminal's own transaction. */
    struct itest_client *t2 = itest_client_new("terminal-2");
    assert_int_equal(card_book(t2, card, "earn", 99, txn, &a), 201);
    assert_int_equal(int_of(a, "points"), 0);
    json_decref(a);
    itest_client_free(t2);
    assert_int_equal(card_balance(m, card), 19);
    /* Only a till earns; bad bodies change nothing. */
    assert_int_equal(card_book(m, card, "earn", 1000, "x", &a), 403);
    json_decref(a);
    char path[96];
    snprintf(path, sizeof path, "/v1/cards/%s/earn", card);
    assert_int_equal(
        itest_request(t, "POST", path, "{\"basket_cents\":-1,\"txn_id\":\"neg\"}", &a, NULL), 400);
    json_decref(a);
    assert_int_equal(itest_request(t, "POST", path,
                                   "{\"basket_cents\":100,\"txn_id\":\"x\",\"store\":2}", &a, NULL),
                     400);
    json_decref(a);
    snprintf(path, sizeof path, "/v1/cards/%s/burn", card);
    assert_int_equal(itest_request(t, "POST", path, "{\"points\":0,\"txn_id\":\"zero\"}", &a, NULL),
                     400);
    json_decref(a);
    assert_int_equal(assert_books(card), 19);
    itest_client_free(t);
    itest_client_free(m);
    free(card);
}

static void burn_beyond_the_balance_is_refused_with_insufficient_points(void **state)
{
    (void)state;
    char *card = new_card();
    struct itest_client *t = itest_client_new("terminal-2");
    char txn[64];
    json_t *a = NULL;
    txn_id(txn, sizeof txn, "fill", 0);
    assert_int_equal(card_book(t, card, "earn", 10000, txn, &a), 201);
    json_decref(a);
    txn_id(txn, sizeof txn, "over", 0);
    assert_int_equal(card_book(t, card, "burn", 101, txn, &a), 409);
    assert_string_equal(itest_error_code(a), "insufficient_points");
    assert_int_equal(int_of(a, "balance"), 100);
    fprintf(stderr, "refusal: %s\n", json_string_value(json_object_get(a, "message")));
    assert_non_null(strstr(json_string_value(json_object_get(a, "message")), "100"));
    json_decref(a);
    /* A refused burn booked nothing; the same txn_id may try again. */
    assert_int_equal(card_book(t, card, "burn", 100, txn, &a), 201);
    assert_int_equal(int_of(a, "balance"), 0);
    assert_int_equal(int_of(a, "value_cents"), 100);
    json_decref(a);
    txn_id(txn, sizeof txn, "over", 1);
    assert_int_equal(card_book(t, card, "burn", 1, txn, &a), 409);
    assert_string_equal(itest_error_code(a), "insufficient_points");
    json_decref(a);
    assert_int_equal(assert_books(card), 0);
    itest_client_free(t);
    free(card);
}

/* --- voids --- */

static void void_reverses_exactly_its_own_transaction_once(void **state)
{
    (void)state;
    char *card = new_card();
    struct itest_client *t1 = itest_client_new("terminal-1"), *t2 = itest_client_new("terminal-2");
    char txn[64];
    json_t *a = NULL;
    txn_id(txn, sizeof txn, "v-earn", 0);
    assert_int_equal(card_book(t1, card, "earn", 100000, txn, &a), 201);
    long long earn = int_of(a, "transaction_id");
    json_decref(a);
    txn_id(txn, sizeof txn, "v-burn", 0);
    assert_int_equal(card_book(t1, card, "burn", 300, txn, &a), 201);
    long long burn = int_of(a, "transaction_id");
    assert_int_equal(int_of(a, "balance"), 700);
    json_decref(a);
    /* Another store cannot void it. */
    txn_id(txn, sizeof txn, "v-x", 0);
    assert_int_equal(card_void(t2, burn, txn, &a), 422);
    assert_string_equal(itest_error_code(a), "wrong_store");
    json_decref(a);
    /* The void gives back exactly the 300 points; its replay answers the same. */
    txn_id(txn, sizeof txn, "v-1", 0);
    assert_int_equal(card_void(t1, burn, txn, &a), 200);
    char *first = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
    assert_int_equal(int_of(a, "transaction_id"), burn);
    assert_int_equal(int_of(a, "points"), 300);
    assert_int_equal(int_of(a, "balance"), 1000);
    long long void_id = int_of(a, "void_id");
    json_decref(a);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(card_void(t1, burn, txn, &a), 200);
        char *again = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
        assert_string_equal(again, first);
        free(again);
        json_decref(a);
    }
    free(first);
    /* Once: another txn_id is refused; a void cannot be voided; the txn_id of the void
     * names another request when used on another transaction. */
    txn_id(txn, sizeof txn, "v-2", 0);
    assert_int_equal(card_void(t1, burn, txn, &a), 409);
    assert_string_equal(itest_error_code(a), "conflict");
    assert_int_equal(int_of(a, "void_id"), void_id);
    json_decref(a);
    txn_id(txn, sizeof txn, "v-3", 0);
    assert_int_equal(card_void(t1, void_id, txn, &a), 409);
    json_decref(a);
    txn_id(txn, sizeof txn, "v-1", 0);
    assert_int_equal(card_void(t1, earn, txn, &a), 409);
    assert_string_equal(itest_error_code(a), "conflict");
    json_decref(a);
    assert_int_equal(card_void(t1, 999999999999LL, "v-none", &a), 404);
    json_decref(a);
    /* An earn whose points were spent cannot be voided: that would overdraw the card. */
    txn_id(txn, sizeof txn, "v-burn", 1);
    assert_int_equal(card_book(t1, card, "burn", 400, txn, &a), 201);
    long long burn2 = int_of(a, "transaction_id");
    json_decref(a);
    txn_id(txn, sizeof txn, "v-earn-void", 0);
    assert_int_equal(card_void(t1, earn, txn, &a), 409);
    assert_string_equal(itest_error_code(a), "insufficient_points");
    assert_int_equal(int_of(a, "balance"), 600);
    fprintf(stderr, "refusal: %s\n", json_string_value(json_object_get(a, "message")));
    json_decref(a);
    assert_int_equal(assert_books(card), 600);
    /* Once the burn is voided too, the earn's void takes the card back to 0. */
    txn_id(txn, sizeof txn, "v-burn2-void", 0);
    assert_int_equal(card_void(t1, burn2, txn, &a), 200);
    assert_int_equal(int_of(a, "balance"), 1000);
    json_decref(a);
    txn_id(txn, sizeof txn, "v-earn-void", 1);
    assert_int_equal(card_void(t1, earn, txn, &a), 200);
    assert_int_equal(int_of(a, "points"), -1000);
    assert_int_equal(int_of(a, "balance"), 0);
    json_decref(a);
    assert_int_equal(assert_books(card), 0);
    itest_client_free(t1);
    itest_client_free(t2);
    free(card);
}

/* --- the same request from many racers at once --- */

#define SAME_RACERS 16

struct same_race {
    const char *card;
    long long target; /* void: the transaction; burn: 0 */
    char txn[SAME_RACERS][64];
    pthread_barrier_t barrier;
    pthread_mutex_t lock;
    long created, replayed, refused, bad;
    char *first; /* the 201/200 body every success must repeat */
};

struct same_racer {
    struct same_race *race;
    int id;
};

static void *same_thread(void *arg)
{
    struct same_racer *me = arg;
    struct same_race *race = me->race;
    struct itest_client *c = itest_client_new("terminal-1");
    json_t *a = NULL;
    pthread_barrier_wait(&race->barrier);
    long status = race->target == 0 ? card_book(c, race->card, "burn", 7, race->txn[me->id], &a)
                                    : card_void(c, race->target, race->txn[me->id], &a);
    char *text = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
    pthread_mutex_lock(&race->lock);
    if (status == 201 || (status == 200 && race->target != 0))
        race->created++;
    else if (status == 200)
        race->replayed++;
    else if (status == 409 && strcmp(itest_error_code(a), "conflict") == 0)
        race->refused++;
    else
        race->bad++;
    if (status == 200 || status == 201) {
        /* Every success carries the same answer (the replays repeat the first). */
        if (race->first == NULL)
            race->first = strdup(text);
        else if (strcmp(race->first, text) != 0)
            race->bad++;
    }
    pthread_mutex_unlock(&race->lock);
    free(text);
    json_decref(a);
    itest_client_free(c);
    return NULL;
}

static void run_same(struct same_race *race)
{
    pthread_barrier_init(&race->barrier, NULL, SAME_RACERS);
    pthread_mutex_init(&race->lock, NULL);
    pthread_t threads[SAME_RACERS];
    struct same_racer racers[SAME_RACERS];
    for (int i = 0; i < SAME_RACERS; i++) {
        racers[i] = (struct same_racer){race, i};
        assert_int_equal(pthread_create(&threads[i], NULL, same_thread, &racers[i]), 0);
    }
    for (int i = 0; i < SAME_RACERS; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&race->barrier);
    pthread_mutex_destroy(&race->lock);
    free(race->first);
}

static void same_burn_from_16_racers_books_once_and_voids_race_to_one(void **state)
{
    (void)state;
    char *card = new_card();
    struct itest_client *t = itest_client_new("terminal-1");
    char txn[64];
    json_t *a = NULL;
    txn_id(txn, sizeof txn, "same-fill", 0);
    assert_int_equal(card_book(t, card, "earn", 10000, txn, &a), 201);
    json_decref(a);
    /* One txn_id, sixteen tills' retries at once: one burn, fifteen replays. */
    struct same_race burn = {.card = card};
    for (int i = 0; i < SAME_RACERS; i++)
        txn_id(burn.txn[i], sizeof burn.txn[i], "same-burn", 0);
    run_same(&burn);
    fprintf(stderr, "same burn x%d: %ld booked, %ld replayed, %ld other\n", SAME_RACERS,
            burn.created, burn.replayed, burn.bad + burn.refused);
    assert_int_equal(burn.created, 1);
    assert_int_equal(burn.replayed, SAME_RACERS - 1);
    assert_int_equal(burn.bad + burn.refused, 0);
    assert_int_equal(assert_books(card), 93);
    /* Sixteen different voids of that burn at once: exactly one reverses it. */
    char serial[16];
    card_serial_text(card, serial, sizeof serial);
    struct same_race v = {
        .card = card,
        .target = itest_sql_number(
            "SELECT id FROM card_transactions WHERE card_serial = $1 AND kind = 'burn'", serial)};
    for (int i = 0; i < SAME_RACERS; i++)
        txn_id(v.txn[i], sizeof v.txn[i], "same-void", i);
    run_same(&v);
    fprintf(stderr, "16 voids of one burn: %ld voided, %ld refused, %ld other\n", v.created,
            v.refused, v.bad);
    assert_int_equal(v.created, 1);
    assert_int_equal(v.refused, SAME_RACERS - 1);
    assert_int_equal(v.bad, 0);
    assert_int_equal(assert_books(card), 100);
    itest_client_free(t);
    free(card);
}

/* --- expiry --- */

/* Moves the expiry of the lot that card transaction TX created to DAYS from now. */
static void set_lot_expiry(long long tx, int days)
{
    char sql[200], id[32];
    snprintf(sql, sizeof sql,
             "WITH u AS (UPDATE card_lots SET expires_at = now() + make_interval(days => %d)"
             " WHERE transaction_id = $1 RETURNING 1) SELECT count(*) FROM u",
             days);
    snprintf(id, sizeof id, "%lld", tx);
    assert_int_equal(itest_sql_number(sql, id), 1);
}

static long long lot_remaining(long long tx)
{
    char id[32];
    snprintf(id, sizeof id, "%lld", tx);
    return itest_sql_number("SELECT remaining FROM card_lots WHERE transaction_id = $1", id);
}

static void burns_spend_points_closest_to_expiry_first_and_expiry_run_is_idempotent(void **state)
{
    (void)state;
    char *card = new_card();
    struct itest_client *t = itest_client_new("terminal-1"), *m = itest_client_new("marketer");
    long long lot[3];
    const long baskets[3] = {10000, 20000, 30000}; /* 100, 200, 300 points */
    const int days[3] = {30, 10, 60};
    for (int i = 0; i < 3; i++) {
        char txn[64];
        txn_id(txn, sizeof txn, "lot", i);
        json_t *a = NULL;
        assert_int_equal(card_book(t, card, "earn", baskets[i], txn, &a), 201);
        lot[i] = int_of(a, "transaction_id");
        json_decref(a);
    }
    /* By default points expire 24 months after they were earned. */
    char id[32];
    snprintf(id, sizeof id, "%lld", lot[0]);
    assert_int_equal(itest_sql_number("SELECT (expires_at BETWEEN now() + interval '23 months'"
                                      " AND now() + interval '24 months')::int"
                                      " FROM card_lots WHERE transaction_id = $1",
                                      id),
                     1);
    for (int i = 0; i < 3; i++)
        set_lot_expiry(lot[i], days[i]);
    /* 250 points: all 200 of the lot expiring in 10 days, then 50 of the one in 30. */
    char txn[64];
    json_t *a = NULL;
    txn_id(txn, sizeof txn, "fifo", 0);
    assert_int_equal(card_book(t, card, "burn", 250, txn, &a), 201);
    long long burn = int_of(a, "transaction_id");
    assert_int_equal(int_of(a, "balance"), 350);
    json_decref(a);
    assert_int_equal(lot_remaining(lot[1]), 0);
    assert_int_equal(lot_remaining(lot[0]), 50);
    assert_int_equal(lot_remaining(lot[2]), 300);
    char path[96];
    snprintf(path, sizeof path, "/v1/cards/%s", card);
    assert_int_equal(itest_request(m, "GET", path, NULL, &a, NULL), 200);
    json_t *exp = json_object_get(a, "expiring");
    assert_int_equal(json_array_size(exp), 2);
    assert_int_equal(int_of(json_array_get(exp, 0), "points"), 50);
    assert_int_equal(int_of(json_array_get(exp, 1), "points"), 300);
    json_decref(a);
    /* The void of that burn gives the points back to the very lots it spent. */
    txn_id(txn, sizeof txn, "fifo-void", 0);
    assert_int_equal(card_void(t, burn, txn, &a), 200);
    json_decref(a);
    assert_int_equal(lot_remaining(lot[1]), 200);
    assert_int_equal(lot_remaining(lot[0]), 100);
    txn_id(txn, sizeof txn, "fifo", 1);
    assert_int_equal(card_book(t, card, "burn", 250, txn, &a), 201);
    json_decref(a);
    /* The lot with 50 left expires: the balance no longer counts them, the run books
     * them out once, and a second run finds nothing. */
    set_lot_expiry(lot[0], -1);
    assert_int_equal(card_balance(m, card), 300);
    long long first = itest_sql_number("SELECT card_expire()", NULL);
    long long second = itest_sql_number("SELECT card_expire()", NULL);
    fprintf(stderr, "expiry runs: %lld card(s), then %lld\n", first, second);
    assert_true(first >= 1);
    assert_int_equal(second, 0);
    char serial[16];
    card_serial_text(card, serial, sizeof serial);
    assert_int_equal(itest_sql_number("SELECT sum(points) FROM card_transactions"
                                      " WHERE card_serial = $1 AND kind = 'expire'",
                                      serial),
                     -50);
    assert_int_equal(assert_books(card), 300);
    assert_int_equal(card_balance(m, card), 300);
    /* A burn finds a due lot itself, before any run: it never spends expired points. */
    set_lot_expiry(lot[2], -1);
    txn_id(txn, sizeof txn, "fifo", 2);
    assert_int_equal(card_book(t, card, "burn", 1, txn, &a), 409);
    assert_string_equal(itest_error_code(a), "insufficient_points");
    assert_int_equal(int_of(a, "balance"), 0);
    json_decref(a);
    assert_int_equal(assert_books(card), 0);
    assert_int_equal(itest_sql_number("SELECT card_expire()", NULL), 0);
    itest_client_free(t);
    itest_client_free(m);
    free(card);
}

/* --- coupons and cards --- */

static long redeem(struct itest_client *c, const char *code, const char *card, const char *txn,
                   json_t **answer)
{
    json_t *body = json_pack("{s:s, s:i, s:s}", "code", code, "basket_cents", 5000, "txn_id", txn);
    if (card != NULL)
        json_object_set_new(body, "card", json_string(card));
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    long status = itest_request(c, "POST", "/v1/redemptions", text, answer, NULL);
    free(text);
    return status;
}

static void personalised_coupon_redeems_only_with_its_card(void **state)
{
    (void)state;
    char *mine = new_card(), *other = new_card();
    assert_non_null(mine);
    assert_non_null(other);
    long long campaign = itest_campaign(NULL);
    char extra[96];
    snprintf(extra, sizeof extra, "{\"card\":\"%s\"}", mine);
    json_t *issued = itest_issue(campaign, 1, extra);
    assert_non_null(issued);
    struct itest_client *t = itest_client_new("terminal-1");
    char txn[64];
    json_t *a = NULL;
    txn_id(txn, sizeof txn, "pers", 0);
    assert_int_equal(redeem(t, itest_code(issued, 0), NULL, txn, &a), 422);
    assert_string_equal(itest_error_code(a), "card_required");
    json_decref(a);
    txn_id(txn, sizeof txn, "pers", 1);
    assert_int_equal(redeem(t, itest_code(issued, 0), other, txn, &a), 422);
    assert_string_equal(itest_error_code(a), "card_required");
    const char *message = json_string_value(json_object_get(a, "message"));
    fprintf(stderr, "wrong card: %s\n", message);
    assert_non_null(strstr(message, "another bonus card"));
    json_decref(a);
    txn_id(txn, sizeof txn, "pers", 2);
    assert_int_equal(redeem(t, itest_code(issued, 0), mine, txn, &a), 201);
    assert_int_equal(int_of(a, "discount_cents"), 500);
    json_decref(a);
    itest_client_free(t);
    json_decref(issued);
    free(mine);
    free(other);
}

static void points_coupon_credits_its_card_and_its_void_takes_them_back(void **state)
{
    (void)state;
    char *card = new_card();
    long long campaign =
        itest_campaign("{\"offer\":{\"kind\":\"points\",\"value\":150,\"min_basket_cents\":0}}");
    assert_true(campaign > 0);
    json_t *issued = itest_issue(campaign, 2, NULL);
    assert_non_null(issued);
    struct itest_client *t = itest_client_new("terminal-1"), *m = itest_client_new("marketer");
    char txn[64], path[96], body[96];
    json_t *a = NULL;
    txn_id(txn, sizeof txn, "pts", 0);
    assert_int_equal(redeem(t, itest_code(issued, 0), card, txn, &a), 201);
    assert_int_equal(int_of(a, "points"), 150);
    long long r1 = int_of(a, "redemption_id");
    json_decref(a);
    /* A replay credits nothing more. */
    assert_int_equal(redeem(t, itest_code(issued, 0), card, txn, &a), 200);
    json_decref(a);
    assert_int_equal(card_balance(m, card), 150);
    assert_int_equal(assert_books(card), 150);
    /* The coupon's points are reversed with its redemption, not on their own. */
    char serial[16];
    card_serial_text(card, serial, sizeof serial);
    long long credit = itest_sql_number(
        "SELECT id FROM card_transactions WHERE card_serial = $1 AND kind = 'coupon'", serial);
    txn_id(txn, sizeof txn, "pts-direct", 0);
    assert_int_equal(card_void(t, credit, txn, &a), 409);
    fprintf(stderr, "coupon points: %s\n", json_string_value(json_object_get(a, "message")));
    json_decref(a);
    snprintf(path, sizeof path, "/v1/redemptions/%lld/void", r1);
    txn_id(txn, sizeof txn, "pts-void", 0);
    snprintf(body, sizeof body, "{\"txn_id\":\"%s\"}", txn);
    assert_int_equal(itest_request(t, "POST", path, body, &a, NULL), 200);
    json_decref(a);
    assert_int_equal(card_balance(m, card), 0);
    assert_int_equal(assert_books(card), 0);
    /* When the credited points were already burned, the redemption's void is refused and
     * nothing changes. */
    txn_id(txn, sizeof txn, "pts", 1);
    assert_int_equal(redeem(t, itest_code(issued, 1), card, txn, &a), 201);
    long long r2 = int_of(a, "redemption_id");
    json_decref(a);
    txn_id(txn, sizeof txn, "pts-burn", 0);
    assert_int_equal(card_book(t, card, "burn", 100, txn, &a), 201);
    json_decref(a);
    snprintf(path, sizeof path, "/v1/redemptions/%lld/void", r2);
    txn_id(txn, sizeof txn, "pts-void", 1);
    snprintf(body, sizeof body, "{\"txn_id\":\"%s\"}", txn);
    assert_int_equal(itest_request(t, "POST", path, body, &a, NULL), 409);
    json_decref(a);
    char rid[32];
    snprintf(rid, sizeof rid, "%lld", r2);
    assert_int_equal(
        itest_sql_number("SELECT count(*) FROM redemption_voids WHERE redemption_id = $1", rid), 0);
    assert_int_equal(assert_books(card), 50);
    itest_client_free(t);
    itest_client_free(m);
    json_decref(issued);
    free(card);
}

/* A card number with a valid MAC (made with the service's own keys) that was never
 * issued: its serial is reserved but no card row exists. */
static void never_issued_card(char out[CPN_SHORT_LEN + 1])
{
    long long serial = itest_sql_number("SELECT card_serials_reserve(1)", NULL);
    assert_true(serial > 0);
    struct cpn_keyring *k = cpn_keyring_new();
    char *dir = itest_source_path("var/keys");
    assert_int_equal(cpn_keyring_load_dir(k, dir), CPN_OK);
    free(dir);
    struct cpn_code code;
    assert_int_equal(cpn_code_issue(k, CPN_KIND_CARD, (uint32_t)serial, &code, out), CPN_OK);
    cpn_keyring_free(k);
}

static void a_card_never_issued_is_not_found_and_earns_no_coupon_points(void **state)
{
    (void)state;
    char ghost[CPN_SHORT_LEN + 1];
    never_issued_card(ghost);
    struct itest_client *t = itest_client_new("terminal-1");
    char path[96], txn[64];
    json_t *a = NULL;
    snprintf(path, sizeof path, "/v1/cards/%s", ghost);
    assert_int_equal(itest_request(t, "GET", path, NULL, &a, NULL), 404);
    assert_string_equal(itest_error_code(a), "not_found");
    json_decref(a);
    txn_id(txn, sizeof txn, "ghost", 0);
    assert_int_equal(card_book(t, ghost, "earn", 5000, txn, &a), 404);
    json_decref(a);
    txn_id(txn, sizeof txn, "ghost", 1);
    assert_int_equal(card_book(t, ghost, "burn", 5, txn, &a), 404);
    json_decref(a);
    /* A points coupon needs a card of ours to credit; without any card it still redeems. */
    long long campaign =
        itest_campaign("{\"offer\":{\"kind\":\"points\",\"value\":20,\"min_basket_cents\":0}}");
    json_t *issued = itest_issue(campaign, 1, NULL);
    assert_non_null(issued);
    txn_id(txn, sizeof txn, "ghost", 2);
    assert_int_equal(redeem(t, itest_code(issued, 0), ghost, txn, &a), 422);
    assert_string_equal(itest_error_code(a), "card_required");
    json_decref(a);
    txn_id(txn, sizeof txn, "ghost", 3);
    assert_int_equal(redeem(t, itest_code(issued, 0), NULL, txn, &a), 201);
    assert_int_equal(int_of(a, "points"), 20);
    json_decref(a);
    json_decref(issued);
    itest_client_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(card_issue_gives_both_forms_and_stores_no_person),
        cmocka_unit_test(earn_one_point_per_full_euro_replays_and_conflicts),
        cmocka_unit_test(burn_beyond_the_balance_is_refused_with_insufficient_points),
        cmocka_unit_test(void_reverses_exactly_its_own_transaction_once),
        cmocka_unit_test(same_burn_from_16_racers_books_once_and_voids_race_to_one),
        cmocka_unit_test(burns_spend_points_closest_to_expiry_first_and_expiry_run_is_idempotent),
        cmocka_unit_test(personalised_coupon_redeems_only_with_its_card),
        cmocka_unit_test(points_coupon_credits_its_card_and_its_void_takes_them_back),
        cmocka_unit_test(a_card_never_issued_is_not_found_and_earns_no_coupon_points),
        cmocka_unit_test(burn_race_64_clients_x_200_burns_never_overdraws_5_cards),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
