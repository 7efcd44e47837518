/* Unit tests for service/json_out.c: the answers' compact JSON writer gives exactly the bytes
 * jansson's json_dumps(JSON_COMPACT | JSON_REAL_PRECISION(12)) gives, or leaves the value to
 * jansson (NULL) where it does not write it itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json_out.h"

#define FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(12))

/* Asserts that the writer and jansson give the same text for V (which it consumes). */
static void same_as_jansson(json_t *v)
{
    size_t len = 0;
    char *mine = json_out_compact(v, &len);
    char *theirs = json_dumps(v, FLAGS);
    assert_non_null(mine);
    assert_non_null(theirs);
    assert_string_equal(mine, theirs);
    assert_int_equal(len, strlen(theirs));
    free(mine);
    free(theirs);
    json_decref(v);
}

static void answers_are_written_as_jansson_writes_them(void **state)
{
    (void)state;
    same_as_jansson(json_object());
    same_as_jansson(json_array());
    same_as_jansson(json_pack("{s:b, s:I, s:o, s:n, s:[], s:{}}", "valid", 1, "discount_cents",
                              (json_int_t)250, "campaign_id", json_integer(7), "points", "a", "o"));
    same_as_jansson(json_pack("{s:I, s:I, s:I, s:I}", "min", (json_int_t)INT64_MIN, "max",
                              (json_int_t)INT64_MAX, "zero", (json_int_t)0, "minus",
                              (json_int_t)-1));
    same_as_jansson(json_pack("{s:s, s:s, s:s}", "q\"uote", "a \"b\" \\c\\", "empty", "", "slash",
                              "/v1/x?y=1&z=~"));
    same_as_jansson(json_pack("[i, [i, [i, {s:[s, b]}]], n]", 1, 2, 3, "k", "v", 0));
    /* A key after a removed one: the iteration order is jansson's own. */
    json_t *o = json_pack("{s:i, s:i, s:i}", "a", 1, "b", 2, "c", 3);
    json_object_del(o, "b");
    json_object_set_new(o, "b", json_integer(4));
    json_object_set_new(o, "a", json_integer(5));
    same_as_jansson(o);
}

static void what_it_does_not_write_is_left_to_jansson(void **state)
{
    (void)state;
    size_t len = 0;
    json_t *cases[] = {
        json_pack("{s:f}", "ratio", 0.5),   json_pack("{s:s}", "message", "Einl\xc3\xb6sung"),
        json_pack("{s:s}", "line", "a\nb"), json_pack("[s]", "del\x7f"),
        json_string("not a container"),     json_integer(1),
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_non_null(cases[i]);
        assert_null(json_out_compact(cases[i], &len));
        json_decref(cases[i]);
    }
    json_t *deep = json_array();
    for (int i = 0; i < 40; i++)
        deep = json_pack("[o]", deep);
    assert_null(json_out_compact(deep, &len));
    json_decref(deep);
    assert_null(json_out_compact(NULL, &len));
}

/* A random value of plain ASCII strings, integers, literals, arrays and objects. */
static json_t *random_value(unsigned *seed, int depth)
{
    int kind = depth > 3 ? rand_r(seed) % 4 : rand_r(seed) % 6;
    char s[24];
    size_t n = (size_t)(rand_r(seed) % (int)sizeof s);
    for (size_t i = 0; i < n; i++)
        s[i] = (char)(0x20 + rand_r(seed) % 0x5f);
    s[n] = '\0';
    switch (kind) {
    case 0:
        return json_stringn(s, n);
    case 1:
        return json_integer((json_int_t)(((uint64_t)(unsigned)rand_r(seed) << 40) ^
                                         ((uint64_t)(unsigned)rand_r(seed) << 9) ^
                                         (uint64_t)(unsigned)rand_r(seed)));
    case 2:
        return rand_r(seed) % 2 ? json_true() : json_false();
    case 3:
        return json_null();
    case 4: {
        json_t *a = json_array();
        for (int i = rand_r(seed) % 5; i > 0; i--)
            json_array_append_new(a, random_value(seed, depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (int i = rand_r(seed) % 6; i > 0; i--)
            json_object_setn_new(o, s, n > 0 ? (size_t)rand_r(seed) % (n + 1) : 0,
                                 random_value(seed, depth + 1));
        return o;
    }
    }
}

static void random_answers_are_written_as_jansson_writes_them(void **state)
{
    (void)state;
    unsigned seed = 12;
    for (int i = 0; i < 20000; i++) {
        json_t *v = random_value(&seed, 0);
        if (!json_is_object(v) && !json_is_array(v))
            v = json_pack("[o]", v);
        same_as_jansson(v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(answers_are_written_as_jansson_writes_them),
        cmocka_unit_test(what_it_does_not_write_is_left_to_jansson),
        cmocka_unit_test(random_answers_are_written_as_jansson_writes_them),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
