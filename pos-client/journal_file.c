/* The till journal on disk: the lock every reader and writer takes, durable chained appends (a
 * header line first in a new file; a torn last line ended so it never parses; each line chained
 * after the last one, an older file rotated out first), loading the open calls with the chain
 * checked against journal.head, and compaction (the full file kept in journal.d/ by a hard link,
 * then journal.log replaced atomically by a new generation holding only the open entries, chained
 * on). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coupon/file.h"
#include "pos/journal_chain.h"
#include "pos/journal_file.h"
#include "pos/journal_head.h"

/* Opens and locks (flock HOW: LOCK_SH or LOCK_EX) the journal's lock file in STATE_DIR, which
 * must exist. Returns the descriptor (closing it unlocks), or -1 with errno set. */
static int lock_journal(const char *state_dir, int how)
{
    char path[4096];
    if (pos_state_path(path, sizeof path, state_dir, POS_JOURNAL_LOCK_FILE) != CPN_OK)
        return -1;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    while (flock(fd, how) != 0) {
        if (errno != EINTR) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
    }
    return fd;
}

/* Closes FD (a lock or a file) keeping errno. */
static void close_keep_errno(int fd)
{
    int e = errno;
    if (fd >= 0)
        close(fd);
    errno = e;
}

/* Opens the journal of STATE_DIR for appending (and reading its last byte), creating it (0600)
 * with its header line when missing and syncing the directory then, so the new file survives a
 * crash. The caller holds the lock. Returns the descriptor, or -1 with errno set. */
static int open_for_append(const char *state_dir)
{
    char path[4096];
    if (pos_state_path(path, sizeof path, state_dir, POS_JOURNAL_FILE) != CPN_OK)
        return -1;
    int fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    char now[POS_TIME_SIZE], header[POS_JOURNAL_LINE_SIZE];
    pos_state_now(now);
    size_t n = pos_journal_format_header(1, now, 0, NULL, header);
    n = pos_journal_chain(header, n, 1, pos_journal_zero_hash, NULL);
    if (cpn_file_write_all(fd, header, n) != 0 || fsync(fd) != 0 ||
        cpn_file_sync_dir(state_dir) != CPN_OK) {
        close_keep_errno(fd);
        return -1;
    }
    return fd;
}

/* Reads the whole file FD into *TEXT (the caller frees it) and its length into *LEN. Returns
 * CPN_OK, CPN_ERR_IO with errno set, or CPN_ERR_NO_MEMORY. */
static enum cpn_err read_all(int fd, char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    size_t cap = 0;
    for (;;) {
        if (cap - *len < 4096) {
            size_t want = cap == 0 ? 65536 : 2 * cap;
            char *p = realloc(*text, want);
            if (p == NULL) {
                free(*text);
                *text = NULL;
                return CPN_ERR_NO_MEMORY;
            }
            *text = p;
            cap = want;
        }
        ssize_t n = read(fd, *text + *len, cap - *len);
        if (n == 0)
            return CPN_OK;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            free(*text);
            *text = NULL;
            return CPN_ERR_IO;
        }
        *len += (size_t)n;
    }
}

/* Opens the journal of STATE_DIR for reading and reads it whole into *TEXT and *LEN (NULL and
 * 0 when there is none) and its status into *ST. The caller holds the lock. Returns as
 * read_all(). */
static enum cpn_err read_journal(const char *state_dir, char **text, size_t *len, struct stat *st)
{
    char path[4096];
    *text = NULL;
    *len = 0;
    memset(st, 0, sizeof *st);
    if (pos_state_path(path, sizeof path, state_dir, POS_JOURNAL_FILE) != CPN_OK)
        return CPN_ERR_IO;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? CPN_OK : CPN_ERR_IO;
    enum cpn_err err = fstat(fd, st) == 0 ? read_all(fd, text, len) : CPN_ERR_IO;
    close_keep_errno(fd);
    return err;
}

/* Reads the journal of STATE_DIR with the anchor in journal.head into *OUT (see
 * pos_journal_load()). The caller holds the lock (or cannot take it). */
static enum cpn_err load_locked(const char *state_dir, struct pos_journal_state *out)
{
    struct pos_journal_anchor anchor;
    enum cpn_err head = pos_journal_head_read(state_dir, &anchor);
    if (head == CPN_ERR_IO)
        return CPN_ERR_IO;
    char *text;
    size_t len;
    struct stat st;
    enum cpn_err err = read_journal(state_dir, &text, &len, &st);
    if (err == CPN_OK)
        err = pos_journal_parse_anchored(text != NULL ? text : "", len,
                                         head == CPN_OK && anchor.seq > 0 ? &anchor : NULL, out);
    bool missing = text == NULL;
    free(text);
    if (err != CPN_OK)
        return err;
    if (head == CPN_ERR_MALFORMED_CODE && !out->damaged) {
        out->damaged = true;
        snprintf(out->damage, sizeof out->damage,
                 "journal.head, which anchors the journal's last entries, was altered.");
    } else if (missing && head == CPN_OK && anchor.seq > 0 && !out->damaged) {
        out->chained = out->damaged = true;
        snprintf(out->damage, sizeof out->damage,
                 "journal.log is missing although this till recorded entry n=%" PRIu64
                 " in it (journal.head): it was deleted.",
                 anchor.seq);
    }
    return CPN_OK;
}

enum cpn_err pos_journal_load(const char *state_dir, struct pos_journal_state *out)
{
    memset(out, 0, sizeof *out);
    out->version = 1;
    struct stat st;
    if (stat(state_dir, &st) != 0 && errno == ENOENT)
        return CPN_OK; /* no state yet: nothing journaled */
    int lock = lock_journal(state_dir, LOCK_SH);
    if (lock < 0 && errno != EACCES && errno != EROFS && errno != EPERM)
        return CPN_ERR_IO; /* (a state directory this user cannot write is read unlocked) */
    enum cpn_err err = load_locked(state_dir, out);
    close_keep_errno(lock);
    return err;
}

/* Keeps the journal file PATH as a hard link in STATE_DIR/journal.d named after GENERATION
 * (with a suffix when that name holds another file already), then syncs that directory. Returns
 * CPN_OK or CPN_ERR_IO with errno set. */
static enum cpn_err archive(const char *state_dir, const char *path, uint64_t generation)
{
    char dir[4096], name[4096];
    if (pos_state_path(dir, sizeof dir, state_dir, POS_JOURNAL_ARCHIVE_DIR) != CPN_OK ||
        pos_state_mkdir(dir) != CPN_OK)
        return CPN_ERR_IO;
    struct stat live;
    if (stat(path, &live) != 0)
        return CPN_ERR_IO;
    for (unsigned k = 0; k < 100; k++) {
        int n = k == 0 ? snprintf(name, sizeof name, "%s/journal-%" PRIu64 ".log", dir, generation)
                       : snprintf(name, sizeof name, "%s/journal-%" PRIu64 "-%u.log", dir,
                                  generation, k);
        if (n < 0 || (size_t)n >= sizeof name) {
            errno = ENAMETOOLONG;
            return CPN_ERR_IO;
        }
        if (link(path, name) == 0)
            return cpn_file_sync_dir(dir);
        struct stat there;
        if (errno != EEXIST || stat(name, &there) != 0)
            return CPN_ERR_IO;
        if (there.st_ino == live.st_ino && there.st_dev == live.st_dev)
            return cpn_file_sync_dir(dir); /* linked by a compaction that crashed after it */
    }
    errno = EEXIST;
    return CPN_ERR_IO;
}

/* The text of the generation after the journal S: the header, then for each open entry its
 * begin line and, when accepted offline, its offline line, all chained on from S's last line (or
 * from scratch for an older, unchained journal). Returns it (the caller frees it) with its length
 * in *LEN and its last line in *LAST, or NULL when out of memory. */
static char *next_generation(const struct pos_journal_state *s, size_t *len,
                             struct pos_journal_anchor *last)
{
    size_t cap = POS_JOURNAL_LINE_SIZE * (2 * s->n_pending + 1);
    char *lines = malloc(cap), *text = malloc(cap), *line = malloc(POS_JOURNAL_LINE_SIZE);
    if (lines == NULL || text == NULL || line == NULL) {
        free(lines);
        free(text);
        free(line);
        return NULL;
    }
    /* The carried lines first (the header names their size), then chained behind the header. */
    size_t carried = 0;
    for (size_t i = 0; i < s->n_pending; i++) {
        carried += pos_journal_format_begin(&s->pending[i], lines + carried);
        if (s->pending[i].offline)
            carried += pos_journal_format_offline(&s->pending[i], lines + carried);
    }
    const char *prev = s->chained ? s->last_hash : pos_journal_zero_hash;
    uint64_t seq = s->chained ? s->last_seq : 0;
    char now[POS_TIME_SIZE], hash[POS_HASH_SIZE];
    pos_state_now(now);
    size_t n = pos_journal_format_header(s->generation + 1, now, carried, prev, line);
    n = pos_journal_chain(line, n, ++seq, prev, hash);
    memcpy(text, line, n);
    size_t out = n;
    for (size_t p = 0; p < carried; p += n) {
        const char *nl = memchr(lines + p, '\n', carried - p);
        n = (size_t)(nl - (lines + p)) + 1;
        memcpy(line, lines + p, n);
        size_t m = pos_journal_chain(line, n, ++seq, hash, hash);
        memcpy(text + out, line, m);
        out += m;
    }
    free(lines);
    free(line);
    *len = out;
    last->seq = seq;
    memcpy(last->hash, hash, POS_HASH_SIZE);
    return text;
}

/* Rotates the journal of STATE_DIR (whose text TEXT of LEN bytes was read as S) out to journal.d
 * and replaces it by the next generation, then anchors journal.head at its last line. The caller
 * holds the lock. Returns CPN_OK; CPN_ERR_IO with errno set (the journal is then as it was);
 * CPN_ERR_NO_MEMORY. */
static enum cpn_err rotate(const char *state_dir, const struct pos_journal_state *s)
{
    char path[4096];
    if (pos_state_path(path, sizeof path, state_dir, POS_JOURNAL_FILE) != CPN_OK)
        return CPN_ERR_IO;
    size_t next_len = 0;
    struct pos_journal_anchor last;
    char *next = next_generation(s, &next_len, &last);
    if (next == NULL)
        return CPN_ERR_NO_MEMORY;
    enum cpn_err err = archive(state_dir, path, s->generation);
    if (err == CPN_OK)
        err = cpn_file_replace(state_dir, POS_JOURNAL_FILE, next, next_len, 0600, false);
    if (err == CPN_OK)
        err = pos_journal_head_write(state_dir, &last);
    free(next);
    return err;
}

/* Makes sure the journal of STATE_DIR is of the current version before a line is appended: an
 * older (unchained) one is rotated out, its pending entries carried into a chained generation.
 * The caller holds the lock. Returns as rotate(). */
static enum cpn_err upgrade(const char *state_dir, int fd)
{
    char first[16] = "";
    ssize_t n = pread(fd, first, sizeof first - 1, 0);
    if (n < 0)
        return CPN_ERR_IO;
    first[n] = '\0';
    if (strncmp(first, "journal\t", 8) == 0 && first[8] >= '3' && first[8] <= '9')
        return CPN_OK;
    char *text;
    size_t len;
    struct stat st;
    struct pos_journal_state s;
    enum cpn_err err = read_journal(state_dir, &text, &len, &st);
    if (err == CPN_OK)
        err = pos_journal_parse(text != NULL ? text : "", len, &s);
    else
        memset(&s, 0, sizeof s);
    if (err == CPN_OK)
        err = rotate(state_dir, &s);
    free(text);
    pos_journal_state_free(&s);
    return err;
}

/* Finds the last chained line of the journal FD (SIZE bytes) into *POINT: a window at its end is
 * read, the whole file when the window holds none. *POINT stays as it is when there is none. */
static enum cpn_err last_chained(int fd, off_t size, struct pos_journal_anchor *point)
{
    enum { WINDOW = 4 * POS_JOURNAL_LINE_SIZE };
    for (int pass = 0; pass < 2; pass++) {
        size_t want = pass == 0 && size > WINDOW ? WINDOW : (size_t)size;
        off_t from = size - (off_t)want;
        char *buf = malloc(want + 1);
        if (buf == NULL)
            return CPN_ERR_NO_MEMORY;
        size_t got = 0;
        while (got < want) {
            ssize_t n = pread(fd, buf + got, want - got, from + (off_t)got);
            if (n <= 0) {
                free(buf);
                if (n == 0)
                    errno = EIO;
                return CPN_ERR_IO;
            }
            got += (size_t)n;
        }
        /* Complete lines only, from the last one back; the first may be cut by the window. */
        size_t end = got;
        while (end > 0 && buf[end - 1] != '\n')
            end--;
        while (end > 0) {
            size_t start = end - 1;
            while (start > 0 && buf[start - 1] != '\n')
                start--;
            size_t record, n = end - 1 - start;
            uint64_t seq;
            char hash[POS_HASH_SIZE];
            if ((start > 0 || from == 0) && n > 0 && buf[start + n - 1] != 0x7f &&
                pos_journal_unchain(buf + start, n, &record, &seq, hash)) {
                point->seq = seq;
                memcpy(point->hash, hash, POS_HASH_SIZE);
                free(buf);
                return CPN_OK;
            }
            end = start;
        }
        free(buf);
        if (from == 0)
            break;
    }
    return CPN_OK;
}

/* Appends RECORD (LEN bytes, ending in a newline) to the journal of STATE_DIR under its lock,
 * chained after its last line, and fsyncs it (unless LAZY); then, when ANCHOR, records it in
 * journal.head. An
 * older journal is rotated out first; a last line without its newline (torn by a crash) is first
 * ended with DEL and a newline, so it never parses. Returns CPN_OK, CPN_ERR_BAD_REQUEST when the
 * chained line does not fit, CPN_ERR_IO with errno set, or CPN_ERR_NO_MEMORY. */
static enum cpn_err append_record(const char *state_dir, const char *record, size_t len,
                                  bool anchor, bool lazy)
{
    if (pos_state_mkdir(state_dir) != CPN_OK)
        return CPN_ERR_IO;
    int lock = lock_journal(state_dir, LOCK_EX);
    if (lock < 0)
        return CPN_ERR_IO;
    int fd = open_for_append(state_dir);
    enum cpn_err err = fd < 0 ? CPN_ERR_IO : upgrade(state_dir, fd);
    if (err == CPN_OK) {
        close(fd); /* a rotation replaced the file */
        fd = open_for_append(state_dir);
        err = fd < 0 ? CPN_ERR_IO : CPN_OK;
    }
    struct stat st;
    struct pos_journal_anchor point = {.seq = 0};
    memcpy(point.hash, pos_journal_zero_hash, POS_HASH_SIZE);
    char last = '\n';
    if (err == CPN_OK && fstat(fd, &st) != 0)
        err = CPN_ERR_IO;
    if (err == CPN_OK && st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) != 1)
        err = CPN_ERR_IO;
    if (err == CPN_OK)
        err = last_chained(fd, st.st_size, &point);
    char *line = err == CPN_OK ? malloc(POS_JOURNAL_LINE_SIZE) : NULL;
    if (err == CPN_OK && line == NULL)
        err = CPN_ERR_NO_MEMORY;
    size_t n = 0;
    if (err == CPN_OK) {
        memcpy(line, record, len);
        n = pos_journal_chain(line, len, point.seq + 1, point.hash, point.hash);
        point.seq++;
        if (n == 0)
            err = CPN_ERR_BAD_REQUEST;
    }
    if (err == CPN_OK && last != '\n' && cpn_file_write_all(fd, "\x7f\n", 2) != 0)
        err = CPN_ERR_IO;
    if (err == CPN_OK && (cpn_file_write_all(fd, line, n) != 0 || (!lazy && fsync(fd) != 0)))
        err = CPN_ERR_IO;
    if (err == CPN_OK && anchor)
        err = pos_journal_head_write(state_dir, &point);
    free(line);
    if (fd >= 0)
        close_keep_errno(fd);
    close_keep_errno(lock);
    return err;
}

enum cpn_err pos_journal_record_begin(const char *state_dir, struct pos_journal_entry *e)
{
    char line[POS_JOURNAL_LINE_SIZE];
    pos_state_now(e->time);
    size_t n = pos_journal_format_begin(e, line);
    if (n == 0)
        return CPN_ERR_BAD_REQUEST;
    return append_record(state_dir, line, n, false, false);
}

enum cpn_err pos_journal_begin(const char *state_dir, struct pos_journal_entry *e)
{
    enum cpn_err err = pos_journal_new_txn_id(e->txn_id);
    if (err == CPN_OK)
        err = pos_journal_record_begin(state_dir, e);
    if (err != CPN_OK)
        e->txn_id[0] = '\0';
    return err;
}

enum cpn_err pos_journal_record_offline(const char *state_dir, struct pos_journal_entry *e)
{
    char line[POS_JOURNAL_LINE_SIZE];
    e->offline = true;
    pos_state_now(e->offline_at);
    size_t n = pos_journal_format_offline(e, line);
    enum cpn_err err =
        n == 0 ? CPN_ERR_BAD_REQUEST : append_record(state_dir, line, n, true, false);
    if (err != CPN_OK)
        e->offline = false;
    return err;
}

enum cpn_err pos_journal_finish(const char *state_dir, const char *txn_id, const char *outcome,
                                bool lazy)
{
    char now[POS_TIME_SIZE], line[POS_JOURNAL_LINE_SIZE];
    pos_state_now(now);
    size_t n = pos_journal_format_finish(txn_id, now, outcome, line);
    if (n == 0)
        return CPN_ERR_BAD_REQUEST;
    return append_record(state_dir, line, n, false, lazy);
}

enum cpn_err pos_journal_flush(const char *state_dir)
{
    char path[4096];
    if (pos_state_path(path, sizeof path, state_dir, POS_JOURNAL_FILE) != CPN_OK)
        return CPN_ERR_IO;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? CPN_OK : CPN_ERR_IO;
    int rc = fsync(fd);
    close_keep_errno(fd);
    return rc == 0 ? CPN_OK : CPN_ERR_IO;
}

enum cpn_err pos_journal_compact(const char *state_dir, long max_bytes, bool *compacted)
{
    bool dummy;
    if (compacted == NULL)
        compacted = &dummy;
    *compacted = false;
    char path[4096];
    struct stat st;
    if (pos_state_path(path, sizeof path, state_dir, POS_JOURNAL_FILE) != CPN_OK)
        return CPN_ERR_IO;
    if (stat(path, &st) != 0)
        return errno == ENOENT ? CPN_OK : CPN_ERR_IO;
    if (st.st_size <= max_bytes)
        return CPN_OK; /* the common case: no lock, no read */
    int lock = lock_journal(state_dir, LOCK_EX);
    if (lock < 0)
        return CPN_ERR_IO;
    struct pos_journal_state s;
    enum cpn_err err = load_locked(state_dir, &s);
    if (err == CPN_OK && stat(path, &st) != 0)
        err = CPN_ERR_IO;
    /* A damaged journal is left as it is, for an operator: a new generation would hide it. */
    bool due = err == CPN_OK && !s.damaged && (long long)st.st_size > max_bytes &&
               (!s.has_header || (uint64_t)st.st_size / 2 > s.carried_bytes);
    if (due)
        err = rotate(state_dir, &s);
    if (due && err == CPN_OK)
        *compacted = true;
    pos_journal_state_free(&s);
    close_keep_errno(lock);
    return err;
}
