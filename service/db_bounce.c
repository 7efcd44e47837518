/* Bounce-back coupons: the next_* columns, and the pool's stored-function calls. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_bounce.h"

static int64_t by_name(const PGresult *res, const char *name)
{
    int c = PQfnumber(res, name);
    return c < 0 || PQgetisnull(res, 0, c) ? 0 : strtoll(PQgetvalue(res, 0, c), NULL, 10);
}

static void text_by_name(const PGresult *res, const char *name, char *out, size_t len)
{
    int c = PQfnumber(res, name);
    snprintf(out, len, "%s", c < 0 || PQgetisnull(res, 0, c) ? "" : PQgetvalue(res, 0, c));
}

void db_next_coupon_read(const PGresult *res, struct db_next_coupon *out)
{
    memset(out, 0, sizeof *out);
    if (res == NULL || PQntuples(res) < 1)
        return;
    out->serial = by_name(res, "next_serial");
    out->campaign = by_name(res, "next_campaign");
    out->card = by_name(res, "next_card");
    out->ends_at = by_name(res, "next_ends_at");
    text_by_name(res, "next_offer_kind", out->offer_kind, sizeof out->offer_kind);
    out->offer_value = by_name(res, "next_offer_value");
    out->min_basket_cents = by_name(res, "next_min_basket");
    text_by_name(res, "next_issued_at", out->issued_at, sizeof out->issued_at);
    char low[8];
    text_by_name(res, "next_pool_low", low, sizeof low);
    out->pool_low = strcmp(low, "t") == 0;
}

int db_bounce_campaigns_live(bool *live)
{
    PGresult *res = NULL;
    *live = true;
    int rc = db_query("bounce_campaigns_live", 0, NULL, &res);
    if (rc == DB_ONE_RESULT)
        *live = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    else if (rc >= 0)
        rc = DB_HARD_ERROR;
    PQclear(res);
    return rc;
}

int db_bounce_pool_needs(int low, int64_t *ids, size_t max, size_t *n)
{
    char l[16];
    snprintf(l, sizeof l, "%d", low);
    const char *params[] = {l};
    PGresult *res = NULL;
    *n = 0;
    int rc = db_query("bounce_pool_needs", 1, params, &res);
    if (rc >= 0) {
        for (int i = 0; i < PQntuples(res) && *n < max; i++)
            ids[(*n)++] = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        rc = DB_ONE_RESULT;
    }
    PQclear(res);
    return rc;
}

int db_bounce_pool_reserve(int64_t campaign, int count, unsigned mac_key, char status[24],
                           int64_t *first)
{
    char c[24], n[16], k[16];
    snprintf(c, sizeof c, "%" PRId64, campaign);
    snprintf(n, sizeof n, "%d", count);
    snprintf(k, sizeof k, "%u", mac_key);
    const char *params[] = {c, n, k};
    PGresult *res = NULL;
    status[0] = '\0';
    *first = 0;
    int rc = db_query("bounce_pool_reserve", 3, params, &res);
    if (rc == DB_ONE_RESULT) {
        snprintf(status, 24, "%s", PQgetvalue(res, 0, 0));
        *first = PQgetisnull(res, 0, 1) ? 0 : strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    } else if (rc >= 0) {
        rc = DB_HARD_ERROR;
    }
    PQclear(res);
    return rc;
}

int db_bounce_pool_add(int64_t campaign, int64_t first, int64_t last, const uint32_t *serials,
                       size_t n)
{
    /* The serials as an array literal: "{1,2,3}" (11 bytes a serial at most). */
    size_t cap = n * 11 + 3, pos = 0;
    char *array = malloc(cap);
    if (array == NULL)
        return DB_HARD_ERROR;
    array[pos++] = '{';
    for (size_t i = 0; i < n; i++)
        pos += (size_t)snprintf(array + pos, cap - pos, "%s%" PRIu32, i ? "," : "", serials[i]);
    array[pos++] = '}';
    array[pos] = '\0';
    char c[24], f[24], l[24];
    snprintf(c, sizeof c, "%" PRId64, campaign);
    snprintf(f, sizeof f, "%" PRId64, first);
    snprintf(l, sizeof l, "%" PRId64, last);
    const char *params[] = {c, f, l, array};
    int rc = db_query("bounce_pool_add", 4, params, NULL);
    free(array);
    return rc;
}
