/* libFuzzer target for the request-body readers (service/json_in.c): arbitrary text is read
 * as the service reads a body (jansson, duplicate keys refused), then every strict field
 * reader is driven over the fields the handlers ask for, at the top level and inside
 * "offer". Each reader must keep its contract: 1 = read and in range, 0 = absent and not
 * required, -1 = a sentence in DETAIL and the output untouched; never crash or leak. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coupon/rfc3339.h"
#include "json_in.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const INT_KEYS[] = {"basket_cents",     "cost_cents",      "count",  "value",
                                       "min_basket_cents", "max_redemptions", "points", "card"};
static const char *const STR_KEYS[] = {"code", "txn_id", "name", "channel", "kind", "card"};
static const char *const TIME_KEYS[] = {"starts_at", "ends_at"};
static const char *const ALLOWED[] = {"code", "basket_cents", "txn_id", "card", NULL};

#define N(a)     (sizeof(a) / sizeof((a)[0]))
#define SENTINEL INT64_C(0x5a5a5a5a5a5a5a5a)

static void check_ints(const json_t *obj, const char *key, bool required, int64_t min, int64_t max)
{
    char detail[256] = "";
    int64_t out = SENTINEL;
    int rc = jin_int_field(obj, key, required, min, max, &out, detail, sizeof detail);
    if (rc == 1) {
        json_t *v = json_object_get(obj, key);
        if (out < min || out > max || !json_is_integer(v) || json_integer_value(v) != out)
            abort();
    } else if (rc == 0) {
        json_t *v = json_object_get(obj, key);
        if (required || out != SENTINEL || (v != NULL && !json_is_null(v)))
            abort();
    } else if (rc != -1 || out != SENTINEL || detail[0] == '\0' || strstr(detail, key) == NULL) {
        abort();
    }
}

static void check_strs(const json_t *obj, const char *key, bool required, size_t maxlen)
{
    char detail[256] = "";
    const char *out = NULL;
    int rc = jin_str_field(obj, key, required, maxlen, &out, detail, sizeof detail);
    if (rc == 1) {
        json_t *v = json_object_get(obj, key);
        size_t len = strlen(out);
        if (len == 0 || len > maxlen || len != json_string_length(v))
            abort();
    } else if (rc == 0) {
        if (required || out != NULL)
            abort();
    } else if (rc != -1 || out != NULL || detail[0] == '\0') {
        abort();
    }
}

static void check_times(const json_t *obj, const char *key, bool required)
{
    char detail[256] = "";
    int64_t out = SENTINEL, again = 0;
    int rc = jin_time_field(obj, key, required, &out, detail, sizeof detail);
    if (rc == 1) {
        /* What the field reader accepted, the parser accepts alone, with the same instant. */
        const char *s = json_string_value(json_object_get(obj, key));
        if (s == NULL || cpn_rfc3339_parse(s, &again) != CPN_OK || again != out)
            abort();
    } else if (rc == 0) {
        if (required || out != SENTINEL)
            abort();
    } else if (rc != -1 || out != SENTINEL || detail[0] == '\0') {
        abort();
    }
}

static void check_object(const json_t *obj)
{
    const char *unknown = jin_unknown_key(obj, ALLOWED);
    if (unknown != NULL) {
        if (json_object_get(obj, unknown) == NULL)
            abort();
        for (size_t i = 0; ALLOWED[i] != NULL; i++)
            if (strcmp(ALLOWED[i], unknown) == 0)
                abort();
    }
    for (size_t i = 0; i < N(INT_KEYS); i++) {
        check_ints(obj, INT_KEYS[i], false, 0, INT64_C(1000000000000));
        check_ints(obj, INT_KEYS[i], true, INT64_MIN, INT64_MAX);
        check_ints(obj, INT_KEYS[i], true, 1, 1);
    }
    for (size_t i = 0; i < N(STR_KEYS); i++) {
        check_strs(obj, STR_KEYS[i], false, 64);
        check_strs(obj, STR_KEYS[i], true, 1);
    }
    for (size_t i = 0; i < N(TIME_KEYS); i++) {
        check_times(obj, TIME_KEYS[i], false);
        check_times(obj, TIME_KEYS[i], true);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return 0;
    if (json_is_object(root)) {
        check_object(root);
        json_t *offer = json_object_get(root, "offer");
        if (json_is_object(offer))
            check_object(offer);
    }
    json_decref(root);
    return 0;
}
