/* Life-cycle stored-function calls: one round trip each, (status, body) out. */
#include <stdlib.h>

#include "db.h"
#include "db_lifecycle.h"

void db_change_clear(struct db_change *c)
{
    if (c == NULL)
        return;
    free(c->json);
    c->json = NULL;
}

/* Runs NAME, which answers (status, body), into *OUT. */
static int change(const char *name, const struct db_param *params, struct db_change *out)
{
    const struct db_col cols[] = {db_col_word("status", &out->status),
                                  db_col_null_ok(db_col_str("body", &out->json)), DB_COL_END};
    int rc = db_select_one(name, params, cols);
    return rc == DB_NO_RESULTS ? DB_HARD_ERROR : rc; /* they answer one row */
}

int db_campaign_lifecycle(int64_t campaign, const char *action, const char *actor, const char *role,
                          struct db_change *out)
{
    const struct db_param params[] = {db_param_int(campaign), db_param_text(action),
                                      db_param_text(actor), db_param_text(role), DB_PARAM_END};
    return change("campaign_lifecycle", params, out);
}

int db_campaign_update(int64_t campaign, const struct campaign_patch *p, const char *actor,
                       const char *role, struct db_change *out)
{
    const struct db_param params[] = {
        db_param_int(campaign),
        db_param_text(p->name),
        db_param_int_if(p->ends_at > 0, p->ends_at),
        db_param_int_if(p->has_cost, p->cost_cents),
        db_param_int_if(p->has_fixed_cost, p->fixed_cost_cents),
        db_param_hundredths_if(p->has_margin, p->gross_margin_pct),
        db_param_text(p->in_home_date[0] != '\0' ? p->in_home_date : NULL),
        db_param_int_if(p->has_window, p->response_window_days),
        db_param_text(actor),
        db_param_text(role),
        DB_PARAM_END};
    return change("campaign_update", params, out);
}

int db_batch_void(int64_t batch, const char *reason, const char *actor, const char *role,
                  struct db_change *out)
{
    const struct db_param params[] = {db_param_int(batch), db_param_text(reason),
                                      db_param_text(actor), db_param_text(role), DB_PARAM_END};
    return change("batch_void", params, out);
}
