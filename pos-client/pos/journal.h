/* The till journal's record format: txn ids, the request a journaled call sends (enough to send it
 * again exactly), the text of begin, offline, finish and header lines, their SHA-256 chain
 * (journal_chain.c), and the reader that turns a journal's text into the calls still pending (or
 * accepted offline and still to be sent) and says whether the chain holds. Pure: no I/O
 * (journal_file.c reads and writes the file). The format is described at the top of journal.c. */
#ifndef POS_JOURNAL_H
#define POS_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"
#include "pos/state.h"

/* A txn_id is 1..POS_TXN_ID_MAX characters from [A-Za-z0-9_-]; the ones pos_journal_new_txn_id()
 * makes are "T" followed by 32 lower-case hex digits (16 random bytes). */
#define POS_TXN_ID_MAX  64
#define POS_TXN_ID_SIZE (POS_TXN_ID_MAX + 1)
/* Longest kind, subject, card and outcome the journal records. */
#define POS_JOURNAL_KIND_MAX    32
#define POS_JOURNAL_CODE_MAX    1024
#define POS_JOURNAL_CARD_MAX    64
#define POS_JOURNAL_OUTCOME_MAX 256
/* Longest basket_by_vat a redemption's begin line records ("1:3000,2:2000": rate key, cents). */
#define POS_JOURNAL_VAT_MAX 160
/* The format version written in the header line of each generation: 3 chains every line by
 * SHA-256 (journal_chain.c). */
#define POS_JOURNAL_VERSION 3
/* A SHA-256 in lower-case hex, and its room with a NUL. */
#define POS_HASH_HEX  64
#define POS_HASH_SIZE (POS_HASH_HEX + 1)
/* Room for one line of any kind, its newline and a NUL. */
#define POS_JOURNAL_LINE_SIZE                                                                      \
    (64 + 2 * POS_TXN_ID_MAX + POS_TIME_SIZE + POS_JOURNAL_KIND_MAX + POS_JOURNAL_CODE_MAX +       \
     POS_JOURNAL_CARD_MAX + POS_JOURNAL_OUTCOME_MAX + POS_JOURNAL_VAT_MAX + POS_JOURNAL_CHAIN_MAX)
/* Room for the chain fields a version 3 line ends with: "\tn=" SEQ (up to 20 digits) "\th=" HASH.
 */
#define POS_JOURNAL_CHAIN_MAX (2 + 20 + 3 + POS_HASH_HEX + 8)

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
    char receipt[POS_TXN_ID_SIZE];          /* redeem: the receipt id sent with it (the till
                                               mode's basket); "" for none */
    char vat[POS_JOURNAL_VAT_MAX + 1];      /* redeem: the basket_by_vat sent with it, as
                                               "KEY:CENTS,..." ("1:3000,2:2000"); "" for none */
    /* Set by an offline line: the till accepted the call while the service could not be reached
     * and gave the customer what it computed; the call is sent later (pos-client sync) under the
     * same txn id with offline_at. */
    bool offline;
    bool maybe_sent;                /* offline: the online attempt may have reached the service */
    char offline_at[POS_TIME_SIZE]; /* offline: when the till accepted it (RFC 3339, UTC) */
    int64_t discount_cents;         /* offline: the discount given (redeem), else 0 */
    int64_t campaign_id;            /* offline: the signed coupon's campaign (redeem), else 0 */
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
    struct pos_journal_entry *pending; /* pending and offline entries, in the order begun */
    size_t n_pending, cap_pending;
    size_t n_offline; /* of the pending entries, those accepted offline */
    /* The chain (version 3 journals; a journal of an older version has none). */
    bool chained;                  /* the header is of version 3 or later */
    bool damaged;                  /* a line does not chain: altered, deleted or inserted */
    char damage[256];              /* damaged: where and what, one sentence for a person */
    char prev_hash[POS_HASH_SIZE]; /* from the header: the last hash of the generation before */
    uint64_t first_seq, last_seq;  /* sequence numbers of the header and of the last line */
    char last_hash[POS_HASH_SIZE]; /* the hash of the last line ("" when none) */
};

/* A point of the chain the till keeps outside the journal (journal.head): the sequence number and
 * hash of a line that must be in journal.log. */
struct pos_journal_anchor {
    uint64_t seq; /* 0: none */
    char hash[POS_HASH_SIZE];
};

/* Returns true when ID is a well-formed txn_id (see POS_TXN_ID_MAX). */
bool pos_journal_txn_id_valid(const char *id);

/* Makes a fresh txn_id ("T" + 32 hex digits from getrandom()) into ID (POS_TXN_ID_SIZE bytes).
 * Returns CPN_OK or CPN_ERR_IO (no randomness available; ID is then an empty string). */
CPN_MUST_CHECK enum cpn_err pos_journal_new_txn_id(char id[POS_TXN_ID_SIZE]);

/* Returns true when E can be written as a begin line: a valid txn id, an RFC 3339-shaped time
 * without blanks, KIND of [a-z_]+, SUBJECT of 1..POS_JOURNAL_CODE_MAX and CARD of
 * 0..POS_JOURNAL_CARD_MAX printable ASCII characters other than tab, RECEIPT empty or shaped
 * like a txn id, AMOUNT >= 0. */
bool pos_journal_entry_valid(const struct pos_journal_entry *e);

/* Returns true when OUTCOME can be written in a finish line: 1..POS_JOURNAL_OUTCOME_MAX printable
 * ASCII characters, no tab. */
bool pos_journal_outcome_valid(const char *outcome);

/* Returns true when A and B are the same request (kind, subject, amount, card and receipt; the
 * txn id and time are not compared). */
bool pos_journal_same_request(const struct pos_journal_entry *a, const struct pos_journal_entry *b);

/* Writes E's begin line, with its newline, into BUF (POS_JOURNAL_LINE_SIZE bytes). Returns its
 * length, or 0 when E is not valid (pos_journal_entry_valid()). */
size_t pos_journal_format_begin(const struct pos_journal_entry *e, char *buf);

/* Writes the finish line of TXN_ID at TIME with OUTCOME into BUF (POS_JOURNAL_LINE_SIZE bytes).
 * Returns its length, or 0 when an argument is not valid. */
size_t pos_journal_format_finish(const char *txn_id, const char *time, const char *outcome,
                                 char *buf);

/* Writes the offline line of E (pending, with offline set: offline_at, discount_cents,
 * campaign_id, maybe_sent) into BUF (POS_JOURNAL_LINE_SIZE bytes). Returns its length, or 0 when
 * E's fields cannot be written. */
size_t pos_journal_format_offline(const struct pos_journal_entry *e, char *buf);

/* Writes the header line of generation GENERATION, made at TIME, whose compaction carried
 * CARRIED_BYTES of pending entries, to be chained after PREV_HASH (the last hash of the
 * generation before; NULL for none: 64 zeros), with its newline, into BUF (POS_JOURNAL_LINE_SIZE
 * bytes). Like every line, it is written chained (pos_journal_chain()). Returns its length. */
size_t pos_journal_format_header(uint64_t generation, const char *time, uint64_t carried_bytes,
                                 const char *prev_hash, char *buf);

/* Reads the LEN bytes of TEXT (a journal's content; need not end in a newline or be
 * NUL-terminated; may hold any bytes) into *OUT, which the caller frees with
 * pos_journal_state_free() whatever this returns. A begin line opens its txn (again, when it was
 * finished before; a begin line for a txn that is already pending replaces its request), a finish
 * line closes it; lines that do not parse (a line torn by a power cut, a line of an unknown kind,
 * a field out of range) are counted in skipped and otherwise ignored, as are fields after the
 * known ones (room for later versions). Returns CPN_OK or CPN_ERR_NO_MEMORY. */
CPN_MUST_CHECK enum cpn_err pos_journal_parse(const char *text, size_t len,
                                              struct pos_journal_state *out);

/* pos_journal_parse() of a version 3 journal whose chain is also checked against ANCHOR (may be
 * NULL): every complete line but a torn one (ended with DEL by the writer after a crash) must end
 * in the chain fields, number on from the line before and hash over it, starting from the
 * header's; the line numbered ANCHOR->seq must have ANCHOR->hash, and the journal must not end
 * before it. Otherwise OUT->damaged is set, with OUT->damage saying where, and the entries are
 * still read (for an operator to see). Returns as pos_journal_parse(). */
CPN_MUST_CHECK enum cpn_err pos_journal_parse_anchored(const char *text, size_t len,
                                                       const struct pos_journal_anchor *anchor,
                                                       struct pos_journal_state *out);

/* Returns the pending entry of STATE with TXN_ID, or NULL. The pointer is valid until STATE
 * changes. */
const struct pos_journal_entry *pos_journal_find(const struct pos_journal_state *state,
                                                 const char *txn_id);

/* Frees what STATE holds and empties it; pos_journal_state_free(NULL) does nothing. */
void pos_journal_state_free(struct pos_journal_state *state);

#endif
