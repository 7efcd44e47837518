/* Report stored-function calls: one round trip each, JSON text out. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "db_reports.h"

/* Runs NAME with PARAMS and copies the one JSON value it answers into *JSON. A row holding
 * NULL counts as no row. */
static int query_json(const char *name, int n, const char *const *params, char **json)
{
    PGresult *res = NULL;
    *json = NULL;
    int rc = db_query_retry(name, n, params, &res);
    if (rc == DB_ONE_RESULT && PQgetisnull(res, 0, 0)) {
        rc = DB_NO_RESULTS;
    } else if (rc == DB_ONE_RESULT) {
        *json = strdup(PQgetvalue(res, 0, 0));
        if (*json == NULL)
            rc = DB_HARD_ERROR;
    } else if (rc > DB_ONE_RESULT) {
        rc = DB_HARD_ERROR;
    }
    PQclear(res);
    return rc;
}

int db_campaign_report(int64_t campaign, const char *from, const char *to, char **json)
{
    char c[24];
    snprintf(c, sizeof c, "%" PRId64, campaign);
    const char *params[] = {c, from, to};
    return query_json("campaign_report", 3, params, json);
}

int db_campaign_compare(int64_t campaign, char **json)
{
    char c[24];
    snprintf(c, sizeof c, "%" PRId64, campaign);
    const char *params[] = {c};
    return query_json("campaign_compare", 1, params, json);
}

int db_campaign_batches(int64_t campaign, char **json)
{
    char c[24];
    snprintf(c, sizeof c, "%" PRId64, campaign);
    const char *params[] = {c};
    return query_json("campaign_batches", 1, params, json);
}

int db_audit_list(int64_t after, int limit, int64_t campaign, char **json)
{
    char a[24], l[16], c[24];
    snprintf(a, sizeof a, "%" PRId64, after);
    snprintf(l, sizeof l, "%d", limit);
    snprintf(c, sizeof c, "%" PRId64, campaign);
    const char *params[] = {a, l, campaign > 0 ? c : NULL};
    return query_json("audit_list", 3, params, json);
}
