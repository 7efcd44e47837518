/* Redemption stored-function calls: one round trip each. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_redemptions.h"

static int64_t col_i64(const PGresult *res, int col)
{
    return PQgetisnull(res, 0, col) ? 0 : strtoll(PQgetvalue(res, 0, col), NULL, 10);
}

static void copy_col(const PGresult *res, int col, char *out, size_t len)
{
    snprintf(out, len, "%s", PQgetisnull(res, 0, col) ? "" : PQgetvalue(res, 0, col));
}

enum cpn_err db_status_err(const char *s)
{
    static const struct {
        const char *status;
        enum cpn_err err;
    } map[] = {{"ok", CPN_OK},
               {"replay", CPN_OK},
               {"voided", CPN_ERR_VOIDED},
               {"points_spent", CPN_ERR_INSUFFICIENT_POINTS},
               {"conflict", CPN_ERR_CONFLICT},
               {"offline_conflict", CPN_ERR_OFFLINE_CONFLICT},
               {"not_found", CPN_ERR_NOT_FOUND},
               {"not_started", CPN_ERR_NOT_STARTED},
               {"expired", CPN_ERR_EXPIRED},
               {"wrong_store", CPN_ERR_WRONG_STORE},
               {"card_required", CPN_ERR_CARD_REQUIRED},
               {"wrong_card", CPN_ERR_WRONG_CARD},
               {"unknown_card", CPN_ERR_UNKNOWN_CARD},
               {"below_minimum", CPN_ERR_BELOW_MINIMUM},
               {"already_redeemed", CPN_ERR_ALREADY_REDEEMED},
               {"campaign_exhausted", CPN_ERR_CAMPAIGN_EXHAUSTED},
               {"already_voided", CPN_ERR_CONFLICT},
               {"campaign_paused", CPN_ERR_CAMPAIGN_PAUSED},
               {"voided_batch", CPN_ERR_VOIDED_BATCH},
               /* counter (issue 17) */
               {"card_limit_reached", CPN_ERR_CARD_LIMIT_REACHED},
               {"card_required_limit", CPN_ERR_CARD_REQUIRED},
               {"not_combinable_receipt", CPN_ERR_NOT_COMBINABLE},
               {"not_combinable_other", CPN_ERR_NOT_COMBINABLE},
               {"not_combinable_alone", CPN_ERR_NOT_COMBINABLE},
               {"receipt_basket", CPN_ERR_CONFLICT},
               {"voided_redemption", CPN_ERR_CONFLICT},
               {"beyond_basket", CPN_ERR_CONFLICT}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(s, map[i].status) == 0)
            return map[i].err;
    return CPN_ERR_INTERNAL;
}

/* Runs keyed write NAME (redeem or void). A unique violation means the key's backstop caught
 * a race the function did not expect: it becomes status "conflict", never a 5xx. Returns a
 * db_status; on DB_ONE_RESULT with a row, *RES holds it (caller clears). */
static int keyed_write(const char *name, int n, const char *const *params,
                       struct redeem_answer *out, PGresult **res)
{
    memset(out, 0, sizeof *out);
    int rc = db_query_retry(name, n, params, res);
    if (rc == DB_HARD_ERROR && strcmp(db_sqlstate(*res), "23505") == 0) {
        snprintf(out->status, sizeof out->status, "conflict");
        PQclear(*res);
        *res = NULL;
        rc = DB_ONE_RESULT;
    }
    return rc;
}

/* Copies the column NAME of RES's row, when RES has one, into OUT (LEN bytes). */
static void copy_named(const PGresult *res, const char *name, char *out, size_t len)
{
    int col = PQfnumber(res, name);
    if (col >= 0)
        copy_col(res, col, out, len);
}

/* Reads the counter's columns (issue 17) of RES, by name, into *OUT. */
static void read_counter(const PGresult *res, struct redeem_answer *out)
{
    int vat = PQfnumber(res, "discount_by_vat");
    if (vat >= 0)
        copy_col(res, vat, out->discount_by_vat, sizeof out->discount_by_vat);
    int total = PQfnumber(res, "receipt_discount_cents");
    int coupons = PQfnumber(res, "receipt_coupons");
    out->on_receipt = total >= 0 && !PQgetisnull(res, 0, total);
    if (out->on_receipt) {
        out->receipt_discount_cents = col_i64(res, total);
        out->receipt_coupons = coupons >= 0 ? (int32_t)col_i64(res, coupons) : 0;
    }
    db_next_coupon_read(res, &out->next);
}

int db_redeem(uint32_t serial, int32_t store, const char *terminal, const char *txn, int64_t basket,
              uint32_t card, const char *receipt, const char *offline_at, const char *basket_by_vat,
              bool bounce, struct redeem_answer *out)
{
    char s[16], st[16], b[24], c[16];
    snprintf(s, sizeof s, "%" PRIu32, serial);
    snprintf(st, sizeof st, "%" PRId32, store);
    snprintf(b, sizeof b, "%" PRId64, basket);
    snprintf(c, sizeof c, "%" PRIu32, card);
    const char *params[] = {s,
                            st,
                            terminal,
                            txn,
                            b,
                            card != 0 ? c : NULL,
                            receipt,
                            offline_at,
                            basket_by_vat,
                            bounce ? "true" : "false"};
    PGresult *res = NULL;
    int rc = keyed_write("redeem", 10, params, out, &res);
    if (rc == DB_ONE_RESULT && res != NULL) {
        copy_col(res, 0, out->status, sizeof out->status);
        out->redemption_id = col_i64(res, 1);
        out->discount_cents = col_i64(res, 2);
        out->campaign_id = col_i64(res, 3);
        out->points = col_i64(res, 4);
        copy_col(res, 5, out->redeemed_at, sizeof out->redeemed_at);
        out->redeemed_store = (int32_t)col_i64(res, 6);
        int void_id = PQfnumber(res, "void_id");
        if (void_id >= 0)
            out->void_id = col_i64(res, void_id);
        int conflict = PQfnumber(res, "conflict_id");
        if (conflict >= 0)
            out->conflict_id = col_i64(res, conflict);
        copy_named(res, "offline_at", out->offline_at, sizeof out->offline_at);
        copy_named(res, "reason", out->reason, sizeof out->reason);
        read_counter(res, out);
    }
    PQclear(res);
    return rc;
}

int db_check(uint32_t serial, int32_t store, int64_t basket, uint32_t card, const char *terminal,
             const char *receipt, struct redeem_answer *out)
{
    char s[16], st[16], b[24], c[16];
    snprintf(s, sizeof s, "%" PRIu32, serial);
    snprintf(st, sizeof st, "%" PRId32, store);
    snprintf(b, sizeof b, "%" PRId64, basket);
    snprintf(c, sizeof c, "%" PRIu32, card);
    const char *params[] = {s, st, b, card != 0 ? c : NULL, terminal, receipt};
    PGresult *res = NULL;
    memset(out, 0, sizeof *out);
    int rc = db_query_retry("coupon_check", 6, params, &res);
    if (rc == DB_ONE_RESULT) {
        copy_col(res, 0, out->status, sizeof out->status);
        out->discount_cents = col_i64(res, 1);
        out->campaign_id = col_i64(res, 2);
        out->points = col_i64(res, 3);
        copy_col(res, 4, out->redeemed_at, sizeof out->redeemed_at);
        out->redeemed_store = (int32_t)col_i64(res, 5);
        read_counter(res, out);
    }
    PQclear(res);
    return rc;
}

int db_return(int64_t redemption, int32_t store, const char *terminal, const char *txn,
              int64_t returned, struct return_answer *out)
{
    char id[24], st[16], amount[24];
    snprintf(id, sizeof id, "%" PRId64, redemption);
    snprintf(st, sizeof st, "%" PRId32, store);
    snprintf(amount, sizeof amount, "%" PRId64, returned);
    const char *params[] = {id, st, terminal, txn, amount};
    PGresult *res = NULL;
    memset(out, 0, sizeof *out);
    int rc = db_query_retry("redemption_return", 5, params, &res);
    if (rc == DB_HARD_ERROR && strcmp(db_sqlstate(res), "23505") == 0) {
        snprintf(out->status, sizeof out->status, "conflict");
        rc = DB_ONE_RESULT;
    } else if (rc == DB_ONE_RESULT) {
        static const char *const names[] = {"return_id",
                                            "discount_cents",
                                            "points",
                                            "basket_cents",
                                            "redemption_discount_cents",
                                            "returned_total_cents",
                                            "discount_total_cents",
                                            "balance"};
        int64_t *fields[] = {&out->return_id,
                             &out->discount_cents,
                             &out->points,
                             &out->basket_cents,
                             &out->redemption_discount_cents,
                             &out->returned_total_cents,
                             &out->discount_total_cents,
                             &out->balance};
        copy_col(res, PQfnumber(res, "status"), out->status, sizeof out->status);
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            int col = PQfnumber(res, names[i]);
            if (col >= 0)
                *fields[i] = col_i64(res, col);
        }
        int bal = PQfnumber(res, "balance"), at = PQfnumber(res, "returned_at");
        out->has_balance = bal >= 0 && !PQgetisnull(res, 0, bal);
        if (at >= 0)
            copy_col(res, at, out->returned_at, sizeof out->returned_at);
    } else if (rc >= 0) {
        rc = DB_HARD_ERROR;
    }
    PQclear(res);
    return rc;
}

int db_void(int64_t redemption, int32_t store, const char *terminal, const char *txn,
            struct redeem_answer *out)
{
    char id[24], st[16];
    snprintf(id, sizeof id, "%" PRId64, redemption);
    snprintf(st, sizeof st, "%" PRId32, store);
    const char *params[] = {id, st, terminal, txn};
    PGresult *res = NULL;
    int rc = keyed_write("redemption_void", 4, params, out, &res);
    if (rc == DB_ONE_RESULT && res != NULL) {
        copy_col(res, 0, out->status, sizeof out->status);
        out->redemption_id = col_i64(res, 1);
        copy_named(res, "voided_at", out->offline_at, sizeof out->offline_at);
        int d = PQfnumber(res, "discount_cents"), c = PQfnumber(res, "campaign_id");
        if (d >= 0 && c >= 0) {
            out->discount_cents = col_i64(res, d);
            out->campaign_id = col_i64(res, c);
        }
    }
    PQclear(res);
    return rc;
}
