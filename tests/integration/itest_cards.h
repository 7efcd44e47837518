/* Bonus card helpers for the integration tests (test_cards*.c): issue a card, book on it, void,
 * read its balance over the API, and check its books straight in PostgreSQL. */
#ifndef ITEST_CARDS_H
#define ITEST_CARDS_H

#include <stddef.h>

#include "itest.h"

/* Writes a txn id unique to this run (the test database outlives runs) into BUF (LEN bytes):
 * BASE, the process id and N. */
void itest_txn_id(char *buf, size_t len, const char *base, int n);

/* Issues a card as the marketer; returns its short form (caller frees) or NULL. */
char *itest_card_new(void);

/* Writes the card's serial as decimal text (for SQL), read from its short form CARD, into BUF
 * (LEN bytes). A CARD that does not parse fails the test. */
void itest_card_serial(const char *card, char *buf, size_t len);

/* POSTs {KEY: AMOUNT, txn_id: TXN} to /v1/cards/CARD/WHAT ("earn" or "burn"; KEY is
 * basket_cents or points) as C. Returns the HTTP status (as itest_request()); *ANSWER gets the
 * parsed body (caller decrefs). */
long itest_card_book(struct itest_client *c, const char *card, const char *what, long amount,
                     const char *txn, json_t **answer);

/* POSTs {txn_id: TXN} to /v1/card-transactions/ID/void as C. Returns the HTTP status (as
 * itest_request()); *ANSWER gets the parsed body (caller decrefs). */
long itest_card_void(struct itest_client *c, long long id, const char *txn, json_t **answer);

/* The balance GET /v1/cards/CARD shows to C, or -1. */
long long itest_card_balance(struct itest_client *c, const char *card);

/* The integer KEY of object A (0 when it is missing or not an integer). */
long long itest_int_of(const json_t *a, const char *key);

/* Asserts the books of card CARD agree: the ledger sums to the balance, the open lots
 * hold exactly the balance, and no ledger row ever recorded a negative balance. Returns
 * the balance. */
long long itest_card_assert_books(const char *card);

#endif
