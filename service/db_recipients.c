/* Recipient-list stored-function calls: one round trip each, in the caller's open
 * transaction (so never run again on a new connection). Card lists travel as one bigint array
 * parameter in text form. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coupon/hex.h"
#include "db.h"
#include "db_recipients.h"
#include "json_fields.h"

/* SERIALS as a PostgreSQL array literal ("{1,2,3}") in a new string, or NULL. */
static char *array_text(const uint32_t *serials, size_t n)
{
    size_t cap = n * 11 + 3, pos = 0;
    char *s = malloc(cap);
    if (s == NULL)
        return NULL;
    s[pos++] = '{';
    for (size_t i = 0; i < n; i++) {
        char digits[10];
        size_t k = 0;
        uint32_t v = serials[i];
        do {
            digits[k++] = (char)('0' + v % 10);
            v /= 10;
        } while (v != 0);
        if (i > 0)
            s[pos++] = ',';
        while (k > 0)
            s[pos++] = digits[--k];
    }
    s[pos++] = '}';
    s[pos] = '\0';
    return s;
}

/* 32 bytes as a bytea literal ("\x…") into OUT (67 bytes). */
static void bytea_text(const uint8_t in[32], char out[67])
{
    out[0] = '\\';
    out[1] = 'x';
    cpn_hex_encode(in, 32, out + 2);
}

int db_recipients_prepare(int64_t campaign, const uint32_t *cards, size_t n,
                          char status[DB_RECIPIENTS_STATUS], uint8_t key[16], uint32_t unknown[5],
                          size_t *n_unknown)
{
    char c[24];
    snprintf(c, sizeof c, "%" PRId64, campaign);
    char *arr = array_text(cards, n);
    if (arr == NULL)
        return DB_HARD_ERROR;
    const char *params[] = {c, arr};
    PGresult *res = NULL;
    *n_unknown = 0;
    int rc = db_query("recipients_prepare", 2, params, &res);
    free(arr);
    if (rc == DB_ONE_RESULT) {
        snprintf(status, DB_RECIPIENTS_STATUS, "%s", PQgetvalue(res, 0, 0));
        /* holdout_key: bytea in hex output ("\x" and 32 hex digits) */
        const char *k = PQgetvalue(res, 0, 1);
        if (strcmp(status, "ok") == 0 &&
            (strncmp(k, "\\x", 2) != 0 || cpn_hex_decode(k + 2, strlen(k + 2), key, 16) != CPN_OK))
            rc = DB_HARD_ERROR;
        /* unknown: "{1,2}" */
        const char *u = PQgetvalue(res, 0, 2);
        while (rc == DB_ONE_RESULT && *u != '\0' && *n_unknown < 5) {
            if (*u < '0' || *u > '9') {
                u++;
                continue;
            }
            char *end = NULL;
            unknown[(*n_unknown)++] = (uint32_t)strtoul(u, &end, 10);
            u = end;
        }
    } else if (rc >= 0) {
        rc = DB_HARD_ERROR;
    }
    PQclear(res);
    return rc;
}

int db_recipients_begin(int64_t campaign, const uint8_t digest[32],
                        const uint8_t holdout_digest[32], size_t recipients, int64_t pct_hundredths,
                        size_t holdout, const char *actor, struct db_recipients_begin *out)
{
    char c[24], d[67], hd[67], n[24], pct[24], h[24];
    snprintf(c, sizeof c, "%" PRId64, campaign);
    bytea_text(digest, d);
    bytea_text(holdout_digest, hd);
    snprintf(n, sizeof n, "%zu", recipients);
    jin_pct_format(pct_hundredths, pct, sizeof pct);
    snprintf(h, sizeof h, "%zu", holdout);
    const char *params[] = {c, d, hd, n, pct, h, actor};
    PGresult *res = NULL;
    memset(out, 0, sizeof *out);
    int rc = db_query("recipients_begin", 7, params, &res);
    if (rc == DB_ONE_RESULT) {
        snprintf(out->status, sizeof out->status, "%s", PQgetvalue(res, 0, 0));
        out->recipients = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
        out->holdout = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
        out->batch_id = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
    } else if (rc >= 0) {
        rc = DB_HARD_ERROR;
    }
    PQclear(res);
    return rc;
}

int db_recipients_finish(int64_t campaign, int64_t batch, const uint32_t *held, size_t n,
                         const char *actor, const char *role, char status[DB_RECIPIENTS_STATUS])
{
    char c[24], b[24];
    snprintf(c, sizeof c, "%" PRId64, campaign);
    snprintf(b, sizeof b, "%" PRId64, batch);
    char *arr = array_text(held, n);
    if (arr == NULL)
        return DB_HARD_ERROR;
    const char *params[] = {c, batch > 0 ? b : NULL, arr, actor, role};
    PGresult *res = NULL;
    int rc = db_query("recipients_finish", 5, params, &res);
    free(arr);
    if (rc == DB_ONE_RESULT)
        snprintf(status, DB_RECIPIENTS_STATUS, "%s", PQgetvalue(res, 0, 0));
    else if (rc >= 0)
        rc = DB_HARD_ERROR;
    PQclear(res);
    return rc;
}
