/* Campaign stored-function calls. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "db_campaigns.h"
#include "json_fields.h"

/* Copies the first column of the first row of RES into a new string; clears RES. */
static int take_text(int rc, PGresult *res, char **out)
{
    *out = NULL;
    if (rc == DB_ONE_RESULT && !PQgetisnull(res, 0, 0)) {
        *out = strdup(PQgetvalue(res, 0, 0));
        if (*out == NULL)
            rc = DB_HARD_ERROR;
    } else if (rc == DB_ONE_RESULT) {
        rc = DB_NO_RESULTS;
    }
    PQclear(res);
    return rc;
}

int db_campaign_list(int64_t after, int limit, const char *state, const char *channel, char **json)
{
    char a[24], l[16];
    snprintf(a, sizeof a, "%" PRId64, after);
    snprintf(l, sizeof l, "%d", limit);
    const char *params[] = {a, l, state, channel};
    PGresult *res = NULL;
    int rc = db_query_retry("campaign_list", 4, params, &res);
    return take_text(rc, res, json);
}

int db_campaign_get(int64_t id, char **json)
{
    char a[24];
    snprintf(a, sizeof a, "%" PRId64, id);
    const char *params[] = {a};
    PGresult *res = NULL;
    int rc = db_query_retry("campaign_get", 1, params, &res);
    return take_text(rc, res, json);
}

int db_campaign_get_terms(int64_t id, char **json)
{
    char a[24];
    snprintf(a, sizeof a, "%" PRId64, id);
    const char *params[] = {a};
    PGresult *res = NULL;
    int rc = db_query_retry("campaign_get_terms", 1, params, &res);
    return take_text(rc, res, json);
}

int db_campaign_create(const struct campaign_new *c, char **json, enum cpn_err *err,
                       char status[24])
{
    char cost[24], starts[24], ends[24], value[24], minb[24], maxr[24], variant[24];
    char margin[24], fixed[24], window[16];
    jin_pct_format(c->gross_margin_pct, margin, sizeof margin);
    snprintf(fixed, sizeof fixed, "%" PRId64, c->fixed_cost_cents);
    snprintf(window, sizeof window, "%" PRId64, c->response_window_days);
    char per_card[24], per_receipt[24], trigger_min[24]; /* counter (issue 17) */
    snprintf(per_card, sizeof per_card, "%" PRId64, c->max_per_card);
    snprintf(per_receipt, sizeof per_receipt, "%" PRId64, c->max_per_receipt);
    snprintf(trigger_min, sizeof trigger_min, "%" PRId64, c->trigger_min_basket_cents);
    status[0] = '\0';
    char stores[CAMPAIGN_MAX_STORES * 12 + 3];
    snprintf(cost, sizeof cost, "%" PRId64, c->cost_cents);
    snprintf(starts, sizeof starts, "%" PRId64, c->starts_at);
    snprintf(ends, sizeof ends, "%" PRId64, c->ends_at);
    snprintf(value, sizeof value, "%" PRId64, c->offer_value);
    snprintf(minb, sizeof minb, "%" PRId64, c->min_basket_cents);
    snprintf(maxr, sizeof maxr, "%" PRId64, c->max_redemptions);
    snprintf(variant, sizeof variant, "%" PRId64, c->variant_of);
    size_t pos = 0;
    stores[pos++] = '{';
    for (size_t i = 0; i < c->nstores; i++)
        pos += (size_t)snprintf(stores + pos, sizeof stores - pos, "%s%" PRId32, i ? "," : "",
                                c->stores[i]);
    stores[pos++] = '}';
    stores[pos] = '\0';
    const char *params[] = {c->name,
                            c->channel,
                            cost,
                            starts,
                            ends,
                            c->offer_kind,
                            value,
                            minb,
                            c->max_redemptions > 0 ? maxr : NULL,
                            c->nstores > 0 ? stores : NULL,
                            c->variant_of > 0 ? variant : NULL,
                            c->created_by,
                            c->offer_multiply ? "true" : "false",
                            c->in_home_date[0] != '\0' ? c->in_home_date : NULL,
                            c->has_gross_margin ? margin : NULL,
                            c->has_fixed_cost ? fixed : NULL,
                            c->response_window_days > 0 ? window : NULL,
                            c->created_role,
                            c->starts_on[0] != '\0' ? c->starts_on : NULL,
                            c->ends_on[0] != '\0' ? c->ends_on : NULL,
                            c->max_per_card > 0 ? per_card : NULL,
                            c->max_per_receipt > 0 ? per_receipt : NULL,
                            c->combinable,
                            c->has_trigger ? trigger_min : NULL,
                            c->has_trigger ? (c->trigger_card_required ? "true" : "false") : NULL};
    PGresult *res = NULL;
    *json = NULL;
    *err = CPN_ERR_INTERNAL;
    int rc = db_query_retry("campaign_create", 25, params, &res);
    if (rc == DB_HARD_ERROR) {
        /* A CHECK constraint (23514) is a rule of the table the request broke; the points
         * maximum's trigger says which in its message, handed on in *JSON. */
        if (strcmp(db_sqlstate(res), "23514") == 0) {
            *err = CPN_ERR_BAD_REQUEST;
            const char *name = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
            const char *text = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
            if (name != NULL && text != NULL && strcmp(name, "campaigns_points_max") == 0)
                *json = strdup(text);
        }
        PQclear(res);
        return rc;
    }
    if (rc != DB_ONE_RESULT) {
        PQclear(res);
        return rc;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "ok") == 0) {
        *json = strdup(PQgetvalue(res, 0, 1));
        *err = *json != NULL ? CPN_OK : CPN_ERR_NO_MEMORY;
    } else {
        *err = CPN_ERR_BAD_REQUEST;
        snprintf(status, 24, "%s", PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    return rc;
}
