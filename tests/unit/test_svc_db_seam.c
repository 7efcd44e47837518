/* Unit tests for the seam between SQL and C (service/db_typed.c, service/db_words.c), without a
 * server: typed parameters become exactly the text PostgreSQL reads; columns are found by name
 * in any order and read with checked conversions (a NULL where none is allowed, text that is
 * no number, a number out of its C type's range, a word outside the vocabulary all fail,
 * never a silent 0), on results built with libpq's own PQsetvalue; every status word decodes
 * to its enum and back; group commit's statement keeps every rule of the one it repeats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "db_internal.h"
#include "db_statements.h"

/* A result with the columns NAMES (N of them) and one row of VALUES (NULL for SQL NULL). */
static PGresult *result_of(int n, const char *const *names, const char *const *values)
{
    PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    assert_non_null(res);
    PGresAttDesc attrs[8];
    assert_true(n <= 8);
    memset(attrs, 0, sizeof attrs);
    for (int i = 0; i < n; i++)
        attrs[i].name = (char *)names[i];
    assert_int_equal(PQsetResultAttrs(res, n, attrs), 1);
    for (int i = 0; i < n; i++)
        assert_int_equal(
            PQsetvalue(res, 0, i, (char *)values[i], values[i] ? (int)strlen(values[i]) : -1), 1);
    return res;
}

/* Reads COLS from the one-column result NAME = VALUE. Returns db_cols_read's answer. */
static int read_one(const char *name, const char *value, const struct db_col *cols)
{
    const char *names[] = {name}, *values[] = {value};
    PGresult *res = result_of(1, names, values);
    int idx[DB_COLS_MAX];
    int rc = db_cols_find(res, cols, idx, "test");
    if (rc == 0)
        rc = db_cols_read(res, 0, cols, idx, "test");
    PQclear(res);
    return rc;
}

static void typed_parameters_are_the_text_postgresql_reads(void **state)
{
    (void)state;
    const uint8_t bytes[3] = {0x00, 0xab, 0xff};
    const uint32_t serials[] = {1, 4294967295u};
    const int32_t stores[] = {-7, 0, 2147483647};
    const struct db_param params[] = {db_param_int(INT64_MIN),
                                      db_param_int(-1),
                                      db_param_int(0),
                                      db_param_int(INT64_MAX),
                                      db_param_int_if(false, 5),
                                      db_param_text("a'b"),
                                      db_param_text(NULL),
                                      db_param_null(),
                                      db_param_bool(true),
                                      db_param_bool(false),
                                      db_param_hundredths_if(true, 3550),
                                      db_param_hundredths_if(true, 5),
                                      db_param_hundredths_if(true, -5),
                                      db_param_hundredths_if(false, 1),
                                      db_param_bytes(bytes, sizeof bytes),
                                      db_param_u32_array(serials, 2),
                                      db_param_u32_array(serials, 0),
                                      db_param_i32_array_if(true, stores, 3),
                                      DB_PARAM_END};
    const char *want[] = {"-9223372036854775808",
                          "-1",
                          "0",
                          "9223372036854775807",
                          NULL,
                          "a'b",
                          NULL,
                          NULL,
                          "t",
                          "f",
                          "35.50",
                          "0.05",
                          "-0.05",
                          NULL,
                          "\\x00abff",
                          "{1,4294967295}",
                          "{}",
                          "{-7,0,2147483647}"};
    struct db_values v;
    assert_int_equal(db_values_encode(params, &v), 0);
    assert_int_equal(v.n, (int)(sizeof want / sizeof want[0]));
    for (int i = 0; i < v.n; i++) {
        if (want[i] == NULL)
            assert_null(v.values[i]);
        else
            assert_string_equal(v.values[i], want[i]);
    }
    assert_null(v.heap);
    db_values_clear(&v);
}

static void bigint_and_text_arrays_are_array_literals(void **state)
{
    (void)state;
    const int64_t events[] = {INT64_MIN, 0, INT64_MAX};
    const char *texts[] = {"plain", NULL, "say \"hi\" \\ 'x', {y}", "", "NULL"};
    /* the worst case: every character escaped */
    char quotes[401];
    memset(quotes, '"', 400);
    quotes[400] = '\0';
    const char *many_quotes[] = {quotes, quotes};
    const struct db_param params[] = {
        db_param_i64_array(events, 3),       db_param_i64_array(events, 0),
        db_param_text_array(texts, 5),       db_param_text_array(texts, 0),
        db_param_text_array(many_quotes, 2), DB_PARAM_END};
    struct db_values v;
    assert_int_equal(db_values_encode(params, &v), 0);
    assert_int_equal(v.n, 5);
    assert_string_equal(v.values[0], "{-9223372036854775808,0,9223372036854775807}");
    assert_string_equal(v.values[1], "{}");
    /* PostgreSQL's array input: NULL unquoted is NULL, "NULL" quoted is the text NULL */
    assert_string_equal(v.values[2],
                        "{\"plain\",NULL,\"say \\\"hi\\\" \\\\ 'x', {y}\",\"\",\"NULL\"}");
    assert_string_equal(v.values[3], "{}");
    assert_int_equal(strlen(v.values[4]), 2 + 2 * (2 + 800) + 1);
    assert_non_null(v.heap); /* 1,600 escaped characters do not fit the scratch */
    db_values_clear(&v);
}

static void a_large_array_goes_to_the_heap_and_too_many_parameters_fail(void **state)
{
    (void)state;
    size_t n = 100000;
    uint32_t *cards = malloc(n * sizeof *cards);
    assert_non_null(cards);
    for (size_t i = 0; i < n; i++)
        cards[i] = (uint32_t)(4000000000u + i);
    const struct db_param params[] = {db_param_u32_array(cards, n), DB_PARAM_END};
    struct db_values v;
    assert_int_equal(db_values_encode(params, &v), 0);
    assert_non_null(v.heap);
    assert_int_equal(strlen(v.values[0]), 2 + n * 10 + (n - 1));
    assert_memory_equal(v.values[0], "{4000000000,4000000001,", 23);
    db_values_clear(&v);
    free(cards);

    struct db_param many[DB_PARAMS_MAX + 2];
    for (int i = 0; i < DB_PARAMS_MAX + 1; i++)
        many[i] = db_param_int(i);
    many[DB_PARAMS_MAX + 1] = (struct db_param)DB_PARAM_END;
    assert_int_equal(db_values_encode(many, &v), -1);
    db_values_clear(&v);
}

static void columns_are_found_by_name_in_any_order(void **state)
{
    (void)state;
    const char *names[] = {"reason", "points", "status", "redeemed_at"};
    const char *values[] = {NULL, "12", "already_redeemed", "2026-01-02T03:04:05Z"};
    PGresult *res = result_of(4, names, values);
    enum db_word status, reason = DBW_OK;
    int64_t points = -1;
    char at[32];
    bool no_reason = false;
    const struct db_col cols[] = {db_col_word("status", &status), db_col_i64("points", &points),
                                  db_col_text("redeemed_at", at, sizeof at),
                                  db_col_nullable(db_col_word("reason", &reason), &no_reason),
                                  DB_COL_END};
    int idx[DB_COLS_MAX];
    assert_int_equal(db_cols_find(res, cols, idx, "test"), 0);
    assert_int_equal(idx[0], 2);
    assert_int_equal(idx[3], 0);
    assert_int_equal(db_cols_read(res, 0, cols, idx, "test"), 0);
    assert_int_equal(status, DBW_ALREADY_REDEEMED);
    assert_int_equal(points, 12);
    assert_string_equal(at, "2026-01-02T03:04:05Z");
    assert_true(no_reason);
    assert_int_equal(reason, DBW_NONE);

    const struct db_col missing[] = {db_col_i64("void_id", &points), DB_COL_END};
    assert_int_equal(db_cols_find(res, missing, idx, "test"), -1);
    PQclear(res);
}

static void a_value_that_does_not_fit_its_c_type_fails_the_call(void **state)
{
    (void)state;
    int64_t i64 = 0;
    int32_t i32 = 0;
    uint32_t u32 = 0;
    bool b = false;
    char small[4];
    enum db_word w = DBW_NONE;
    uint8_t key[4];
    uint32_t arr[2];
    size_t n = 0;
    /* NULL where none is allowed; allowed, it reads as 0 */
    assert_int_equal(read_one("x", NULL, (struct db_col[]){db_col_i64("x", &i64), DB_COL_END}), -1);
    i64 = 7;
    assert_int_equal(
        read_one("x", NULL, (struct db_col[]){db_col_null_ok(db_col_i64("x", &i64)), DB_COL_END}),
        0);
    assert_int_equal(i64, 0);
    /* not numbers, or numbers out of range */
    const struct {
        const char *text;
        enum db_col_type type;
    } bad[] = {{"abc", DB_C_I64},        {"", DB_C_I64},
               {"12x", DB_C_I64},        {" 12", DB_C_I64},
               {"+12", DB_C_I64},        {"9223372036854775808", DB_C_I64},
               {"2147483648", DB_C_I32}, {"-2147483649", DB_C_I32},
               {"-1", DB_C_U32},         {"4294967296", DB_C_U32},
               {"1.5", DB_C_U32},        {"true", DB_C_BOOL}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        struct db_col c = bad[k].type == DB_C_I64   ? db_col_i64("x", &i64)
                          : bad[k].type == DB_C_I32 ? db_col_i32("x", &i32)
                          : bad[k].type == DB_C_U32 ? db_col_u32("x", &u32)
                                                    : db_col_bool("x", &b);
        assert_int_equal(read_one("x", bad[k].text, (struct db_col[]){c, DB_COL_END}), -1);
    }
    assert_int_equal(
        read_one("x", "-9223372036854775808", (struct db_col[]){db_col_i64("x", &i64), DB_COL_END}),
        0);
    assert_true(i64 == INT64_MIN);
    assert_int_equal(
        read_one("x", "4294967295", (struct db_col[]){db_col_u32("x", &u32), DB_COL_END}), 0);
    assert_int_equal(u32, 4294967295u);
    assert_int_equal(read_one("x", "t", (struct db_col[]){db_col_bool("x", &b), DB_COL_END}), 0);
    assert_true(b);
    /* text longer than its buffer; a word outside the vocabulary (the old spelling too) */
    assert_int_equal(
        read_one("x", "abcd", (struct db_col[]){db_col_text("x", small, sizeof small), DB_COL_END}),
        -1);
    assert_int_equal(
        read_one("x", "abc", (struct db_col[]){db_col_text("x", small, sizeof small), DB_COL_END}),
        0);
    assert_int_equal(
        read_one("x", "points_spent", (struct db_col[]){db_col_word("x", &w), DB_COL_END}), -1);
    assert_int_equal(read_one("x", "OK", (struct db_col[]){db_col_word("x", &w), DB_COL_END}), -1);
    /* a bytea of another length; an array longer than its room, or not of serials */
    assert_int_equal(
        read_one("x", "\\x0102", (struct db_col[]){db_col_bytes("x", key, sizeof key), DB_COL_END}),
        -1);
    assert_int_equal(read_one("x", "\\x01020304",
                              (struct db_col[]){db_col_bytes("x", key, sizeof key), DB_COL_END}),
                     0);
    assert_int_equal(key[3], 4);
    const char *arrays_bad[] = {"{1,2,3}", "{1,NULL}", "{-1}", "{1,", "1,2", "{4294967296}"};
    for (size_t k = 0; k < sizeof arrays_bad / sizeof arrays_bad[0]; k++)
        assert_int_equal(read_one("x", arrays_bad[k],
                                  (struct db_col[]){db_col_u32_array("x", arr, 2, &n), DB_COL_END}),
                         -1);
    assert_int_equal(read_one("x", "{7,4294967295}",
                              (struct db_col[]){db_col_u32_array("x", arr, 2, &n), DB_COL_END}),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(arr[1], 4294967295u);
    assert_int_equal(
        read_one("x", "{}", (struct db_col[]){db_col_u32_array("x", arr, 2, &n), DB_COL_END}), 0);
    assert_int_equal(n, 0);
}

static void a_failed_read_frees_its_strings_and_zeroes_its_places(void **state)
{
    (void)state;
    const char *names[] = {"body", "id"};
    const char *values[] = {"{\"a\":1}", "not a number"};
    PGresult *res = result_of(2, names, values);
    char *body = NULL;
    int64_t id = 5;
    const struct db_col cols[] = {db_col_str("body", &body), db_col_i64("id", &id), DB_COL_END};
    int idx[DB_COLS_MAX];
    assert_int_equal(db_cols_find(res, cols, idx, "test"), 0);
    assert_int_equal(db_cols_read(res, 0, cols, idx, "test"), -1);
    assert_null(body); /* freed (the leak checker of the sanitizer build would say otherwise) */
    assert_int_equal(id, 0);
    PQclear(res);
}

static void every_word_decodes_to_its_enum_and_back(void **state)
{
    (void)state;
    for (int w = DBW_OK; w < DBW__COUNT; w++) {
        const char *name = db_word_name((enum db_word)w);
        enum db_word back = DBW_NONE;
        assert_true(name[0] != '\0');
        assert_int_equal(db_word_parse(name, strlen(name), &back), 0);
        assert_int_equal(back, w);
    }
    enum db_word w;
    assert_int_equal(db_word_parse("ok", 2, &w), 0);
    assert_int_equal(w, DBW_OK);
    assert_int_equal(db_word_parse("okay", 2, &w), 0); /* LEN bytes of it */
    assert_int_equal(db_word_parse("", 0, &w), -1);
    assert_int_equal(db_word_parse("stale", 5, &w), -1);
    assert_string_equal(db_word_name(DBW_NONE), "");
    assert_string_equal(db_word_name(DBW__COUNT), "");
    /* one word per refusal: the points a void would take back are insufficient_points, as a
     * burn's are */
    assert_int_equal(db_word_err(DBW_INSUFFICIENT_POINTS), CPN_ERR_INSUFFICIENT_POINTS);
    assert_int_equal(db_word_err(DBW_OK), CPN_OK);
    assert_int_equal(db_word_err(DBW_REPLAY), CPN_OK);
    assert_int_equal(db_word_err(DBW_VOIDED), CPN_ERR_VOIDED);
    assert_int_equal(db_word_err(DBW_ALREADY_VOIDED), CPN_ERR_CONFLICT);
    assert_int_equal(db_word_err(DBW_NONE), CPN_ERR_INTERNAL);
    assert_int_equal(db_word_err(DBW_DRAW_CHANGED), CPN_ERR_INTERNAL);
}

/* The SQL of the statement NAME (db_statements.c). */
static const char *statement(const char *name)
{
    for (const struct db_statement *s = db_statements; s->name != NULL; s++)
        if (strcmp(s->name, name) == 0)
            return s->sql;
    fail_msg("no statement %s", name);
    return NULL;
}

/* Copies SQL's text from FROM up to (without) UNTIL into OUT, each statement parameter of
 * redeem_fast replaced by the column redeem_group reads it from. */
static void part_of(const char *sql, const char *from, const char *until, char *out, size_t size)
{
    static const char *const subst[][2] = {{"$1::bigint", "i.serial"},
                                           {"$2::integer", "i.store"},
                                           {"$5::bigint", "i.basket"},
                                           {"$6::bigint", "i.card"}};
    const char *a = strstr(sql, from);
    assert_non_null(a);
    const char *b = strstr(a, until);
    assert_non_null(b);
    size_t n = 0;
    while (a < b) {
        size_t k = 0;
        while (k < 4 && strncmp(a, subst[k][0], strlen(subst[k][0])) != 0)
            k++;
        const char *piece = k < 4 ? subst[k][1] : a;
        size_t len = k < 4 ? strlen(piece) : 1;
        assert_true(n + len < size);
        memcpy(out + n, piece, len);
        n += len;
        a += k < 4 ? strlen(subst[k][0]) : 1;
    }
    out[n] = '\0';
}

/* Group commit books with redeem_group what redeem_fast books alone: the same guards and
 * rules, the same discount and points, the same key gate. A rule added to one statement and
 * not the other fails here (t_group_commit proves the outcomes, not the text). */
static void the_group_statement_keeps_every_rule_of_redeem_fast(void **state)
{
    (void)state;
    static const char *const parts[][2] = {
        {" AND k.uses < k.max_uses", " RETURNING"}, /* the guards and the verdict */
        {"discount_of(", " AS points)"},            /* the discount and the points */
        {" ON CONFLICT", " RETURNING"},             /* the key as the idempotency gate */
    };
    const char *fast = statement("redeem_fast"), *group = statement("redeem_group");
    for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
        char a[2048], b[2048];
        part_of(fast, parts[k][0], parts[k][1], a, sizeof a);
        part_of(group, parts[k][0], parts[k][1], b, sizeof b);
        assert_string_equal(a, b);
    }
    /* and the check is no vacuous comparison: the guards hold the verdict */
    char guards[2048];
    part_of(fast, parts[0][0], parts[0][1], guards, sizeof guards);
    assert_non_null(strstr(guards, "coupon_verdict_of("));
    assert_non_null(strstr(guards, "i.store, i.basket, i.card, true, now()) = 'ok'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(typed_parameters_are_the_text_postgresql_reads),
        cmocka_unit_test(bigint_and_text_arrays_are_array_literals),
        cmocka_unit_test(a_large_array_goes_to_the_heap_and_too_many_parameters_fail),
        cmocka_unit_test(columns_are_found_by_name_in_any_order),
        cmocka_unit_test(a_value_that_does_not_fit_its_c_type_fails_the_call),
        cmocka_unit_test(a_failed_read_frees_its_strings_and_zeroes_its_places),
        cmocka_unit_test(every_word_decodes_to_its_enum_and_back),
        cmocka_unit_test(the_group_statement_keeps_every_rule_of_redeem_fast),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
