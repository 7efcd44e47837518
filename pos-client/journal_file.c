/* The till journal on disk: the lock every reader and writer takes, durable appends (a header line
 * first in a new file; a torn last line ended so it never parses), loading the pending calls, and
 * compaction (the full file kept in journal.d/ by a hard link, then journal.log replaced
 * atomically by a new generation holding only the pending entries). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal_file.h"

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
    size_t n = pos_journal_format_header(1, now, 0, header);
    if (pos_state_write_all(fd, header, n) != 0 || fsync(fd) != 0 ||
        pos_state_sync_dir(state_dir) != CPN_OK) {
        close_keep_errno(fd);
        return -1;
    }
    return fd;
}

/* Appends LINE (LEN bytes, ending in a newline) to the journal of STATE_DIR under its lock and
 * fsyncs it; a last line without its newline (torn by a crash) is first ended with DEL and a
 * newline, so it never parses. Returns CPN_OK or CPN_ERR_IO with errno set. */
static enum cpn_err append_line(const char *state_dir, const char *line, size_t len)
{
    if (pos_state_mkdir(state_dir) != CPN_OK)
        return CPN_ERR_IO;
    int lock = lock_journal(state_dir, LOCK_EX);
    if (lock < 0)
        return CPN_ERR_IO;
    int fd = open_for_append(state_dir);
    if (fd < 0) {
        close_keep_errno(lock);
        return CPN_ERR_IO;
    }
    struct stat st;
    char last = '\n';
    int rc = fstat(fd, &st);
    if (rc == 0 && st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) != 1)
        rc = -1;
    if (rc == 0 && last != '\n')
        rc = pos_state_write_all(fd, "\x7f\n", 2);
    if (rc == 0)
        rc = pos_state_write_all(fd, line, len);
    if (rc == 0)
        rc = fsync(fd);
    close_keep_errno(fd);
    close_keep_errno(lock);
    return rc == 0 ? CPN_OK : CPN_ERR_IO;
}

enum cpn_err pos_journal_record_begin(const char *state_dir, struct pos_journal_entry *e)
{
    char line[POS_JOURNAL_LINE_SIZE];
    pos_state_now(e->time);
    size_t n = pos_journal_format_begin(e, line);
    if (n == 0)
        return CPN_ERR_BAD_REQUEST;
    return append_line(state_dir, line, n);
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

enum cpn_err pos_journal_finish(const char *state_dir, const char *txn_id, const char *outcome)
{
    char now[POS_TIME_SIZE], line[POS_JOURNAL_LINE_SIZE];
    pos_state_now(now);
    size_t n = pos_journal_format_finish(txn_id, now, outcome, line);
    if (n == 0)
        return CPN_ERR_BAD_REQUEST;
    return append_line(state_dir, line, n);
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
    char *text;
    size_t len;
    enum cpn_err err = read_journal(state_dir, &text, &len, &st);
    close_keep_errno(lock);
    if (err == CPN_OK)
        err = pos_journal_parse(text != NULL ? text : "", len, out);
    free(text);
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
            return pos_state_sync_dir(dir);
        struct stat there;
        if (errno != EEXIST || stat(name, &there) != 0)
            return CPN_ERR_IO;
        if (there.st_ino == live.st_ino && there.st_dev == live.st_dev)
            return pos_state_sync_dir(dir); /* linked by a compaction that crashed after it */
    }
    errno = EEXIST;
    return CPN_ERR_IO;
}

/* The text of generation GENERATION + 1 of a journal whose pending entries are in S: the header,
 * then one begin line per pending entry. Returns it (the caller frees it) with its length in
 * *LEN, or NULL when out of memory. */
static char *next_generation(const struct pos_journal_state *s, uint64_t generation, size_t *len)
{
    size_t cap = POS_JOURNAL_LINE_SIZE * (s->n_pending + 1);
    char *text = malloc(cap), *line = malloc(POS_JOURNAL_LINE_SIZE);
    if (text == NULL || line == NULL) {
        free(text);
        free(line);
        return NULL;
    }
    size_t carried = 0;
    for (size_t i = 0; i < s->n_pending; i++) {
        size_t n = pos_journal_format_begin(&s->pending[i], line);
        memcpy(text + POS_JOURNAL_LINE_SIZE + carried, line, n); /* after room for the header */
        carried += n;
    }
    char now[POS_TIME_SIZE];
    pos_state_now(now);
    size_t h = pos_journal_format_header(generation + 1, now, carried, line);
    memmove(text + h, text + POS_JOURNAL_LINE_SIZE, carried);
    memcpy(text, line, h);
    free(line);
    *len = h + carried;
    return text;
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
    char *text = NULL, *next = NULL;
    size_t len, next_len = 0;
    struct pos_journal_state s = {0};
    enum cpn_err err = read_journal(state_dir, &text, &len, &st);
    if (err == CPN_OK)
        err = pos_journal_parse(text != NULL ? text : "", len, &s);
    bool due = err == CPN_OK && text != NULL && (long long)len > max_bytes &&
               (!s.has_header || len / 2 > s.carried_bytes);
    if (due) {
        next = next_generation(&s, s.generation, &next_len);
        if (next == NULL)
            err = CPN_ERR_NO_MEMORY;
    }
    if (due && err == CPN_OK)
        err = archive(state_dir, path, s.generation);
    if (due && err == CPN_OK)
        err = pos_state_write_atomic(state_dir, POS_JOURNAL_FILE, next, next_len);
    if (due && err == CPN_OK)
        *compacted = true;
    free(text);
    free(next);
    pos_journal_state_free(&s);
    close_keep_errno(lock);
    return err;
}
