/* The listening socket a service manager passes to coupond (socket activation, listen_fds.c):
 * the sd_listen_fds(3) protocol written out, without libsystemd. */
#ifndef SVC_LISTEN_FDS_H
#define SVC_LISTEN_FDS_H

#include <stddef.h>

/* The passed listening socket: when $LISTEN_PID is this process and $LISTEN_FDS is 1, fd 3
 * (made close-on-exec), after checking it is a listening TCP socket; $LISTEN_PID,
 * $LISTEN_FDS and $LISTEN_FDNAMES are removed from the environment in any case. Returns the
 * fd; -1 when no socket was passed; -2 when one was passed but cannot be used (WHY, of LEN
 * bytes, says why). */
int listen_fds_socket(char *why, size_t len);

/* Writes the local address of socket FD as "host:port" ("[v6]:port" for IPv6) into OUT (LEN
 * bytes). Returns 0, or -1 when it has none. */
int listen_fds_address(int fd, char *out, size_t len);

#endif
