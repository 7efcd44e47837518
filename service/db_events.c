/* Outbox stored-function calls on a background thread's own connection: one round trip each,
 * typed parameters in, columns read by name. */
#include <stdlib.h>

#include "db_events.h"

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
    const struct db_param params[] = {db_param_int(max), DB_PARAM_END};
    const struct db_col cols[] = {db_col_null_ok(db_col_i64("published", published)),
                                  db_col_null_ok(db_col_i64("head", head)), DB_COL_END};
    return db_link_select_one(l, "SELECT published, head FROM events_publish($1::integer)", params,
                              cols);
}

/* One row of events_after, read into ROW and moved into the list. */
struct after_rows {
    struct db_event row;
    struct db_event_list *out;
    size_t cap;
};

static int take_event(void *cls, size_t i)
{
    struct after_rows *a = cls;
    (void)i;
    if (a->out->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        struct db_event *items = realloc(a->out->items, cap * sizeof *items);
        if (items == NULL) {
            free(a->row.payload);
            return -1;
        }
        a->out->items = items;
        a->cap = cap;
    }
    a->out->items[a->out->n++] = a->row;
    a->row.payload = NULL;
    return 0;
}

int db_events_after(struct db_link *l, int64_t after, int max, const char *types, int64_t campaign,
                    struct db_event_list *out)
{
    db_event_list_clear(out);
    struct after_rows a = {.out = out};
    const struct db_param params[] = {db_param_int(after), db_param_int(max), db_param_text(types),
                                      db_param_int_if(campaign > 0, campaign), DB_PARAM_END};
    const struct db_col cols[] = {
        db_col_i64("id", &a.row.id),
        db_col_text("type", a.row.type, sizeof a.row.type),
        db_col_null_ok(db_col_i64("campaign_id", &a.row.campaign)),
        db_col_str("payload", &a.row.payload),
        db_col_text("occurred_at", a.row.occurred_at, sizeof a.row.occurred_at),
        DB_COL_END};
    int rc = db_link_select_rows(l,
                                 "SELECT id, type, campaign_id, payload, occurred_at"
                                 " FROM events_after($1::bigint, $2::integer, $3::text[],"
                                 " $4::bigint)",
                                 params, cols, take_event, &a);
    if (rc < 0)
        db_event_list_clear(out);
    return rc;
}

/* Runs SQL answering one bigint, the column named VALUE, into *OUT. */
static int one_i64(struct db_link *l, const char *sql, const struct db_param *params, int64_t *out)
{
    const struct db_col cols[] = {db_col_null_ok(db_col_i64("value", out)), DB_COL_END};
    return db_link_select_one(l, sql, params, cols);
}

int db_events_head(struct db_link *l, int64_t *out)
{
    const struct db_param none[] = {DB_PARAM_END};
    return one_i64(l, "SELECT events_head() AS value", none, out);
}

int db_events_oldest(struct db_link *l, int64_t *out)
{
    const struct db_param none[] = {DB_PARAM_END};
    return one_i64(l, "SELECT events_oldest() AS value", none, out);
}

int db_events_prune(struct db_link *l, int64_t retention_s, int max, int64_t *deleted)
{
    const struct db_param params[] = {db_param_int(retention_s), db_param_int(max), DB_PARAM_END};
    return one_i64(l,
                   "SELECT events_prune(make_interval(secs => $1::bigint), $2::integer) AS value",
                   params, deleted);
}

int db_events_stats(struct db_link *l, struct db_events_stats *out)
{
    const struct db_param none[] = {DB_PARAM_END};
    int64_t oldest_ms = 0;
    const struct db_col cols[] = {db_col_null_ok(db_col_i64("kept", &out->kept)),
                                  db_col_null_ok(db_col_i64("queued", &out->queued)),
                                  db_col_null_ok(db_col_i64("head", &out->head)),
                                  db_col_null_ok(db_col_i64("oldest_undelivered_ms", &oldest_ms)),
                                  DB_COL_END};
    int rc = db_link_select_one(l,
                                "SELECT kept, queued, head,"
                                " round(oldest_undelivered_s * 1000)::bigint"
                                " AS oldest_undelivered_ms FROM events_stats()",
                                none, cols);
    out->oldest_undelivered_s = (double)oldest_ms / 1000.0;
    return rc;
}
