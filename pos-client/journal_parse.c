/* The till journal's reader: turns a journal's text (any bytes) into its header, the entries
 * still open (pending, or accepted offline and not yet sent) and, for a version 3 journal, whether
 * its SHA-256 chain holds, and where it breaks. The format is described at the top of journal.c. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pos/i18n.h"
#include "pos/journal.h"
#include "pos/journal_chain.h"

/* Splits LINE (NUL-terminated, no newline) in place at tabs into at most MAX fields; the rest
 * of the line stays in the last one. Returns the number of fields. */
static size_t split(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        fields[n++] = p;
        char *tab = strchr(p, '\t');
        if (tab == NULL || n == max)
            return n;
        *tab = '\0';
        p = tab + 1;
    }
}

/* Reads TEXT, a decimal integer of 1 to 18 digits and nothing else, into *V. */
static bool parse_count(const char *text, uint64_t *v)
{
    size_t n = strlen(text);
    if (n == 0 || n > 18 || strspn(text, "0123456789") != n)
        return false;
    *v = 0;
    for (size_t i = 0; i < n; i++)
        *v = *v * 10 + (uint64_t)(text[i] - '0');
    return true;
}

/* Copies S into BUF (SIZE bytes). Returns false when it does not fit. */
static bool copy(char *buf, size_t size, const char *s)
{
    size_t n = strlen(s);
    if (n >= size)
        return false;
    memcpy(buf, s, n + 1);
    return true;
}

/* Returns true when TIME could be a time field: 1..POS_TIME_SIZE-1 characters '!' to '~'. */
static bool time_valid(const char *time)
{
    size_t n = strlen(time);
    if (n == 0 || n >= POS_TIME_SIZE)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)time[i] <= 0x20 || (unsigned char)time[i] > 0x7e)
            return false;
    return true;
}

/* Fills E's kind, subject and card from a version 1 begin line's KIND and CODE. */
static bool from_v1(struct pos_journal_entry *e, const char *kind, const char *code)
{
    static const char card_sep[] = " card ";
    const char *prefix = strcmp(kind, "void") == 0        ? "redemption "
                         : strcmp(kind, "card_void") == 0 ? "card transaction "
                                                          : NULL;
    if (!copy(e->kind, sizeof e->kind, kind))
        return false;
    if (prefix != NULL) {
        size_t n = strlen(prefix);
        return strncmp(code, prefix, n) == 0 && copy(e->subject, sizeof e->subject, code + n);
    }
    const char *sep = strcmp(kind, "redeem") == 0 ? strstr(code, card_sep) : NULL;
    if (sep == NULL)
        return copy(e->subject, sizeof e->subject, code);
    size_t n = (size_t)(sep - code);
    if (n >= sizeof e->subject)
        return false;
    memcpy(e->subject, code, n);
    e->subject[n] = '\0';
    return copy(e->card, sizeof e->card, sep + strlen(card_sep));
}

/* Reads the fields F (N of them) of a begin line into *E. Returns false when they do not make a
 * valid entry. */
static bool parse_begin(char **f, size_t n, struct pos_journal_entry *e)
{
    memset(e, 0, sizeof *e);
    uint64_t amount;
    bool v1 = n == 6;
    if (n < 6 || !copy(e->txn_id, sizeof e->txn_id, f[1]) || !copy(e->time, sizeof e->time, f[2]) ||
        !parse_count(f[5], &amount))
        return false;
    e->amount = (int64_t)amount;
    if (v1) {
        if (!from_v1(e, f[3], f[4]))
            return false;
    } else if (!copy(e->kind, sizeof e->kind, f[3]) || !copy(e->subject, sizeof e->subject, f[4]) ||
               (strcmp(f[6], "-") != 0 && !copy(e->card, sizeof e->card, f[6])) ||
               (strcmp(f[6], "-") != 0 && f[6][0] == '\0')) {
        return false;
    }
    /* key=value fields after CARD: r= is the receipt, v= the VAT split; others are for later
     * versions. */
    for (size_t i = 7; i < n && !v1; i++) {
        if (strncmp(f[i], "r=", 2) == 0 && !copy(e->receipt, sizeof e->receipt, f[i] + 2))
            return false;
        if (strncmp(f[i], "v=", 2) == 0 && !copy(e->vat, sizeof e->vat, f[i] + 2))
            return false;
    }
    return pos_journal_entry_valid(e);
}

/* Index of the open entry of S with TXN_ID, or S->n_pending when there is none. */
static size_t index_of(const struct pos_journal_state *s, const char *txn_id)
{
    for (size_t i = s->n_pending; i-- > 0;)
        if (strcmp(s->pending[i].txn_id, txn_id) == 0)
            return i;
    return s->n_pending;
}

/* Opens E in S: a new pending entry, or the new request of one already open (which keeps when it
 * was first begun and whether it was accepted offline). Returns CPN_OK or CPN_ERR_NO_MEMORY. */
static enum cpn_err open_entry(struct pos_journal_state *s, const struct pos_journal_entry *e)
{
    size_t i = index_of(s, e->txn_id);
    if (i < s->n_pending) {
        struct pos_journal_entry *p = &s->pending[i];
        memcpy(p->kind, e->kind, sizeof p->kind);
        memcpy(p->subject, e->subject, sizeof p->subject);
        memcpy(p->card, e->card, sizeof p->card);
        memcpy(p->receipt, e->receipt, sizeof p->receipt);
        memcpy(p->vat, e->vat, sizeof p->vat);
        p->amount = e->amount;
        return CPN_OK;
    }
    if (s->n_pending == s->cap_pending) {
        size_t cap = s->cap_pending == 0 ? 4 : 2 * s->cap_pending;
        void *p = realloc(s->pending, cap * sizeof *s->pending);
        if (p == NULL)
            return CPN_ERR_NO_MEMORY;
        s->pending = p;
        s->cap_pending = cap;
    }
    s->pending[s->n_pending++] = *e;
    return CPN_OK;
}

/* Closes the open entry of S with TXN_ID, if there is one. */
static void close_entry(struct pos_journal_state *s, const char *txn_id)
{
    size_t i = index_of(s, txn_id);
    if (i == s->n_pending)
        return;
    memmove(&s->pending[i], &s->pending[i + 1], (s->n_pending - i - 1) * sizeof *s->pending);
    s->n_pending--;
    s->finished++;
}

/* Marks the open entry of S named by the offline line's fields F (N of them) as accepted
 * offline. Returns false when the line is malformed or its txn is not open. */
static bool parse_offline(char **f, size_t n, struct pos_journal_state *s)
{
    uint64_t discount, campaign;
    if (n < 6 || !pos_journal_txn_id_valid(f[1]) || !time_valid(f[2]) ||
        !parse_count(f[3], &discount) || !parse_count(f[4], &campaign) ||
        (strcmp(f[5], "unsent") != 0 && strcmp(f[5], "maybe") != 0))
        return false;
    size_t i = index_of(s, f[1]);
    if (i == s->n_pending)
        return false;
    struct pos_journal_entry *e = &s->pending[i];
    e->offline = true;
    e->maybe_sent = strcmp(f[5], "maybe") == 0;
    snprintf(e->offline_at, sizeof e->offline_at, "%s", f[2]);
    e->discount_cents = (int64_t)discount;
    e->campaign_id = (int64_t)campaign;
    return true;
}

/* Returns true when the N bytes at P are printable ASCII or tabs. */
static bool printable_line(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c < 0x20 && c != '\t') || c > 0x7e)
            return false;
    }
    return true;
}

/* Reads the header line's fields F (N of them) into S. */
static bool parse_header(char **f, size_t n, struct pos_journal_state *s)
{
    uint64_t version, generation, carried;
    if (n < 5 || !parse_count(f[1], &version) || version < 2 || version > 1000 ||
        !parse_count(f[2], &generation) || !time_valid(f[3]) || !parse_count(f[4], &carried))
        return false;
    if (version >= 3 && (n < 6 || !pos_journal_hash_valid(f[5])))
        return false;
    s->has_header = true;
    s->version = (unsigned)version;
    s->generation = generation;
    s->carried_bytes = carried;
    if (version >= 3) {
        s->chained = true;
        memcpy(s->prev_hash, f[5], POS_HASH_SIZE);
        memcpy(s->last_hash, f[5], POS_HASH_SIZE);
    }
    return true;
}

/* Records the first damage found in S: a sentence for a person. */
__attribute__((format(printf, 2, 3))) static void damaged(struct pos_journal_state *s,
                                                          const char *fmt, ...)
{
    if (s->damaged)
        return;
    s->damaged = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->damage, sizeof s->damage, fmt, ap);
    va_end(ap);
}

/* Checks line number LINENO of a chained journal (the N bytes at LINE, without its newline; its
 * chain fields, when HAS_CHAIN, split off as RECORD_LEN, SEQ and HASH) against the chain of S and
 * ANCHOR, recording the first damage, and moves the chain on to it. */
static void check_chain(struct pos_journal_state *s, const char *line, size_t n, size_t lineno,
                        bool has_chain, size_t record_len, uint64_t seq, const char *hash,
                        const struct pos_journal_anchor *anchor)
{
    if (!has_chain) {
        damaged(s,
                _("Line %zu of the journal has no chain fields: it was altered or put in by "
                  "hand."),
                lineno);
        return;
    }
    if (s->last_seq == 0) {
        s->first_seq = seq;
    } else if (seq != s->last_seq + 1) {
        if (seq > s->last_seq + 1)
            damaged(s,
                    P_("Entry n=%" PRIu64 " (line %zu of the journal) follows entry n=%" PRIu64
                       ": %" PRIu64 " entry before it was deleted.",
                       "Entry n=%" PRIu64 " (line %zu of the journal) follows entry n=%" PRIu64
                       ": %" PRIu64 " entries before it were deleted.",
                       seq - s->last_seq - 1),
                    seq, lineno, s->last_seq, seq - s->last_seq - 1);
        else
            damaged(s,
                    _("Entry n=%" PRIu64 " (line %zu of the journal) follows entry n=%" PRIu64
                      ": entries were put in or moved."),
                    seq, lineno, s->last_seq);
    }
    if (!pos_journal_chain_holds(line, n, record_len, s->last_hash, hash))
        damaged(s,
                _("Entry n=%" PRIu64 " (line %zu of the journal) does not match its SHA-256 "
                  "chain: it or the entry before it was altered."),
                seq, lineno);
    if (anchor != NULL && anchor->seq == seq && strcmp(anchor->hash, hash) != 0)
        damaged(s,
                _("Entry n=%" PRIu64 " (line %zu of the journal) is not the one this till "
                  "recorded in journal.head: it was altered or replaced."),
                seq, lineno);
    s->last_seq = seq;
    memcpy(s->last_hash, hash, POS_HASH_SIZE);
}

/* Reads one complete line (the N bytes at START, without its newline) into OUT; LINE is a work
 * buffer of POS_JOURNAL_LINE_SIZE bytes, E room for an entry. Returns CPN_OK or
 * CPN_ERR_NO_MEMORY. */
static enum cpn_err read_line(struct pos_journal_state *out, const char *start, size_t n,
                              const struct pos_journal_anchor *anchor, char *line,
                              struct pos_journal_entry *e)
{
    out->lines++;
    if (n >= POS_JOURNAL_LINE_SIZE || !printable_line(start, n)) {
        out->skipped++;
        bool torn = n > 0 && start[n - 1] == 0x7f; /* ended by a writer after a crash */
        if (out->chained && !torn)
            damaged(out, _("Line %zu of the journal is not a journal line: it was altered."),
                    out->lines);
        return CPN_OK;
    }
    size_t record = n;
    uint64_t seq = 0;
    char hash[POS_HASH_SIZE];
    bool has_chain = pos_journal_unchain(start, n, &record, &seq, hash);
    memcpy(line, start, record);
    line[record] = '\0';
    char *f[16];
    size_t nf = split(line, f, 16); /* fields past the 16th stay in the last, unread */
    bool ok = false, header = out->lines == 1 && strcmp(f[0], "journal") == 0;
    if (header) {
        ok = parse_header(f, nf, out);
    } else if (out->lines == 1 && has_chain) {
        out->chained = true;
        damaged(out, "%s", _("The journal's first line, its header, is missing: it was deleted."));
    }
    if (out->chained)
        check_chain(out, start, n, out->lines, has_chain, record, seq, hash, anchor);
    enum cpn_err err = CPN_OK;
    if (header) {
        /* read above */
    } else if (strcmp(f[0], "begin") == 0 && parse_begin(f, nf, e)) {
        ok = true;
        err = open_entry(out, e);
    } else if (strcmp(f[0], "offline") == 0) {
        ok = parse_offline(f, nf, out);
    } else if (strcmp(f[0], "finish") == 0 && nf >= 4 && pos_journal_txn_id_valid(f[1]) &&
               pos_journal_outcome_valid(f[3])) {
        ok = true;
        close_entry(out, f[1]);
    }
    if (!ok)
        out->skipped++;
    return err;
}

enum cpn_err pos_journal_parse_anchored(const char *text, size_t len,
                                        const struct pos_journal_anchor *anchor,
                                        struct pos_journal_state *out)
{
    memset(out, 0, sizeof *out);
    out->version = 1;
    char *line = malloc(POS_JOURNAL_LINE_SIZE);
    struct pos_journal_entry *e = malloc(sizeof *e);
    if (line == NULL || e == NULL) {
        free(line);
        free(e);
        return CPN_ERR_NO_MEMORY;
    }
    enum cpn_err err = CPN_OK;
    size_t pos = 0;
    while (err == CPN_OK && pos < len) {
        const char *start = text + pos;
        const char *nl = memchr(start, '\n', len - pos);
        if (nl == NULL)
            break; /* torn by a crash before it was synced: its call was never sent */
        size_t n = (size_t)(nl - start);
        pos += n + 1;
        err = read_line(out, start, n, anchor, line, e);
    }
    free(line);
    free(e);
    if (out->chained && anchor != NULL && anchor->seq > out->last_seq)
        damaged(out,
                _("The journal ends at entry n=%" PRIu64 " but this till recorded entry n=%" PRIu64
                  " (journal.head): the last entries were deleted."),
                out->last_seq, anchor->seq);
    for (size_t i = 0; i < out->n_pending; i++)
        if (out->pending[i].offline)
            out->n_offline++;
    return err;
}

enum cpn_err pos_journal_parse(const char *text, size_t len, struct pos_journal_state *out)
{
    return pos_journal_parse_anchored(text, len, NULL, out);
}

const struct pos_journal_entry *pos_journal_find(const struct pos_journal_state *state,
                                                 const char *txn_id)
{
    size_t i = index_of(state, txn_id);
    return i < state->n_pending ? &state->pending[i] : NULL;
}

void pos_journal_state_free(struct pos_journal_state *state)
{
    if (state == NULL)
        return;
    free(state->pending);
    memset(state, 0, sizeof *state);
}
