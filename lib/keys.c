/* The keyring in memory: MAC and Ed25519 keys by id, added one by one or folded in from
 * another keyring, and the keyed operations the code forms use (MAC, sign, verify). Reading and
 * writing key directories is keys_dir.c. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "coupon/keys.h"
#include "keys_internal.h"

struct cpn_keyring *cpn_keyring_new(void)
{
    if (sodium_init() < 0)
        return NULL;
    return calloc(1, sizeof(struct cpn_keyring));
}

void cpn_keyring_free(struct cpn_keyring *keys)
{
    if (keys == NULL)
        return;
    sodium_memzero(keys, sizeof *keys);
    free(keys);
}

bool cpn_key_id_ok(unsigned id)
{
    return id >= 1 && id <= CPN_KEY_ID_MAX;
}

/* Sets the current signing and MAC keys of KEYS: the highest ids that are not retired. */
static void recompute_current(struct cpn_keyring *keys)
{
    keys->current_sign = 0;
    keys->current_mac = 0;
    for (unsigned id = 1; id <= CPN_KEY_ID_MAX; id++) {
        if (keys->retired[id])
            continue;
        if (keys->sign[id].has_secret)
            keys->current_sign = id;
        if (keys->mac[id].present)
            keys->current_mac = id;
    }
}

/* Whether sign key SRC can join DST (same public key, if both have one). */
static bool sign_compatible(const struct cpn_sign_key *dst, const struct cpn_sign_key *src)
{
    return !dst->has_public || !src->has_public ||
           sodium_memcmp(dst->pk, src->pk, sizeof dst->pk) == 0;
}

/* Whether MAC key SRC can join DST (the same key, if both have one). */
static bool mac_compatible(const struct cpn_mac_key *dst, const struct cpn_mac_key *src)
{
    return !dst->present || !src->present ||
           sodium_memcmp(dst->key, src->key, sizeof dst->key) == 0;
}

/* Folds sign key SRC into DST (compatible, see sign_compatible()): a secret key replaces DST, a
 * public key fills a DST without one. */
static void sign_merge(struct cpn_sign_key *dst, const struct cpn_sign_key *src)
{
    if (src->has_secret) {
        *dst = *src;
    } else if (src->has_public && !dst->has_public) {
        dst->has_public = true;
        memcpy(dst->pk, src->pk, sizeof dst->pk);
    }
}

/* Folds MAC key SRC into DST (compatible, see mac_compatible()) when DST has none. */
static void mac_merge(struct cpn_mac_key *dst, const struct cpn_mac_key *src)
{
    if (src->present && !dst->present)
        *dst = *src;
}

enum cpn_err cpn_keyring_add_public(struct cpn_keyring *keys, unsigned id,
                                    const uint8_t pub[CPN_PUBLIC_KEY_BYTES])
{
    struct cpn_sign_key k = {.has_public = true};

    if (keys == NULL || pub == NULL || !cpn_key_id_ok(id) ||
        !crypto_core_ed25519_is_valid_point(pub))
        return CPN_ERR_BAD_REQUEST;
    memcpy(k.pk, pub, sizeof k.pk);
    if (!sign_compatible(&keys->sign[id], &k))
        return CPN_ERR_CONFLICT;
    sign_merge(&keys->sign[id], &k);
    return CPN_OK;
}

enum cpn_err cpn_keyring_add_sign_seed(struct cpn_keyring *keys, unsigned id,
                                       const uint8_t seed[CPN_SIGN_SEED_BYTES])
{
    struct cpn_sign_key k = {.has_public = true, .has_secret = true};
    enum cpn_err err = CPN_OK;

    if (keys == NULL || seed == NULL || !cpn_key_id_ok(id))
        return CPN_ERR_BAD_REQUEST;
    if (crypto_sign_seed_keypair(k.pk, k.sk, seed) != 0)
        err = CPN_ERR_INTERNAL;
    else if (!sign_compatible(&keys->sign[id], &k))
        err = CPN_ERR_CONFLICT;
    if (err == CPN_OK) {
        sign_merge(&keys->sign[id], &k);
        recompute_current(keys);
    }
    sodium_memzero(&k, sizeof k);
    return err;
}

enum cpn_err cpn_keyring_add_mac_key(struct cpn_keyring *keys, unsigned id,
                                     const uint8_t key[CPN_MAC_KEY_BYTES])
{
    struct cpn_mac_key k = {.present = true};
    enum cpn_err err = CPN_OK;

    if (keys == NULL || key == NULL || !cpn_key_id_ok(id))
        return CPN_ERR_BAD_REQUEST;
    memcpy(k.key, key, sizeof k.key);
    if (crypto_auth_hmacsha256_init(&k.keyed, k.key, sizeof k.key) != 0)
        err = CPN_ERR_INTERNAL;
    else if (!mac_compatible(&keys->mac[id], &k))
        err = CPN_ERR_CONFLICT;
    if (err == CPN_OK) {
        mac_merge(&keys->mac[id], &k);
        recompute_current(keys);
    }
    sodium_memzero(&k, sizeof k);
    return err;
}

enum cpn_err cpn_keyring_merge(struct cpn_keyring *keys, const struct cpn_keyring *src)
{
    for (unsigned id = 1; id <= CPN_KEY_ID_MAX; id++)
        if (!sign_compatible(&keys->sign[id], &src->sign[id]) ||
            !mac_compatible(&keys->mac[id], &src->mac[id]))
            return CPN_ERR_CONFLICT;
    for (unsigned id = 1; id <= CPN_KEY_ID_MAX; id++) {
        sign_merge(&keys->sign[id], &src->sign[id]);
        mac_merge(&keys->mac[id], &src->mac[id]);
        keys->retired[id] = keys->retired[id] || src->retired[id];
    }
    recompute_current(keys);
    return CPN_OK;
}

enum cpn_err cpn_keyring_retire(struct cpn_keyring *keys, unsigned id)
{
    if (keys == NULL || !cpn_key_id_ok(id))
        return CPN_ERR_BAD_REQUEST;
    keys->retired[id] = true;
    recompute_current(keys);
    return CPN_OK;
}

bool cpn_keyring_is_retired(const struct cpn_keyring *keys, unsigned id)
{
    return keys != NULL && cpn_key_id_ok(id) && keys->retired[id];
}

bool cpn_keyring_has_mac(const struct cpn_keyring *keys, unsigned id)
{
    return keys != NULL && cpn_key_id_ok(id) && keys->mac[id].present;
}

bool cpn_keyring_has_seed(const struct cpn_keyring *keys, unsigned id)
{
    return keys != NULL && cpn_key_id_ok(id) && keys->sign[id].has_secret;
}

enum cpn_err cpn_keyring_mac(const struct cpn_keyring *keys, unsigned id, const uint8_t *msg,
                             size_t len, uint8_t out[32])
{
    crypto_auth_hmacsha256_state st;

    if (keys == NULL || (msg == NULL && len > 0) || out == NULL)
        return CPN_ERR_BAD_REQUEST;
    if (!cpn_keyring_has_mac(keys, id))
        return CPN_ERR_UNKNOWN_KEY;
    st = keys->mac[id].keyed;
    crypto_auth_hmacsha256_update(&st, msg, len);
    crypto_auth_hmacsha256_final(&st, out); /* also wipes st */
    return CPN_OK;
}

enum cpn_err cpn_keyring_sign(const struct cpn_keyring *keys, unsigned id, const uint8_t *msg,
                              size_t len, uint8_t sig[64])
{
    if (sig == NULL)
        return CPN_ERR_BAD_REQUEST;
    memset(sig, 0, 64);
    if (keys == NULL || (msg == NULL && len > 0))
        return CPN_ERR_BAD_REQUEST;
    if (cpn_keyring_is_retired(keys, id))
        return CPN_ERR_KEY_RETIRED;
    if (!cpn_key_id_ok(id) || !keys->sign[id].has_secret)
        return CPN_ERR_UNKNOWN_KEY;
    if (crypto_sign_detached(sig, NULL, msg, len, keys->sign[id].sk) != 0)
        return CPN_ERR_INTERNAL;
    return CPN_OK;
}

enum cpn_err cpn_keyring_verify(const struct cpn_keyring *keys, unsigned id, const uint8_t *msg,
                                size_t len, const uint8_t sig[64])
{
    if (keys == NULL || sig == NULL || (msg == NULL && len > 0))
        return CPN_ERR_BAD_REQUEST;
    if (cpn_keyring_is_retired(keys, id))
        return CPN_ERR_KEY_RETIRED;
    if (!cpn_key_id_ok(id) || !keys->sign[id].has_public)
        return CPN_ERR_UNKNOWN_KEY;
    if (crypto_sign_verify_detached(sig, msg, len, keys->sign[id].pk) != 0)
        return CPN_ERR_FORGED_CODE;
    return CPN_OK;
}

size_t cpn_keyring_public_ids(const struct cpn_keyring *keys, unsigned ids[CPN_KEY_ID_MAX])
{
    size_t n = 0;

    if (keys == NULL || ids == NULL)
        return 0;
    for (unsigned id = 1; id <= CPN_KEY_ID_MAX; id++)
        if (keys->sign[id].has_public)
            ids[n++] = id;
    return n;
}

enum cpn_err cpn_keyring_public_key(const struct cpn_keyring *keys, unsigned id,
                                    uint8_t pub[CPN_PUBLIC_KEY_BYTES])
{
    if (keys == NULL || pub == NULL || !cpn_key_id_ok(id) || !keys->sign[id].has_public)
        return CPN_ERR_UNKNOWN_KEY;
    memcpy(pub, keys->sign[id].pk, CPN_PUBLIC_KEY_BYTES);
    return CPN_OK;
}

unsigned cpn_keyring_current_sign_id(const struct cpn_keyring *keys)
{
    return keys == NULL ? 0 : keys->current_sign;
}

unsigned cpn_keyring_current_mac_id(const struct cpn_keyring *keys)
{
    return keys == NULL ? 0 : keys->current_mac;
}
