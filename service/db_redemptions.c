/* Redemption stored-function calls, typed parameters in, the answer's columns read by name:
 * one round trip each, but for the commonest redemption and check, which one prepared
 * statement answers, and the rarer cases it hands to the function (a second round trip). */
#include <string.h>

#include "db_internal.h"
#include "db_redeem_group.h"
#include "db_redemptions.h"

/* Column NAME of an answer, NULL allowed (a refusal leaves most of them NULL). */
#define OPT(c) db_col_null_ok(c)

/* The statement "redeem_fast" (db_statements.c): the commonest redemption without redeem()'s
 * PL/pgSQL. Returns DB_ONE_RESULT with *OUT filled (status ok) when it booked it; DB_NO_RESULTS
 * when it did not apply or the key was taken (nothing booked: redeem() answers); or a failure
 * status. */
static int redeem_fast(uint32_t serial, int32_t store, const char *terminal, const char *txn,
                       int64_t basket, uint32_t card, struct redeem_answer *out)
{
    const struct db_param params[] = {
        db_param_int(serial), db_param_int(store),  db_param_text(terminal),
        db_param_text(txn),   db_param_int(basket), db_param_int_if(card != 0, card),
        DB_PARAM_END};
    const struct db_col cols[] = {
        db_col_i64("redemption_id", &out->redemption_id),
        db_col_i64("discount_cents", &out->discount_cents),
        db_col_i64("campaign_id", &out->campaign_id),
        db_col_i64("points", &out->points),
        db_col_text("redeemed_at", out->redeemed_at, sizeof out->redeemed_at),
        DB_COL_END};
    PGresult *res = NULL;
    int rc = db_run("redeem_fast", params, &res);
    int idx[DB_COLS_MAX];
    if (rc == DB_HARD_ERROR && strcmp(db_sqlstate(res), DB_STATE_DECLINED) == 0)
        rc = DB_NO_RESULTS; /* the key was taken: the statement rolled back whole */
    else if (rc > DB_ONE_RESULT)
        rc = DB_HARD_ERROR; /* one coupon, one row at most */
    else if (rc == DB_ONE_RESULT && (db_cols_find(res, cols, idx, "redeem_fast") != 0 ||
                                     db_cols_read(res, 0, cols, idx, "redeem_fast") != 0))
        rc = DB_HARD_ERROR;
    PQclear(res);
    if (rc == DB_ONE_RESULT) {
        out->status = DBW_OK;
        out->redeemed_store = store;
    }
    return rc;
}

int db_redeem(uint32_t serial, int32_t store, const char *terminal, const char *txn, int64_t basket,
              uint32_t card, const char *receipt, const char *offline_at, const char *basket_by_vat,
              bool bounce, struct redeem_answer *out)
{
    const struct db_param params[] = {db_param_int(serial),
                                      db_param_int(store),
                                      db_param_text(terminal),
                                      db_param_text(txn),
                                      db_param_int(basket),
                                      db_param_int_if(card != 0, card),
                                      db_param_text(receipt),
                                      db_param_text(offline_at),
                                      db_param_text(basket_by_vat),
                                      db_param_bool(bounce),
                                      DB_PARAM_END};
    bool no_receipt = true;
    const struct db_col cols[] = {
        db_col_word("status", &out->status), OPT(db_col_i64("redemption_id", &out->redemption_id)),
        OPT(db_col_i64("discount_cents", &out->discount_cents)),
        OPT(db_col_i64("campaign_id", &out->campaign_id)), OPT(db_col_i64("points", &out->points)),
        OPT(db_col_text("redeemed_at", out->redeemed_at, sizeof out->redeemed_at)),
        OPT(db_col_i32("redeemed_store", &out->redeemed_store)),
        OPT(db_col_i64("void_id", &out->void_id)),
        OPT(db_col_text("offline_at", out->offline_at, sizeof out->offline_at)),
        OPT(db_col_i64("conflict_id", &out->conflict_id)), OPT(db_col_word("reason", &out->reason)),
        /* counter (issue 17) */
        OPT(db_col_text("discount_by_vat", out->discount_by_vat, sizeof out->discount_by_vat)),
        db_col_nullable(db_col_i64("receipt_discount_cents", &out->receipt_discount_cents),
                        &no_receipt),
        OPT(db_col_i32("receipt_coupons", &out->receipt_coupons)), DB_NEXT_COUPON_COLS(&out->next),
        DB_COL_END};
    *out = (struct redeem_answer){0};
    if (offline_at == NULL && receipt == NULL && basket_by_vat == NULL && !bounce) {
        bool judged; /* group commit's statement ran and did not book it: redeem() answers */
        int rc = db_redeem_group(serial, store, terminal, txn, basket, card, out, &judged);
        if (rc == DB_NO_RESULTS && !judged)
            rc = redeem_fast(serial, store, terminal, txn, basket, card, out);
        if (rc != DB_NO_RESULTS)
            return rc;
        *out = (struct redeem_answer){0};
    }
    int rc = db_select_one("redeem", params, cols);
    out->on_receipt = rc == DB_ONE_RESULT && !no_receipt;
    return rc;
}

/* coupon_check_fast(): a check without a receipt in one prepared statement (the coupon joined
 * with its campaign; 0307). Returns a db_status; DB_ONE_RESULT with *FULL false when *OUT is
 * the answer, with *FULL true when coupon_check() must answer instead. */
static int check_fast(uint32_t serial, int32_t store, int64_t basket, uint32_t card,
                      struct redeem_answer *out, bool *full)
{
    const struct db_param params[] = {db_param_int(serial), db_param_int(store),
                                      db_param_int(basket), db_param_int_if(card != 0, card),
                                      DB_PARAM_END};
    const struct db_col cols[] = {db_col_word("status", &out->status),
                                  db_col_i64("discount_cents", &out->discount_cents),
                                  db_col_i64("campaign_id", &out->campaign_id),
                                  db_col_i64("points", &out->points),
                                  db_col_bool("full_check", full),
                                  DB_COL_END};
    *full = false;
    int rc = db_select_one("coupon_check_fast", params, cols);
    if (rc == DB_NO_RESULTS) { /* no such coupon: coupon_check()'s not_found, nothing else */
        *out = (struct redeem_answer){.status = DBW_NOT_FOUND};
        return DB_ONE_RESULT;
    }
    return rc;
}

int db_check(uint32_t serial, int32_t store, int64_t basket, uint32_t card, const char *terminal,
             const char *receipt, struct redeem_answer *out)
{
    *out = (struct redeem_answer){0};
    if (receipt == NULL) {
        bool full;
        int rc = db_check_group(serial, store, basket, card, out, &full);
        if (rc == DB_NO_RESULTS) /* group commit off, or the group failed */
            rc = check_fast(serial, store, basket, card, out, &full);
        if (rc == DB_ONE_RESULT && !full && out->status != DBW_OK) { /* a refusal gives nothing */
            out->discount_cents = 0;
            out->points = 0;
        }
        if (rc != DB_ONE_RESULT || !full)
            return rc;
        *out = (struct redeem_answer){0};
    }
    const struct db_param params[] = {db_param_int(serial),
                                      db_param_int(store),
                                      db_param_int(basket),
                                      db_param_int_if(card != 0, card),
                                      db_param_text(terminal),
                                      db_param_text(receipt),
                                      DB_PARAM_END};
    bool no_receipt = true;
    const struct db_col cols[] = {
        db_col_word("status", &out->status),
        OPT(db_col_i64("discount_cents", &out->discount_cents)),
        OPT(db_col_i64("campaign_id", &out->campaign_id)),
        OPT(db_col_i64("points", &out->points)),
        OPT(db_col_text("redeemed_at", out->redeemed_at, sizeof out->redeemed_at)),
        OPT(db_col_i32("redeemed_store", &out->redeemed_store)),
        db_col_nullable(db_col_i64("receipt_discount_cents", &out->receipt_discount_cents),
                        &no_receipt),
        OPT(db_col_i32("receipt_coupons", &out->receipt_coupons)),
        DB_COL_END};
    *out = (struct redeem_answer){0};
    int rc = db_select_one("coupon_check", params, cols);
    out->on_receipt = rc == DB_ONE_RESULT && !no_receipt;
    return rc;
}

int db_return(int64_t redemption, int32_t store, const char *terminal, const char *txn,
              int64_t returned, struct return_answer *out)
{
    const struct db_param params[] = {db_param_int(redemption), db_param_int(store),
                                      db_param_text(terminal),  db_param_text(txn),
                                      db_param_int(returned),   DB_PARAM_END};
    bool no_balance = true;
    const struct db_col cols[] = {
        db_col_word("status", &out->status),
        OPT(db_col_i64("return_id", &out->return_id)),
        OPT(db_col_i64("discount_cents", &out->discount_cents)),
        OPT(db_col_i64("points", &out->points)),
        OPT(db_col_i64("basket_cents", &out->basket_cents)),
        OPT(db_col_i64("redemption_discount_cents", &out->redemption_discount_cents)),
        OPT(db_col_i64("returned_total_cents", &out->returned_total_cents)),
        OPT(db_col_i64("discount_total_cents", &out->discount_total_cents)),
        db_col_nullable(db_col_i64("balance", &out->balance), &no_balance),
        OPT(db_col_text("returned_at", out->returned_at, sizeof out->returned_at)),
        DB_COL_END};
    *out = (struct return_answer){0};
    int rc = db_select_one("redemption_return", params, cols);
    out->has_balance = rc == DB_ONE_RESULT && !no_balance;
    return rc;
}

int db_void(int64_t redemption, int32_t store, const char *terminal, const char *txn,
            struct redeem_answer *out)
{
    const struct db_param params[] = {db_param_int(redemption), db_param_int(store),
                                      db_param_text(terminal), db_param_text(txn), DB_PARAM_END};
    const struct db_col cols[] = {
        db_col_word("status", &out->status),
        OPT(db_col_i64("void_id", &out->redemption_id)),
        OPT(db_col_text("voided_at", out->offline_at, sizeof out->offline_at)),
        OPT(db_col_i64("discount_cents", &out->discount_cents)),
        OPT(db_col_i64("campaign_id", &out->campaign_id)),
        DB_COL_END};
    *out = (struct redeem_answer){0};
    return db_select_one("redemption_void", params, cols);
}
