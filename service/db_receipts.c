/* Receipt codes: the stored-function calls, one round trip each, typed parameters in, the
 * answer's columns read by name. */
#include "db.h"
#include "db_receipts.h"

int db_receipt_credit_days(int *days)
{
    const struct db_param params[] = {DB_PARAM_END};
    int32_t d = 0;
    const struct db_col cols[] = {db_col_i32("receipt_credit_days", &d), DB_COL_END};
    int rc = db_select_one("receipt_credit_days", params, cols);
    *days = (int)d;
    return rc == DB_NO_RESULTS ? DB_HARD_ERROR : rc;
}

int db_card_credit_receipt(uint32_t card, int32_t store, const char *terminal, const char *txn,
                           const char *r_terminal, const char *r_txn, int64_t basket,
                           int64_t valid_until, struct card_answer *out)
{
    const struct db_param params[] = {
        db_param_int(card),   db_param_int(store),       db_param_text(terminal),
        db_param_text(txn),   db_param_text(r_terminal), db_param_text(r_txn),
        db_param_int(basket), db_param_int(valid_until), DB_PARAM_END};
    const struct db_col cols[] = {
        db_col_word("status", &out->status),
        db_col_null_ok(db_col_i64("transaction_id", &out->transaction_id)),
        db_col_null_ok(db_col_i64("points", &out->points)),
        db_col_null_ok(db_col_i64("balance", &out->balance)),
        db_col_null_ok(db_col_i64("voided_by", &out->voided_by)),
        DB_COL_END};
    *out = (struct card_answer){0};
    int rc = db_select_one("card_credit_receipt", params, cols);
    return rc == DB_NO_RESULTS ? DB_HARD_ERROR : rc;
}
