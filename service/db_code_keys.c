/* Code key ranges: the code_keys() read on a connection of this module's own (callers may be
 * request workers, export threads or an issue inside its transaction), and code_key_claim()
 * in an issuing transaction. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_code_keys.h"
#include "coupon/keys.h"
#include "log.h"

static pthread_mutex_t conn_lock = PTHREAD_MUTEX_INITIALIZER;
static PGconn *conn; /* guarded by conn_lock */

/* Reads the rows of code_keys() in RES into a new set of ranges in *OUT. */
static enum cpn_err ranges_from(const PGresult *res, struct cpn_key_ranges **out)
{
    struct cpn_key_ranges *r = cpn_key_ranges_new();
    if (r == NULL)
        return CPN_ERR_NO_MEMORY;
    int kind = PQfnumber(res, "kind"), key = PQfnumber(res, "key_id");
    int first = PQfnumber(res, "first_serial"), next = PQfnumber(res, "next_serial");
    enum cpn_err err = kind < 0 || key < 0 || first < 0 || next < 0 ? CPN_ERR_INTERNAL : CPN_OK;
    for (int i = 0; err == CPN_OK && i < PQntuples(res); i++) {
        const char *k = PQgetvalue(res, i, kind);
        enum cpn_kind which = strcmp(k, "card") == 0 ? CPN_KIND_CARD : CPN_KIND_COUPON;
        char *end1 = NULL, *end2 = NULL, *end3 = NULL;
        unsigned long id = strtoul(PQgetvalue(res, i, key), &end1, 10);
        unsigned long long from = strtoull(PQgetvalue(res, i, first), &end2, 10);
        unsigned long long horizon = strtoull(PQgetvalue(res, i, next), &end3, 10);
        if ((strcmp(k, "card") != 0 && strcmp(k, "coupon") != 0) || *end1 != '\0' ||
            *end2 != '\0' || *end3 != '\0' || id > CPN_KEY_ID_MAX) {
            err = CPN_ERR_INTERNAL;
            break;
        }
        err = cpn_key_ranges_add(r, which, (unsigned)id, from);
        if (err != CPN_OK)
            err = CPN_ERR_INTERNAL;
        cpn_key_ranges_set_horizon(r, which, horizon);
    }
    if (err != CPN_OK) {
        cpn_key_ranges_free(r);
        return err;
    }
    *out = r;
    return CPN_OK;
}

/* Runs code_keys(MAC_KEY) on CONN (conn_lock held). Returns the result, or NULL after
 * logging why. */
static PGresult *run(unsigned mac_key)
{
    char k[16];
    snprintf(k, sizeof k, "%u", mac_key);
    const char *params[] = {k};
    PGresult *res = PQexecParams(conn,
                                 "SELECT kind, key_id, first_serial, next_serial"
                                 " FROM code_keys($1::integer)",
                                 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_TUPLES_OK)
        return res;
    log_msg(LOGL_ERROR, "reading the code key ranges failed: %s", PQresultErrorMessage(res));
    PQclear(res);
    return NULL;
}

enum cpn_err db_code_keys_load(unsigned mac_key, struct cpn_key_ranges **out)
{
    *out = NULL;
    pthread_mutex_lock(&conn_lock);
    PGresult *res = NULL;
    /* Twice at most: once more on a fresh connection when the kept one was lost. */
    for (int attempt = 0; attempt < 2 && res == NULL; attempt++) {
        if (conn != NULL && PQstatus(conn) != CONNECTION_OK) {
            PQfinish(conn);
            conn = NULL;
        }
        if (conn == NULL)
            conn = db_connect_new();
        if (conn == NULL)
            break;
        res = run(mac_key);
        if (res == NULL && PQstatus(conn) == CONNECTION_OK)
            break; /* the statement failed, not the connection */
    }
    pthread_mutex_unlock(&conn_lock);
    if (res == NULL)
        return CPN_ERR_UNAVAILABLE;
    enum cpn_err err = ranges_from(res, out);
    PQclear(res);
    if (err == CPN_ERR_INTERNAL)
        log_msg(LOGL_ERROR, "the code key ranges in the database make no sense");
    return err;
}

int db_code_key_claim(const char *kind, unsigned mac_key, bool *stale)
{
    char k[16];
    snprintf(k, sizeof k, "%u", mac_key);
    const char *params[] = {kind, k};
    PGresult *res = NULL;
    *stale = false;
    int rc = db_query("code_key_claim", 2, params, &res);
    if (rc == DB_ONE_RESULT)
        *stale = strcmp(PQgetvalue(res, 0, 0), "ok") != 0;
    else if (rc >= 0)
        rc = DB_HARD_ERROR;
    PQclear(res);
    return rc;
}

void db_code_keys_close(void)
{
    pthread_mutex_lock(&conn_lock);
    PQfinish(conn);
    conn = NULL;
    pthread_mutex_unlock(&conn_lock);
}
