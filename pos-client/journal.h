/* The till journal's record format: txn ids, the request a journaled call sends (enough to send it
 * again exactly), the text of begin, finish and header lines, and the reader that turns a
 * journal's text into the calls still pending. Pure: no I/O (journal_file.c reads and writes the
 * file). The format is described at the top of journal.c. */
#ifndef POS_JOURNAL_H
#define POS_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"
#include "state.h"

/* A txn_id is 1..POS_TXN_ID_MAX characters from [A-Za-z0-9_-]; the ones pos_journal_new_txn_id()
 * makes are "T" followed by 32 lower-case hex digits (16 random bytes). */
#define POS_TXN_ID_MAX  64
#define POS_TXN_ID_SIZE (POS_TXN_ID_MAX + 1)
/* Longest kind, subject, card and outcome the journal records. */
#define POS_JOURNAL_KIND_MAX    32
#define POS_JOURNAL_CODE_MAX    1024
#define POS_JOURNAL_CARD_MAX    64
#define POS_JOURNAL_OUTCOME_MAX 256
/* The format version written in the header line of each generation. */
#define POS_JOURNAL_VERSION 2
/* Room for one line of any kind, its newline and a NUL. */
#define POS_JOURNAL_LINE_SIZE                                                                      \
    (64 + POS_TXN_ID_MAX + POS_TIME_SIZE + POS_JOURNAL_KIND_MAX + POS_JOURNAL_CODE_MAX +           \
     POS_JOURNAL_CARD_MAX + POS_JOURNAL_OUTCOME_MAX)

/* A journaled call, as its begin line records it: what a retry sends again, byte for byte the
 * same request under the same txn id. */
struct pos_journal_entry {
    char txn_id[POS_TXN_ID_SIZE];
    char time[POS_TIME_SIZE];               /* when it was begun: RFC 3339, UTC */
    char kind[POS_JOURNAL_KIND_MAX + 1];    /* "redeem", "earn", "burn", "void", "card_void" */
    char subject[POS_JOURNAL_CODE_MAX + 1]; /* the coupon code as sent (redeem), the card's
                                               short form (earn, burn), or the id voided in
                                               decimal (void, card_void) */
    int64_t amount;                         /* basket cents (redeem, earn), points (burn), 0 */
    char card[POS_JOURNAL_CARD_MAX + 1];    /* redeem: the card sent with it; "" for none */
};

/* What a journal's text says: its header (generation 0 and no header for a file that has none,
 * like those of version 1) and the calls begun and not finished, in the order they were first
 * begun. */
struct pos_journal_state {
    bool has_header;
    unsigned version;       /* from the header; 1 when there is none */
    uint64_t generation;    /* from the header; 0 when there is none */
    uint64_t carried_bytes; /* from the header: what the compaction that made it carried */
    size_t lines, skipped;  /* lines read; lines that did not parse and were skipped */
    size_t finished;        /* finish lines that closed a pending call */
    struct pos_journal_entry *pending;
    size_t n_pending, cap_pending;
};

/* Returns true when ID is a well-formed txn_id (see POS_TXN_ID_MAX). */
bool pos_journal_txn_id_valid(const char *id);

/* Makes a fresh txn_id ("T" + 32 hex digits from getrandom()) into ID (POS_TXN_ID_SIZE bytes).
 * Returns CPN_OK or CPN_ERR_IO (no randomness available; ID is then an empty string). */
CPN_MUST_CHECK enum cpn_err pos_journal_new_txn_id(char id[POS_TXN_ID_SIZE]);

/* Returns true when E can be written as a begin line: a valid txn id, an RFC 3339-shaped time
 * without blanks, KIND of [a-z_]+, SUBJECT of 1..POS_JOURNAL_CODE_MAX and CARD of
 * 0..POS_JOURNAL_CARD_MAX printable ASCII characters other than tab, AMOUNT >= 0. */
bool pos_journal_entry_valid(const struct pos_journal_entry *e);

/* Returns true when OUTCOME can be written in a finish line: 1..POS_JOURNAL_OUTCOME_MAX printable
 * ASCII characters, no tab. */
bool pos_journal_outcome_valid(const char *outcome);

/* Returns true when A and B are the same request (kind, subject, amount and card; the txn id and
 * time are not compared). */
bool pos_journal_same_request(const struct pos_journal_entry *a, const struct pos_journal_entry *b);

/* Writes E's begin line, with its newline, into BUF (POS_JOURNAL_LINE_SIZE bytes). Returns its
 * length, or 0 when E is not valid (pos_journal_entry_valid()). */
size_t pos_journal_format_begin(const struct pos_journal_entry *e, char *buf);

/* Writes the finish line of TXN_ID at TIME with OUTCOME into BUF (POS_JOURNAL_LINE_SIZE bytes).
 * Returns its length, or 0 when an argument is not valid. */
size_t pos_journal_format_finish(const char *txn_id, const char *time, const char *outcome,
                                 char *buf);

/* Writes the header line of generation GENERATION, made at TIME, whose compaction carried
 * CARRIED_BYTES of pending entries, into BUF (POS_JOURNAL_LINE_SIZE bytes). Returns its length. */
size_t pos_journal_format_header(uint64_t generation, const char *time, uint64_t carried_bytes,
                                 char *buf);

/* Reads the LEN bytes of TEXT (a journal's content; need not end in a newline or be
 * NUL-terminated; may hold any bytes) into *OUT, which the caller frees with
 * pos_journal_state_free() whatever this returns. A begin line opens its txn (again, when it was
 * finished before; a begin line for a txn that is already pending replaces its request), a finish
 * line closes it; lines that do not parse (a line torn by a power cut, a line of an unknown kind,
 * a field out of range) are counted in skipped and otherwise ignored, as are fields after the
 * known ones (room for later versions). Returns CPN_OK or CPN_ERR_NO_MEMORY. */
CPN_MUST_CHECK enum cpn_err pos_journal_parse(const char *text, size_t len,
                                              struct pos_journal_state *out);

/* Returns the pending entry of STATE with TXN_ID, or NULL. The pointer is valid until STATE
 * changes. */
const struct pos_journal_entry *pos_journal_find(const struct pos_journal_state *state,
                                                 const char *txn_id);

/* Frees what STATE holds and empties it; pos_journal_state_free(NULL) does nothing. */
void pos_journal_state_free(struct pos_journal_state *state);

#endif
