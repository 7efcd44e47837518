/* A connection's own state (http_conn.c): its record in the connection guard, and its
 * principal, verified once. */
#ifndef SVC_HTTP_CONN_H
#define SVC_HTTP_CONN_H

#include <microhttpd.h>
#include <stdbool.h>

#include "http_guard.h"
#include "principal.h"
#include "tls_creds.h"

/* Per-connection state: the guard's record, and the principal, verified once. */
struct conn_ctx {
    struct guard_conn guard;
    bool settled; /* guard_settle was called (the connection's own thread only) */
    bool verified;
    struct principal principal;
    struct tls_creds *tls; /* the server certificate its handshake uses, pinned at open */
};

/* The state of connection CONN (libmicrohttpd's socket context), or NULL when it has none. */
struct conn_ctx *http_conn_of(struct MHD_Connection *conn);

/* Takes the connection of CTX out of the guard's budget and deadline, once (later calls do
 * nothing); CTX NULL is a no-op. The connection's own thread only. */
void http_conn_settle(struct conn_ctx *ctx);

/* True when the principal of CTX was verified and is still accepted (false for NULL). */
bool http_conn_authenticated(const struct conn_ctx *ctx);

#endif
