/* Recipient-list stored-function calls (service/recipients_upload.c runs them around the
 * issue, in one transaction); no HTTP. Each runs in the calling thread's open transaction. */
#ifndef SVC_DB_RECIPIENTS_H
#define SVC_DB_RECIPIENTS_H

#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"
#include "db_words.h"

/* recipients_prepare(CAMPAIGN, CARDS): *STATUS ok or not_found; the campaign's holdout key
 * into KEY; up to 5 of CARDS that are not cards of ours into UNKNOWN (*N_UNKNOWN of them).
 * Returns a db_status (DB_ONE_RESULT on success). */
int db_recipients_prepare(int64_t campaign, const uint32_t *cards, size_t n, enum db_word *status,
                          uint8_t key[16], uint32_t unknown[5], size_t *n_unknown) CPN_MUST_CHECK;

/* What recipients_begin answered: the status and the stored list's figures. */
struct db_recipients_begin {
    enum db_word status; /* ok (claimed now), resume, replay, other_list, ended, ... */
    int64_t recipients, holdout, batch_id;
};

/* recipients_begin(...): claims the campaign's list for the list with DIGEST whose draw has
 * HOLDOUT_DIGEST (32 bytes each). Returns a db_status and fills *OUT. */
int db_recipients_begin(int64_t campaign, const uint8_t digest[32],
                        const uint8_t holdout_digest[32], size_t recipients, int64_t pct_hundredths,
                        size_t holdout, const char *actor,
                        struct db_recipients_begin *out) CPN_MUST_CHECK;

/* recipients_finish(CAMPAIGN, BATCH (0: none), HELD (N serials), ACTOR, ROLE): *STATUS ok,
 * not_found or mismatch. Returns a db_status. */
int db_recipients_finish(int64_t campaign, int64_t batch, const uint32_t *held, size_t n,
                         const char *actor, const char *role, enum db_word *status) CPN_MUST_CHECK;

#endif
