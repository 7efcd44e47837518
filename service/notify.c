/* The service manager's notification protocol (sd_notify(3)), without libsystemd: one
 * datagram of "KEY=value" lines to the AF_UNIX socket in $NOTIFY_SOCKET. systemd documents
 * the protocol as stable for exactly this use; it keeps coupond free of one more library. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

int notify_send(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (path == NULL || *path == '\0')
        return 0;
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    size_t len = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || len < 2 || len >= sizeof sa.sun_path) {
        errno = EAFNOSUPPORT;
        return -1;
    }
    memcpy(sa.sun_path, path, len);
    if (sa.sun_path[0] == '@')
        sa.sun_path[0] = '\0'; /* an abstract socket: its name is exactly LEN bytes */
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    size_t n = strlen(state);
    ssize_t sent = sendto(fd, state, n, MSG_NOSIGNAL, (const struct sockaddr *)&sa, salen);
    int saved = errno;
    close(fd);
    if (sent < 0 || (size_t)sent != n) {
        errno = sent < 0 ? saved : EMSGSIZE;
        return -1;
    }
    return 1;
}

int notify_ready(void)
{
    return notify_send("READY=1\nSTATUS=serving; the database answers");
}

int notify_stopping(void)
{
    return notify_send("STOPPING=1\nSTATUS=stopping");
}
