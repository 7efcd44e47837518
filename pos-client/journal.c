/* The till's append-only journal ($STATE/journal.log), one tab-separated line per event:
 *
 *   begin<TAB>TXN_ID<TAB>TIME<TAB>KIND<TAB>CODE<TAB>BASKET_CENTS<LF>
 *   finish<TAB>TXN_ID<TAB>TIME<TAB>OUTCOME<LF>
 *
 * TIME is UTC in RFC 3339 ("2026-11-22T20:09:04Z"); KIND is [a-z_]+; CODE and OUTCOME are
 * printable ASCII without tabs; BASKET_CENTS is a decimal integer >= 0. A begin line is written
 * and fsync'ed before the call goes out; a finish line once the service has answered. A begin
 * without a finish is pending: the till did not learn the answer, and a retry of the same
 * KIND, CODE and BASKET_CENTS reuses its TXN_ID. Lines that do not parse are skipped, and a
 * writer that finds the file not ending in a newline (a line torn by a power cut) starts on a
 * new line, so one torn line never hides the next. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "state.h"

/* A journal line: prefix, txn id, time, kind, code, amount, separators and newline. */
#define LINE_SIZE                                                                                  \
    (16 + POS_TXN_ID_MAX + POS_TIME_SIZE + POS_JOURNAL_KIND_MAX + POS_JOURNAL_CODE_MAX +           \
     POS_JOURNAL_OUTCOME_MAX + 32)

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

/* Returns true when S is 1..MAX characters, each in [a-z_] when WORD, else printable ASCII
 * (space to tilde), so it can neither split a field nor a line. */
static bool field_valid(const char *s, size_t max, bool word)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        unsigned char c = (unsigned char)s[n];
        bool ok = word ? ((c >= 'a' && c <= 'z') || c == '_') : (c >= 0x20 && c <= 0x7e);
        if (!ok || n >= max)
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

/* Opens the journal of STATE_DIR for appending (and reading its last byte), creating the directory
 * and the file (0600) when missing (and syncing the directory then, so the new file survives a
 * crash). Returns the descriptor, or -1 with errno set. */
static int open_for_append(const char *state_dir)
{
    char path[4096];
    if (pos_state_mkdir(state_dir) != CPN_OK ||
        pos_state_path(path, sizeof path, state_dir, POS_JOURNAL_FILE) != CPN_OK)
        return -1;
    int fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) /* another pos-client created it meanwhile */
        return open(path, O_RDWR | O_APPEND | O_CLOEXEC);
    if (fd >= 0 && pos_state_sync_dir(state_dir) != CPN_OK) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* Appends LINE (LEN bytes, ending in a newline) to the journal of STATE_DIR and fsyncs it; when
 * the file does not end in a newline, one is written first. Returns CPN_OK or CPN_ERR_IO with
 * errno set. */
static enum cpn_err append_line(const char *state_dir, const char *line, size_t len)
{
    int fd = open_for_append(state_dir);
    if (fd < 0)
        return CPN_ERR_IO;
    struct stat st;
    char last = '\n';
    int rc = fstat(fd, &st);
    if (rc == 0 && st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) != 1)
        rc = -1;
    if (rc == 0 && last != '\n')
        rc = pos_state_write_all(fd, "\n", 1);
    if (rc == 0)
        rc = pos_state_write_all(fd, line, len);
    if (rc == 0)
        rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc == 0 ? CPN_OK : CPN_ERR_IO;
}

enum cpn_err pos_journal_record_begin(const char *state_dir, const char *txn_id, const char *kind,
                                      const char *code, int64_t basket_cents)
{
    if (!pos_journal_txn_id_valid(txn_id) || !field_valid(kind, POS_JOURNAL_KIND_MAX, true) ||
        !field_valid(code, POS_JOURNAL_CODE_MAX, false) || basket_cents < 0)
        return CPN_ERR_BAD_REQUEST;
    char now[POS_TIME_SIZE], line[LINE_SIZE];
    pos_state_now(now);
    int n = snprintf(line, sizeof line, "begin\t%s\t%s\t%s\t%s\t%" PRId64 "\n", txn_id, now, kind,
                     code, basket_cents);
    if (n < 0 || (size_t)n >= sizeof line)
        return CPN_ERR_BAD_REQUEST;
    return append_line(state_dir, line, (size_t)n);
}

enum cpn_err pos_journal_begin(const char *state_dir, const char *kind, const char *code,
                               int64_t basket_cents, char txn_id[POS_TXN_ID_SIZE])
{
    enum cpn_err err = pos_journal_new_txn_id(txn_id);
    if (err == CPN_OK)
        err = pos_journal_record_begin(state_dir, txn_id, kind, code, basket_cents);
    if (err != CPN_OK)
        txn_id[0] = '\0';
    return err;
}

enum cpn_err pos_journal_finish(const char *state_dir, const char *txn_id, const char *outcome)
{
    if (!pos_journal_txn_id_valid(txn_id) || !field_valid(outcome, POS_JOURNAL_OUTCOME_MAX, false))
        return CPN_ERR_BAD_REQUEST;
    char now[POS_TIME_SIZE], line[LINE_SIZE];
    pos_state_now(now);
    int n = snprintf(line, sizeof line, "finish\t%s\t%s\t%s\n", txn_id, now, outcome);
    if (n < 0 || (size_t)n >= sizeof line)
        return CPN_ERR_BAD_REQUEST;
    return append_line(state_dir, line, (size_t)n);
}

/* Splits LINE in place at tabs into at most MAX fields (the newline removed). Returns the number
 * of fields, or MAX + 1 when there are more than MAX. */
static size_t split(char *line, char **fields, size_t max)
{
    line[strcspn(line, "\n")] = '\0';
    size_t n = 0;
    for (char *p = line;; p++) {
        char *tab = strchr(p, '\t');
        if (n == max)
            return max + 1;
        fields[n++] = p;
        if (tab == NULL)
            return n;
        *tab = '\0';
        p = tab;
    }
}

/* The txn ids of matching begin lines not (yet) finished, oldest first. */
struct pending {
    char (*ids)[POS_TXN_ID_SIZE];
    size_t len, cap;
};

/* Adds ID to P. Returns CPN_OK or CPN_ERR_NO_MEMORY. */
static enum cpn_err pending_add(struct pending *p, const char *id)
{
    if (p->len == p->cap) {
        size_t cap = p->cap == 0 ? 8 : 2 * p->cap;
        void *ids = realloc(p->ids, cap * sizeof *p->ids);
        if (ids == NULL)
            return CPN_ERR_NO_MEMORY;
        p->ids = ids;
        p->cap = cap;
    }
    snprintf(p->ids[p->len++], POS_TXN_ID_SIZE, "%s", id);
    return CPN_OK;
}

/* Removes ID from P, if it is there. */
static void pending_remove(struct pending *p, const char *id)
{
    for (size_t i = p->len; i-- > 0;) {
        if (strcmp(p->ids[i], id) == 0) {
            memmove(p->ids[i], p->ids[i + 1], (p->len - i - 1) * sizeof *p->ids);
            p->len--;
        }
    }
}

/* Returns true when TEXT is a decimal integer >= 0 equal to VALUE. */
static bool amount_equals(const char *text, int64_t value)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    return text[0] >= '0' && text[0] <= '9' && errno == 0 && *end == '\0' && v == value;
}

enum cpn_err pos_journal_find_pending(const char *state_dir, const char *kind, const char *code,
                                      int64_t basket_cents, char txn_id[POS_TXN_ID_SIZE])
{
    txn_id[0] = '\0';
    char path[4096];
    if (pos_state_path(path, sizeof path, state_dir, POS_JOURNAL_FILE) != CPN_OK)
        return CPN_ERR_IO;
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return errno == ENOENT ? CPN_ERR_NOT_FOUND : CPN_ERR_IO;
    struct pending p = {0};
    char *line = NULL;
    size_t cap = 0;
    enum cpn_err err = CPN_OK;
    errno = 0;
    while (err == CPN_OK && getline(&line, &cap, f) >= 0) {
        char *fld[6];
        size_t n = split(line, fld, 6);
        if (n == 6 && strcmp(fld[0], "begin") == 0) {
            if (pos_journal_txn_id_valid(fld[1]) && strcmp(fld[3], kind) == 0 &&
                strcmp(fld[4], code) == 0 && amount_equals(fld[5], basket_cents))
                err = pending_add(&p, fld[1]);
        } else if (n == 4 && strcmp(fld[0], "finish") == 0) {
            pending_remove(&p, fld[1]);
        }
    }
    if (err == CPN_OK && ferror(f))
        err = CPN_ERR_IO;
    int e = errno;
    if (err == CPN_OK && p.len == 0)
        err = CPN_ERR_NOT_FOUND;
    if (err == CPN_OK)
        snprintf(txn_id, POS_TXN_ID_SIZE, "%s", p.ids[p.len - 1]);
    free(p.ids);
    free(line);
    fclose(f);
    errno = e;
    return err;
}
