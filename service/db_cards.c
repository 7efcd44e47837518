/* Bonus card stored-function calls: one round trip each, typed parameters in, the answer's
 * columns read by name. */
#include "db.h"
#include "db_cards.h"

/* Column C of an answer, NULL allowed (a refusal leaves most of them NULL). */
#define OPT(c) db_col_null_ok(c)

int db_card_serials_reserve(int count, unsigned mac_key, int64_t *first)
{
    const struct db_param params[] = {db_param_int(count), db_param_int(mac_key), DB_PARAM_END};
    bool exhausted = false;
    const struct db_col cols[] = {
        db_col_nullable(db_col_i64("card_serials_reserve", first), &exhausted), DB_COL_END};
    int rc = db_select_one("card_serials_reserve", params, cols);
    return rc == DB_ONE_RESULT && exhausted ? DB_NO_RESULTS : rc;
}

int db_card_create(uint32_t serial)
{
    const struct db_param params[] = {db_param_int(serial), DB_PARAM_END};
    int rc = db_execute("card_create", params);
    return rc == DB_ONE_RESULT || rc < 0 ? rc : DB_HARD_ERROR;
}

int db_card_get(uint32_t serial, char **json)
{
    const struct db_param params[] = {db_param_int(serial), DB_PARAM_END};
    return db_select_text("card_get", params, json); /* no row: no such card */
}

int db_card_earn(uint32_t card, int32_t store, const char *terminal, const char *txn,
                 int64_t basket, const char *offline_at, bool bounce, struct card_answer *out)
{
    const struct db_param params[] = {db_param_int(card),      db_param_int(store),
                                      db_param_text(terminal), db_param_text(txn),
                                      db_param_int(basket),    db_param_text(offline_at),
                                      db_param_bool(bounce),   DB_PARAM_END};
    const struct db_col cols[] = {
        db_col_word("status", &out->status),
        OPT(db_col_i64("transaction_id", &out->transaction_id)),
        OPT(db_col_i64("points", &out->points)),
        OPT(db_col_i64("balance", &out->balance)),
        OPT(db_col_i64("voided_by", &out->voided_by)),
        OPT(db_col_text("booked_at", out->booked_at, sizeof out->booked_at)),
        OPT(db_col_text("offline_at", out->offline_at, sizeof out->offline_at)),
        DB_NEXT_COUPON_COLS(&out->next), /* counter (issue 17) */
        DB_COL_END};
    *out = (struct card_answer){0};
    return db_select_one("card_earn", params, cols);
}

int db_card_burn(uint32_t card, int32_t store, const char *terminal, const char *txn,
                 int64_t points, struct card_answer *out)
{
    const struct db_param params[] = {db_param_int(card),      db_param_int(store),
                                      db_param_text(terminal), db_param_text(txn),
                                      db_param_int(points),    DB_PARAM_END};
    const struct db_col cols[] = {
        db_col_word("status", &out->status),
        OPT(db_col_i64("transaction_id", &out->transaction_id)),
        OPT(db_col_i64("points", &out->points)),
        OPT(db_col_i64("balance", &out->balance)),
        OPT(db_col_i64("value_cents", &out->value_cents)),
        OPT(db_col_i64("voided_by", &out->voided_by)),
        OPT(db_col_text("booked_at", out->booked_at, sizeof out->booked_at)),
        DB_COL_END};
    *out = (struct card_answer){0};
    return db_select_one("card_burn", params, cols);
}

int db_card_void(int64_t id, int32_t store, const char *terminal, const char *txn,
                 struct card_answer *out)
{
    const struct db_param params[] = {db_param_int(id), db_param_int(store),
                                      db_param_text(terminal), db_param_text(txn), DB_PARAM_END};
    const struct db_col cols[] = {
        db_col_word("status", &out->status),
        OPT(db_col_i64("void_id", &out->transaction_id)),
        OPT(db_col_i64("points", &out->points)),
        OPT(db_col_i64("balance", &out->balance)),
        OPT(db_col_text("kind", out->kind, sizeof out->kind)),
        OPT(db_col_text("voided_at", out->booked_at, sizeof out->booked_at)),
        DB_COL_END};
    *out = (struct card_answer){0};
    return db_select_one("card_transaction_void", params, cols);
}

int db_card_expire(int max_cards, int64_t *cards)
{
    const struct db_param params[] = {db_param_int(max_cards), DB_PARAM_END};
    const struct db_col cols[] = {db_col_i64("card_expire", cards), DB_COL_END};
    int rc = db_select_one("card_expire", params, cols);
    /* the function answers exactly one row, never NULL */
    return rc == DB_NO_RESULTS ? DB_HARD_ERROR : rc;
}
