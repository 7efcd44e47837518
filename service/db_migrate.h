/* coupond migrate (db_migrate.c): the numbered schema migrations, then every stored function. */
#ifndef SVC_DB_MIGRATE_H
#define SVC_DB_MIGRATE_H

#include "coupon/err.h"

/* Applies the migrations in SQL_DIR/migrations not yet applied (each in its own
 * transaction, under an advisory lock so concurrent migrates are safe), then reloads
 * every stored function in SQL_DIR/functions. Idempotent. Returns CPN_OK, or an error
 * after printing the failing file and PostgreSQL's message to stderr. */
enum cpn_err db_migrate(const char *conninfo, const char *sql_dir) CPN_MUST_CHECK;

#endif
