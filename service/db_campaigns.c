/* Campaign stored-function calls: typed parameters in, columns read by name. */
#include <stdlib.h>
#include <string.h>

#include "db_campaigns.h"
#include "db_internal.h"
#include "log.h"

int db_campaign_list(int64_t after, int limit, const char *state, const char *channel, char **json)
{
    const struct db_param params[] = {db_param_int(after), db_param_int(limit),
                                      db_param_text(state), db_param_text(channel), DB_PARAM_END};
    return db_select_text("campaign_list", params, json);
}

int db_campaign_get(int64_t id, char **json)
{
    const struct db_param params[] = {db_param_int(id), DB_PARAM_END};
    return db_select_text("campaign_get", params, json); /* no row: no such campaign */
}

/* A CHECK constraint (23514) in the failed result RES: a rule of the table the request broke;
 * the points maximum's trigger says which in its message, handed on in *JSON. */
static void table_rule(const PGresult *res, char **json, enum cpn_err *err)
{
    if (strcmp(db_sqlstate(res), "23514") != 0)
        return;
    *err = CPN_ERR_BAD_REQUEST;
    const char *name = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
    const char *text = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    if (name != NULL && text != NULL && strcmp(name, "campaigns_points_max") == 0)
        *json = strdup(text);
}

int db_campaign_get_terms(int64_t id, char **json)
{
    const struct db_param params[] = {db_param_int(id), DB_PARAM_END};
    return db_select_text("campaign_get_terms", params, json); /* no row: no such campaign */
}

int db_campaign_create(const struct campaign_new *c, char **json, enum cpn_err *err,
                       enum db_word *why)
{
    const struct db_param params[] = {
        db_param_text(c->name), db_param_text(c->channel), db_param_int(c->cost_cents),
        db_param_int(c->starts_at), db_param_int(c->ends_at), db_param_text(c->offer_kind),
        db_param_int(c->offer_value), db_param_int(c->min_basket_cents),
        db_param_int_if(c->max_redemptions > 0, c->max_redemptions),
        db_param_i32_array_if(c->nstores > 0, c->stores, c->nstores),
        db_param_int_if(c->variant_of > 0, c->variant_of), db_param_text(c->created_by),
        db_param_bool(c->offer_multiply),
        db_param_text(c->in_home_date[0] != '\0' ? c->in_home_date : NULL),
        db_param_hundredths_if(c->has_gross_margin, c->gross_margin_pct),
        db_param_int_if(c->has_fixed_cost, c->fixed_cost_cents),
        db_param_int_if(c->response_window_days > 0, c->response_window_days),
        db_param_text(c->created_role),
        db_param_text(c->starts_on[0] != '\0' ? c->starts_on : NULL),
        db_param_text(c->ends_on[0] != '\0' ? c->ends_on : NULL),
        /* counter (issue 17) */
        db_param_int_if(c->max_per_card > 0, c->max_per_card),
        db_param_int_if(c->max_per_receipt > 0, c->max_per_receipt), db_param_text(c->combinable),
        db_param_int_if(c->has_trigger, c->trigger_min_basket_cents),
        c->has_trigger ? db_param_bool(c->trigger_card_required) : db_param_null(), DB_PARAM_END};
    const struct db_col cols[] = {db_col_word("status", why),
                                  db_col_null_ok(db_col_str("body", json)), DB_COL_END};
    PGresult *res = NULL;
    *json = NULL;
    *why = DBW_NONE;
    *err = CPN_ERR_INTERNAL;
    int rc = db_run("campaign_create", params, &res);
    if (rc == DB_HARD_ERROR && res != NULL) {
        table_rule(res, json, err);
    } else if (rc == DB_ONE_RESULT) {
        int idx[DB_COLS_MAX];
        if (db_cols_find(res, cols, idx, "campaign_create") != 0 ||
            db_cols_read(res, 0, cols, idx, "campaign_create") != 0)
            rc = DB_HARD_ERROR;
        else if (*why == DBW_OK && *json != NULL)
            *err = CPN_OK;
        else if (*why == DBW_VARIANT_NOT_FOUND || *why == DBW_VARIANT_OF_VARIANT)
            *err = CPN_ERR_BAD_REQUEST;
        else
            log_msg(LOGL_ERROR, "campaign_create answered %s", db_word_name(*why));
        if (*err != CPN_OK) {
            free(*json);
            *json = NULL;
        }
    } else if (rc > DB_ONE_RESULT) {
        rc = DB_HARD_ERROR;
    }
    PQclear(res);
    return rc;
}
