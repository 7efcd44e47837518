/* The till journal on disk ($STATE/journal.log): appending begin, offline and finish lines durably
 * and chained (each fsync'ed before the caller goes on), reading the calls still pending, and
 * compaction, which rotates a full journal out to journal.d/ and carries only the pending entries
 * into a new one, so no call re-reads the whole history. Every reader and writer, in any number of
 * pos-client processes, takes the lock file $STATE/journal.lock (flock) around its work. */
#ifndef POS_JOURNAL_FILE_H
#define POS_JOURNAL_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"
#include "pos/journal.h"

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

/* Records, durably, that the pending call E (its txn id, discount_cents, campaign_id and
 * maybe_sent set) was accepted offline now (E->offline_at is set here, E->offline too): the line
 * is fsync'ed, and journal.head anchored at it, before this returns. Returns CPN_OK;
 * CPN_ERR_BAD_REQUEST for fields that cannot be written (nothing written); CPN_ERR_IO with errno
 * set. */
CPN_MUST_CHECK enum cpn_err pos_journal_record_offline(const char *state_dir,
                                                       struct pos_journal_entry *e);

/* Records, durably, the service's definite answer OUTCOME (e.g. "redeemed 42 201",
 * "already_redeemed 409"; pos_journal_outcome_valid()) to TXN_ID. Call it only once the service
 * answered: after a time-out the entry must stay pending. LAZY (a batch of sends, pos-client
 * sync) leaves the fsync to pos_journal_flush() at the batch's end: a finish line lost in a crash
 * only makes the call be sent again, which the service answers once more without booking it
 * again. Returns CPN_OK; CPN_ERR_BAD_REQUEST for a malformed argument (nothing written);
 * CPN_ERR_IO with errno set. */
CPN_MUST_CHECK enum cpn_err pos_journal_finish(const char *state_dir, const char *txn_id,
                                               const char *outcome, bool lazy);

/* Flushes the journal of STATE_DIR to disk (after lazy finish lines). Returns CPN_OK (also when
 * there is none) or CPN_ERR_IO with errno set. */
CPN_MUST_CHECK enum cpn_err pos_journal_flush(const char *state_dir);

/* Reads the journal of STATE_DIR into *OUT (see pos_journal_parse_anchored(), with the anchor in
 * journal.head; the caller frees it with pos_journal_state_free() whatever this returns). No
 * journal yet is an empty state; a journal.head that was altered, or one left without its
 * journal.log, makes OUT->damaged. Returns CPN_OK; CPN_ERR_IO with errno set; CPN_ERR_NO_MEMORY. */
CPN_MUST_CHECK enum cpn_err pos_journal_load(const char *state_dir, struct pos_journal_state *out);

/* Compacts the journal of STATE_DIR when it is larger than MAX_BYTES and more than twice what
 * the last compaction carried (so a journal of mostly pending entries is not rewritten on every
 * call), and its chain holds (a damaged journal is left for an operator): the whole file is kept
 * as journal.d/journal-GENERATION.log (a hard link, made before anything is replaced) and
 * journal.log is replaced atomically by generation + 1 holding the open entries' begin (and
 * offline) lines, chained on; journal.head is then anchored at its last line. A crash at any point
 * leaves every entry in journal.log or in both. Sets
 * *COMPACTED (may be NULL) to whether it did. Returns CPN_OK (also when there was nothing to do);
 * CPN_ERR_IO with errno set (the journal is then as it was); CPN_ERR_NO_MEMORY. */
CPN_MUST_CHECK enum cpn_err pos_journal_compact(const char *state_dir, long max_bytes,
                                                bool *compacted);

#endif
