/* The till journal's record format. A journal ($STATE/journal.log) is text, one tab-separated
 * record per line, each line (version 3) ending in its chain fields "<TAB>n=SEQ<TAB>h=HASH":
 *
 *   journal<TAB>3<TAB>GENERATION<TAB>TIME<TAB>CARRIED_BYTES<TAB>PREV_HASH<TAB>n=..<TAB>h=..<LF>
 *   begin<TAB>TXN_ID<TAB>TIME<TAB>KIND<TAB>SUBJECT<TAB>AMOUNT<TAB>CARD[<TAB>r=RECEIPT][<TAB>v=VAT]<TAB>n=..<TAB>h=..<LF>
 *   offline<TAB>TXN_ID<TAB>TIME<TAB>DISCOUNT<TAB>CAMPAIGN<TAB>SENT<TAB>n=..<TAB>h=..<LF>
 *   finish<TAB>TXN_ID<TAB>TIME<TAB>OUTCOME<TAB>n=..<TAB>h=..<LF>
 *
 * TIME is UTC in RFC 3339 ("2026-11-22T20:09:04Z"). KIND is [a-z_]+ ("redeem", "earn", "burn",
 * "void", "card_void"); SUBJECT is the coupon code as sent, the card's short form, or the id
 * voided; AMOUNT is a decimal integer >= 0 (basket cents, points, 0); CARD is the card sent with a
 * redemption, "-" for none; r=RECEIPT (written only when there is one) the receipt id sent with a
 * redemption of the till mode's basket; v=VAT (only when there is one) the basket_by_vat sent
 * with a redemption, "KEY:CENTS" pairs joined by commas (a reader takes the key=value fields it
 * knows after CARD and ignores the others). SUBJECT, CARD and OUTCOME are printable ASCII without
 * tabs. A begin
 * line is on disk (fsync'ed) before the call goes out; a finish line once the service has given a
 * definite answer. A txn whose last line is a begin is pending: the till does not know whether the
 * service booked it, and only an explicit retry under the same txn id (which the service answers
 * at most once) settles it; a new call never takes an old txn id.
 *
 * An offline line says that the service could not be reached and the till accepted the pending
 * txn on its own at TIME, giving DISCOUNT cents off (a coupon of campaign CAMPAIGN; 0 and 0 for an
 * earn); SENT is "unsent" when the online attempt certainly never left the till, "maybe" when it
 * may have reached the service. It is fsync'ed before the cashier sees "accepted offline"; the txn
 * then stays open until it is sent with offline_at = TIME (pos-client sync) and a finish line
 * records the answer.
 *
 * The chain: SEQ counts the lines of all generations from 1; HASH is the hex SHA-256 of the
 * previous line's HASH, a newline, and this line up to the end of "n=SEQ" (journal_chain.c). A
 * header chains after PREV_HASH, the last hash of the generation it follows (64 zeros for the
 * first). So a line altered, deleted or inserted breaks the chain where it was; the tail is
 * anchored by journal.head (journal_file.c), rewritten after each offline line, so a deleted last
 * entry is found too. Readers ignore fields after the ones they know (before the chain fields).
 *
 * The header names the generation: compaction (journal_file.c) moves a full journal to
 * journal.d/journal-GENERATION.log and starts generation + 1 with the open entries carried over
 * (their begin lines, and offline lines, CARRIED_BYTES of them), chained on from the last line of
 * the archived one, so journal.d/ and journal.log stay one chain. A reader keys records by txn
 * id, so an entry carried into a new generation is the same entry. Version 2 files (a header
 * without PREV_HASH, no chain fields) and version 1 files (no header; six-field begin lines whose
 * CODE was "TEXT card CARD", "redemption N" or "card transaction N") are read too, and a writer
 * rotates such a file out before it writes. A line without its newline at the end of the text was
 * torn by a crash before it was synced (its call was never sent) and is skipped; a writer that
 * finds one ends it with DEL and a newline, so it can never be read as a record (nor as part of the
 * chain). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "pos/journal.h"
#include "pos/journal_chain.h"

bool pos_journal_txn_id_valid(const char *id)
{
    size_t n = 0;
    for (; id[n] != '\0'; n++) {
        char c = id[n];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (!ok || n >= POS_TXN_ID_MAX)
            return false;
    }
    return n > 0;
}

enum cpn_err pos_journal_new_txn_id(char id[POS_TXN_ID_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[16];
    size_t got = 0;
    id[0] = '\0';
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return CPN_ERR_IO;
        }
        got += (size_t)n;
    }
    id[0] = 'T';
    for (size_t i = 0; i < sizeof raw; i++) {
        id[1 + 2 * i] = hex[raw[i] >> 4];
        id[2 + 2 * i] = hex[raw[i] & 0xf];
    }
    id[1 + 2 * sizeof raw] = '\0';
    return CPN_OK;
}

/* What characters a field may hold. */
enum charset {
    WORD,      /* [a-z_] */
    PRINTABLE, /* space to tilde */
    NO_BLANK,  /* '!' to tilde */
};

/* Returns true when S is MIN..MAX characters of SET. */
static bool field_valid(const char *s, size_t min, size_t max, enum charset set)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        unsigned char c = (unsigned char)s[n];
        bool ok = set == WORD        ? (c >= 'a' && c <= 'z') || c == '_'
                  : set == PRINTABLE ? c >= 0x20 && c <= 0x7e
                                     : c > 0x20 && c <= 0x7e;
        if (!ok || n >= max)
            return false;
    }
    return n >= min;
}

bool pos_journal_entry_valid(const struct pos_journal_entry *e)
{
    return pos_journal_txn_id_valid(e->txn_id) &&
           field_valid(e->time, 1, POS_TIME_SIZE - 1, NO_BLANK) &&
           field_valid(e->kind, 1, POS_JOURNAL_KIND_MAX, WORD) &&
           field_valid(e->subject, 1, POS_JOURNAL_CODE_MAX, PRINTABLE) &&
           field_valid(e->card, 0, POS_JOURNAL_CARD_MAX, NO_BLANK) && strcmp(e->card, "-") != 0 &&
           (e->receipt[0] == '\0' || pos_journal_txn_id_valid(e->receipt)) &&
           strspn(e->vat, "0123456789:,") == strlen(e->vat) && e->amount >= 0;
}

bool pos_journal_outcome_valid(const char *outcome)
{
    return field_valid(outcome, 1, POS_JOURNAL_OUTCOME_MAX, PRINTABLE);
}

bool pos_journal_same_request(const struct pos_journal_entry *a, const struct pos_journal_entry *b)
{
    return strcmp(a->kind, b->kind) == 0 && strcmp(a->subject, b->subject) == 0 &&
           a->amount == b->amount && strcmp(a->card, b->card) == 0 &&
           strcmp(a->receipt, b->receipt) == 0 && strcmp(a->vat, b->vat) == 0;
}

/* Returns N when 0 < N < POS_JOURNAL_LINE_SIZE, else 0. */
static size_t fitted(int n)
{
    return n > 0 && (size_t)n < POS_JOURNAL_LINE_SIZE ? (size_t)n : 0;
}

size_t pos_journal_format_begin(const struct pos_journal_entry *e, char *buf)
{
    if (!pos_journal_entry_valid(e))
        return 0;
    return fitted(snprintf(
        buf, POS_JOURNAL_LINE_SIZE, "begin\t%s\t%s\t%s\t%s\t%" PRId64 "\t%s%s%s%s%s\n", e->txn_id,
        e->time, e->kind, e->subject, e->amount, e->card[0] != '\0' ? e->card : "-",
        e->receipt[0] != '\0' ? "\tr=" : "", e->receipt, e->vat[0] != '\0' ? "\tv=" : "", e->vat));
}

size_t pos_journal_format_finish(const char *txn_id, const char *time, const char *outcome,
                                 char *buf)
{
    if (!pos_journal_txn_id_valid(txn_id) || !field_valid(time, 1, POS_TIME_SIZE - 1, NO_BLANK) ||
        !pos_journal_outcome_valid(outcome))
        return 0;
    return fitted(
        snprintf(buf, POS_JOURNAL_LINE_SIZE, "finish\t%s\t%s\t%s\n", txn_id, time, outcome));
}

size_t pos_journal_format_offline(const struct pos_journal_entry *e, char *buf)
{
    if (!e->offline || !pos_journal_txn_id_valid(e->txn_id) ||
        !field_valid(e->offline_at, 1, POS_TIME_SIZE - 1, NO_BLANK) || e->discount_cents < 0 ||
        e->campaign_id < 0)
        return 0;
    return fitted(snprintf(
        buf, POS_JOURNAL_LINE_SIZE, "offline\t%s\t%s\t%" PRId64 "\t%" PRId64 "\t%s\n", e->txn_id,
        e->offline_at, e->discount_cents, e->campaign_id, e->maybe_sent ? "maybe" : "unsent"));
}

size_t pos_journal_format_header(uint64_t generation, const char *time, uint64_t carried_bytes,
                                 const char *prev_hash, char *buf)
{
    return fitted(snprintf(buf, POS_JOURNAL_LINE_SIZE,
                           "journal\t%d\t%" PRIu64 "\t%s\t%" PRIu64 "\t%s\n", POS_JOURNAL_VERSION,
                           generation, time, carried_bytes,
                           prev_hash != NULL ? prev_hash : pos_journal_zero_hash));
}
