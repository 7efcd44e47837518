/* Webhook stored-function calls: one round trip each. */
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_webhooks.h"
#include "webhook_sign.h"

/* Takes the first column of a one-row result as a new string in *JSON. */
static int take_json(int rc, PGresult *res, int col, char **json)
{
    *json = NULL;
    if (rc == DB_ONE_RESULT && PQgetisnull(res, 0, col))
        rc = DB_NO_RESULTS;
    if (rc == DB_ONE_RESULT) {
        *json = strdup(PQgetvalue(res, 0, col));
        if (*json == NULL)
            rc = DB_HARD_ERROR;
    }
    PQclear(res);
    return rc;
}

int db_webhook_create(const struct webhook_new *w, char status[16], char **json)
{
    /* bytea as hex text: \x + two digits a byte */
    char hex[2 + 2 * 64 + 1] = "\\x";
    for (size_t i = 0; i < w->secret_len && i < 64; i++)
        snprintf(hex + 2 + 2 * i, 3, "%02x", w->secret[i]);
    const char *params[] = {
        w->url,         w->types,     w->ca_pem, hex, w->reveal_codes ? "t" : "f",
        w->request_key, w->created_by};
    PGresult *res = NULL;
    int rc = db_query_retry("webhook_create", 7, params, &res);
    status[0] = '\0';
    if (rc == DB_ONE_RESULT)
        snprintf(status, 16, "%s", PQgetvalue(res, 0, 0));
    if (rc == DB_ONE_RESULT && strcmp(status, "conflict") == 0) {
        PQclear(res);
        *json = NULL;
        return rc;
    }
    return take_json(rc, res, 1, json);
}

int db_webhook_list(char **json)
{
    PGresult *res = NULL;
    int rc = db_query_retry("webhook_list", 0, NULL, &res);
    return take_json(rc, res, 0, json);
}

/* Runs NAME with ID as its one parameter, answering JSON. */
static int by_id(const char *name, int64_t id, char **json)
{
    char i[24];
    snprintf(i, sizeof i, "%" PRId64, id);
    const char *params[] = {i};
    PGresult *res = NULL;
    int rc = db_query_retry(name, 1, params, &res);
    return take_json(rc, res, 0, json);
}

int db_webhook_get(int64_t id, char **json)
{
    return by_id("webhook_get", id, json);
}

int db_webhook_delete(int64_t id, char **json)
{
    return by_id("webhook_delete", id, json);
}

int db_webhook_redeliver(int64_t id, int64_t from, char status[16], char **json, int64_t *oldest)
{
    char i[24], f[24];
    snprintf(i, sizeof i, "%" PRId64, id);
    snprintf(f, sizeof f, "%" PRId64, from);
    const char *params[] = {i, f};
    PGresult *res = NULL;
    int rc = db_query_retry("webhook_redeliver", 2, params, &res);
    status[0] = '\0';
    *oldest = 0;
    if (rc == DB_ONE_RESULT) {
        snprintf(status, 16, "%s", PQgetvalue(res, 0, 0));
        *oldest = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
    }
    rc = take_json(rc, res, 1, json);
    return rc == DB_NO_RESULTS ? DB_ONE_RESULT : rc; /* a refusal has no body */
}

int db_webhook_deliveries(int64_t id, int64_t before, int max, char **json)
{
    char i[24], b[24], m[16];
    snprintf(i, sizeof i, "%" PRId64, id);
    snprintf(b, sizeof b, "%" PRId64, before);
    snprintf(m, sizeof m, "%d", max);
    const char *params[] = {i, before > 0 ? b : NULL, m};
    PGresult *res = NULL;
    int rc = db_query_retry("webhook_deliveries", 3, params, &res);
    return take_json(rc, res, 0, json);
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

static char *dup_col(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : strdup(PQgetvalue(res, row, col));
}

int db_webhooks_due(struct db_link *l, struct db_webhook_list *out)
{
    db_webhook_list_clear(out);
    PGresult *res = NULL;
    int rc = db_link_query(l,
                           "SELECT id, url, event_types, ca_pem, secret, reveal_codes, cursor,"
                           " failures FROM webhooks_due()",
                           0, NULL, &res);
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
        struct db_webhook *w = &out->items[out->n];
        w->id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        w->url = dup_col(res, i, 1);
        w->types = dup_col(res, i, 2);
        w->ca_pem = dup_col(res, i, 3);
        int n = webhook_base64_decode(PQgetvalue(res, i, 4), w->secret, sizeof w->secret);
        w->reveal_codes = strcmp(PQgetvalue(res, i, 5), "t") == 0;
        w->cursor = strtoll(PQgetvalue(res, i, 6), NULL, 10);
        w->failures = (int)strtol(PQgetvalue(res, i, 7), NULL, 10);
        out->n++;
        if (w->url == NULL || w->types == NULL || n < 24 ||
            (w->ca_pem == NULL && !PQgetisnull(res, i, 3))) {
            PQclear(res);
            db_webhook_list_clear(out);
            return DB_HARD_ERROR;
        }
        w->secret_len = (size_t)n;
    }
    PQclear(res);
    return rc;
}

/* A growing string for array literals. */
struct lit {
    char *p;
    size_t len, cap;
    bool failed;
};

static void put(struct lit *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct lit *b, const char *fmt, ...)
{
    while (!b->failed) {
        va_list ap;
        va_start(ap, fmt);
        int n = b->p != NULL ? vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap) : -2;
        va_end(ap);
        if (n >= 0 && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        if (n == -1) {
            b->failed = true;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 256;
        char *np = realloc(b->p, cap);
        if (np == NULL) {
            b->failed = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
}

/* A text[] element: NULL, or double-quoted with " and \ escaped. */
static void put_text(struct lit *b, const char *s)
{
    if (s == NULL) {
        put(b, "NULL");
        return;
    }
    put(b, "\"");
    for (; *s != '\0'; s++)
        put(b, "%s%c", *s == '"' || *s == '\\' ? "\\" : "", *s);
    put(b, "\"");
}

int db_webhook_result(struct db_link *l, const struct db_webhook_round *r)
{
    struct lit ev = {0}, st = {0}, er = {0}, du = {0}, ok = {0};
    put(&ev, "{");
    put(&st, "{");
    put(&er, "{");
    put(&du, "{");
    put(&ok, "{");
    for (size_t i = 0; i < r->n; i++) {
        const char *sep = i > 0 ? "," : "";
        put(&ev, "%s%" PRId64, sep, r->events[i]);
        if (r->statuses[i] > 0)
            put(&st, "%s%d", sep, r->statuses[i]);
        else
            put(&st, "%sNULL", sep);
        put(&er, "%s", sep);
        put_text(&er, r->errors[i]);
        put(&du, "%s%d", sep, r->durations_ms[i]);
        put(&ok, "%s%s", sep, r->delivered[i] ? "t" : "f");
    }
    put(&ev, "}");
    put(&st, "}");
    put(&er, "}");
    put(&du, "}");
    put(&ok, "}");
    int rc = DB_HARD_ERROR;
    if (!ev.failed && !st.failed && !er.failed && !du.failed && !ok.failed) {
        char id[24], from[24], to[24], retry[32], give_up[24];
        snprintf(id, sizeof id, "%" PRId64, r->id);
        snprintf(from, sizeof from, "%" PRId64, r->from_cursor);
        snprintf(to, sizeof to, "%" PRId64, r->new_cursor);
        snprintf(retry, sizeof retry, "%.3f", r->retry_in_s);
        snprintf(give_up, sizeof give_up, "%" PRId64, r->give_up_s);
        const char *params[] = {id,       from,  to,      r->failed ? "t" : "f",
                                r->error, retry, give_up, r->gone ? "t" : "f",
                                ev.p,     st.p,  er.p,    du.p,
                                ok.p};
        PGresult *res = NULL;
        rc = db_link_query(l,
                           "SELECT webhook_result($1::bigint, $2::bigint, $3::bigint, $4::boolean,"
                           " $5, $6::double precision, make_interval(secs => $7::bigint),"
                           " $8::boolean, $9::bigint[], $10::integer[], $11::text[],"
                           " $12::integer[], $13::boolean[])",
                           13, params, &res);
        PQclear(res);
        rc = rc >= 0 ? DB_ONE_RESULT : rc;
    }
    free(ev.p);
    free(st.p);
    free(er.p);
    free(du.p);
    free(ok.p);
    return rc;
}

int db_webhook_claim(struct db_link *l, int64_t id, bool *claimed)
{
    char i[24];
    snprintf(i, sizeof i, "%" PRId64, id);
    const char *params[] = {i};
    PGresult *res = NULL;
    int rc = db_link_query(l, "SELECT pg_try_advisory_lock(7316110, $1::integer)", 1, params, &res);
    *claimed = rc == DB_ONE_RESULT && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return rc == DB_ONE_RESULT || rc < 0 ? rc : DB_HARD_ERROR;
}
