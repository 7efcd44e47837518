/* journal.head: the anchor of the till journal's chain outside journal.log, the sequence number
 * and hash of the last line that must not be lost (the last offline line, or the last line a
 * compaction wrote), so a journal whose last entries were deleted is found out. */
#ifndef POS_JOURNAL_HEAD_H
#define POS_JOURNAL_HEAD_H

#include "coupon/err.h"
#include "pos/journal.h"

#define POS_JOURNAL_HEAD_FILE "journal.head"

/* Reads STATE_DIR/journal.head into *ANCHOR (seq 0 when there is none). Returns CPN_OK;
 * CPN_ERR_MALFORMED_CODE when the file exists but does not hold an anchor; CPN_ERR_IO with errno
 * set. */
CPN_MUST_CHECK enum cpn_err pos_journal_head_read(const char *state_dir,
                                                  struct pos_journal_anchor *anchor);

/* Writes ANCHOR into STATE_DIR/journal.head in place (one fixed-size record) and flushes it to
 * disk; the first time, the directory too. The caller holds the journal's lock. Returns CPN_OK
 * or CPN_ERR_IO with errno set. */
CPN_MUST_CHECK enum cpn_err pos_journal_head_write(const char *state_dir,
                                                   const struct pos_journal_anchor *anchor);

#endif
