/* Helpers for the counter's integration tests (issue 17: test_counter.c, test_bounce.c,
 * test_returns.c, test_receipts.c): unique ids per run, a redemption's body, posting JSON. */
#ifndef ITEST_COUNTER_H
#define ITEST_COUNTER_H

#include <jansson.h>
#include <stddef.h>

#include "itest.h"

/* Writes "BASE-<pid>-<n>" into BUF, N counting up across calls (unique in the test database,
 * which outlives runs). Returns BUF. */
char *itest_uniq(char *buf, size_t len, const char *base);

/* Posts BODY (taken; a JSON object) to PATH with client C. Returns the status; *OUT (if not
 * NULL) the answer (caller decrefs). */
long itest_post(struct itest_client *c, const char *path, json_t *body, json_t **out);

/* Redeems CODE for BASKET cents under TXN with RECEIPT and CARD (either may be NULL) at C. */
long itest_redeem_at(struct itest_client *c, const char *code, long long basket, const char *txn,
                     const char *receipt, const char *card, json_t **out);

/* The integer at KEY of OBJ (0 when absent). */
long long itest_int(const json_t *obj, const char *key);

#endif
