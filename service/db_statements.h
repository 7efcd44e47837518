/* The prepared statements every worker connection holds: name → SQL. The db_<op>.c
 * files call them by name through db_query(). */
#ifndef SVC_DB_STATEMENTS_H
#define SVC_DB_STATEMENTS_H

#include <stdbool.h>

struct db_statement {
    const char *name;
    const char *sql;
    /* Not idempotent: never run again after the connection died mid-call (the first run
     * may have committed). Every other statement is a read or replays by its key. */
    bool once;
    /* Prepared on its first use on a connection, not when the connection opens: a statement
     * that writes a table directly locks it when prepared (ROW EXCLUSIVE), so preparing it
     * with the others would keep every new connection waiting while anyone holds a SHARE
     * lock on that table (CREATE INDEX, a test's LOCK TABLE), whatever the connection is for.
     * At most the first 64 statements of the list may be lazy. */
    bool lazy;
};

/* Every statement, each prepared once on every worker connection; ends with {NULL}. */
extern const struct db_statement db_statements[];

#endif
