/* The keyring: MAC keys (HMAC-SHA-256, short form) and Ed25519 signing keys
 * (signed form), each with an id 1..255; the highest id that is not retired
 * issues, all others still verify, and a retired id's codes are refused.
 * Also the key directory format and key generation (lib/keys_dir.c). */
#ifndef COUPON_KEYS_H
#define COUPON_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"

#define CPN_KEY_ID_MAX       255
#define CPN_MAC_KEY_BYTES    32
#define CPN_SIGN_SEED_BYTES  32
#define CPN_PUBLIC_KEY_BYTES 32

struct cpn_keyring;

/* A new, empty keyring, or NULL if out of memory or libsodium cannot be
 * initialised. Initialises libsodium (sodium_init, thread-safe). The caller
 * owns it and frees it with cpn_keyring_free(). A keyring may be read by many
 * threads at once (parse, MAC check, sign, verify) as long as nobody adds
 * keys to it at the same time. */
struct cpn_keyring *cpn_keyring_new(void);

/* Wipes every secret key in KEYS and frees it. NULL is a no-op. */
void cpn_keyring_free(struct cpn_keyring *keys);

/* Loads every key file of directory DIR into KEYS: mac-<id>.key (32-byte MAC
 * key), sign-<id>.key (32-byte Ed25519 seed), sign-<id>.pub (32-byte public
 * key), each as 64 hex digits and an optional newline, and retired-<id> (any
 * content: id <id> is retired, see cpn_keyring_retire()); other names are
 * ignored. Secret files must not be accessible by group or others.
 * Returns CPN_OK (also for a directory without keys), CPN_ERR_IO if DIR or a
 * key file cannot be read, has a bad mode or bad contents (wrong length, not
 * hex, a .pub that does not match its .key), CPN_ERR_CONFLICT if an id is
 * already in KEYS with a different key, CPN_ERR_NO_MEMORY. On error KEYS is
 * unchanged. */
CPN_MUST_CHECK enum cpn_err cpn_keyring_load_dir(struct cpn_keyring *keys, const char *dir);

/* Creates key directory DIR (mode 0700) if absent and writes the next id's
 * keys (highest id of any key or retired-<id> file + 1): sign-<id>.key and
 * mac-<id>.key (mode 0600) and sign-<id>.pub (0644), each written to a
 * temporary file, synced and linked into place, never overwriting an existing
 * file. *NEW_ID (if not
 * NULL) receives the id. Returns CPN_ERR_IO on file system errors,
 * CPN_ERR_CONFLICT if id 255 is taken or another keygen took the same id at
 * the same time, CPN_ERR_INTERNAL if libsodium cannot be initialised. */
CPN_MUST_CHECK enum cpn_err cpn_keygen(const char *dir, unsigned *new_id);

/* Adds the public verification key PUB with id ID (1..255) to KEYS, as a POS
 * client does with the keys of GET /v1/keys. Returns CPN_OK (also if the same
 * key is already there), CPN_ERR_BAD_REQUEST for a bad id or a key that is
 * not a valid Ed25519 point, CPN_ERR_CONFLICT if ID holds a different key. */
CPN_MUST_CHECK enum cpn_err cpn_keyring_add_public(struct cpn_keyring *keys, unsigned id,
                                                   const uint8_t pub[CPN_PUBLIC_KEY_BYTES]);

/* Adds the Ed25519 signing key derived from SEED with id ID (1..255), with
 * its public key. Same returns as cpn_keyring_add_public(); KEYS keeps its
 * own copy (wiped on free). For tests and for keys kept outside files. */
CPN_MUST_CHECK enum cpn_err cpn_keyring_add_sign_seed(struct cpn_keyring *keys, unsigned id,
                                                      const uint8_t seed[CPN_SIGN_SEED_BYTES]);

/* Adds MAC key KEY with id ID (1..255). Same returns as above. */
CPN_MUST_CHECK enum cpn_err cpn_keyring_add_mac_key(struct cpn_keyring *keys, unsigned id,
                                                    const uint8_t key[CPN_MAC_KEY_BYTES]);

/* Writes the public key of every signing or verification key in KEYS into
 * DIR as sign-<id>.pub (mode 0644), and an empty retired-<id> for every
 * retired id, creating DIR (0700) if absent and replacing files atomically
 * (rename). For a POS client's key cache.
 * Returns CPN_OK or CPN_ERR_IO; on error some files may have been written. */
CPN_MUST_CHECK enum cpn_err cpn_keyring_save_public_dir(const struct cpn_keyring *keys,
                                                        const char *dir);

/* Marks id ID (1..255) as retired: its MAC key and signing key never issue or
 * sign again, cpn_keyring_verify() answers CPN_ERR_KEY_RETIRED for it, and so
 * do the code checks for codes made with it (a key may be retired without
 * holding any of its keys). Returns CPN_OK or CPN_ERR_BAD_REQUEST (bad id). */
CPN_MUST_CHECK enum cpn_err cpn_keyring_retire(struct cpn_keyring *keys, unsigned id);

/* Whether id ID is retired in KEYS (false for NULL or a bad id). */
bool cpn_keyring_is_retired(const struct cpn_keyring *keys, unsigned id);

/* Whether KEYS holds the MAC key with id ID (retired or not). */
bool cpn_keyring_has_mac(const struct cpn_keyring *keys, unsigned id);

/* Whether KEYS holds the secret signing key with id ID (retired or not). */
bool cpn_keyring_has_seed(const struct cpn_keyring *keys, unsigned id);

/* Computes HMAC-SHA-256 of MSG (LEN bytes) with the MAC key with id ID (retired
 * or not: deciding which key may be used is the caller's). The key stays
 * inside the keyring. Returns CPN_OK, CPN_ERR_UNKNOWN_KEY (no MAC key ID) or
 * CPN_ERR_BAD_REQUEST. No allocation; thread-safe. */
CPN_MUST_CHECK enum cpn_err cpn_keyring_mac(const struct cpn_keyring *keys, unsigned id,
                                            const uint8_t *msg, size_t len, uint8_t out[32]);

/* Signs MSG (LEN bytes) with the secret signing key ID (Ed25519, detached)
 * into SIG. Returns CPN_OK, CPN_ERR_KEY_RETIRED (ID is retired) or
 * CPN_ERR_UNKNOWN_KEY (no secret key ID); SIG is zeroed on error. No
 * allocation; thread-safe. */
CPN_MUST_CHECK enum cpn_err cpn_keyring_sign(const struct cpn_keyring *keys, unsigned id,
                                             const uint8_t *msg, size_t len, uint8_t sig[64]);

/* Verifies the Ed25519 signature SIG of MSG (LEN bytes) with public key ID.
 * Returns CPN_OK, CPN_ERR_FORGED_CODE, CPN_ERR_KEY_RETIRED (ID is retired,
 * whatever the signature) or CPN_ERR_UNKNOWN_KEY. */
CPN_MUST_CHECK enum cpn_err cpn_keyring_verify(const struct cpn_keyring *keys, unsigned id,
                                               const uint8_t *msg, size_t len,
                                               const uint8_t sig[64]);

/* The ids holding a public key (signing and verification keys), in ascending
 * order, written into IDS (room for CPN_KEY_ID_MAX); returns their count. */
size_t cpn_keyring_public_ids(const struct cpn_keyring *keys, unsigned ids[CPN_KEY_ID_MAX]);

/* Copies the public key with id ID into PUB. Returns CPN_OK or
 * CPN_ERR_UNKNOWN_KEY (PUB untouched). */
CPN_MUST_CHECK enum cpn_err cpn_keyring_public_key(const struct cpn_keyring *keys, unsigned id,
                                                   uint8_t pub[CPN_PUBLIC_KEY_BYTES]);

/* The id of the current secret signing key (the highest that is not
 * retired), 0 if there is none (for instance in a POS client's keyring). */
unsigned cpn_keyring_current_sign_id(const struct cpn_keyring *keys);

/* The id of the current MAC key (the highest that is not retired), 0 if there
 * is none. */
unsigned cpn_keyring_current_mac_id(const struct cpn_keyring *keys);

#endif
