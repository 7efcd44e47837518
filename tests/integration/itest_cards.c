/* Bonus card helpers for the integration tests (test_cards*.c): issue a card, book on it, void,
 * read its balance over the API, and check its books straight in PostgreSQL. */
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
#include "itest_cards.h"

void itest_txn_id(char *buf, size_t len, const char *base, int n)
{
    snprintf(buf, len, "%s-%d-%d", base, (int)getpid(), n);
}

char *itest_card_new(void)
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

void itest_card_serial(const char *card, char *buf, size_t len)
{
    struct cpn_code code;
    assert_int_equal(cpn_code_parse(card, strlen(card), &code), CPN_OK);
    snprintf(buf, len, "%u", (unsigned)code.serial);
}

long itest_card_book(struct itest_client *c, const char *card, const char *what, long amount,
                     const char *txn, json_t **answer)
{
    char path[256], body[160]; /* room for a signed form */
    snprintf(path, sizeof path, "/v1/cards/%s/%s", card, what);
    snprintf(body, sizeof body, "{\"%s\":%ld,\"txn_id\":\"%s\"}",
             strcmp(what, "earn") == 0 ? "basket_cents" : "points", amount, txn);
    return itest_request(c, "POST", path, body, answer, NULL);
}

long itest_card_void(struct itest_client *c, long long id, const char *txn, json_t **answer)
{
    char path[96], body[96];
    snprintf(path, sizeof path, "/v1/card-transactions/%lld/void", id);
    snprintf(body, sizeof body, "{\"txn_id\":\"%s\"}", txn);
    return itest_request(c, "POST", path, body, answer, NULL);
}

long long itest_card_balance(struct itest_client *c, const char *card)
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

long long itest_int_of(const json_t *a, const char *key)
{
    return json_integer_value(json_object_get(a, key));
}

long long itest_card_assert_books(const char *card)
{
    char serial[16];
    itest_card_serial(card, serial, sizeof serial);
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
