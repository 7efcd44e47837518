/* Checks the service's answer to GET /v1/keys, keeps it in $STATE/keys.json and loads it back
 * into a keyring of public verification keys (a key marked "retired" verifies nothing: its
 * codes are refused). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "coupon/hex.h"
#include "coupon/file.h"
#include "pos/keys.h"
#include "pos/state.h"

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
    err = pos_state_mkdir(state_dir);
    if (err == CPN_OK)
        err = cpn_file_replace(state_dir, POS_KEYS_FILE, text, strlen(text), 0600, false);
    free(text);
    return err;
}

enum cpn_err pos_keys_load(const char *state_dir, struct cpn_keyring **out, char *why,
                           size_t why_size)
{
    *out = NULL;
    char path[4096];
    if (pos_state_path(path, sizeof path, state_dir, POS_KEYS_FILE) != CPN_OK)
        return CPN_ERR_IO;
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return errno == ENOENT ? CPN_ERR_NOT_FOUND : CPN_ERR_IO;
    json_error_t jerr;
    json_t *doc = json_loadf(f, 0, &jerr);
    int e = errno;
    fclose(f);
    if (doc == NULL) {
        snprintf(why, why_size, "%s is not JSON: %s", path, jerr.text);
        errno = e;
        return CPN_ERR_INTERNAL;
    }
    size_t count = 0;
    enum cpn_err err = pos_keys_check(doc, &count, why, why_size);
    struct cpn_keyring *ring = err == CPN_OK ? cpn_keyring_new() : NULL;
    if (err == CPN_OK && ring == NULL) {
        snprintf(why, why_size, "out of memory");
        err = CPN_ERR_NO_MEMORY;
    }
    const json_t *keys = json_object_get(doc, "keys");
    for (size_t i = 0; err == CPN_OK && i < count; i++) {
        const json_t *k = json_array_get(keys, i);
        json_int_t id = json_integer_value(json_object_get(k, "id"));
        const char *alg = json_string_value(json_object_get(k, "alg"));
        const char *hex = json_string_value(json_object_get(k, "public_key"));
        if (strcmp(alg, "Ed25519") != 0)
            continue; /* a key for something this till does not verify */
        uint8_t pub[CPN_PUBLIC_KEY_BYTES];
        if (id > CPN_KEY_ID_MAX || cpn_hex_decode(hex, strlen(hex), pub, sizeof pub) != CPN_OK ||
            cpn_keyring_add_public(ring, (unsigned)id, pub) != CPN_OK ||
            (json_is_true(json_object_get(k, "retired")) &&
             cpn_keyring_retire(ring, (unsigned)id) != CPN_OK)) {
            snprintf(why, why_size, "%s: key %" JSON_INTEGER_FORMAT " is not a usable Ed25519 key",
                     path, id);
            err = CPN_ERR_INTERNAL;
        }
    }
    json_decref(doc);
    if (err != CPN_OK) {
        cpn_keyring_free(ring);
        return err;
    }
    *out = ring;
    return CPN_OK;
}

bool pos_keys_stale(const char *state_dir, time_t now)
{
    char path[4096];
    struct stat st;
    if (pos_state_path(path, sizeof path, state_dir, POS_KEYS_FILE) != CPN_OK ||
        stat(path, &st) != 0)
        return true;
    double age = difftime(now, st.st_mtime);
    return age > POS_KEYS_MAX_AGE_S || age < -POS_KEYS_MAX_AGE_S;
}
