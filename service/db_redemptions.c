/* Redemption stored-function calls: one round trip each, typed parameters in, the answer's
 * columns read by name. */
#include "db.h"
#include "db_redemptions.h"

/* Column NAME of an answer, NULL allowed (a refusal leaves most of them NULL). */
#define OPT(c) db_col_null_ok(c)

int db_redeem(uint32_t serial, int32_t store, const char *terminal, const char *txn, int64_t basket,
              uint32_t card, const char *receipt, const char *offline_at, struct redeem_answer *out)
{
    const struct db_param params[] = {
        db_param_int(serial),   db_param_int(store),       db_param_text(terminal),
        db_param_text(txn),     db_param_int(basket),      db_param_int_if(card != 0, card),
        db_param_text(receipt), db_param_text(offline_at), DB_PARAM_END};
    const struct db_col cols[] = {
        db_col_word("status", &out->status),
        OPT(db_col_i64("redemption_id", &out->redemption_id)),
        OPT(db_col_i64("discount_cents", &out->discount_cents)),
        OPT(db_col_i64("campaign_id", &out->campaign_id)),
        OPT(db_col_i64("points", &out->points)),
        OPT(db_col_text("redeemed_at", out->redeemed_at, sizeof out->redeemed_at)),
        OPT(db_col_i32("redeemed_store", &out->redeemed_store)),
        OPT(db_col_i64("void_id", &out->void_id)),
        OPT(db_col_text("offline_at", out->offline_at, sizeof out->offline_at)),
        OPT(db_col_i64("conflict_id", &out->conflict_id)),
        OPT(db_col_word("reason", &out->reason)),
        DB_COL_END};
    return db_select_one("redeem", params, cols);
}

int db_check(uint32_t serial, int32_t store, int64_t basket, uint32_t card,
             struct redeem_answer *out)
{
    const struct db_param params[] = {db_param_int(serial), db_param_int(store),
                                      db_param_int(basket), db_param_int_if(card != 0, card),
                                      DB_PARAM_END};
    const struct db_col cols[] = {
        db_col_word("status", &out->status),
        OPT(db_col_i64("discount_cents", &out->discount_cents)),
        OPT(db_col_i64("campaign_id", &out->campaign_id)),
        OPT(db_col_i64("points", &out->points)),
        OPT(db_col_text("redeemed_at", out->redeemed_at, sizeof out->redeemed_at)),
        OPT(db_col_i32("redeemed_store", &out->redeemed_store)),
        DB_COL_END};
    *out = (struct redeem_answer){0};
    return db_select_one("coupon_check", params, cols);
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
