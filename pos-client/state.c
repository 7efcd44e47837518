/* Creates the till's private state directory and replaces files in it atomically
 * (temporary file, fsync, rename, fsync of the directory). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

enum cpn_err pos_state_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return CPN_ERR_IO;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    if (rc != 0) {
        errno = e;
        return CPN_ERR_IO;
    }
    return CPN_OK;
}

int pos_state_write_all(int fd, const void *buf, size_t len)
{
    const char *data = buf;
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

enum cpn_err pos_state_write_atomic(const char *dir, const char *name, const void *data, size_t len)
{
    enum cpn_err err = pos_state_mkdir(dir);
    if (err != CPN_OK)
        return err;
    char final[4096], tmp[4096], tmpname[256];
    int n = snprintf(tmpname, sizeof tmpname, ".%s.XXXXXX", name);
    if (n < 0 || (size_t)n >= sizeof tmpname) {
        errno = ENAMETOOLONG;
        return CPN_ERR_IO;
    }
    if (pos_state_path(final, sizeof final, dir, name) != CPN_OK ||
        pos_state_path(tmp, sizeof tmp, dir, tmpname) != CPN_OK)
        return CPN_ERR_IO;
    int fd = mkstemp(tmp);
    if (fd < 0)
        return CPN_ERR_IO;
    if (pos_state_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        errno = e;
        return CPN_ERR_IO;
    }
    if (close(fd) != 0 || rename(tmp, final) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return CPN_ERR_IO;
    }
    return pos_state_sync_dir(dir);
}
