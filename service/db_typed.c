/* The typed seam between SQL and C: parameters encoded as libpq text values by hand (no
 * printf family: integers, decimals, bytea and arrays are written digit by digit), result
 * columns found by name and read with checked conversions, and the calls built on them
 * (db_select_one, db_select_rows, db_execute). A unique violation becomes the word conflict
 * here and nowhere else. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "coupon/decimal.h"
#include "coupon/hex.h"
#include "db_internal.h"
#include "log.h"

/* Writes V hundredths as a decimal number ("-0.05", "35.50") at OUT (room for 24 bytes). */
static size_t put_hundredths(int64_t v, char *out)
{
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    size_t n = 0;
    if (v < 0)
        out[n++] = '-';
    /* the whole part: at most 18 digits, so it fits an int64_t */
    n += cpn_decimal((int64_t)(u / 100), out + n);
    out[n++] = '.';
    out[n++] = (char)('0' + u % 100 / 10);
    out[n++] = (char)('0' + u % 10);
    out[n] = '\0';
    return n;
}

/* The bytes parameter P needs as text, terminator included. */
static size_t text_size(const struct db_param *p)
{
    switch (p->type) {
    case DB_P_INT:
    case DB_P_HUNDREDTHS:
        return 24;
    case DB_P_BOOL:
        return 2;
    case DB_P_BYTES:
        return 3 + 2 * p->n;
    case DB_P_U32_ARRAY:
    case DB_P_I32_ARRAY:
        return 3 + 12 * p->n;
    case DB_P_I64_ARRAY:
        return 3 + 21 * p->n;
    case DB_P_TEXT_ARRAY: {
        /* each element: NULL, or quoted with every character possibly escaped, and a comma */
        size_t need = 3;
        for (size_t k = 0; k < p->n; k++) {
            const char *e = ((const char *const *)p->p)[k];
            need += e == NULL ? 5 : 3 + 2 * strlen(e);
        }
        return need;
    }
    default:
        return 0;
    }
}

/* Writes the text[] element S at OUT: NULL, or double-quoted with " and \ escaped. Returns its
 * length. */
static size_t put_text_element(const char *s, char *out)
{
    size_t n = 0;
    if (s == NULL) {
        memcpy(out, "NULL", 4);
        return 4;
    }
    out[n++] = '"';
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\')
            out[n++] = '\\';
        out[n++] = *s;
    }
    out[n++] = '"';
    return n;
}

/* Writes P as text at OUT (text_size(P) bytes); returns its length. */
static size_t put_param(const struct db_param *p, char *out)
{
    size_t n = 0;
    switch (p->type) {
    case DB_P_INT:
        return cpn_decimal(p->i, out);
    case DB_P_HUNDREDTHS:
        return put_hundredths(p->i, out);
    case DB_P_BOOL:
        out[0] = p->i != 0 ? 't' : 'f';
        out[1] = '\0';
        return 1;
    case DB_P_BYTES:
        out[0] = '\\';
        out[1] = 'x';
        cpn_hex_encode(p->p, p->n, out + 2);
        return 2 + 2 * p->n;
    case DB_P_U32_ARRAY:
    case DB_P_I32_ARRAY:
    case DB_P_I64_ARRAY:
    case DB_P_TEXT_ARRAY:
        out[n++] = '{';
        for (size_t k = 0; k < p->n; k++) {
            if (k > 0)
                out[n++] = ',';
            if (p->type == DB_P_TEXT_ARRAY)
                n += put_text_element(((const char *const *)p->p)[k], out + n);
            else if (p->type == DB_P_U32_ARRAY)
                n += cpn_decimal((int64_t)((const uint32_t *)p->p)[k], out + n);
            else if (p->type == DB_P_I32_ARRAY)
                n += cpn_decimal((int64_t)((const int32_t *)p->p)[k], out + n);
            else
                n += cpn_decimal(((const int64_t *)p->p)[k], out + n);
        }
        out[n++] = '}';
        out[n] = '\0';
        return n;
    default:
        return 0;
    }
}

int db_values_encode(const struct db_param *params, struct db_values *out)
{
    memset(out, 0, sizeof *out);
    size_t need = 0;
    int n = 0;
    for (; params[n].type != DB_P_END; n++) {
        if (n == DB_PARAMS_MAX) {
            log_msg(LOGL_ERROR, "a statement was given more than %d parameters", DB_PARAMS_MAX);
            return -1;
        }
        need += text_size(&params[n]);
    }
    char *buf = out->scratch;
    if (need > sizeof out->scratch) {
        buf = out->heap = malloc(need);
        if (buf == NULL) {
            log_msg(LOGL_ERROR, "no memory for %zu bytes of parameters", need);
            return -1;
        }
    }
    out->n = n;
    for (int k = 0; k < n; k++) {
        const struct db_param *p = &params[k];
        if (p->type == DB_P_NULL) {
            out->values[k] = NULL;
        } else if (p->type == DB_P_TEXT) {
            out->values[k] = p->s;
        } else {
            out->values[k] = buf;
            buf += put_param(p, buf) + 1;
        }
    }
    return 0;
}

void db_values_clear(struct db_values *v)
{
    free(v->heap);
    v->heap = NULL;
}

int db_run(const char *stmt, const struct db_param *params, PGresult **res)
{
    struct db_values v;
    *res = NULL;
    if (db_values_encode(params, &v) != 0) {
        db_values_clear(&v);
        return DB_HARD_ERROR;
    }
    int rc = db_query_retry(stmt, v.n, v.values, res);
    db_values_clear(&v);
    return rc;
}

int db_cols_find(const PGresult *res, const struct db_col *cols, int idx[DB_COLS_MAX],
                 const char *what)
{
    int fields = PQnfields(res);
    for (int k = 0; cols[k].type != DB_C_END; k++) {
        if (k == DB_COLS_MAX) {
            log_msg(LOGL_ERROR, "%s: more than %d columns asked for", what, DB_COLS_MAX);
            return -1;
        }
        /* The columns are mostly asked for in the statement's order: try that place first. */
        if (k < fields && strcmp(PQfname(res, k), cols[k].name) == 0)
            idx[k] = k;
        else
            idx[k] = PQfnumber(res, cols[k].name);
        if (idx[k] < 0) {
            log_msg(LOGL_ERROR, "%s answered no column %s", what, cols[k].name);
            return -1;
        }
    }
    return 0;
}

void db_cols_zero(const struct db_col *cols)
{
    for (const struct db_col *c = cols; c->type != DB_C_END; c++) {
        switch (c->type) {
        case DB_C_I64:
            *(int64_t *)c->dst = 0;
            break;
        case DB_C_I32:
            *(int32_t *)c->dst = 0;
            break;
        case DB_C_U32:
            *(uint32_t *)c->dst = 0;
            break;
        case DB_C_BOOL:
            *(bool *)c->dst = false;
            break;
        case DB_C_TEXT:
            if (c->size > 0)
                ((char *)c->dst)[0] = '\0';
            break;
        case DB_C_STR:
            *(char **)c->dst = NULL;
            break;
        case DB_C_WORD:
            *(enum db_word *)c->dst = DBW_NONE;
            break;
        case DB_C_BYTES:
            memset(c->dst, 0, c->size);
            break;
        case DB_C_U32_ARRAY:
            *c->count = 0;
            break;
        default:
            break;
        }
        if (c->is_null != NULL)
            *c->is_null = false;
    }
}

/* Reads the decimal integer TEXT (LEN bytes) into *OUT when it lies in [MIN, MAX]. Returns
 * NULL, or why not. */
static const char *read_int(const char *text, int len, int64_t min, int64_t max, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (len == 0 || end != text + len || (text[0] != '-' && (text[0] < '0' || text[0] > '9')))
        return "is not an integer";
    if (errno == ERANGE || v < min || v > max)
        return "is out of range";
    *out = v;
    return NULL;
}

/* Reads the array TEXT ("{1,2}") of at most C's SIZE serials into C's places. Returns NULL, or
 * why not. */
static const char *read_u32_array(const char *text, const struct db_col *c)
{
    uint32_t *dst = c->dst;
    size_t n = 0;
    if (text[0] != '{')
        return "is not an array";
    const char *p = text + 1;
    if (*p == '}')
        p++;
    while (p[-1] != '}') {
        char *end = NULL;
        if (*p < '0' || *p > '9')
            return "holds an element that is not a serial";
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (errno == ERANGE || v > UINT32_MAX)
            return "holds an element out of range";
        if (n == c->size)
            return "holds more elements than expected";
        dst[n++] = (uint32_t)v;
        if (*end != ',' && *end != '}')
            return "is not an array of integers";
        p = end + 1;
    }
    if (*p != '\0')
        return "is not an array";
    *c->count = n;
    return NULL;
}

/* Reads TEXT (LEN bytes, not NULL) into C's place. Returns NULL, or why not. */
static const char *read_col(const struct db_col *c, const char *text, int len)
{
    int64_t v = 0;
    const char *why = NULL;
    switch (c->type) {
    case DB_C_I64:
        why = read_int(text, len, INT64_MIN, INT64_MAX, &v);
        if (why == NULL)
            *(int64_t *)c->dst = v;
        return why;
    case DB_C_I32:
        why = read_int(text, len, INT32_MIN, INT32_MAX, &v);
        if (why == NULL)
            *(int32_t *)c->dst = (int32_t)v;
        return why;
    case DB_C_U32:
        why = read_int(text, len, 0, UINT32_MAX, &v);
        if (why == NULL)
            *(uint32_t *)c->dst = (uint32_t)v;
        return why;
    case DB_C_BOOL:
        if (len != 1 || (text[0] != 't' && text[0] != 'f'))
            return "is not a boolean";
        *(bool *)c->dst = text[0] == 't';
        return NULL;
    case DB_C_TEXT:
        if ((size_t)len >= c->size)
            return "is longer than its buffer";
        memcpy(c->dst, text, (size_t)len + 1);
        return NULL;
    case DB_C_STR: {
        char *s = malloc((size_t)len + 1);
        if (s == NULL)
            return "does not fit in memory";
        memcpy(s, text, (size_t)len + 1);
        *(char **)c->dst = s;
        return NULL;
    }
    case DB_C_WORD:
        return db_word_parse(text, (size_t)len, c->dst) == 0 ? NULL
                                                             : "is not a word of the vocabulary";
    case DB_C_BYTES:
        if (len < 2 || text[0] != '\\' || text[1] != 'x' ||
            cpn_hex_decode(text + 2, (size_t)len - 2, c->dst, c->size) != CPN_OK)
            return "is not a bytea of the expected length";
        return NULL;
    case DB_C_U32_ARRAY:
        return read_u32_array(text, c);
    default:
        return "has an unknown column type";
    }
}

int db_cols_read(const PGresult *res, int row, const struct db_col *cols,
                 const int idx[DB_COLS_MAX], const char *what)
{
    int k = 0;
    const char *why = NULL;
    for (; why == NULL && cols[k].type != DB_C_END; k++) {
        const struct db_col *c = &cols[k];
        bool null = PQgetisnull(res, row, idx[k]);
        if (null && !c->null_ok)
            why = "is NULL";
        else if (null)
            db_cols_zero((const struct db_col[]){*c, DB_COL_END});
        else
            why = read_col(c, PQgetvalue(res, row, idx[k]), PQgetlength(res, row, idx[k]));
        if (c->is_null != NULL)
            *c->is_null = null; /* after the zeroing, which clears it */
    }
    if (why == NULL)
        return 0;
    log_msg(LOGL_ERROR, "%s: column %s %s", what, cols[k - 1].name, why);
    for (int j = 0; j < k - 1; j++)
        if (cols[j].type == DB_C_STR)
            free(*(char **)cols[j].dst);
    db_cols_zero(cols);
    return -1;
}

/* The word column "status" of COLS, or NULL. */
static const struct db_col *status_col(const struct db_col *cols)
{
    for (const struct db_col *c = cols; c->type != DB_C_END; c++)
        if (c->type == DB_C_WORD && strcmp(c->name, "status") == 0)
            return c;
    return NULL;
}

int db_select_one(const char *stmt, const struct db_param *params, const struct db_col *cols)
{
    PGresult *res = NULL;
    db_cols_zero(cols);
    int rc = db_run(stmt, params, &res);
    const struct db_col *status = rc == DB_HARD_ERROR ? status_col(cols) : NULL;
    if (status != NULL && strcmp(db_sqlstate(res), "23505") == 0) {
        /* The one place a unique violation becomes conflict: a call answering a status hit
         * the backstop of its idempotency key (a race its function did not expect). */
        *(enum db_word *)status->dst = DBW_CONFLICT;
        rc = DB_ONE_RESULT;
    } else if (rc == DB_ONE_RESULT) {
        int idx[DB_COLS_MAX];
        if (db_cols_find(res, cols, idx, stmt) != 0 || db_cols_read(res, 0, cols, idx, stmt) != 0)
            rc = DB_HARD_ERROR;
    } else if (rc > DB_ONE_RESULT) {
        log_msg(LOGL_ERROR, "%s answered %d rows, not one", stmt, rc);
        rc = DB_HARD_ERROR;
    }
    PQclear(res);
    return rc;
}

int db_select_text(const char *stmt, const struct db_param *params, char **text)
{
    bool null = false;
    const struct db_col cols[] = {db_col_nullable(db_col_str(stmt, text), &null), DB_COL_END};
    int rc = db_select_one(stmt, params, cols);
    return rc == DB_ONE_RESULT && null ? DB_NO_RESULTS : rc;
}

int db_select_rows(const char *stmt, const struct db_param *params, const struct db_col *cols,
                   db_row_fn row, void *cls)
{
    PGresult *res = NULL;
    int rc = db_run(stmt, params, &res);
    int idx[DB_COLS_MAX];
    if (rc > 0 && db_cols_find(res, cols, idx, stmt) != 0)
        rc = DB_HARD_ERROR;
    for (int i = 0; rc > 0 && i < rc; i++) {
        if (db_cols_read(res, i, cols, idx, stmt) != 0) {
            rc = DB_HARD_ERROR;
        } else if (row(cls, (size_t)i) != 0) {
            log_msg(LOGL_ERROR, "%s: row %d was refused", stmt, i);
            rc = DB_HARD_ERROR;
        }
    }
    PQclear(res);
    return rc;
}

int db_execute(const char *stmt, const struct db_param *params)
{
    PGresult *res = NULL;
    int rc = db_run(stmt, params, &res);
    PQclear(res);
    return rc;
}
