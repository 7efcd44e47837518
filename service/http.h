/* The HTTPS front: the libmicrohttpd daemon (GnuTLS, poll() thread pool), the route
 * table with each route's body limit, per-request state and the helpers handlers answer
 * with. Connection admission (per-address limits, deadline) lives in http_guard.c. */
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

/* Starts serving per CFG. Returns the daemon, or NULL after logging why. */
struct MHD_Daemon *http_start(const struct svc_config *cfg);

/* Sets how long an export may wait for its client to take the next chunk before it is
 * cancelled (its slot and database snapshot released); before serving. */
void http_exports_configure(unsigned stall_timeout_s);

/* Cancels every running export and resumes its connection (libmicrohttpd may not be stopped
 * with suspended connections); new exports are refused from then on. Before MHD_stop_daemon. */
void http_exports_stop(void);

/* Frees the certificate and key texts http_start read; after MHD_stop_daemon. */
void http_free_pems(void);

/* Stops D (MHD_stop_daemon), then the connection guard, then frees what http_start read. */
void http_stop(struct MHD_Daemon *d);

/* Answers with BODY as JSON and STATUS; takes ownership of BODY (NULL → 500). */
enum MHD_Result http_reply_json(struct http_req *r, unsigned status, json_t *body);

/* Answers with the registry's status and {"error","message"}; DETAIL, when not NULL,
 * replaces the registry's sentence. */
enum MHD_Result http_reply_error(struct http_req *r, enum cpn_err err, const char *detail);

/* As http_reply_error, with EXTRA's fields merged into the body (EXTRA is taken). */
enum MHD_Result http_reply_error_extra(struct http_req *r, enum cpn_err err, const char *detail,
                                       json_t *extra);

/* Answers with a body of LEN bytes copied from DATA and content type CTYPE. */
enum MHD_Result http_reply_bytes(struct http_req *r, unsigned status, const char *ctype,
                                 const void *data, size_t len);

/* Queues RESP with STATUS (takes RESP), adding the common headers. */
enum MHD_Result http_queue(struct http_req *r, unsigned status, struct MHD_Response *resp);

/* Parses the request body as a JSON object. On success returns it (caller decrefs);
 * otherwise answers 400 bad_request itself and returns NULL with *REPLIED set to the
 * handler's return value. */
json_t *http_body_object(struct http_req *r, enum MHD_Result *replied);

/* The route table, for metrics. */
extern const struct http_route http_routes[];
extern const size_t http_route_count;

#endif
