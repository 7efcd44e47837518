/* Code key ranges: the code_keys() read on a connection of this module's own (callers may be
 * request workers, export threads or an issue inside its transaction), and code_key_claim()
 * in an issuing transaction. */
#include <pthread.h>
#include <string.h>

#include "db_code_keys.h"
#include "db_internal.h"
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
    char kind[8];
    int32_t id = 0;
    int64_t from = 0, horizon = 0;
    const struct db_col cols[] = {db_col_text("kind", kind, sizeof kind), db_col_i32("key_id", &id),
                                  db_col_i64("first_serial", &from),
                                  db_col_i64("next_serial", &horizon), DB_COL_END};
    int idx[DB_COLS_MAX];
    enum cpn_err err = PQntuples(res) > 0 && db_cols_find(res, cols, idx, "code_keys") != 0
                           ? CPN_ERR_INTERNAL
                           : CPN_OK;
    for (int i = 0; err == CPN_OK && i < PQntuples(res); i++) {
        if (db_cols_read(res, i, cols, idx, "code_keys") != 0 ||
            (strcmp(kind, "card") != 0 && strcmp(kind, "coupon") != 0) || id < 0 ||
            id > CPN_KEY_ID_MAX || from < 0 || horizon < 0) {
            err = CPN_ERR_INTERNAL;
            break;
        }
        enum cpn_kind which = strcmp(kind, "card") == 0 ? CPN_KIND_CARD : CPN_KIND_COUPON;
        err = cpn_key_ranges_add(r, which, (unsigned)id, (unsigned long long)from);
        if (err != CPN_OK)
            err = CPN_ERR_INTERNAL;
        cpn_key_ranges_set_horizon(r, which, (unsigned long long)horizon);
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
    const struct db_param params[] = {db_param_int(mac_key), DB_PARAM_END};
    struct db_values v;
    if (db_values_encode(params, &v) != 0) {
        db_values_clear(&v);
        return NULL;
    }
    PGresult *res = PQexecParams(conn,
                                 "SELECT kind, key_id, first_serial, next_serial"
                                 " FROM code_keys($1::integer)",
                                 v.n, NULL, v.values, NULL, NULL, 0);
    db_values_clear(&v);
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
    const struct db_param params[] = {db_param_text(kind), db_param_int(mac_key), DB_PARAM_END};
    enum db_word w;
    const struct db_col cols[] = {db_col_word("code_key_claim", &w), DB_COL_END};
    int rc = db_select_one("code_key_claim", params, cols);
    *stale = rc == DB_ONE_RESULT && w == DBW_STALE_KEY;
    if (rc == DB_NO_RESULTS || (rc == DB_ONE_RESULT && w != DBW_OK && w != DBW_STALE_KEY))
        rc = DB_HARD_ERROR; /* it answers one word of these two */
    return rc;
}

void db_code_keys_close(void)
{
    pthread_mutex_lock(&conn_lock);
    PQfinish(conn);
    conn = NULL;
    pthread_mutex_unlock(&conn_lock);
}
