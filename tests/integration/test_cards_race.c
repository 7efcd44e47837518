/* Bonus cards under concurrency, against a running coupond and PostgreSQL: 64 tills burning 5
 * cards at once never overdraw them and the ledger always adds up; the same burn retried by 16
 * tills at once books once, and 16 different voids of it at once reverse it once. */
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

#include "itest.h"
#include "itest_cards.h"

#define RACE_CARDS    5
#define RACE_POINTS   1000
#define RACE_CLIENTS  64
#define RACE_BURNS    200
#define RACE_MAX_BURN 50

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

/* One till of the burn race. */
struct burner {
    struct burn_race *race;
    int id;
};

/* Notes BALANCE, seen in an answer or a sample, in RACE->lowest_seen (call under the lock). */
static void see_balance(struct burn_race *race, long long balance)
{
    if (balance < race->lowest_seen)
        race->lowest_seen = balance;
}

/* A till of the burn race: after the barrier, RACE_BURNS burns of random cards and sizes, each
 * outcome counted. */
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
        long status = itest_card_book(c, race->cards[card], "burn", points, txn, &a);
        pthread_mutex_lock(&race->lock);
        if (status == 201) {
            race->accepted++;
            race->accepted_points[card] += points;
            if (itest_int_of(a, "points") != points)
                race->bad_answers++;
            see_balance(race, itest_int_of(a, "balance"));
        } else if (status == 409 && strcmp(itest_error_code(a), "insufficient_points") == 0) {
            race->insufficient++;
            /* Refused only when the points really were not there. */
            if (itest_int_of(a, "balance") >= points)
                race->bad_answers++;
            see_balance(race, itest_int_of(a, "balance"));
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
        itest_card_serial(race->cards[i], s, sizeof s);
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
            long long b = itest_card_balance(m, race->cards[i]);
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
        race.cards[i] = itest_card_new();
        assert_non_null(race.cards[i]);
        char txn[64];
        itest_txn_id(txn, sizeof txn, "race-fill", i);
        json_t *a = NULL;
        assert_int_equal(itest_card_book(t, race.cards[i], "earn", RACE_POINTS * 100L, txn, &a),
                         201);
        assert_int_equal(itest_int_of(a, "points"), RACE_POINTS);
        assert_int_equal(itest_int_of(a, "balance"), RACE_POINTS);
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
        long long final = itest_card_assert_books(race.cards[i]);
        long long shown = itest_card_balance(m, race.cards[i]);
        fprintf(stderr, "  card %s: %d - %lld accepted = %lld final (API %lld)\n", race.cards[i],
                RACE_POINTS, race.accepted_points[i], final, shown);
        /* No burn was accepted beyond the balance. */
        assert_int_equal(RACE_POINTS - race.accepted_points[i], final);
        assert_int_equal(shown, final);
        char serial[16];
        itest_card_serial(race.cards[i], serial, sizeof serial);
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

/* --- the same request from many racers at once --- */

#define SAME_RACERS 16

/* Many tills sending one request at once, and the count of every outcome (under LOCK). */
struct same_race {
    const char *card;
    long long target; /* void: the transaction; burn: 0 */
    char txn[SAME_RACERS][64];
    pthread_barrier_t barrier;
    pthread_mutex_t lock;
    long created, replayed, refused, bad;
    char *first; /* the 201/200 body every success must repeat */
};

/* One till of a same_race. */
struct same_racer {
    struct same_race *race;
    int id;
};

/* A till of a same_race: after the barrier, the burn of 7 points (TARGET 0) or the void of
 * TARGET under its own txn id, its outcome counted. */
static void *same_thread(void *arg)
{
    struct same_racer *me = arg;
    struct same_race *race = me->race;
    struct itest_client *c = itest_client_new("terminal-1");
    json_t *a = NULL;
    pthread_barrier_wait(&race->barrier);
    long status = race->target == 0
                      ? itest_card_book(c, race->card, "burn", 7, race->txn[me->id], &a)
                      : itest_card_void(c, race->target, race->txn[me->id], &a);
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

/* Runs RACE with SAME_RACERS tills at once and waits for them all. */
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
    char *card = itest_card_new();
    struct itest_client *t = itest_client_new("terminal-1");
    char txn[64];
    json_t *a = NULL;
    itest_txn_id(txn, sizeof txn, "same-fill", 0);
    assert_int_equal(itest_card_book(t, card, "earn", 10000, txn, &a), 201);
    json_decref(a);
    /* One txn_id, sixteen tills' retries at once: one burn, fifteen replays. */
    struct same_race burn = {.card = card};
    for (int i = 0; i < SAME_RACERS; i++)
        itest_txn_id(burn.txn[i], sizeof burn.txn[i], "same-burn", 0);
    run_same(&burn);
    fprintf(stderr, "same burn x%d: %ld booked, %ld replayed, %ld other\n", SAME_RACERS,
            burn.created, burn.replayed, burn.bad + burn.refused);
    assert_int_equal(burn.created, 1);
    assert_int_equal(burn.replayed, SAME_RACERS - 1);
    assert_int_equal(burn.bad + burn.refused, 0);
    assert_int_equal(itest_card_assert_books(card), 93);
    /* Sixteen different voids of that burn at once: exactly one reverses it. */
    char serial[16];
    itest_card_serial(card, serial, sizeof serial);
    struct same_race v = {
        .card = card,
        .target = itest_sql_number(
            "SELECT id FROM card_transactions WHERE card_serial = $1 AND kind = 'burn'", serial)};
    for (int i = 0; i < SAME_RACERS; i++)
        itest_txn_id(v.txn[i], sizeof v.txn[i], "same-void", i);
    run_same(&v);
    fprintf(stderr, "16 voids of one burn: %ld voided, %ld refused, %ld other\n", v.created,
            v.refused, v.bad);
    assert_int_equal(v.created, 1);
    assert_int_equal(v.refused, SAME_RACERS - 1);
    assert_int_equal(v.bad, 0);
    assert_int_equal(itest_card_assert_books(card), 100);
    itest_client_free(t);
    free(card);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_burn_from_16_racers_books_once_and_voids_race_to_one),
        cmocka_unit_test(burn_race_64_clients_x_200_burns_never_overdraws_5_cards),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
