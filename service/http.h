/* The HTTPS front: its workers (http_server.c: libmicrohttpd daemons with GnuTLS, one poll()
 * thread each, fed by coupond's accept loop), the route table with each route's body limit
 * (http.c), per-request state and the helpers handlers answer with. Connection admission
 * (per-address limits, deadline) lives in http_guard.c. */
#ifndef SVC_HTTP_H
#define SVC_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "coupon/err.h"
#include "principal.h"

#define HTTP_MAX_PARAMS 4
/* The body limit of a route whose max_body is 0: a till call needs a few hundred bytes. */
#define HTTP_BODY_DEFAULT (8u << 10)
/* A body over its route's limit is read and thrown away up to this size before the 413 (so
 * that the client, still sending, can read it); a larger one is answered before its body. */
#define HTTP_DISCARD_MAX (2u << 20)
/* A longer request target, or more query parameters, is answered 414 uri_too_long. */
#define HTTP_MAX_TARGET       2048
#define HTTP_MAX_QUERY_PARAMS 32
/* A recipient list of a million card numbers (as JSON strings or CSV lines). */
#define HTTP_MAX_BODY_RECIPIENTS (48u << 20)

struct http_route;
struct conn_ctx;
struct http_server; /* the running front: its workers and accept loop (http.c) */

/* One request. Handlers read it and answer exactly once through an http_reply_* call. */
struct http_req {
    struct MHD_Connection *conn;
    const struct http_route *route;
    const struct principal *principal; /* borrowed from the connection; NULL on /healthz */
    char *path;                        /* owned copy, split into params */
    const char *params[HTTP_MAX_PARAMS];
    unsigned nparams;
    char *body; /* NUL-terminated request body, owned */
    size_t body_len;
    size_t body_cap;
    enum cpn_err early;   /* a refusal decided before the body arrived */
    unsigned status;      /* the status answered, for metrics */
    char allow[32];       /* the methods the path has, for a 405's Allow header */
    long long started_ns; /* monotonic, for metrics */
    void *handler_ctx;    /* a handler's own state across calls (suspend/resume), owned */
    void (*handler_ctx_free)(void *ctx); /* frees HANDLER_CTX when the request ends */
    struct conn_ctx *ctx; /* the connection's state (principal, guard); may be NULL */
    size_t body_seen;     /* body bytes received, kept or not */
    bool begun;           /* the access handler has seen this request */
    bool close;           /* answered early: the connection closes after the answer */
    char request_id[24];  /* for the access line and the X-Request-Id header (http_access.c) */
    char method[12];      /* the request's method, for the access line ("" before it is known) */
    enum cpn_err refusal; /* the machine code answered (an error, or a check's reason) */
};

typedef enum MHD_Result (*http_handler)(struct http_req *r);

struct http_route {
    const char *method;
    const char *pattern; /* "/v1/campaigns/{}" — {} matches one path segment */
    unsigned roles;      /* ROLE_* bits allowed; 0 = no certificate needed */
    http_handler handler;
    const char *name; /* for metrics */
    size_t max_body;  /* largest request body accepted; 0 = HTTP_BODY_DEFAULT. A larger body
                         is answered 413 and the connection closed (see HTTP_DISCARD_MAX) */
};

/* Starts serving per CFG: --threads workers, each a libmicrohttpd daemon with one poll()
 * thread, and the accept loop (acceptor.h) that spreads connections over them. Returns the
 * server, or NULL after logging why. */
struct http_server *http_start(const struct svc_config *cfg);

/* Stops the accept loop (if http_quiesce has not), the workers (MHD_stop_daemon), then the
 * connection guard, then frees SRV and what http_start read. */
void http_stop(struct http_server *srv);

/* Stops accepting connections for SRV (the accept loop of acceptor.h ends and closes the
 * listening socket, so new connections are refused, or wait in the service manager's queue
 * with socket activation); open connections go on being served until http_stop. */
void http_quiesce(struct http_server *srv);

#endif
