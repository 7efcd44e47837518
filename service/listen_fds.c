/* Socket activation: coupond.socket holds the listening socket, so tills connecting while
 * coupond restarts wait in its queue instead of being refused; systemd passes it as fd 3
 * with $LISTEN_PID and $LISTEN_FDS (sd_listen_fds(3)). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listen_fds.h"

#define FIRST_FD 3

/* Reads a whole positive decimal number from TEXT into *OUT. Returns 0 or -1. */
static int whole(const char *text, long *out)
{
    if (text == NULL || *text == '\0')
        return -1;
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || v <= 0)
        return -1;
    *out = v;
    return 0;
}

int listen_fds_socket(char *why, size_t len)
{
    long pid = 0, n = 0;
    int pid_ok = whole(getenv("LISTEN_PID"), &pid);
    int n_ok = whole(getenv("LISTEN_FDS"), &n);
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    if (pid_ok != 0 || n_ok != 0 || pid != (long)getpid())
        return -1; /* not activated, or meant for another process */
    if (n != 1) {
        snprintf(why, len, "%ld sockets were passed (LISTEN_FDS); coupond takes exactly one", n);
        return -2;
    }
    int type = 0, listening = 0;
    socklen_t tl = sizeof type, ll = sizeof listening;
    if (getsockopt(FIRST_FD, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 ||
        getsockopt(FIRST_FD, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ll) != 0 ||
        type != SOCK_STREAM || !listening) {
        snprintf(why, len, "fd %d passed by the service manager is not a listening stream socket",
                 FIRST_FD);
        return -2;
    }
    int flags = fcntl(FIRST_FD, F_GETFD);
    if (flags >= 0)
        (void)fcntl(FIRST_FD, F_SETFD, flags | FD_CLOEXEC);
    return FIRST_FD;
}

int listen_fds_address(int fd, char *out, size_t len)
{
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    char host[INET6_ADDRSTRLEN];
    if (getsockname(fd, (struct sockaddr *)&bound, &blen) != 0)
        return -1;
    if (bound.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&bound;
        if (inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host) == NULL)
            return -1;
        snprintf(out, len, "[%s]:%u", host, (unsigned)ntohs(a->sin6_port));
        return 0;
    }
    if (bound.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&bound;
        if (inet_ntop(AF_INET, &a->sin_addr, host, sizeof host) == NULL)
            return -1;
        snprintf(out, len, "%s:%u", host, (unsigned)ntohs(a->sin_port));
        return 0;
    }
    return -1;
}
