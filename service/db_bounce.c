/* Bounce-back coupons: the pool's stored-function calls, typed parameters in, columns read by
 * name (the next_* columns are read with redeem()'s and card_earn()'s, DB_NEXT_COUPON_COLS). */
#include "db.h"
#include "db_bounce.h"

int db_bounce_campaigns_live(bool *live)
{
    const struct db_param params[] = {DB_PARAM_END};
    const struct db_col cols[] = {db_col_bool("bounce_campaigns_live", live), DB_COL_END};
    int rc = db_select_one("bounce_campaigns_live", params, cols);
    if (rc != DB_ONE_RESULT)
        *live = true; /* look rather than miss one */
    return rc == DB_NO_RESULTS ? DB_HARD_ERROR : rc;
}

/* Where db_bounce_pool_needs collects the rows. */
struct needs {
    int64_t id;
    int32_t have;
    int64_t *ids;
    size_t max, *n;
};

static int need_row(void *cls, size_t i)
{
    struct needs *x = cls;
    (void)i;
    if (*x->n < x->max)
        x->ids[(*x->n)++] = x->id;
    return 0;
}

int db_bounce_pool_needs(int low, int64_t *ids, size_t max, size_t *n)
{
    struct needs x = {.ids = ids, .max = max, .n = n};
    const struct db_param params[] = {db_param_int(low), DB_PARAM_END};
    const struct db_col cols[] = {db_col_i64("campaign_id", &x.id), db_col_i32("have", &x.have),
                                  DB_COL_END};
    *n = 0;
    int rc = db_select_rows("bounce_pool_needs", params, cols, need_row, &x);
    return rc >= 0 ? DB_ONE_RESULT : rc;
}

int db_bounce_pool_reserve(int64_t campaign, int count, unsigned mac_key, enum db_word *status,
                           int64_t *first)
{
    const struct db_param params[] = {db_param_int(campaign), db_param_int(count),
                                      db_param_int(mac_key), DB_PARAM_END};
    const struct db_col cols[] = {db_col_word("status", status),
                                  db_col_null_ok(db_col_i64("first_serial", first)), DB_COL_END};
    *status = DBW_NONE;
    *first = 0;
    int rc = db_select_one("bounce_pool_reserve", params, cols);
    return rc == DB_NO_RESULTS ? DB_HARD_ERROR : rc;
}

int db_bounce_pool_add(int64_t campaign, int64_t first, int64_t last, const uint32_t *serials,
                       size_t n)
{
    const struct db_param params[] = {db_param_int(campaign), db_param_int(first),
                                      db_param_int(last), db_param_u32_array(serials, n),
                                      DB_PARAM_END};
    return db_execute("bounce_pool_add", params);
}
