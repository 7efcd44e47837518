/* Connection admission for the HTTPS front, so that nobody without a client certificate can
 * crowd out the tills: a limit of connections per address (IPv4 address, IPv6 /64), a small
 * budget for connections that have not yet shown a verified certificate (in all and per
 * address; when it is full, the oldest such connection of the address that has most of them
 * is closed to make room), and a deadline from accept to the first request that activity
 * does not extend. libmicrohttpd cannot close
 * a connection from outside, so the guard shuts the socket down (shutdown(2)) and
 * libmicrohttpd, seeing it end, closes it itself. */
#ifndef SVC_HTTP_GUARD_H
#define SVC_HTTP_GUARD_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "coupon/err.h"

struct guard_limits {
    unsigned per_address;        /* connections from one address; 0 = any */
    unsigned unauth;             /* unauthenticated connections in all (>= 1) */
    unsigned unauth_per_address; /* … from one address; 0 = any */
    unsigned deadline_s;         /* accept → first request settled */
};

struct guard_addr;

/* One connection as the guard sees it; lives in the connection's socket context. */
struct guard_conn {
    struct guard_conn *prev, *next; /* in the pending list, oldest first */
    struct guard_addr *addr;        /* NULL: not counted (refused on start) */
    long long deadline_ns;          /* CLOCK_MONOTONIC */
    int fd;
    bool pending; /* unauthenticated and unsettled: counted in the budget, under the deadline */
};

/* Starts the guard with LIMITS (copied) and its watchdog thread. Returns CPN_OK, or an error
 * (logged) with nothing started. */
enum cpn_err guard_start(const struct guard_limits *limits) CPN_MUST_CHECK;

/* Stops the watchdog; after MHD_stop_daemon (every connection closed). Safe if not started. */
void guard_stop(void);

/* libmicrohttpd's accept policy: MHD_NO when ADDR already has its limit of connections or of
 * unauthenticated ones. A first, cheap look; guard_open decides. */
enum MHD_Result guard_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);

/* Takes a new connection CONN into account (NOTIFY_CONNECTION STARTED): counted for its
 * address, pending under the deadline. When its address is over a limit it is shut down at
 * once; when the budget is over, another pending one is (the oldest of the address with the
 * most). G is zeroed first. */
void guard_open(struct guard_conn *g, struct MHD_Connection *conn);

/* The connection's first request settled it: authenticated (a verified certificate), or
 * answered without one (and closed after that answer). Leaves the budget and the deadline.
 * Idempotent. */
void guard_settle(struct guard_conn *g);

/* Forgets a connection libmicrohttpd is closing (NOTIFY_CONNECTION CLOSED), before it closes
 * the socket. Idempotent. */
void guard_close(struct guard_conn *g);

#endif
