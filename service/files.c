/* Reading a whole (small) file into memory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "files.h"

char *file_read_all(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, used = 0, n;
    char *buf = malloc(cap);
    while (buf != NULL && (n = fread(buf + used, 1, cap - used - 1, f)) > 0) {
        used += n;
        if (used > max) {
            free(buf);
            buf = NULL;
            errno = EFBIG;
            break;
        }
        if (used + 1 == cap) {
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                errno = ENOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (buf != NULL && ferror(f)) {
        free(buf);
        buf = NULL;
        errno = EIO;
    }
    fclose(f);
    if (buf == NULL)
        return NULL;
    buf[used] = '\0';
    if (len != NULL)
        *len = used;
    return buf;
}
