/* Checks the service's answer to GET /v1/keys and keeps it in $STATE/keys.json. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "state.h"

/* Returns true when S is a non-empty string of hex digits. */
static bool is_hex(const char *s)
{
    if (s[0] == '\0')
        return false;
    for (; *s != '\0'; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
            return false;
    return true;
}

enum cpn_err pos_keys_check(const json_t *answer, size_t *count, char *why, size_t why_size)
{
    *count = 0;
    const json_t *keys = json_object_get(answer, "keys");
    if (!json_is_array(keys)) {
        snprintf(why, why_size, "the answer has no \"keys\" array");
        return CPN_ERR_INTERNAL;
    }
    size_t n = json_array_size(keys);
    for (size_t i = 0; i < n; i++) {
        const json_t *k = json_array_get(keys, i);
        const json_t *id = json_object_get(k, "id");
        const char *alg = json_string_value(json_object_get(k, "alg"));
        const char *pub = json_string_value(json_object_get(k, "public_key"));
        if (!json_is_integer(id) || json_integer_value(id) <= 0) {
            snprintf(why, why_size, "key %zu has no positive integer \"id\"", i);
            return CPN_ERR_INTERNAL;
        }
        json_int_t idv = json_integer_value(id);
        if (alg == NULL || alg[0] == '\0' || pub == NULL || !is_hex(pub) ||
            (strcmp(alg, "Ed25519") == 0 && strlen(pub) != 64)) {
            snprintf(why, why_size,
                     "key %" JSON_INTEGER_FORMAT " has a bad \"alg\" or \"public_key\"", idv);
            return CPN_ERR_INTERNAL;
        }
        for (size_t j = 0; j < i; j++) {
            if (json_integer_value(json_object_get(json_array_get(keys, j), "id")) == idv) {
                snprintf(why, why_size, "key id %" JSON_INTEGER_FORMAT " is listed twice", idv);
                return CPN_ERR_INTERNAL;
            }
        }
    }
    *count = n;
    return CPN_OK;
}

enum cpn_err pos_keys_save(const char *state_dir, const char *url, const json_t *answer,
                           size_t *count, char *why, size_t why_size)
{
    enum cpn_err err = pos_keys_check(answer, count, why, why_size);
    if (err != CPN_OK)
        return err;
    char now[POS_TIME_SIZE];
    pos_state_now(now);
    json_t *doc = json_pack("{s:s, s:s, s:O}", "url", url, "fetched_at", now, "keys",
                            json_object_get(answer, "keys"));
    char *text = doc != NULL ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    if (text == NULL) {
        snprintf(why, why_size, "out of memory");
        return CPN_ERR_NO_MEMORY;
    }
    err = pos_state_write_atomic(state_dir, POS_KEYS_FILE, text, strlen(text));
    free(text);
    return err;
}
