/* The service's public verification keys as the till keeps them in $STATE/keys.json, so signed
 * coupons can be checked with the network down. */
#ifndef POS_KEYS_H
#define POS_KEYS_H

#include <stddef.h>

#include <jansson.h>

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

#endif
