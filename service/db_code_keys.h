/* Code key ranges in PostgreSQL (table code_key_ranges): reading them, which activates this
 * coupond's MAC key, on a connection of their own, and claiming the key inside an issuing
 * transaction. No HTTP. */
#ifndef SVC_DB_CODE_KEYS_H
#define SVC_DB_CODE_KEYS_H

#include <stdbool.h>

#include "coupon/err.h"
#include "coupon/key_ranges.h"

/* code_keys(MAC_KEY): activates MAC_KEY for each kind whose newest recorded key is older, and
 * reads every range with each kind's horizon into *OUT (a new set the caller frees). Runs on
 * this module's own connection (opened on first use, reopened after a loss), one caller at a
 * time, so it may be called from any thread, inside or outside a transaction of the
 * caller's. Returns CPN_OK; CPN_ERR_UNAVAILABLE when the database cannot be reached or
 * fails; CPN_ERR_INTERNAL for rows that make no ranges; CPN_ERR_NO_MEMORY. On error *OUT is
 * NULL. */
enum cpn_err db_code_keys_load(unsigned mac_key, struct cpn_key_ranges **out) CPN_MUST_CHECK;

/* code_key_claim(KIND, MAC_KEY) on the calling thread's connection, in its open transaction,
 * before that transaction allocates serials of KIND. Returns a db_status: DB_ONE_RESULT with
 * *STALE telling whether a newer key is in use (then nothing may be issued), or a failure. */
int db_code_key_claim(const char *kind, unsigned mac_key, bool *stale) CPN_MUST_CHECK;

/* Closes this module's own connection; call when no thread uses it any more. */
void db_code_keys_close(void);

#endif
