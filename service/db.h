/* Database access, the seam between SQL and C (as in GNU Taler's exchange): one PostgreSQL
 * connection per worker thread with every statement prepared once and a statement deadline
 * (db.c); the 4-state status; typed parameters in and result columns read by name with
 * checked conversions out (db_typed.c); one transaction runner; and the stored functions' one
 * vocabulary of status words (db_words.h). libpq's types never appear here: they stay inside
 * service/db*.c (db_internal.h). */
#ifndef SVC_DB_H
#define SVC_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"
#include "db_words.h"

enum db_status {
    DB_HARD_ERROR = -2, /* the statement failed; retrying will not help */
    DB_SOFT_ERROR =
        -1, /* serialization failure, deadlock, lost connection, deadline, disk full: retry */
    DB_NO_RESULTS = 0, /* success, no row */
    DB_ONE_RESULT = 1, /* success, one row (queries returning many rows return their count) */
};

/* How long a round trip to PostgreSQL may take by default (connecting included), in ms. */
#define DB_DEADLINE_DEFAULT_MS 5000u

/* Sets the statement deadline: every statement and connection attempt answers within MS
 * milliseconds (statements inside a transaction, bulk work, within 20 times that); past it
 * the connection is dropped and the call answers DB_SOFT_ERROR, and the thread answers
 * DB_SOFT_ERROR at once for up to a second before it tries again. 0 restores the default.
 * Call before the worker threads start. */
void db_set_deadline_ms(unsigned ms);

/* The statement deadline in force, in milliseconds. */
unsigned db_deadline_ms(void);

/* Sets the libpq conninfo the worker threads connect with. Call once before serving;
 * the string is copied. Returns CPN_OK or CPN_ERR_NO_MEMORY. */
enum cpn_err db_setup(const char *conninfo) CPN_MUST_CHECK;

/* Closes the calling thread's connection (also done automatically at thread exit); the next
 * call on this thread connects again. */
void db_teardown(void);

/* Frees what db_setup kept; call after every worker thread has stopped. */
void db_free_setup(void);

/* One round trip on the calling thread's connection (connecting and preparing first when it
 * has none), within the statement deadline, never retried: what GET /healthz and the start
 * probe ask. Returns DB_ONE_RESULT when the database answered, else DB_SOFT_ERROR (not
 * reachable in time) or DB_HARD_ERROR (logged). */
int db_ping(void) CPN_MUST_CHECK;

/* The error a failed call's status RC stands for: CPN_ERR_UNAVAILABLE for DB_SOFT_ERROR (worth
 * a retry later: 503), CPN_ERR_INTERNAL otherwise. */
enum cpn_err db_failure_err(int rc);

/* ---- Typed parameters: an array ended by DB_PARAM_END, built with the db_param_ helpers.
 * They travel as text made here (never snprintf); the statement's SQL casts each ($1::bigint). */

enum db_param_type {
    DB_P_END = 0,
    DB_P_NULL,
    DB_P_INT,        /* I */
    DB_P_TEXT,       /* S, NULL for SQL NULL */
    DB_P_BOOL,       /* I != 0 */
    DB_P_HUNDREDTHS, /* I hundredths as a decimal number ("35.50"), for numeric */
    DB_P_BYTES,      /* N bytes at P, for bytea */
    DB_P_U32_ARRAY,  /* N uint32_t at P, for bigint[] or integer[] */
    DB_P_I32_ARRAY,  /* N int32_t at P, for integer[] */
    DB_P_I64_ARRAY,  /* N int64_t at P, for bigint[] */
    DB_P_TEXT_ARRAY, /* N strings at P (const char *const *; NULL elements are NULL), text[] */
};

struct db_param {
    enum db_param_type type;
    int64_t i;
    const char *s;
    const void *p;
    size_t n;
};

/* Ends an array of parameters. */
#define DB_PARAM_END                                                                               \
    {                                                                                              \
        .type = DB_P_END                                                                           \
    }

/* An integer parameter. */
static inline struct db_param db_param_int(int64_t v)
{
    return (struct db_param){.type = DB_P_INT, .i = v};
}

/* An integer parameter when PRESENT, else SQL NULL. */
static inline struct db_param db_param_int_if(bool present, int64_t v)
{
    return (struct db_param){.type = present ? DB_P_INT : DB_P_NULL, .i = v};
}

/* A text parameter (borrowed until the call returns); NULL is SQL NULL. */
static inline struct db_param db_param_text(const char *s)
{
    return (struct db_param){.type = DB_P_TEXT, .s = s};
}

/* SQL NULL. */
static inline struct db_param db_param_null(void)
{
    return (struct db_param){.type = DB_P_NULL};
}

/* A boolean parameter. */
static inline struct db_param db_param_bool(bool v)
{
    return (struct db_param){.type = DB_P_BOOL, .i = v};
}

/* V hundredths as a decimal number (3550 is 35.50) when PRESENT, else SQL NULL. */
static inline struct db_param db_param_hundredths_if(bool present, int64_t v)
{
    return (struct db_param){.type = present ? DB_P_HUNDREDTHS : DB_P_NULL, .i = v};
}

/* N bytes at P as a bytea (borrowed until the call returns). */
static inline struct db_param db_param_bytes(const void *p, size_t n)
{
    return (struct db_param){.type = DB_P_BYTES, .p = p, .n = n};
}

/* The N serials at V as an array ({} when N is 0; borrowed until the call returns). */
static inline struct db_param db_param_u32_array(const uint32_t *v, size_t n)
{
    return (struct db_param){.type = DB_P_U32_ARRAY, .p = v, .n = n};
}

/* The N integers at V as an array when PRESENT, else SQL NULL (borrowed until the call
 * returns). */
static inline struct db_param db_param_i32_array_if(bool present, const int32_t *v, size_t n)
{
    return (struct db_param){.type = present ? DB_P_I32_ARRAY : DB_P_NULL, .p = v, .n = n};
}

/* The N integers at V as an array ({} when N is 0; borrowed until the call returns). */
static inline struct db_param db_param_i64_array(const int64_t *v, size_t n)
{
    return (struct db_param){.type = DB_P_I64_ARRAY, .p = v, .n = n};
}

/* The N strings at V as a text[] ({} when N is 0), each quoted and escaped, a NULL element
 * SQL NULL (borrowed until the call returns). */
static inline struct db_param db_param_text_array(const char *const *v, size_t n)
{
    return (struct db_param){.type = DB_P_TEXT_ARRAY, .p = v, .n = n};
}

/* ---- Result columns, read by name: an array ended by DB_COL_END, built with the db_col_
 * helpers. Each conversion is checked: a missing column, a NULL where none is allowed, text
 * that is not a number, a number out of its C type's range, text longer than its buffer or a
 * word outside the vocabulary fails the call (DB_HARD_ERROR, logged with the statement and
 * the column), never a silent 0. */

enum db_col_type {
    DB_C_END = 0,
    DB_C_I64,       /* int64_t */
    DB_C_I32,       /* int32_t */
    DB_C_U32,       /* uint32_t (a serial) */
    DB_C_BOOL,      /* bool */
    DB_C_TEXT,      /* into a buffer of SIZE bytes, terminated */
    DB_C_STR,       /* a new string (char *), the caller frees it */
    DB_C_WORD,      /* enum db_word */
    DB_C_BYTES,     /* a bytea of exactly SIZE bytes */
    DB_C_U32_ARRAY, /* an array of at most SIZE serials, *COUNT of them */
};

struct db_col {
    enum db_col_type type;
    const char *name;
    void *dst;
    size_t size;
    size_t *count;
    bool null_ok;  /* NULL reads as 0, false, "", NULL, DBW_NONE or no elements */
    bool *is_null; /* when set: told whether it was NULL (and NULL is allowed) */
};

/* Ends an array of columns. */
#define DB_COL_END                                                                                 \
    {                                                                                              \
        .type = DB_C_END                                                                           \
    }

/* Column NAME as an int64_t into *DST. */
static inline struct db_col db_col_i64(const char *name, int64_t *dst)
{
    return (struct db_col){.type = DB_C_I64, .name = name, .dst = dst};
}

/* Column NAME as an int32_t into *DST. */
static inline struct db_col db_col_i32(const char *name, int32_t *dst)
{
    return (struct db_col){.type = DB_C_I32, .name = name, .dst = dst};
}

/* Column NAME as a uint32_t into *DST. */
static inline struct db_col db_col_u32(const char *name, uint32_t *dst)
{
    return (struct db_col){.type = DB_C_U32, .name = name, .dst = dst};
}

/* Column NAME (boolean) into *DST. */
static inline struct db_col db_col_bool(const char *name, bool *dst)
{
    return (struct db_col){.type = DB_C_BOOL, .name = name, .dst = dst};
}

/* Column NAME as text into BUF of SIZE bytes (terminated; longer text fails the call). */
static inline struct db_col db_col_text(const char *name, char *buf, size_t size)
{
    return (struct db_col){.type = DB_C_TEXT, .name = name, .dst = buf, .size = size};
}

/* Column NAME as a new string in *DST, which the caller frees (NULL when the call failed, or
 * for a NULL allowed by db_col_null_ok). */
static inline struct db_col db_col_str(const char *name, char **dst)
{
    return (struct db_col){.type = DB_C_STR, .name = name, .dst = dst};
}

/* Column NAME, a status word, decoded into *DST. */
static inline struct db_col db_col_word(const char *name, enum db_word *dst)
{
    return (struct db_col){.type = DB_C_WORD, .name = name, .dst = dst};
}

/* Column NAME, a bytea of exactly SIZE bytes, into DST. */
static inline struct db_col db_col_bytes(const char *name, void *dst, size_t size)
{
    return (struct db_col){.type = DB_C_BYTES, .name = name, .dst = dst, .size = size};
}

/* Column NAME, an array of at most CAP serials, into DST, *COUNT of them. */
static inline struct db_col db_col_u32_array(const char *name, uint32_t *dst, size_t cap,
                                             size_t *count)
{
    return (struct db_col){
        .type = DB_C_U32_ARRAY, .name = name, .dst = dst, .size = cap, .count = count};
}

/* C with NULL allowed: it reads as 0, false, "", NULL, DBW_NONE or no elements. */
static inline struct db_col db_col_null_ok(struct db_col c)
{
    c.null_ok = true;
    return c;
}

/* C with NULL allowed, and *IS_NULL told whether it was NULL. */
static inline struct db_col db_col_nullable(struct db_col c, bool *is_null)
{
    c.null_ok = true;
    c.is_null = is_null;
    return c;
}

/* ---- Calls. Each runs prepared statement STMT (db_statements.c) with PARAMS on the calling
 * thread's connection within the statement deadline. Outside a transaction a soft failure is
 * tried again (up to 3 times; never for a statement marked once, whose first run may have
 * committed); inside db_transaction it is not, and the transaction fails. */

/* Runs STMT and reads the columns COLS of its one row. Returns DB_ONE_RESULT with every
 * column read; DB_NO_RESULTS for no row; DB_HARD_ERROR for more than one row or a column that
 * cannot be read (logged; strings are freed, outputs left zero); or the failure. A unique
 * violation, when COLS read a word column "status", is that call's refusal DBW_CONFLICT (the
 * key's backstop caught a race): DB_ONE_RESULT with every other column zero. */
int db_select_one(const char *stmt, const struct db_param *params,
                  const struct db_col *cols) CPN_MUST_CHECK;

/* Runs STMT, whose one column is named as STMT (SELECT stmt(...)), and copies the text of its
 * one row into *TEXT (a new string the caller frees). Returns DB_ONE_RESULT; DB_NO_RESULTS for
 * no row or a NULL (*TEXT NULL); or as db_select_one. For the functions that answer JSON. */
int db_select_text(const char *stmt, const struct db_param *params, char **text) CPN_MUST_CHECK;

/* What db_select_rows calls for each row once its columns are read into COLS' places; I is
 * the row's index. Returns 0 to go on, or -1 to stop (the call answers DB_HARD_ERROR). */
typedef int (*db_row_fn)(void *cls, size_t i);

/* Runs STMT and, row by row, reads COLS and calls ROW(CLS, i). Returns the number of rows
 * (DB_NO_RESULTS, DB_ONE_RESULT or more), DB_HARD_ERROR when a column cannot be read or ROW
 * stopped (logged), or the failure. */
int db_select_rows(const char *stmt, const struct db_param *params, const struct db_col *cols,
                   db_row_fn row, void *cls) CPN_MUST_CHECK;

/* Runs STMT reading nothing. Returns the number of rows it answered, or the failure. */
int db_execute(const char *stmt, const struct db_param *params) CPN_MUST_CHECK;

/* ---- The transaction runner. */

/* A transaction's work: statements through the calls above (and the COPY of db_coupons.h).
 * Returns CPN_OK to commit, anything else to roll back. */
typedef enum cpn_err (*db_tx_body)(void *cls);

/* Runs BODY(CLS) in one transaction on the calling thread's connection: BEGIN, BODY, then
 * COMMIT when it answered CPN_OK, else ROLLBACK. Called from inside a BODY (nested), it runs
 * BODY in the transaction already open, which the outer runner ends. WHAT names the work in
 * the log. Once the connection is lost inside the transaction, every further statement of it
 * fails at once (none runs on a new connection outside the transaction). Returns BODY's
 * answer, or db_failure_err() of BEGIN's or COMMIT's failure (CPN_ERR_UNAVAILABLE when the
 * database was lost, late or asked for a retry). */
enum cpn_err db_transaction(const char *what, db_tx_body body, void *cls) CPN_MUST_CHECK;

#endif
