/* Bonus card stored-function calls: one round trip each. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_cards.h"

static int64_t col_i64(const PGresult *res, int col)
{
    return PQgetisnull(res, 0, col) ? 0 : strtoll(PQgetvalue(res, 0, col), NULL, 10);
}

static void copy_col(const PGresult *res, int col, char *out, size_t len)
{
    snprintf(out, len, "%s", PQgetisnull(res, 0, col) ? "" : PQgetvalue(res, 0, col));
}

/* What the fifth column of a card call holds. */
enum fifth_col { FIFTH_NONE, FIFTH_VALUE_CENTS, FIFTH_KIND };

/* Runs NAME and reads (status, id, points, balance[, FIFTH]) into *OUT; a unique violation
 * (the backstop behind the idempotency lookup) becomes the status "conflict". Returns
 * DB_ONE_RESULT, or a failure status with *OUT zeroed. */
static int card_call(const char *name, int n, const char *const *params, enum fifth_col fifth,
                     struct card_answer *out)
{
    PGresult *res = NULL;
    memset(out, 0, sizeof *out);
    int rc = db_query_retry(name, n, params, &res);
    if (rc == DB_HARD_ERROR && strcmp(db_sqlstate(res), "23505") == 0) {
        snprintf(out->status, sizeof out->status, "conflict");
        rc = DB_ONE_RESULT;
    } else if (rc == DB_ONE_RESULT) {
        copy_col(res, 0, out->status, sizeof out->status);
        out->transaction_id = col_i64(res, 1);
        out->points = col_i64(res, 2);
        out->balance = col_i64(res, 3);
        if (fifth == FIFTH_VALUE_CENTS)
            out->value_cents = col_i64(res, 4);
        else if (fifth == FIFTH_KIND)
            copy_col(res, 4, out->kind, sizeof out->kind);
        int voided_by = PQfnumber(res, "voided_by");
        if (voided_by >= 0)
            out->voided_by = col_i64(res, voided_by);
        int at = PQfnumber(res, "booked_at");
        if (at < 0)
            at = PQfnumber(res, "voided_at");
        if (at >= 0)
            copy_col(res, at, out->booked_at, sizeof out->booked_at);
        int offline = PQfnumber(res, "offline_at");
        if (offline >= 0)
            copy_col(res, offline, out->offline_at, sizeof out->offline_at);
        db_next_coupon_read(res, &out->next); /* counter (issue 17) */
    } else if (rc >= 0) {
        rc = DB_HARD_ERROR; /* the functions answer exactly one row */
    }
    PQclear(res);
    return rc;
}

int db_card_serials_reserve(int count, unsigned mac_key, int64_t *first)
{
    char c[16], k[16];
    snprintf(c, sizeof c, "%d", count);
    snprintf(k, sizeof k, "%u", mac_key);
    const char *params[] = {c, k};
    PGresult *res = NULL;
    *first = 0;
    int rc = db_query_retry("card_serials_reserve", 2, params, &res);
    if (rc == DB_ONE_RESULT) {
        if (PQgetisnull(res, 0, 0))
            rc = DB_NO_RESULTS;
        else
            *first = col_i64(res, 0);
    }
    PQclear(res);
    return rc;
}

int db_card_create(uint32_t serial)
{
    char s[16];
    snprintf(s, sizeof s, "%" PRIu32, serial);
    const char *params[] = {s};
    PGresult *res = NULL;
    int rc = db_query_retry("card_create", 1, params, &res);
    PQclear(res);
    return rc == DB_ONE_RESULT || rc < 0 ? rc : DB_HARD_ERROR;
}

int db_card_get(uint32_t serial, char **json)
{
    char s[16];
    snprintf(s, sizeof s, "%" PRIu32, serial);
    const char *params[] = {s};
    PGresult *res = NULL;
    *json = NULL;
    int rc = db_query_retry("card_get", 1, params, &res);
    if (rc == DB_ONE_RESULT) {
        *json = strdup(PQgetvalue(res, 0, 0));
        if (*json == NULL)
            rc = DB_HARD_ERROR;
    }
    PQclear(res);
    return rc;
}

int db_card_earn(uint32_t card, int32_t store, const char *terminal, const char *txn,
                 int64_t basket, const char *offline_at, bool bounce, struct card_answer *out)
{
    char c[16], st[16], b[24];
    snprintf(c, sizeof c, "%" PRIu32, card);
    snprintf(st, sizeof st, "%" PRId32, store);
    snprintf(b, sizeof b, "%" PRId64, basket);
    const char *params[] = {c, st, terminal, txn, b, offline_at, bounce ? "true" : "false"};
    return card_call("card_earn", 7, params, FIFTH_NONE, out);
}

int db_card_burn(uint32_t card, int32_t store, const char *terminal, const char *txn,
                 int64_t points, struct card_answer *out)
{
    char c[16], st[16], p[24];
    snprintf(c, sizeof c, "%" PRIu32, card);
    snprintf(st, sizeof st, "%" PRId32, store);
    snprintf(p, sizeof p, "%" PRId64, points);
    const char *params[] = {c, st, terminal, txn, p};
    return card_call("card_burn", 5, params, FIFTH_VALUE_CENTS, out);
}

int db_card_void(int64_t id, int32_t store, const char *terminal, const char *txn,
                 struct card_answer *out)
{
    char i[24], st[16];
    snprintf(i, sizeof i, "%" PRId64, id);
    snprintf(st, sizeof st, "%" PRId32, store);
    const char *params[] = {i, st, terminal, txn};
    return card_call("card_transaction_void", 4, params, FIFTH_KIND, out);
}

int db_card_expire(int max_cards, int64_t *cards)
{
    char m[16];
    snprintf(m, sizeof m, "%d", max_cards);
    const char *params[] = {m};
    PGresult *res = NULL;
    *cards = 0;
    int rc = db_query_retry("card_expire", 1, params, &res);
    if (rc == DB_ONE_RESULT && !PQgetisnull(res, 0, 0))
        *cards = col_i64(res, 0);
    else if (rc >= 0)
        rc = DB_HARD_ERROR; /* the function answers exactly one row, never NULL */
    PQclear(res);
    return rc;
}
