/* The till journal's record format. A journal ($STATE/journal.log) is text, one tab-separated
 * record per line:
 *
 *   journal<TAB>2<TAB>GENERATION<TAB>TIME<TAB>CARRIED_BYTES<LF>              (the first line)
 *   begin<TAB>TXN_ID<TAB>TIME<TAB>KIND<TAB>SUBJECT<TAB>AMOUNT<TAB>CARD<LF>
 *   finish<TAB>TXN_ID<TAB>TIME<TAB>OUTCOME<LF>
 *
 * TIME is UTC in RFC 3339 ("2026-11-22T20:09:04Z"). KIND is [a-z_]+ ("redeem", "earn", "burn",
 * "void", "card_void"); SUBJECT is the coupon code as sent, the card's short form, or the id
 * voided; AMOUNT is a decimal integer >= 0 (basket cents, points, 0); CARD is the card sent with a
 * redemption, "-" for none. SUBJECT, CARD and OUTCOME are printable ASCII without tabs. A begin
 * line is on disk (fsync'ed) before the call goes out; a finish line once the service has given a
 * definite answer. A txn whose last line is a begin is pending: the till does not know whether the
 * service booked it, and only an explicit retry under the same txn id (which the service answers
 * at most once) settles it; a new call never takes an old txn id.
 *
 * The header names the generation: compaction (journal_file.c) moves a full journal to
 * journal.d/journal-GENERATION.log and starts generation + 1 with the pending begin lines carried
 * over (CARRIED_BYTES of them). A reader keys records by txn id, so an entry carried into a new
 * generation is the same entry. Records may grow fields at their end (a later version's hash
 * chain, an offline time): readers ignore fields after the ones they know. A chained version
 * would hash each line with the one before and start each generation's header with the hash of
 * the last line of the generation it archived, so journal.d/ and journal.log stay one chain;
 * every writer already holds journal.lock and fsyncs each line before it acts on it. Version 1
 * files have no header and six-field begin lines whose CODE was "TEXT card CARD", "redemption N" or
 * "card transaction N"; they are read too. A line without its newline at the end of the text was
 * torn by a crash before it was synced (its call was never sent) and is skipped; a writer that
 * finds one ends it with DEL and a newline, so it can never be read as a record. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "journal.h"

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
           e->amount >= 0;
}

bool pos_journal_outcome_valid(const char *outcome)
{
    return field_valid(outcome, 1, POS_JOURNAL_OUTCOME_MAX, PRINTABLE);
}

bool pos_journal_same_request(const struct pos_journal_entry *a, const struct pos_journal_entry *b)
{
    return strcmp(a->kind, b->kind) == 0 && strcmp(a->subject, b->subject) == 0 &&
           a->amount == b->amount && strcmp(a->card, b->card) == 0;
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
    return fitted(snprintf(buf, POS_JOURNAL_LINE_SIZE, "begin\t%s\t%s\t%s\t%s\t%" PRId64 "\t%s\n",
                           e->txn_id, e->time, e->kind, e->subject, e->amount,
                           e->card[0] != '\0' ? e->card : "-"));
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

size_t pos_journal_format_header(uint64_t generation, const char *time, uint64_t carried_bytes,
                                 char *buf)
{
    return fitted(snprintf(buf, POS_JOURNAL_LINE_SIZE,
                           "journal\t%d\t%" PRIu64 "\t%s\t%" PRIu64 "\n", POS_JOURNAL_VERSION,
                           generation, time, carried_bytes));
}

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
    return pos_journal_entry_valid(e);
}

/* Index of the pending entry of S with TXN_ID, or S->n_pending when there is none. */
static size_t index_of(const struct pos_journal_state *s, const char *txn_id)
{
    for (size_t i = s->n_pending; i-- > 0;)
        if (strcmp(s->pending[i].txn_id, txn_id) == 0)
            return i;
    return s->n_pending;
}

/* Opens E in S: a new pending entry, or the new request of one already pending. Returns CPN_OK
 * or CPN_ERR_NO_MEMORY. */
static enum cpn_err open_entry(struct pos_journal_state *s, const struct pos_journal_entry *e)
{
    size_t i = index_of(s, e->txn_id);
    if (i < s->n_pending) {
        char first[POS_TIME_SIZE];
        memcpy(first, s->pending[i].time, sizeof first);
        s->pending[i] = *e;
        memcpy(s->pending[i].time, first, sizeof first); /* when it was first begun */
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

/* Closes the pending entry of S with TXN_ID, if there is one. */
static void close_entry(struct pos_journal_state *s, const char *txn_id)
{
    size_t i = index_of(s, txn_id);
    if (i == s->n_pending)
        return;
    memmove(&s->pending[i], &s->pending[i + 1], (s->n_pending - i - 1) * sizeof *s->pending);
    s->n_pending--;
    s->finished++;
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
        !parse_count(f[2], &generation) || !field_valid(f[3], 1, POS_TIME_SIZE - 1, NO_BLANK) ||
        !parse_count(f[4], &carried))
        return false;
    s->has_header = true;
    s->version = (unsigned)version;
    s->generation = generation;
    s->carried_bytes = carried;
    return true;
}

enum cpn_err pos_journal_parse(const char *text, size_t len, struct pos_journal_state *out)
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
        out->lines++;
        if (n >= POS_JOURNAL_LINE_SIZE || !printable_line(start, n)) {
            out->skipped++;
            continue;
        }
        memcpy(line, start, n);
        line[n] = '\0';
        char *f[8];
        size_t nf = split(line, f, 8);
        bool ok = false;
        if (strcmp(f[0], "begin") == 0 && parse_begin(f, nf, e)) {
            ok = true;
            err = open_entry(out, e);
        } else if (strcmp(f[0], "finish") == 0 && nf >= 4 && pos_journal_txn_id_valid(f[1]) &&
                   pos_journal_outcome_valid(f[3])) {
            ok = true;
            close_entry(out, f[1]);
        } else if (strcmp(f[0], "journal") == 0 && out->lines == 1) {
            ok = parse_header(f, nf, out);
        }
        if (!ok)
            out->skipped++;
    }
    free(line);
    free(e);
    return err;
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
