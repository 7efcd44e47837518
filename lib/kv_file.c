/* The `key = value` file reader: whole lines (getline), comments and blank lines skipped,
 * white space trimmed, a line without '=' or with a NUL byte refused with its number. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coupon/kv_file.h"

/* Trims spaces, tabs and line ends from both ends of S in place; returns the new start. */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* Takes line LINENO of PATH (LEN bytes in LINE, changed in place). Returns CPN_OK or
 * CPN_ERR_BAD_REQUEST with ERRBUF filled. */
static enum cpn_err take_line(char *line, size_t len, const char *path, unsigned lineno,
                              cpn_kv_fn fn, void *ctx, char *errbuf, size_t errlen)
{
    if (len != strlen(line)) {
        snprintf(errbuf, errlen, "%s:%u: the line contains a NUL byte", path, lineno);
        return CPN_ERR_BAD_REQUEST;
    }
    char *s = trim(line);
    if (*s == '\0' || *s == '#')
        return CPN_OK;
    char *eq = strchr(s, '=');
    if (eq == NULL) {
        snprintf(errbuf, errlen, "%s:%u: expected 'key = value', not '%.60s'", path, lineno, s);
        return CPN_ERR_BAD_REQUEST;
    }
    *eq = '\0';
    char msg[512];
    msg[0] = '\0';
    if (fn(ctx, trim(s), trim(eq + 1), lineno, msg, sizeof msg) != 0) {
        snprintf(errbuf, errlen, "%s:%u: %s", path, lineno, msg);
        return CPN_ERR_BAD_REQUEST;
    }
    return CPN_OK;
}

enum cpn_err cpn_kv_file_read(const char *path, cpn_kv_fn fn, void *ctx, char *errbuf,
                              size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(errbuf, errlen, "cannot read %s: %s", path, strerror(errno));
        return CPN_ERR_IO;
    }
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    enum cpn_err err = CPN_OK;
    errno = 0;
    while (err == CPN_OK) {
        ssize_t len = getline(&line, &cap, f);
        if (len < 0)
            break;
        err = take_line(line, (size_t)len, path, ++lineno, fn, ctx, errbuf, errlen);
    }
    if (err == CPN_OK && ferror(f)) {
        snprintf(errbuf, errlen, "cannot read %s: %s", path, strerror(errno));
        err = CPN_ERR_IO;
    }
    free(line);
    fclose(f);
    return err;
}
