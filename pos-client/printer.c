/* Writing a receipt out: to a printer device without ever blocking the till for long, to a
 * file by appending, or as text. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pos/i18n.h"
#include "pos/printer.h"

/* Milliseconds on a monotonic clock. */
static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes the LEN bytes at DATA to FD, waiting for a non-blocking FD until DEADLINE (ms, -1:
 * never). Returns CPN_OK, CPN_ERR_TIMEOUT or CPN_ERR_IO (errno set); *DONE gets what was
 * written. */
static enum cpn_err write_all(int fd, const uint8_t *data, size_t len, long long deadline,
                              size_t *done)
{
    *done = 0;
    while (*done < len) {
        ssize_t n = write(fd, data + *done, len - *done);
        if (n > 0) {
            *done += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && deadline >= 0) {
            long long left = deadline - now_ms();
            if (left <= 0)
                return CPN_ERR_TIMEOUT;
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int rc = poll(&p, 1, (int)left);
            if (rc < 0 && errno != EINTR)
                return CPN_ERR_IO;
            if (rc > 0 && (p.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) {
                errno = EIO;
                return CPN_ERR_IO;
            }
            continue;
        }
        if (n == 0)
            errno = EIO;
        return CPN_ERR_IO;
    }
    return CPN_OK;
}

enum cpn_err pos_printer_write(const char *path, const uint8_t *data, size_t len, int timeout_ms,
                               char *why, size_t why_size)
{
    struct stat st;
    bool device = stat(path, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode));
    int fd = device ? open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
                    : open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOCTTY | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        snprintf(why, why_size,
                 e == ENXIO ? _("the printer %s is not there or not ready (%s)")
                            : _("the printer %s cannot be opened (%s)"),
                 path, strerror(e));
        return CPN_ERR_IO;
    }
    size_t done = 0;
    enum cpn_err err = write_all(fd, data, len, device ? now_ms() + timeout_ms : -1, &done);
    int e = errno;
    if (close(fd) != 0 && err == CPN_OK) {
        e = errno;
        err = CPN_ERR_IO;
    }
    if (err == CPN_ERR_TIMEOUT)
        snprintf(why, why_size,
                 _("the printer %s took only %zu of %zu bytes within %d ms (paper out, cover "
                   "open, or switched off?)"),
                 path, done, len, timeout_ms);
    else if (err != CPN_OK)
        snprintf(why, why_size, _("the printer %s failed after %zu of %zu bytes (%s)"), path, done,
                 len, strerror(e));
    return err;
}

enum cpn_err pos_printer_text(const char *path, const struct pos_doc *doc, char *why,
                              size_t why_size)
{
    if (strcmp(path, "-") == 0) {
        if (pos_doc_text(doc, stdout) == CPN_OK)
            return CPN_OK;
        snprintf(why, why_size, _("the receipt's text cannot be written (%s)"), strerror(errno));
        return CPN_ERR_IO;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOCTTY | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
    if (f == NULL) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        snprintf(why, why_size, _("the receipt's text cannot be written to %s (%s)"), path,
                 strerror(e));
        return CPN_ERR_IO;
    }
    enum cpn_err err = pos_doc_text(doc, f);
    int e = errno;
    if (fclose(f) != 0 && err == CPN_OK) {
        e = errno;
        err = CPN_ERR_IO;
    }
    if (err != CPN_OK)
        snprintf(why, why_size, _("the receipt's text cannot be written to %s (%s)"), path,
                 strerror(e));
    return err;
}
