/* POSIX ustar entries: a 512-byte header with octal fields and its checksum, the content,
 * zero padding; two zero blocks end the archive. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tar.h"

/* Writes V as a zero-padded octal field of LEN bytes (LEN - 1 digits and a NUL). */
static void tar_octal(char *field, size_t len, unsigned long long v)
{
    snprintf(field, len, "%0*llo", (int)(len - 1), v);
}

char *tar_entry(const char *name, const void *data, size_t size, size_t *len)
{
    size_t nlen = strlen(name);
    if (nlen == 0 || nlen >= 100)
        return NULL;
    size_t padded = (size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
    char *e = calloc(1, TAR_BLOCK + padded);
    if (e == NULL)
        return NULL;
    memcpy(e, name, nlen);        /* name, NUL-padded */
    tar_octal(e + 100, 8, 0644);  /* mode */
    tar_octal(e + 108, 8, 0);     /* uid */
    tar_octal(e + 116, 8, 0);     /* gid */
    tar_octal(e + 124, 12, size); /* size */
    tar_octal(e + 136, 12, 0);    /* mtime: reproducible archives */
    memset(e + 148, ' ', 8);      /* checksum, counted as spaces */
    e[156] = '0';                 /* a regular file */
    memcpy(e + 257, "ustar", 6);  /* magic, NUL-terminated */
    memcpy(e + 263, "00", 2);     /* version */
    unsigned sum = 0;
    for (size_t i = 0; i < TAR_BLOCK; i++)
        sum += (unsigned char)e[i];
    snprintf(e + 148, 8, "%06o", sum);
    if (size > 0)
        memcpy(e + TAR_BLOCK, data, size);
    *len = TAR_BLOCK + padded;
    return e;
}

char *tar_end(size_t *len)
{
    char *e = calloc(2, TAR_BLOCK);
    if (e != NULL)
        *len = 2 * TAR_BLOCK;
    return e;
}
