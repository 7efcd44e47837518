/* coupond migrate: numbered, immutable schema migrations applied once each, then every
 * stored function reloaded (CREATE OR REPLACE), all under one advisory lock. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "db_migrate.h"
#include "files.h"

/* Writes A "/" B into OUT (LEN bytes). Returns 0, or -1 when it does not fit. */
static int join(const char *a, const char *b, char *out, size_t len)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la + 1 + lb + 1 > len)
        return -1;
    memcpy(out, a, la);
    out[la] = '/';
    memcpy(out + la + 1, b, lb + 1);
    return 0;
}

static int is_sql(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return d->d_name[0] != '.' && n > 4 && strcmp(d->d_name + n - 4, ".sql") == 0;
}

static int exec_ok(PGconn *conn, const char *sql, const char *what)
{
    PGresult *r = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "migrate: %s failed: %s", what, PQresultErrorMessage(r));
    PQclear(r);
    return ok;
}

/* Runs SQL with the one text parameter VERSION on CONN; the caller clears the result (NULL
 * when out of memory). */
static PGresult *with_version(PGconn *conn, const char *sql, const char *version)
{
    const struct db_param params[] = {db_param_text(version), DB_PARAM_END};
    struct db_values v;
    PGresult *r = NULL;
    if (db_values_encode(params, &v) == 0)
        r = PQexecParams(conn, sql, v.n, NULL, v.values, NULL, NULL, 0);
    db_values_clear(&v);
    return r;
}

static int applied(PGconn *conn, const char *version)
{
    PGresult *r = with_version(conn, "SELECT 1 FROM schema_migrations WHERE version = $1", version);
    int yes = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    PQclear(r);
    return yes;
}

/* Runs one file inside a transaction; for a migration also records its version. */
static int run_file(PGconn *conn, const char *dir, const char *name, int is_migration)
{
    char path[4096 + 512];
    if (join(dir, name, path, sizeof path) != 0) {
        fprintf(stderr, "migrate: the path of %s is too long\n", name);
        return 0;
    }
    char *sql = file_read_all(path, 16u << 20, NULL);
    if (sql == NULL) {
        fprintf(stderr, "migrate: cannot read %s: %s\n", path, strerror(errno));
        return 0;
    }
    int ok = exec_ok(conn, "BEGIN", "BEGIN") && exec_ok(conn, sql, path);
    if (ok && is_migration) {
        PGresult *r =
            with_version(conn, "INSERT INTO schema_migrations (version) VALUES ($1)", name);
        ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            fprintf(stderr, "migrate: recording %s failed: %s", name, PQresultErrorMessage(r));
        PQclear(r);
    }
    ok = ok && exec_ok(conn, "COMMIT", "COMMIT");
    if (!ok)
        PQclear(PQexec(conn, "ROLLBACK"));
    free(sql);
    return ok;
}

static int run_dir(PGconn *conn, const char *sql_dir, const char *sub, int is_migration, int *count)
{
    char dir[4096];
    if (join(sql_dir, sub, dir, sizeof dir) != 0)
        return 0;
    struct dirent **list = NULL;
    int n = scandir(dir, &list, is_sql, alphasort);
    if (n < 0) {
        fprintf(stderr, "migrate: cannot list %s: %s\n", dir, strerror(errno));
        return 0;
    }
    int ok = 1;
    for (int i = 0; i < n; i++) {
        if (ok && (!is_migration || !applied(conn, list[i]->d_name))) {
            ok = run_file(conn, dir, list[i]->d_name, is_migration);
            if (ok)
                (*count)++;
        }
        free(list[i]);
    }
    free(list);
    return ok;
}

enum cpn_err db_migrate(const char *conninfo, const char *sql_dir)
{
    PGconn *conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "migrate: cannot connect: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return CPN_ERR_UNAVAILABLE;
    }
    PQclear(PQexec(conn, "SET client_min_messages = warning"));
    int ok = exec_ok(conn, "SELECT pg_advisory_lock(7316104)", "lock") &&
             exec_ok(conn,
                     "CREATE TABLE IF NOT EXISTS schema_migrations ("
                     " version text PRIMARY KEY,"
                     " applied_at timestamptz NOT NULL DEFAULT now())",
                     "schema_migrations");
    int migrations = 0, functions = 0;
    ok = ok && run_dir(conn, sql_dir, "migrations", 1, &migrations);
    ok = ok && run_dir(conn, sql_dir, "functions", 0, &functions);
    PQclear(PQexec(conn, "SELECT pg_advisory_unlock(7316104)"));
    PQfinish(conn);
    if (!ok)
        return CPN_ERR_INTERNAL;
    fprintf(stderr, "migrate: %d migration(s) applied, %d function file(s) reloaded\n", migrations,
            functions);
    return CPN_OK;
}
