/* Files replaced atomically: a temporary file beside the target, written, synced, renamed (or
 * linked) into place, and the directory synced. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coupon/file.h"

int cpn_file_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

enum cpn_err cpn_file_sync_dir(const char *dir)
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

/* Writes DATA into the new file FD with MODE and syncs it. Returns 0 or -1 (errno set). */
static int fill(int fd, const void *data, size_t len, mode_t mode)
{
    if (fchmod(fd, mode) != 0 || cpn_file_write_all(fd, data, len) != 0 || fsync(fd) != 0)
        return -1;
    return 0;
}

enum cpn_err cpn_file_replace(const char *dir, const char *name, const void *data, size_t len,
                              mode_t mode, bool exclusive)
{
    char path[4096], tmp[4096];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    int m = snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, name);
    if (n < 0 || (size_t)n >= sizeof path || m < 0 || (size_t)m >= sizeof tmp) {
        errno = ENAMETOOLONG;
        return CPN_ERR_IO;
    }
    int fd = mkstemp(tmp);
    if (fd < 0)
        return CPN_ERR_IO;
    enum cpn_err err = CPN_OK;
    if (fill(fd, data, len, mode) != 0)
        err = CPN_ERR_IO;
    int e = errno;
    if (close(fd) != 0 && err == CPN_OK) {
        err = CPN_ERR_IO;
        e = errno;
    }
    if (err == CPN_OK && exclusive && link(tmp, path) != 0) {
        e = errno;
        err = e == EEXIST ? CPN_ERR_CONFLICT : CPN_ERR_IO;
    }
    if (err == CPN_OK && !exclusive && rename(tmp, path) != 0) {
        e = errno;
        err = CPN_ERR_IO;
    }
    if (exclusive || err != CPN_OK)
        unlink(tmp);
    if (err == CPN_OK) {
        err = cpn_file_sync_dir(dir);
        e = errno;
    }
    errno = e;
    return err;
}
