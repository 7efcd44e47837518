/* The till's private state directory: created, and the paths of its files (the files are
 * replaced atomically by libcoupon's cpn_file_replace, coupon/file.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "pos/state.h"

void pos_state_now(char buf[POS_TIME_SIZE])
{
    time_t t = time(NULL);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(buf, POS_TIME_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, POS_TIME_SIZE, "1970-01-01T00:00:00Z");
}

/* Returns true when PATH exists and is a directory (following symbolic links). */
static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

enum cpn_err pos_state_mkdir(const char *dir)
{
    if (dir[0] == '\0') {
        errno = ENOENT;
        return CPN_ERR_IO;
    }
    if (is_dir(dir))
        return CPN_OK;
    char *path = strdup(dir);
    if (path == NULL)
        return CPN_ERR_NO_MEMORY;
    /* Walk the components left to right, creating each one that is missing. */
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        /* Some file systems say EROFS or EACCES before EEXIST: an existing directory is fine. */
        int e = mkdir(path, 0700) == 0 ? 0 : errno;
        if (e != 0 && e != EEXIST && !is_dir(path)) {
            free(path);
            errno = e;
            return CPN_ERR_IO;
        }
        *p = saved;
        if (saved == '\0')
            break;
    }
    free(path);
    if (!is_dir(dir)) {
        errno = ENOTDIR;
        return CPN_ERR_IO;
    }
    return CPN_OK;
}

enum cpn_err pos_state_path(char *buf, size_t buf_size, const char *dir, const char *name)
{
    int n = snprintf(buf, buf_size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= buf_size) {
        if (buf_size > 0)
            buf[0] = '\0';
        errno = ENAMETOOLONG;
        return CPN_ERR_IO;
    }
    return CPN_OK;
}
