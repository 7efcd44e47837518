/* One redeem() call in its own transaction, and the answer's columns (shared with the group
 * commit, db_redeem_group.c). */
#include "db.h"
#include "db_redeem_one.h"

/* Column NAME of an answer, NULL allowed (a refusal leaves most of them NULL). */
#define OPT(c) db_col_null_ok(c)

void db_redeem_cols(struct db_col cols[DB_REDEEM_NCOLS + 1], struct redeem_answer *out,
                    bool *no_receipt)
{
    const struct db_col all[DB_REDEEM_NCOLS + 1] = {
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
                        no_receipt),
        OPT(db_col_i32("receipt_coupons", &out->receipt_coupons)), DB_NEXT_COUPON_COLS(&out->next),
        DB_COL_END};
    for (size_t i = 0; i <= DB_REDEEM_NCOLS; i++)
        cols[i] = all[i];
}

int db_redeem_alone(uint32_t serial, int32_t store, const char *terminal, const char *txn,
                    int64_t basket, uint32_t card, const char *receipt, const char *offline_at,
                    const char *basket_by_vat, bool bounce, struct redeem_answer *out)
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
    struct db_col cols[DB_REDEEM_NCOLS + 1];
    db_redeem_cols(cols, out, &no_receipt);
    *out = (struct redeem_answer){0};
    int rc = db_select_one("redeem", params, cols);
    out->on_receipt = rc == DB_ONE_RESULT && !no_receipt;
    return rc;
}
