/* Bonus cards against a running coupond and PostgreSQL: a card is issued in both forms and holds
 * no person; earn, burn and void are idempotent and a void reverses exactly its own transaction,
 * once; burns spend the points closest to expiry first and the expiry run is idempotent. The
 * ledger always adds up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "coupon/code.h"
#include "itest.h"
#include "itest_cards.h"

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
    assert_int_equal(itest_int_of(a, "balance"), 0);
    assert_true(json_is_array(json_object_get(a, "expiring")));
    json_decref(a);
    assert_int_equal(itest_card_balance(m, card), 0);
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
    char *card = itest_card_new();
    assert_non_null(card);
    struct itest_client *t = itest_client_new("terminal-1"), *m = itest_client_new("marketer");
    char txn[64];
    itest_txn_id(txn, sizeof txn, "earn", 1);
    json_t *a = NULL;
    assert_int_equal(itest_card_book(t, card, "earn", 1999, txn, &a), 201);
    char *first = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
    assert_int_equal(itest_int_of(a, "points"), 19);
    assert_int_equal(itest_int_of(a, "balance"), 19);
    json_decref(a);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(itest_card_book(t, card, "earn", 1999, txn, &a), 200);
        char *again = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
        assert_string_equal(again, first);
        free(again);
        json_decref(a);
    }
    free(first);
    /* The same txn_id with another body, or for a burn: a conflict, nothing booked. */
    assert_int_equal(itest_card_book(t, card, "earn", 2000, txn, &a), 409);
    assert_string_equal(itest_error_code(a), "conflict");
    json_decref(a);
    assert_int_equal(itest_card_book(t, card, "burn", 5, txn, &a), 409);
    assert_string_equal(itest_error_code(a), "conflict");
    json_decref(a);
    /* The same txn_id on the other terminal is that terminal's own transaction. */
    struct itest_client *t2 = itest_client_new("terminal-2");
    assert_int_equal(itest_card_book(t2, card, "earn", 99, txn, &a), 201);
    assert_int_equal(itest_int_of(a, "points"), 0);
    json_decref(a);
    itest_client_free(t2);
    assert_int_equal(itest_card_balance(m, card), 19);
    /* Only a till earns; bad bodies change nothing. */
    assert_int_equal(itest_card_book(m, card, "earn", 1000, "x", &a), 403);
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
    assert_int_equal(itest_card_assert_books(card), 19);
    itest_client_free(t);
    itest_client_free(m);
    free(card);
}

static void burn_beyond_the_balance_is_refused_with_insufficient_points(void **state)
{
    (void)state;
    char *card = itest_card_new();
    struct itest_client *t = itest_client_new("terminal-2");
    char txn[64];
    json_t *a = NULL;
    itest_txn_id(txn, sizeof txn, "fill", 0);
    assert_int_equal(itest_card_book(t, card, "earn", 10000, txn, &a), 201);
    json_decref(a);
    itest_txn_id(txn, sizeof txn, "over", 0);
    assert_int_equal(itest_card_book(t, card, "burn", 101, txn, &a), 409);
    assert_string_equal(itest_error_code(a), "insufficient_points");
    assert_int_equal(itest_int_of(a, "balance"), 100);
    fprintf(stderr, "refusal: %s\n", json_string_value(json_object_get(a, "message")));
    assert_non_null(strstr(json_string_value(json_object_get(a, "message")), "100"));
    json_decref(a);
    /* A refused burn booked nothing; the same txn_id may try again. */
    assert_int_equal(itest_card_book(t, card, "burn", 100, txn, &a), 201);
    assert_int_equal(itest_int_of(a, "balance"), 0);
    assert_int_equal(itest_int_of(a, "value_cents"), 100);
    json_decref(a);
    itest_txn_id(txn, sizeof txn, "over", 1);
    assert_int_equal(itest_card_book(t, card, "burn", 1, txn, &a), 409);
    assert_string_equal(itest_error_code(a), "insufficient_points");
    json_decref(a);
    assert_int_equal(itest_card_assert_books(card), 0);
    itest_client_free(t);
    free(card);
}

/* --- voids --- */

static void void_reverses_exactly_its_own_transaction_once(void **state)
{
    (void)state;
    char *card = itest_card_new();
    struct itest_client *t1 = itest_client_new("terminal-1"), *t2 = itest_client_new("terminal-2");
    char txn[64];
    json_t *a = NULL;
    itest_txn_id(txn, sizeof txn, "v-earn", 0);
    assert_int_equal(itest_card_book(t1, card, "earn", 100000, txn, &a), 201);
    long long earn = itest_int_of(a, "transaction_id");
    json_decref(a);
    itest_txn_id(txn, sizeof txn, "v-burn", 0);
    assert_int_equal(itest_card_book(t1, card, "burn", 300, txn, &a), 201);
    long long burn = itest_int_of(a, "transaction_id");
    assert_int_equal(itest_int_of(a, "balance"), 700);
    json_decref(a);
    /* Another store cannot void it, nor even learn that it exists: the answer is the one
     * for an id that does not exist, to the byte. */
    itest_txn_id(txn, sizeof txn, "v-x", 0);
    assert_int_equal(itest_card_void(t2, burn, txn, &a), 404);
    char *foreign = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(a);
    itest_txn_id(txn, sizeof txn, "v-x", 1);
    assert_int_equal(itest_card_void(t2, 999999999999LL, txn, &a), 404);
    char *unknown = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(a);
    assert_string_equal(foreign, unknown);
    free(foreign);
    free(unknown);
    /* The void gives back exactly the 300 points; its replay answers the same. */
    itest_txn_id(txn, sizeof txn, "v-1", 0);
    assert_int_equal(itest_card_void(t1, burn, txn, &a), 200);
    char *first = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
    assert_int_equal(itest_int_of(a, "transaction_id"), burn);
    assert_int_equal(itest_int_of(a, "points"), 300);
    assert_int_equal(itest_int_of(a, "balance"), 1000);
    long long void_id = itest_int_of(a, "void_id");
    json_decref(a);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(itest_card_void(t1, burn, txn, &a), 200);
        char *again = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
        assert_string_equal(again, first);
        free(again);
        json_decref(a);
    }
    free(first);
    /* The burn's own txn_id again, after its void: 409 voided with both ids, no points. */
    itest_txn_id(txn, sizeof txn, "v-burn", 0);
    assert_int_equal(itest_card_book(t1, card, "burn", 300, txn, &a), 409);
    assert_string_equal(itest_error_code(a), "voided");
    assert_int_equal(itest_int_of(a, "transaction_id"), burn);
    assert_int_equal(itest_int_of(a, "void_id"), void_id);
    assert_null(json_object_get(a, "points"));
    json_decref(a);
    /* Once: another txn_id is refused; a void cannot be voided; the txn_id of the void
     * names another request when used on another transaction. */
    itest_txn_id(txn, sizeof txn, "v-2", 0);
    assert_int_equal(itest_card_void(t1, burn, txn, &a), 409);
    assert_string_equal(itest_error_code(a), "conflict");
    assert_int_equal(itest_int_of(a, "void_id"), void_id);
    json_decref(a);
    itest_txn_id(txn, sizeof txn, "v-3", 0);
    assert_int_equal(itest_card_void(t1, void_id, txn, &a), 409);
    json_decref(a);
    itest_txn_id(txn, sizeof txn, "v-1", 0);
    assert_int_equal(itest_card_void(t1, earn, txn, &a), 409);
    assert_string_equal(itest_error_code(a), "conflict");
    json_decref(a);
    assert_int_equal(itest_card_void(t1, 999999999999LL, "v-none", &a), 404);
    json_decref(a);
    /* An earn whose points were spent cannot be voided: that would overdraw the card. */
    itest_txn_id(txn, sizeof txn, "v-burn", 1);
    assert_int_equal(itest_card_book(t1, card, "burn", 400, txn, &a), 201);
    long long burn2 = itest_int_of(a, "transaction_id");
    json_decref(a);
    itest_txn_id(txn, sizeof txn, "v-earn-void", 0);
    assert_int_equal(itest_card_void(t1, earn, txn, &a), 409);
    assert_string_equal(itest_error_code(a), "insufficient_points");
    assert_int_equal(itest_int_of(a, "balance"), 600);
    fprintf(stderr, "refusal: %s\n", json_string_value(json_object_get(a, "message")));
    json_decref(a);
    assert_int_equal(itest_card_assert_books(card), 600);
    /* Once the burn is voided too, the earn's void takes the card back to 0. */
    itest_txn_id(txn, sizeof txn, "v-burn2-void", 0);
    assert_int_equal(itest_card_void(t1, burn2, txn, &a), 200);
    assert_int_equal(itest_int_of(a, "balance"), 1000);
    json_decref(a);
    itest_txn_id(txn, sizeof txn, "v-earn-void", 1);
    assert_int_equal(itest_card_void(t1, earn, txn, &a), 200);
    assert_int_equal(itest_int_of(a, "points"), -1000);
    assert_int_equal(itest_int_of(a, "balance"), 0);
    long long earn_void = itest_int_of(a, "void_id");
    json_decref(a);
    /* A till retrying the voided earn's txn_id gets 409 voided, not its points again. */
    itest_txn_id(txn, sizeof txn, "v-earn", 0);
    assert_int_equal(itest_card_book(t1, card, "earn", 100000, txn, &a), 409);
    assert_string_equal(itest_error_code(a), "voided");
    assert_int_equal(itest_int_of(a, "transaction_id"), earn);
    assert_int_equal(itest_int_of(a, "void_id"), earn_void);
    assert_null(json_object_get(a, "balance"));
    json_decref(a);
    assert_int_equal(itest_card_assert_books(card), 0);
    itest_client_free(t1);
    itest_client_free(t2);
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

/* The points left in the lot that card transaction TX created. */
static long long lot_remaining(long long tx)
{
    char id[32];
    snprintf(id, sizeof id, "%lld", tx);
    return itest_sql_number("SELECT remaining FROM card_lots WHERE transaction_id = $1", id);
}

static void burns_spend_points_closest_to_expiry_first_and_expiry_run_is_idempotent(void **state)
{
    (void)state;
    char *card = itest_card_new();
    struct itest_client *t = itest_client_new("terminal-1"), *m = itest_client_new("marketer");
    long long lot[3];
    const long baskets[3] = {10000, 20000, 30000}; /* 100, 200, 300 points */
    const int days[3] = {30, 10, 60};
    for (int i = 0; i < 3; i++) {
        char txn[64];
        itest_txn_id(txn, sizeof txn, "lot", i);
        json_t *a = NULL;
        assert_int_equal(itest_card_book(t, card, "earn", baskets[i], txn, &a), 201);
        lot[i] = itest_int_of(a, "transaction_id");
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
    itest_txn_id(txn, sizeof txn, "fifo", 0);
    assert_int_equal(itest_card_book(t, card, "burn", 250, txn, &a), 201);
    long long burn = itest_int_of(a, "transaction_id");
    assert_int_equal(itest_int_of(a, "balance"), 350);
    json_decref(a);
    assert_int_equal(lot_remaining(lot[1]), 0);
    assert_int_equal(lot_remaining(lot[0]), 50);
    assert_int_equal(lot_remaining(lot[2]), 300);
    char path[96];
    snprintf(path, sizeof path, "/v1/cards/%s", card);
    assert_int_equal(itest_request(m, "GET", path, NULL, &a, NULL), 200);
    json_t *exp = json_object_get(a, "expiring");
    assert_int_equal(json_array_size(exp), 2);
    assert_int_equal(itest_int_of(json_array_get(exp, 0), "points"), 50);
    assert_int_equal(itest_int_of(json_array_get(exp, 1), "points"), 300);
    json_decref(a);
    /* The void of that burn gives the points back to the very lots it spent. */
    itest_txn_id(txn, sizeof txn, "fifo-void", 0);
    assert_int_equal(itest_card_void(t, burn, txn, &a), 200);
    json_decref(a);
    assert_int_equal(lot_remaining(lot[1]), 200);
    assert_int_equal(lot_remaining(lot[0]), 100);
    itest_txn_id(txn, sizeof txn, "fifo", 1);
    assert_int_equal(itest_card_book(t, card, "burn", 250, txn, &a), 201);
    json_decref(a);
    /* The lot with 50 left expires: the balance no longer counts them, the run books
     * them out once, and a second run finds nothing. */
    set_lot_expiry(lot[0], -1);
    assert_int_equal(itest_card_balance(m, card), 300);
    long long first = itest_sql_number("SELECT card_expire()", NULL);
    long long second = itest_sql_number("SELECT card_expire()", NULL);
    fprintf(stderr, "expiry runs: %lld card(s), then %lld\n", first, second);
    assert_true(first >= 1);
    assert_int_equal(second, 0);
    char serial[16];
    itest_card_serial(card, serial, sizeof serial);
    assert_int_equal(itest_sql_number("SELECT sum(points) FROM card_transactions"
                                      " WHERE card_serial = $1 AND kind = 'expire'",
                                      serial),
                     -50);
    assert_int_equal(itest_card_assert_books(card), 300);
    assert_int_equal(itest_card_balance(m, card), 300);
    /* A burn finds a due lot itself, before any run: it never spends expired points. */
    set_lot_expiry(lot[2], -1);
    itest_txn_id(txn, sizeof txn, "fifo", 2);
    assert_int_equal(itest_card_book(t, card, "burn", 1, txn, &a), 409);
    assert_string_equal(itest_error_code(a), "insufficient_points");
    assert_int_equal(itest_int_of(a, "balance"), 0);
    json_decref(a);
    assert_int_equal(itest_card_assert_books(card), 0);
    assert_int_equal(itest_sql_number("SELECT card_expire()", NULL), 0);
    itest_client_free(t);
    itest_client_free(m);
    free(card);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(card_issue_gives_both_forms_and_stores_no_person),
        cmocka_unit_test(earn_one_point_per_full_euro_replays_and_conflicts),
        cmocka_unit_test(burn_beyond_the_balance_is_refused_with_insufficient_points),
        cmocka_unit_test(void_reverses_exactly_its_own_transaction_once),
        cmocka_unit_test(burns_spend_points_closest_to_expiry_first_and_expiry_run_is_idempotent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
