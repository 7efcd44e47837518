/* The prepared statements every worker connection holds: name → SQL. The db_<op>.c
 * files call them by name through db_query(). */
#ifndef SVC_DB_STATEMENTS_H
#define SVC_DB_STATEMENTS_H

struct db_statement {
    const char *name;
    const char *sql;
};

extern const struct db_statement db_statements[];

#endif
