/* The till's local journal of money-moving calls (redemptions, card earn/burn, voids), so a retry
 * after a time-out reuses the same txn_id and the service can answer it exactly once. */
#ifndef POS_JOURNAL_H
#define POS_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"

/* A txn_id is 1..POS_TXN_ID_MAX characters from [A-Za-z0-9_-]; the ones pos_journal_begin()
 * makes are "T" followed by 32 lower-case hex digits (16 random bytes). */
#define POS_TXN_ID_MAX  64
#define POS_TXN_ID_SIZE (POS_TXN_ID_MAX + 1)
/* Longest kind, code and outcome the journal records. */
#define POS_JOURNAL_KIND_MAX    32
#define POS_JOURNAL_CODE_MAX    1024
#define POS_JOURNAL_OUTCOME_MAX 256

/* The journal's file name inside the state directory. */
#define POS_JOURNAL_FILE "journal.log"

/* Returns true when ID is a well-formed txn_id (see POS_TXN_ID_MAX). */
bool pos_journal_txn_id_valid(const char *id);

/* Makes a fresh txn_id ("T" + 32 hex digits from getrandom()) into ID (POS_TXN_ID_SIZE bytes).
 * Returns CPN_OK or CPN_ERR_IO (no randomness available; ID is then an empty string). */
CPN_MUST_CHECK enum cpn_err pos_journal_new_txn_id(char id[POS_TXN_ID_SIZE]);

/* Records, durably, that a call of KIND ("redeem", "earn", "burn", "void": [a-z_]+) for CODE
 * (the coupon or card; printable ASCII) over BASKET_CENTS (the basket in cents, the points for a
 * burn, 0 where there is none; >= 0) is about to be sent under TXN_ID. The state directory is
 * created (0700) when missing; the line is fsync'ed before this returns. Returns CPN_OK;
 * CPN_ERR_BAD_REQUEST for a malformed argument (nothing written); CPN_ERR_IO with errno set. */
CPN_MUST_CHECK enum cpn_err pos_journal_record_begin(const char *state_dir, const char *txn_id,
                                                     const char *kind, const char *code,
                                                     int64_t basket_cents);

/* pos_journal_new_txn_id() then pos_journal_record_begin(): on CPN_OK TXN_ID holds the new id,
 * already recorded; on error TXN_ID is an empty string. */
CPN_MUST_CHECK enum cpn_err pos_journal_begin(const char *state_dir, const char *kind,
                                              const char *code, int64_t basket_cents,
                                              char txn_id[POS_TXN_ID_SIZE]);

/* Records, durably, the service's definite answer OUTCOME (e.g. "ok", "already_redeemed";
 * printable ASCII, no tab) to TXN_ID. Call it only once the service answered: after a time-out
 * the entry must stay pending so the retry reuses TXN_ID. Returns CPN_OK; CPN_ERR_BAD_REQUEST for
 * a malformed argument (nothing written); CPN_ERR_IO with errno set. */
CPN_MUST_CHECK enum cpn_err pos_journal_finish(const char *state_dir, const char *txn_id,
                                               const char *outcome);

/* Looks for the most recent entry of KIND for CODE and BASKET_CENTS that has no outcome yet.
 * Returns CPN_OK with its id in TXN_ID; CPN_ERR_NOT_FOUND when there is none (also when there is
 * no journal yet); CPN_ERR_IO with errno set; CPN_ERR_NO_MEMORY. Lines that cannot be read (a
 * line torn by a power cut) are skipped. On error TXN_ID is an empty string. */
CPN_MUST_CHECK enum cpn_err pos_journal_find_pending(const char *state_dir, const char *kind,
                                                     const char *code, int64_t basket_cents,
                                                     char txn_id[POS_TXN_ID_SIZE]);

#endif
