/* Helpers for the analytics integration tests (test_analytics.c, test_recipients.c,
 * test_lifecycle.c): SQL straight on $COUPOND_DB, bonus cards made in bulk (rows in
 * PostgreSQL, numbers made with the service's own keys from var/keys), and JSON requests. */
#ifndef ITEST_ANALYTICS_H
#define ITEST_ANALYTICS_H

#include <stddef.h>
#include <stdint.h>

#include "itest.h"

/* Runs SQL with N text parameters on $COUPOND_DB; returns the first value as a new string
 * (caller frees), "" for a NULL value, or NULL when the statement failed or gave no row. */
char *itest_sql_text(const char *sql, int n, const char *const *params);

/* Runs SQL (a command or a query) with N text parameters; returns 0 or -1 (logged). */
int itest_sql_exec(const char *sql, int n, const char *const *params);

/* Bonus cards made in bulk for a test. */
struct itest_cards {
    size_t n;
    uint32_t *serials;
    char (*numbers)[20]; /* short forms, "M000-..." */
};

/* Makes N new bonus cards: reserves serials from the card counter, inserts the cards and writes
 * their numbers with the keys in $COUPOND_SOURCE_DIR/var/keys. Returns 0 or -1. */
int itest_cards_make(size_t n, struct itest_cards *out);

/* Frees the numbers in C (made by itest_cards_make). */
void itest_cards_free(struct itest_cards *c);

/* A card number that passes the MAC but names no card (a serial the counter is far from). */
void itest_card_unknown(char out[20]);

/* Sends METHOD PATH with BODY as WHO; returns the status; *OUT the JSON (caller decrefs). */
long itest_call(const char *who, const char *method, const char *path, const char *body,
                json_t **out);

/* The number at KEY of OBJ as a double (NAN when absent or not a number). */
double itest_num(const json_t *obj, const char *key);

#endif
