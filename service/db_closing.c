/* The day closing and offline-conflict stored-function calls: one round trip each. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "db_closing.h"

/* Runs statement NAME with the N parameters PARAMS, expecting one row of one JSON column, into
 * *JSON. Returns a db_status. */
static int one_json(const char *name, int n, const char *const *params, char **json)
{
    PGresult *res = NULL;
    *json = NULL;
    int rc = db_query_retry(name, n, params, &res);
    if (rc == DB_ONE_RESULT) {
        *json = PQgetisnull(res, 0, 0) ? NULL : strdup(PQgetvalue(res, 0, 0));
        if (*json == NULL)
            rc = DB_HARD_ERROR;
    }
    PQclear(res);
    return rc;
}

int db_terminal_closing(const char *key, const char *name, const char *day, char **json)
{
    const char *params[] = {key, name, day};
    return one_json("terminal_closing", 3, params, json);
}

int db_offline_conflicts(int64_t campaign, int64_t after, int limit, char **json)
{
    char c[24], a[24], l[16];
    snprintf(c, sizeof c, "%" PRId64, campaign);
    snprintf(a, sizeof a, "%" PRId64, after);
    snprintf(l, sizeof l, "%d", limit);
    const char *params[] = {campaign > 0 ? c : NULL, a, l};
    return one_json("offline_conflict_list", 3, params, json);
}
