/* The SHA-256 chain of a version 3 till journal: every line ends with its sequence number and a
 * hash over the hash of the line before and itself, so a line altered, deleted or inserted breaks
 * the chain at that point. Pure: no I/O. */
#ifndef POS_JOURNAL_CHAIN_H
#define POS_JOURNAL_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pos/journal.h"

/* The hash a first generation's header is chained after: 64 zeros. */
extern const char pos_journal_zero_hash[POS_HASH_SIZE];

/* Chains LINE (LEN bytes: one record with or without its newline) as line SEQ after the line
 * whose hash is PREV_HASH: replaces its newline by "\tn=SEQ\th=HASH\n", HASH being the hex SHA-256
 * of PREV_HASH, a newline, and the line up to the end of "n=SEQ". LINE must have room for
 * POS_JOURNAL_LINE_SIZE bytes; its new hash goes to HASH_OUT (may be NULL). Returns the new
 * length, or 0 when it does not fit (LINE is then unchanged up to LEN). */
size_t pos_journal_chain(char *line, size_t len, uint64_t seq, const char *prev_hash,
                         char hash_out[POS_HASH_SIZE]);

/* Splits the chained line LINE (N bytes, without its newline) into its record (the first
 * *RECORD_LEN bytes), its sequence number *SEQ and its hash (copied to HASH). Returns false when
 * it does not end in well-formed chain fields. */
bool pos_journal_unchain(const char *line, size_t n, size_t *record_len, uint64_t *seq,
                         char hash[POS_HASH_SIZE]);

/* Returns true when HASH (a line's claimed hash) is the hash of LINE (N bytes without its
 * newline, whose record is RECORD_LEN bytes long) chained after PREV_HASH. */
bool pos_journal_chain_holds(const char *line, size_t n, size_t record_len, const char *prev_hash,
                             const char *hash);

/* Returns true when TEXT is 64 lower-case hex digits and nothing else. */
bool pos_journal_hash_valid(const char *text);

#endif
