/* Receipt codes: the stored-function calls, one round trip each. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_receipts.h"

int db_receipt_credit_days(int *days)
{
    PGresult *res = NULL;
    *days = 0;
    int rc = db_query_retry("receipt_credit_days", 0, NULL, &res);
    if (rc == DB_ONE_RESULT && !PQgetisnull(res, 0, 0))
        *days = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
    else if (rc >= 0)
        rc = DB_HARD_ERROR;
    PQclear(res);
    return rc;
}

static int64_t col(const PGresult *res, const char *name)
{
    int c = PQfnumber(res, name);
    return c < 0 || PQgetisnull(res, 0, c) ? 0 : strtoll(PQgetvalue(res, 0, c), NULL, 10);
}

int db_card_credit_receipt(uint32_t card, int32_t store, const char *terminal, const char *txn,
                           const char *r_terminal, const char *r_txn, int64_t basket,
                           int64_t valid_until, struct card_answer *out)
{
    char c[16], st[16], b[24], until[24];
    snprintf(c, sizeof c, "%" PRIu32, card);
    snprintf(st, sizeof st, "%" PRId32, store);
    snprintf(b, sizeof b, "%" PRId64, basket);
    snprintf(until, sizeof until, "%" PRId64, valid_until);
    const char *params[] = {c, st, terminal, txn, r_terminal, r_txn, b, until};
    PGresult *res = NULL;
    memset(out, 0, sizeof *out);
    int rc = db_query_retry("card_credit_receipt", 8, params, &res);
    if (rc == DB_HARD_ERROR && strcmp(db_sqlstate(res), "23505") == 0) {
        snprintf(out->status, sizeof out->status, "conflict");
        rc = DB_ONE_RESULT;
    } else if (rc == DB_ONE_RESULT) {
        snprintf(out->status, sizeof out->status, "%s", PQgetvalue(res, 0, 0));
        out->transaction_id = col(res, "transaction_id");
        out->points = col(res, "points");
        out->balance = col(res, "balance");
        out->voided_by = col(res, "voided_by");
    } else if (rc >= 0) {
        rc = DB_HARD_ERROR;
    }
    PQclear(res);
    return rc;
}
