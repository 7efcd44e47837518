/* The till's ledger: every generation of its journal read back into one entry per txn with the
 * service's last definite answer to it, parsed from the finish lines' outcomes ("redeemed ID
 * STATUS d= c= at= off", "earn ID STATUS p= at=", "voided r=ID d= c= at=", "offline_conflict 409
 * d= c=", ...), and the calls still waiting offline. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pos/journal_file.h"
#include "pos/journal_ledger.h"

/* The FNV-1a hash of S. */
static size_t hash_of(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return (size_t)h;
}

/* Rebuilds L's index with room for twice its ops. Returns false when out of memory. */
static bool reindex(struct pos_ledger *l)
{
    size_t cap = 64;
    while (cap < 2 * (l->n + 1))
        cap *= 2;
    size_t *index = malloc(cap * sizeof *index);
    if (index == NULL)
        return false;
    for (size_t i = 0; i < cap; i++)
        index[i] = SIZE_MAX;
    for (size_t i = 0; i < l->n; i++) {
        size_t k = hash_of(l->ops[i].txn_id) & (cap - 1);
        while (index[k] != SIZE_MAX)
            k = (k + 1) & (cap - 1);
        index[k] = i;
    }
    free(l->index);
    l->index = index;
    l->index_cap = cap;
    return true;
}

/* Returns L's op for TXN, adding an empty one when CREATE (NULL when there is none, or when out
 * of memory). */
static struct pos_ledger_op *op_for(struct pos_ledger *l, const char *txn, bool create)
{
    if (l->index_cap > 0) {
        size_t k = hash_of(txn) & (l->index_cap - 1);
        for (; l->index[k] != SIZE_MAX; k = (k + 1) & (l->index_cap - 1))
            if (strcmp(l->ops[l->index[k]].txn_id, txn) == 0)
                return &l->ops[l->index[k]];
    }
    if (!create || !pos_journal_txn_id_valid(txn))
        return NULL;
    if (l->n == l->cap) {
        size_t cap = l->cap == 0 ? 64 : 2 * l->cap;
        void *p = realloc(l->ops, cap * sizeof *l->ops);
        if (p == NULL)
            return NULL;
        l->ops = p;
        l->cap = cap;
    }
    struct pos_ledger_op *op = &l->ops[l->n++];
    memset(op, 0, sizeof *op);
    snprintf(op->txn_id, sizeof op->txn_id, "%s", txn);
    if (2 * l->n > l->index_cap) {
        if (!reindex(l)) { /* indexes every op, this one too */
            l->n--;
            return NULL;
        }
        return op;
    }
    size_t k = hash_of(txn) & (l->index_cap - 1);
    while (l->index[k] != SIZE_MAX)
        k = (k + 1) & (l->index_cap - 1);
    l->index[k] = l->n - 1;
    return op;
}

/* Reads the decimal integer (optionally negative) TEXT into *V. Returns false when it is not
 * one of at most 18 digits. */
static bool read_int(const char *text, int64_t *v)
{
    bool neg = text[0] == '-';
    const char *d = text + neg;
    size_t n = strlen(d);
    if (n == 0 || n > 18 || strspn(d, "0123456789") != n)
        return false;
    *v = 0;
    for (size_t i = 0; i < n; i++)
        *v = *v * 10 + (d[i] - '0');
    if (neg)
        *v = -*v;
    return true;
}

/* Applies the outcome OUTCOME of a finish line at TIME to OP. */
static void apply_outcome(struct pos_ledger_op *op, char *outcome, const char *time)
{
    char *words[12] = {NULL};
    size_t n = 0;
    for (char *w = outcome; n < 12 && w != NULL;) {
        words[n++] = w;
        char *sp = strchr(w, ' ');
        if (sp != NULL)
            *sp++ = '\0';
        w = sp;
    }
    const char *first = words[0];
    int64_t v;
    op->what = POS_LEDGER_OTHER;
    op->offline = false;
    snprintf(op->at, sizeof op->at, "%s", time);
    bool card = strcmp(op->kind, "card_void") == 0;
    if (strcmp(first, "redeemed") == 0 && n >= 3 && read_int(words[1], &op->id)) {
        op->what = POS_LEDGER_REDEEMED;
    } else if ((strcmp(first, "earn") == 0 || strcmp(first, "burn") == 0) && n >= 3 &&
               read_int(words[1], &op->id)) {
        op->what = first[0] == 'e' ? POS_LEDGER_EARNED : POS_LEDGER_BURNED;
    } else if (strcmp(first, "voided") == 0) {
        op->what = card ? POS_LEDGER_CARD_VOIDED : POS_LEDGER_VOIDED;
        if (!card)
            op->discount_cents = -1; /* unknown unless the answer said */
    } else if (strcmp(first, "offline_conflict") == 0) {
        op->what = POS_LEDGER_CONFLICT;
        return; /* counted on its offline time, with what the till gave */
    } else {
        return;
    }
    for (size_t i = 1; i < n; i++) {
        const char *w = words[i];
        if (strncmp(w, "at=", 3) == 0 && w[3] != '\0')
            snprintf(op->at, sizeof op->at, "%s", w + 3);
        else if (strcmp(w, "off") == 0)
            op->offline = true;
        else if (strncmp(w, "d=", 2) == 0 && read_int(w + 2, &v))
            op->discount_cents = v;
        else if (strncmp(w, "c=", 2) == 0 && read_int(w + 2, &v))
            op->campaign_id = v;
        else if (strncmp(w, "p=", 2) == 0 && read_int(w + 2, &v))
            op->points = v;
        else if ((strncmp(w, "r=", 2) == 0 || strncmp(w, "t=", 2) == 0) && read_int(w + 2, &v))
            op->ref = v;
    }
}

/* Applies one record (F: its N fields) to L. Returns false when out of memory. */
static bool apply_record(struct pos_ledger *l, char **f, size_t n)
{
    if (n < 4)
        return true;
    int64_t v;
    if (strcmp(f[0], "begin") == 0 && n >= 6) {
        struct pos_ledger_op *op = op_for(l, f[1], true);
        if (op == NULL)
            return !pos_journal_txn_id_valid(f[1]);
        snprintf(op->kind, sizeof op->kind, "%s", f[3]); /* carried or reused: the last wins */
    } else if (strcmp(f[0], "offline") == 0 && n >= 6) {
        struct pos_ledger_op *op = op_for(l, f[1], false);
        if (op != NULL) {
            op->what = POS_LEDGER_WAITING;
            snprintf(op->at, sizeof op->at, "%s", f[2]);
            op->discount_cents = read_int(f[3], &v) ? v : 0;
            op->campaign_id = read_int(f[4], &v) ? v : 0;
        }
    } else if (strcmp(f[0], "finish") == 0) {
        struct pos_ledger_op *op = op_for(l, f[1], false);
        if (op != NULL)
            apply_outcome(op, f[3], f[2]);
    }
    return true;
}

enum cpn_err pos_ledger_read(struct pos_ledger *ledger, const char *text, size_t len)
{
    char *line = malloc(POS_JOURNAL_LINE_SIZE);
    if (line == NULL)
        return CPN_ERR_NO_MEMORY;
    size_t pos = 0;
    enum cpn_err err = CPN_OK;
    while (err == CPN_OK && pos < len) {
        const char *start = text + pos, *nl = memchr(start, '\n', len - pos);
        if (nl == NULL)
            break;
        size_t n = (size_t)(nl - start);
        pos += n + 1;
        if (n == 0 || n >= POS_JOURNAL_LINE_SIZE || memchr(start, '\0', n) != NULL)
            continue;
        memcpy(line, start, n);
        line[n] = '\0';
        char *f[10];
        size_t nf = 0;
        for (char *p = line; nf < 10 && p != NULL;) {
            f[nf++] = p;
            char *tab = strchr(p, '\t');
            if (tab != NULL)
                *tab++ = '\0';
            p = tab;
        }
        if (!apply_record(ledger, f, nf))
            err = CPN_ERR_NO_MEMORY;
    }
    free(line);
    return err;
}

/* Reads the file PATH whole into LEDGER. Returns as pos_ledger_load(). */
static enum cpn_err read_file(struct pos_ledger *ledger, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? CPN_OK : CPN_ERR_IO;
    struct stat st;
    char *text = NULL;
    enum cpn_err err = CPN_OK;
    if (fstat(fd, &st) != 0) {
        err = CPN_ERR_IO;
    } else {
        size_t size = (size_t)st.st_size, got = 0;
        text = malloc(size + 1);
        if (text == NULL)
            err = CPN_ERR_NO_MEMORY;
        while (err == CPN_OK && got < size) {
            ssize_t r = read(fd, text + got, size - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break; /* shorter than it was: read what is there */
            got += (size_t)r;
        }
        if (err == CPN_OK)
            err = pos_ledger_read(ledger, text, got);
    }
    int e = errno;
    close(fd);
    free(text);
    errno = e;
    return err;
}

/* A generation archived in journal.d: its number and suffix, for ordering. */
struct archived {
    uint64_t generation;
    unsigned suffix;
    char name[64];
};

/* Orders archived generations oldest first. */
static int by_generation(const void *a, const void *b)
{
    const struct archived *x = a, *y = b;
    if (x->generation != y->generation)
        return x->generation < y->generation ? -1 : 1;
    return (x->suffix > y->suffix) - (x->suffix < y->suffix);
}

enum cpn_err pos_ledger_load(const char *state_dir, struct pos_ledger *ledger)
{
    char dir[4096], path[4096];
    if (pos_state_path(dir, sizeof dir, state_dir, POS_JOURNAL_ARCHIVE_DIR) != CPN_OK)
        return CPN_ERR_IO;
    struct archived *list = NULL;
    size_t n = 0, cap = 0;
    DIR *d = opendir(dir);
    if (d == NULL && errno != ENOENT)
        return CPN_ERR_IO;
    for (struct dirent *de = d != NULL ? readdir(d) : NULL; de != NULL; de = readdir(d)) {
        unsigned long long g;
        unsigned k = 0;
        char tail[8];
        int m = sscanf(de->d_name, "journal-%llu-%u.lo%1[g]", &g, &k, tail);
        if (m != 3) {
            k = 0;
            m = sscanf(de->d_name, "journal-%llu.lo%1[g]", &g, tail) == 2 ? 3 : 0;
        }
        if (m != 3 || strlen(de->d_name) >= sizeof list[0].name)
            continue;
        if (n == cap) {
            cap = cap == 0 ? 16 : 2 * cap;
            void *p = realloc(list, cap * sizeof *list);
            if (p == NULL) {
                closedir(d);
                free(list);
                return CPN_ERR_NO_MEMORY;
            }
            list = p;
        }
        list[n].generation = g;
        list[n].suffix = k;
        snprintf(list[n].name, sizeof list[n].name, "%s", de->d_name);
        n++;
    }
    if (d != NULL)
        closedir(d);
    if (n > 0)
        qsort(list, n, sizeof *list, by_generation);
    enum cpn_err err = CPN_OK;
    for (size_t i = 0; err == CPN_OK && i < n; i++)
        err = pos_state_path(path, sizeof path, dir, list[i].name) == CPN_OK
                  ? read_file(ledger, path)
                  : CPN_ERR_IO;
    free(list);
    if (err == CPN_OK)
        err = pos_state_path(path, sizeof path, state_dir, POS_JOURNAL_FILE) == CPN_OK
                  ? read_file(ledger, path)
                  : CPN_ERR_IO;
    return err;
}

const struct pos_ledger_op *pos_ledger_redemption(const struct pos_ledger *ledger, int64_t id)
{
    for (size_t i = 0; i < ledger->n; i++)
        if (ledger->ops[i].what == POS_LEDGER_REDEEMED && ledger->ops[i].id == id)
            return &ledger->ops[i];
    return NULL;
}

void pos_ledger_free(struct pos_ledger *ledger)
{
    if (ledger == NULL)
        return;
    free(ledger->ops);
    free(ledger->index);
    memset(ledger, 0, sizeof *ledger);
}
