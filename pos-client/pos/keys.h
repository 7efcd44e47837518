/* The service's public verification keys as the till keeps them in $STATE/keys.json, so signed
 * coupons can be checked with the network down. */
#ifndef POS_KEYS_H
#define POS_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "coupon/keys.h"

#include "coupon/err.h"

/* The keys file's name inside the state directory. */
#define POS_KEYS_FILE "keys.json"

/* Checks that ANSWER (from GET /v1/keys) is {"keys":[{"id","alg","public_key"}, ...]} with
 * distinct positive integer ids, a non-empty alg and a hex public key (64 digits for Ed25519).
 * Returns CPN_OK with the number of keys in *COUNT, or CPN_ERR_INTERNAL with a reason for IT in
 * WHY (WHY_SIZE bytes). */
CPN_MUST_CHECK enum cpn_err pos_keys_check(const json_t *answer, size_t *count, char *why,
                                           size_t why_size);

/* Checks ANSWER as pos_keys_check() does and replaces STATE_DIR/keys.json atomically with
 * {"url": URL, "fetched_at": now, "keys": [...]} (STATE_DIR is created 0700 when missing).
 * Returns CPN_OK with the number of keys in *COUNT; CPN_ERR_INTERNAL (reason in WHY) for a bad
 * answer; CPN_ERR_IO with errno set (the old file is kept); CPN_ERR_NO_MEMORY. */
CPN_MUST_CHECK enum cpn_err pos_keys_save(const char *state_dir, const char *url,
                                          const json_t *answer, size_t *count, char *why,
                                          size_t why_size);

/* Keys older than this are fetched again after the next successful call to the service. */
#define POS_KEYS_MAX_AGE_S 3600

/* Reads STATE_DIR/keys.json (as pos_keys_save() writes it) into a new keyring of public
 * verification keys (Ed25519 keys only; others are skipped). On CPN_OK *OUT is a keyring the
 * caller owns (free it with cpn_keyring_free()). Returns CPN_ERR_NOT_FOUND when there is no file
 * yet; CPN_ERR_IO with errno set when it cannot be read; CPN_ERR_INTERNAL when it does not hold
 * valid keys (reason in WHY); CPN_ERR_NO_MEMORY. On error *OUT is NULL. */
CPN_MUST_CHECK enum cpn_err pos_keys_load(const char *state_dir, struct cpn_keyring **out,
                                          char *why, size_t why_size);

/* Returns true when STATE_DIR/keys.json is missing, unreadable, or was last written more than
 * POS_KEYS_MAX_AGE_S seconds before NOW (or in the future by more than that). */
bool pos_keys_stale(const char *state_dir, time_t now);

#endif
