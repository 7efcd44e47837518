/* Recipient-list stored-function calls: one round trip each, in the caller's open
 * transaction (so never run again on a new connection). Card lists travel as one bigint array
 * parameter. */
#include "db.h"
#include "db_recipients.h"

/* The calls answer exactly one row. */
static int one_row(int rc)
{
    return rc == DB_NO_RESULTS ? DB_HARD_ERROR : rc;
}

int db_recipients_prepare(int64_t campaign, const uint32_t *cards, size_t n, enum db_word *status,
                          uint8_t key[16], uint32_t unknown[5], size_t *n_unknown)
{
    const struct db_param params[] = {db_param_int(campaign), db_param_u32_array(cards, n),
                                      DB_PARAM_END};
    bool no_key = false;
    const struct db_col cols[] = {
        db_col_word("status", status),
        db_col_nullable(db_col_bytes("holdout_key", key, 16), &no_key),
        db_col_null_ok(db_col_u32_array("unknown", unknown, 5, n_unknown)), DB_COL_END};
    int rc = one_row(db_select_one("recipients_prepare", params, cols));
    /* A campaign always has a holdout key: without one the row is broken. */
    return rc == DB_ONE_RESULT && *status == DBW_OK && no_key ? DB_HARD_ERROR : rc;
}

int db_recipients_begin(int64_t campaign, const uint8_t digest[32],
                        const uint8_t holdout_digest[32], size_t recipients, int64_t pct_hundredths,
                        size_t holdout, const char *actor, struct db_recipients_begin *out)
{
    const struct db_param params[] = {db_param_int(campaign),
                                      db_param_bytes(digest, 32),
                                      db_param_bytes(holdout_digest, 32),
                                      db_param_int((int64_t)recipients),
                                      db_param_hundredths_if(true, pct_hundredths),
                                      db_param_int((int64_t)holdout),
                                      db_param_text(actor),
                                      DB_PARAM_END};
    const struct db_col cols[] = {db_col_word("status", &out->status),
                                  db_col_null_ok(db_col_i64("recipients", &out->recipients)),
                                  db_col_null_ok(db_col_i64("holdout", &out->holdout)),
                                  db_col_null_ok(db_col_i64("batch_id", &out->batch_id)),
                                  DB_COL_END};
    return one_row(db_select_one("recipients_begin", params, cols));
}

int db_recipients_finish(int64_t campaign, int64_t batch, const uint32_t *held, size_t n,
                         const char *actor, const char *role, enum db_word *status)
{
    const struct db_param params[] = {
        db_param_int(campaign),      db_param_int_if(batch > 0, batch),
        db_param_u32_array(held, n), db_param_text(actor),
        db_param_text(role),         DB_PARAM_END};
    const struct db_col cols[] = {db_col_word("status", status), DB_COL_END};
    return one_row(db_select_one("recipients_finish", params, cols));
}
