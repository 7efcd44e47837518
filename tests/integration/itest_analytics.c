/* Analytics test helpers: SQL, bulk cards, JSON calls. */
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coupon/code.h"
#include "coupon/keys.h"
#include "itest_analytics.h"

static PGresult *run(const char *sql, int n, const char *const *params, PGconn **conn)
{
    const char *info = getenv("COUPOND_DB");
    *conn = PQconnectdb(info != NULL ? info : "");
    if (PQstatus(*conn) != CONNECTION_OK) {
        fprintf(stderr, "itest sql: %s", PQerrorMessage(*conn));
        return NULL;
    }
    PGresult *r = PQexecParams(*conn, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        fprintf(stderr, "itest sql failed: %s: %s", sql, PQerrorMessage(*conn));
        PQclear(r);
        return NULL;
    }
    return r;
}

char *itest_sql_text(const char *sql, int n, const char *const *params)
{
    PGconn *conn;
    PGresult *r = run(sql, n, params, &conn);
    char *out = NULL;
    if (r != NULL && PQntuples(r) > 0)
        out = strdup(PQgetisnull(r, 0, 0) ? "" : PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(conn);
    return out;
}

int itest_sql_exec(const char *sql, int n, const char *const *params)
{
    PGconn *conn;
    PGresult *r = run(sql, n, params, &conn);
    int rc = r != NULL ? 0 : -1;
    PQclear(r);
    PQfinish(conn);
    return rc;
}

static struct cpn_keyring *test_keys(void)
{
    const char *src = getenv("COUPOND_SOURCE_DIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/var/keys", src != NULL ? src : ".");
    struct cpn_keyring *k = cpn_keyring_new();
    if (k != NULL && cpn_keyring_load_dir(k, dir) != CPN_OK) {
        fprintf(stderr, "itest: cannot load the keys in %s\n", dir);
        cpn_keyring_free(k);
        k = NULL;
    }
    return k;
}

int itest_cards_make(size_t n, struct itest_cards *out)
{
    memset(out, 0, sizeof *out);
    char count[24];
    snprintf(count, sizeof count, "%zu", n);
    const char *p[] = {count};
    /* The counter moves past the serials first, so the service never issues them again. */
    char *first = itest_sql_text("UPDATE serial_counters SET next_serial = next_serial + $1::bigint"
                                 " WHERE kind = 'card' RETURNING next_serial - $1::bigint",
                                 1, p);
    if (first == NULL)
        return -1;
    const char *q[] = {first, count};
    int rc = itest_sql_exec("INSERT INTO cards (serial)"
                            " SELECT generate_series($1::bigint, $1::bigint + $2::bigint - 1)",
                            2, q);
    long long base = strtoll(first, NULL, 10);
    free(first);
    struct cpn_keyring *keys = test_keys();
    out->serials = calloc(n, sizeof *out->serials);
    out->numbers = calloc(n, sizeof *out->numbers);
    if (rc != 0 || keys == NULL || out->serials == NULL || out->numbers == NULL) {
        cpn_keyring_free(keys);
        itest_cards_free(out);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct cpn_code code;
        out->serials[i] = (uint32_t)(base + (long long)i);
        if (cpn_code_issue(keys, CPN_KIND_CARD, out->serials[i], &code, out->numbers[i]) !=
            CPN_OK) {
            cpn_keyring_free(keys);
            itest_cards_free(out);
            return -1;
        }
    }
    out->n = n;
    cpn_keyring_free(keys);
    return 0;
}

void itest_cards_free(struct itest_cards *c)
{
    free(c->serials);
    free(c->numbers);
    memset(c, 0, sizeof *c);
}

void itest_card_unknown(char out[20])
{
    struct cpn_keyring *keys = test_keys();
    struct cpn_code code;
    if (keys == NULL || cpn_code_issue(keys, CPN_KIND_CARD, 4000000000u, &code, out) != CPN_OK)
        snprintf(out, 20, "none");
    cpn_keyring_free(keys);
}

long itest_call(const char *who, const char *method, const char *path, const char *body,
                json_t **out)
{
    struct itest_client *c = itest_client_new(who);
    long st = itest_request(c, method, path, body, out, NULL);
    itest_client_free(c);
    return st;
}

double itest_num(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}
