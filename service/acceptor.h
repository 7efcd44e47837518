/* coupond's own accept loop (acceptor.c): one thread takes connections off the listening
 * socket and hands each to the worker (a libmicrohttpd daemon with one thread of its own)
 * that holds the fewest connections, the next one in turn among equals. Left to themselves,
 * libmicrohttpd's pooled workers race for accept() and whoever wakes first takes the
 * connection, so the tills' connections pile up on a few workers, and a worker serves its
 * connections one request at a time (measured: 16 connections on 2 to 14 of 16 workers,
 * 2,421 to 3,670 redemptions/s in the same set-up). */
#ifndef SVC_ACCEPTOR_H
#define SVC_ACCEPTOR_H

#include <stddef.h>
#include <sys/socket.h>

struct MHD_Daemon;
struct acceptor;

/* Opens a listening TCP socket on ADDR (LEN bytes; an IPv6 address serves IPv6 only), with
 * SO_REUSEADDR and a queue of BACKLOG. Returns the fd, or -1 with errno set. */
int acceptor_listen(const struct sockaddr *addr, socklen_t len, int backlog);

/* Starts the thread that accepts connections on FD (a listening socket; made non-blocking)
 * and hands each to one of the N daemons WORKERS (each started with MHD_USE_ITC and
 * MHD_USE_NO_LISTEN_SOCKET; the array is borrowed until acceptor_free), at most MAX_CONNS
 * connections at once (beyond that a new connection is closed at once). Takes FD:
 * acceptor_quiesce closes it. Returns the acceptor, or NULL (logged; FD is left open). */
struct acceptor *acceptor_start(int fd, struct MHD_Daemon *const *workers, unsigned n,
                                unsigned max_conns);

/* Tells A that a connection of WORKERS[K] closed (libmicrohttpd's MHD_CONNECTION_NOTIFY_CLOSED;
 * any thread). */
void acceptor_gone(struct acceptor *a, unsigned k);

/* Stops accepting (wakes and joins the thread) and closes the listening socket; connections
 * already handed over stay their workers'. Idempotent; NULL is a no-op. */
void acceptor_quiesce(struct acceptor *a);

/* Quiesces A and frees it; call after the workers stopped (their closing connections call
 * acceptor_gone). NULL is a no-op. */
void acceptor_free(struct acceptor *a);

#endif
