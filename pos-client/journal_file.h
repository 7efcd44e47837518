/* The till journal on disk ($STATE/journal.log): appending begin and finish lines durably (each
 * fsync'ed before the caller goes on), reading the calls still pending, and compaction, which
 * rotates a full journal out to journal.d/ and carries only the pending entries into a new one, so
 * no call re-reads the whole history. Every reader and writer, in any number of pos-client
 * processes, takes the lock file $STATE/journal.lock (flock) around its work. */
#ifndef POS_JOURNAL_FILE_H
#define POS_JOURNAL_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"
#include "journal.h"

/* File names inside the state directory. */
#define POS_JOURNAL_FILE        "journal.log"
#define POS_JOURNAL_LOCK_FILE   "journal.lock"
#define POS_JOURNAL_ARCHIVE_DIR "journal.d"

/* Records, durably, that the call E (a complete entry: pos_journal_entry_valid(); its time is
 * set here to now) is about to be sent. The state directory is created (0700) when missing; the
 * line is fsync'ed before this returns. Returns CPN_OK; CPN_ERR_BAD_REQUEST for an entry that
 * cannot be written (nothing written); CPN_ERR_IO with errno set. */
CPN_MUST_CHECK enum cpn_err pos_journal_record_begin(const char *state_dir,
                                                     struct pos_journal_entry *e);

/* pos_journal_new_txn_id() into E->txn_id, then pos_journal_record_begin(). On error E->txn_id
 * is an empty string. */
CPN_MUST_CHECK enum cpn_err pos_journal_begin(const char *state_dir, struct pos_journal_entry *e);

/* Records, durably, the service's definite answer OUTCOME (e.g. "redeemed 42 201",
 * "already_redeemed 409"; pos_journal_outcome_valid()) to TXN_ID. Call it only once the service
 * answered: after a time-out the entry must stay pending. Returns CPN_OK; CPN_ERR_BAD_REQUEST for
 * a malformed argument (nothing written); CPN_ERR_IO with errno set. */
CPN_MUST_CHECK enum cpn_err pos_journal_finish(const char *state_dir, const char *txn_id,
                                               const char *outcome);

/* Reads the journal of STATE_DIR into *OUT (see pos_journal_parse(); the caller frees it with
 * pos_journal_state_free() whatever this returns). No journal yet is an empty state. Returns
 * CPN_OK; CPN_ERR_IO with errno set; CPN_ERR_NO_MEMORY. */
CPN_MUST_CHECK enum cpn_err pos_journal_load(const char *state_dir, struct pos_journal_state *out);

/* Compacts the journal of STATE_DIR when it is larger than MAX_BYTES and more than twice what
 * the last compaction carried (so a journal of mostly pending entries is not rewritten on every
 * call): the whole file is kept as journal.d/journal-GENERATION.log (a hard link, made before
 * anything is replaced) and journal.log is replaced atomically by generation + 1 holding the
 * pending begin lines. A crash at any point leaves every entry in journal.log or in both. Sets
 * *COMPACTED (may be NULL) to whether it did. Returns CPN_OK (also when there was nothing to do);
 * CPN_ERR_IO with errno set (the journal is then as it was); CPN_ERR_NO_MEMORY. */
CPN_MUST_CHECK enum cpn_err pos_journal_compact(const char *state_dir, long max_bytes,
                                                bool *compacted);

#endif
