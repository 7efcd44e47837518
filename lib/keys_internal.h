/* What the keyring (keys.c) and the key directory (keys_dir.c) share and nothing else includes:
 * the keyring's layout, the valid key ids, and folding one keyring into another. */
#ifndef COUPON_KEYS_INTERNAL_H
#define COUPON_KEYS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <sodium.h>

#include "coupon/keys.h"

struct cpn_sign_key {
    bool has_public;
    bool has_secret;
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
};

struct cpn_mac_key {
    bool present;
    uint8_t key[CPN_MAC_KEY_BYTES];
    /* HMAC state after the key blocks, copied for every MAC: two SHA-256
     * compressions per MAC instead of four. Secret like the key. */
    crypto_auth_hmacsha256_state keyed;
};

struct cpn_keyring {
    struct cpn_sign_key sign[CPN_KEY_ID_MAX + 1]; /* by id; [0] unused */
    struct cpn_mac_key mac[CPN_KEY_ID_MAX + 1];
    bool retired[CPN_KEY_ID_MAX + 1]; /* ids the operator retired: their codes are refused */
    unsigned current_sign;            /* highest id with a secret signing key, not retired */
    unsigned current_mac;             /* highest id with a MAC key, not retired */
};

/* Whether ID is a key id, 1..CPN_KEY_ID_MAX. */
bool cpn_key_id_ok(unsigned id);

/* Folds SRC into KEYS, or returns CPN_ERR_CONFLICT and changes nothing. */
CPN_MUST_CHECK enum cpn_err cpn_keyring_merge(struct cpn_keyring *keys,
                                              const struct cpn_keyring *src);

#endif
