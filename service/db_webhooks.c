/* Webhook stored-function calls: one round trip each, typed parameters in, columns read by
 * name. */
#include <openssl/crypto.h>
#include <stdlib.h>

#include "db_webhooks.h"
#include "webhook_sign.h"

int db_webhook_create(const struct webhook_new *w, enum db_word *status, char **json)
{
    const struct db_param params[] = {
        db_param_text(w->url),          db_param_text(w->types),
        db_param_text(w->ca_pem),       db_param_bytes(w->secret, w->secret_len),
        db_param_bool(w->reveal_codes), db_param_text(w->request_key),
        db_param_text(w->created_by),   DB_PARAM_END};
    const struct db_col cols[] = {db_col_word("status", status),
                                  db_col_null_ok(db_col_str("body", json)), DB_COL_END};
    return db_select_one("webhook_create", params, cols);
}

int db_webhook_list(char **json)
{
    const struct db_param none[] = {DB_PARAM_END};
    return db_select_text("webhook_list", none, json);
}

int db_webhook_get(int64_t id, char **json)
{
    const struct db_param params[] = {db_param_int(id), DB_PARAM_END};
    return db_select_text("webhook_get", params, json);
}

int db_webhook_delete(int64_t id, char **json)
{
    const struct db_param params[] = {db_param_int(id), DB_PARAM_END};
    return db_select_text("webhook_delete", params, json);
}

int db_webhook_redeliver(int64_t id, int64_t from, enum db_word *status, char **json,
                         int64_t *oldest)
{
    const struct db_param params[] = {db_param_int(id), db_param_int(from), DB_PARAM_END};
    const struct db_col cols[] = {db_col_word("status", status),
                                  db_col_null_ok(db_col_str("body", json)),
                                  db_col_null_ok(db_col_i64("oldest", oldest)), DB_COL_END};
    return db_select_one("webhook_redeliver", params, cols);
}

int db_webhook_deliveries(int64_t id, int64_t before, int max, char **json)
{
    const struct db_param params[] = {db_param_int(id), db_param_int_if(before > 0, before),
                                      db_param_int(max), DB_PARAM_END};
    return db_select_text("webhook_deliveries", params, json);
}

void db_webhook_list_clear(struct db_webhook_list *list)
{
    for (size_t i = 0; i < list->n; i++) {
        struct db_webhook *w = &list->items[i];
        free(w->url);
        free(w->types);
        free(w->ca_pem);
        OPENSSL_cleanse(w->secret, sizeof w->secret);
    }
    free(list->items);
    list->items = NULL;
    list->n = 0;
}

/* One row of webhooks_due, read into ROW and moved into the list. */
struct due_rows {
    struct db_webhook row;
    char secret[128]; /* base64 */
    struct db_webhook_list *out;
    size_t cap;
};

static int take_due(void *cls, size_t i)
{
    struct due_rows *d = cls;
    struct db_webhook *w = &d->row;
    (void)i;
    int n = webhook_base64_decode(d->secret, w->secret, sizeof w->secret);
    OPENSSL_cleanse(d->secret, sizeof d->secret);
    if (n >= 24 && d->out->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        struct db_webhook *items = realloc(d->out->items, cap * sizeof *items);
        if (items != NULL) {
            d->out->items = items;
            d->cap = cap;
        }
    }
    if (n < 24 || d->out->n == d->cap) {
        free(w->url);
        free(w->types);
        free(w->ca_pem);
        OPENSSL_cleanse(w->secret, sizeof w->secret);
        return -1;
    }
    w->secret_len = (size_t)n;
    d->out->items[d->out->n++] = *w;
    OPENSSL_cleanse(w, sizeof *w);
    return 0;
}

int db_webhooks_due(struct db_link *l, struct db_webhook_list *out)
{
    db_webhook_list_clear(out);
    struct due_rows d = {.out = out};
    const struct db_param none[] = {DB_PARAM_END};
    const struct db_col cols[] = {db_col_i64("id", &d.row.id),
                                  db_col_str("url", &d.row.url),
                                  db_col_str("event_types", &d.row.types),
                                  db_col_null_ok(db_col_str("ca_pem", &d.row.ca_pem)),
                                  db_col_text("secret", d.secret, sizeof d.secret),
                                  db_col_bool("reveal_codes", &d.row.reveal_codes),
                                  db_col_i64("cursor", &d.row.cursor),
                                  db_col_i32("failures", &d.row.failures),
                                  DB_COL_END};
    int rc = db_link_select_rows(l,
                                 "SELECT id, url, event_types, ca_pem, secret, reveal_codes,"
                                 " cursor, failures FROM webhooks_due()",
                                 none, cols, take_due, &d);
    OPENSSL_cleanse(d.secret, sizeof d.secret);
    if (rc < 0)
        db_webhook_list_clear(out);
    return rc;
}

int db_webhook_result(struct db_link *l, const struct db_webhook_round *r)
{
    _Static_assert(sizeof(int) == sizeof(int32_t), "int is 32 bits");
    int32_t *delivered = malloc((r->n > 0 ? r->n : 1) * sizeof *delivered);
    if (delivered == NULL)
        return DB_HARD_ERROR;
    for (size_t i = 0; i < r->n; i++)
        delivered[i] = r->delivered[i] ? 1 : 0;
    const struct db_param params[] = {
        db_param_int(r->id),
        db_param_int(r->from_cursor),
        db_param_int(r->new_cursor),
        db_param_bool(r->failed),
        db_param_text(r->error),
        db_param_int((int64_t)(r->retry_in_s * 1000.0)),
        db_param_int(r->give_up_s),
        db_param_bool(r->gone),
        db_param_i64_array(r->events, r->n),
        db_param_i32_array_if(true, (const int32_t *)r->statuses, r->n),
        db_param_text_array(r->errors, r->n),
        db_param_i32_array_if(true, (const int32_t *)r->durations_ms, r->n),
        db_param_i32_array_if(true, delivered, r->n),
        DB_PARAM_END};
    const struct db_col none[] = {DB_COL_END};
    /* A status of 0 is no HTTP answer (NULL); the delivered flags travel as 0 and 1. */
    int rc = db_link_select_rows(
        l,
        "SELECT webhook_result($1::bigint, $2::bigint, $3::bigint, $4::boolean, $5,"
        " ($6::bigint / 1000.0)::double precision, make_interval(secs => $7::bigint),"
        " $8::boolean, $9::bigint[], array_replace($10::integer[], 0, NULL), $11::text[],"
        " $12::integer[], $13::integer[]::boolean[])",
        params, none, NULL, NULL);
    free(delivered);
    return rc >= 0 ? DB_ONE_RESULT : rc;
}

int db_webhook_claim(struct db_link *l, int64_t id, bool *claimed)
{
    const struct db_param params[] = {db_param_int(id), DB_PARAM_END};
    const struct db_col cols[] = {db_col_bool("claimed", claimed), DB_COL_END};
    return db_link_select_one(l, "SELECT pg_try_advisory_lock(7316110, $1::integer) AS claimed",
                              params, cols);
}
