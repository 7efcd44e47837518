/* Life-cycle stored-function calls: one round trip each, (status, JSON) out. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_lifecycle.h"
#include "json_fields.h"

void db_change_clear(struct db_change *c)
{
    if (c == NULL)
        return;
    free(c->json);
    c->json = NULL;
}

/* Runs NAME, which answers (status, body), into *OUT. */
static int change(const char *name, int n, const char *const *params, struct db_change *out)
{
    PGresult *res = NULL;
    memset(out, 0, sizeof *out);
    int rc = db_query_retry(name, n, params, &res);
    if (rc == DB_ONE_RESULT) {
        snprintf(out->status, sizeof out->status, "%s", PQgetvalue(res, 0, 0));
        if (!PQgetisnull(res, 0, 1)) {
            out->json = strdup(PQgetvalue(res, 0, 1));
            if (out->json == NULL)
                rc = DB_HARD_ERROR;
        }
    } else if (rc >= 0) {
        rc = DB_HARD_ERROR;
    }
    PQclear(res);
    return rc;
}

int db_campaign_lifecycle(int64_t campaign, const char *action, const char *actor, const char *role,
                          struct db_change *out)
{
    char c[24];
    snprintf(c, sizeof c, "%" PRId64, campaign);
    const char *params[] = {c, action, actor, role};
    return change("campaign_lifecycle", 4, params, out);
}

int db_campaign_update(int64_t campaign, const struct campaign_patch *p, const char *actor,
                       const char *role, struct db_change *out)
{
    char c[24], ends[24], cost[24], fixed[24], margin[24], window[16];
    snprintf(c, sizeof c, "%" PRId64, campaign);
    snprintf(ends, sizeof ends, "%" PRId64, p->ends_at);
    snprintf(cost, sizeof cost, "%" PRId64, p->cost_cents);
    snprintf(fixed, sizeof fixed, "%" PRId64, p->fixed_cost_cents);
    jin_pct_format(p->gross_margin_pct, margin, sizeof margin);
    snprintf(window, sizeof window, "%" PRId64, p->response_window_days);
    const char *params[] = {c,
                            p->name,
                            p->ends_at > 0 ? ends : NULL,
                            p->has_cost ? cost : NULL,
                            p->has_fixed_cost ? fixed : NULL,
                            p->has_margin ? margin : NULL,
                            p->in_home_date[0] != '\0' ? p->in_home_date : NULL,
                            p->has_window ? window : NULL,
                            actor,
                            role};
    return change("campaign_update", 10, params, out);
}

int db_batch_void(int64_t batch, const char *reason, const char *actor, const char *role,
                  struct db_change *out)
{
    char b[24];
    snprintf(b, sizeof b, "%" PRId64, batch);
    const char *params[] = {b, reason, actor, role};
    return change("batch_void", 4, params, out);
}
