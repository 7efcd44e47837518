/* Outbox stored-function calls on a background thread's own connection: one round trip each. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_events.h"

static int64_t i64(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

void db_event_list_clear(struct db_event_list *list)
{
    for (size_t i = 0; i < list->n; i++)
        free(list->items[i].payload);
    free(list->items);
    list->items = NULL;
    list->n = 0;
}

int db_events_publish(struct db_link *l, int max, int64_t *published, int64_t *head)
{
    char m[16];
    snprintf(m, sizeof m, "%d", max);
    const char *params[] = {m};
    PGresult *res = NULL;
    int rc = db_link_query(l, "SELECT published, head FROM events_publish($1::integer)", 1, params,
                           &res);
    if (rc == DB_ONE_RESULT) {
        *published = i64(res, 0, 0);
        *head = i64(res, 0, 1);
    } else if (rc >= 0) {
        rc = DB_HARD_ERROR;
    }
    PQclear(res);
    return rc;
}

int db_events_after(struct db_link *l, int64_t after, int max, const char *types, int64_t campaign,
                    struct db_event_list *out)
{
    db_event_list_clear(out);
    char a[24], m[16], c[24];
    snprintf(a, sizeof a, "%" PRId64, after);
    snprintf(m, sizeof m, "%d", max);
    snprintf(c, sizeof c, "%" PRId64, campaign);
    const char *params[] = {a, m, types, campaign > 0 ? c : NULL};
    PGresult *res = NULL;
    int rc = db_link_query(l,
                           "SELECT id, type, campaign_id, payload, occurred_at"
                           " FROM events_after($1::bigint, $2::integer, $3::text[], $4::bigint)",
                           4, params, &res);
    if (rc <= 0) {
        PQclear(res);
        return rc;
    }
    out->items = calloc((size_t)rc, sizeof *out->items);
    if (out->items == NULL) {
        PQclear(res);
        return DB_HARD_ERROR;
    }
    for (int i = 0; i < rc; i++) {
        struct db_event *e = &out->items[i];
        e->id = i64(res, i, 0);
        snprintf(e->type, sizeof e->type, "%s", PQgetvalue(res, i, 1));
        e->campaign = i64(res, i, 2);
        snprintf(e->occurred_at, sizeof e->occurred_at, "%s", PQgetvalue(res, i, 4));
        e->payload = strdup(PQgetvalue(res, i, 3));
        out->n++;
        if (e->payload == NULL) {
            PQclear(res);
            db_event_list_clear(out);
            return DB_HARD_ERROR;
        }
    }
    PQclear(res);
    return rc;
}

/* Runs SQL (no parameters) answering one bigint into *OUT. */
static int one_i64(struct db_link *l, const char *sql, int n, const char *const *params,
                   int64_t *out)
{
    PGresult *res = NULL;
    int rc = db_link_query(l, sql, n, params, &res);
    if (rc == DB_ONE_RESULT)
        *out = i64(res, 0, 0);
    else if (rc >= 0)
        rc = DB_HARD_ERROR;
    PQclear(res);
    return rc;
}

int db_events_head(struct db_link *l, int64_t *out)
{
    return one_i64(l, "SELECT events_head()", 0, NULL, out);
}

int db_events_oldest(struct db_link *l, int64_t *out)
{
    return one_i64(l, "SELECT events_oldest()", 0, NULL, out);
}

int db_events_prune(struct db_link *l, int64_t retention_s, int max, int64_t *deleted)
{
    char r[24], m[16];
    snprintf(r, sizeof r, "%" PRId64, retention_s);
    snprintf(m, sizeof m, "%d", max);
    const char *params[] = {r, m};
    return one_i64(l, "SELECT events_prune(make_interval(secs => $1::bigint), $2::integer)", 2,
                   params, deleted);
}

int db_events_stats(struct db_link *l, struct db_events_stats *out)
{
    PGresult *res = NULL;
    int rc = db_link_query(l, "SELECT kept, queued, head, oldest_undelivered_s FROM events_stats()",
                           0, NULL, &res);
    if (rc == DB_ONE_RESULT) {
        out->kept = i64(res, 0, 0);
        out->queued = i64(res, 0, 1);
        out->head = i64(res, 0, 2);
        out->oldest_undelivered_s = strtod(PQgetvalue(res, 0, 3), NULL);
    } else if (rc >= 0) {
        rc = DB_HARD_ERROR;
    }
    PQclear(res);
    return rc;
}
