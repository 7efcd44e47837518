/* The request limits of the HTTPS front: the length and query of a request target, and a
 * request body against its route's limit. */
#ifndef SVC_HTTP_LIMITS_H
#define SVC_HTTP_LIMITS_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "http.h"

/* How a request body over its route's limit is refused. */
enum http_oversize {
    HTTP_BODY_FITS,        /* not over the limit, as far as the headers tell */
    HTTP_BODY_REFUSE_NOW,  /* 413 before the body: announced over HTTP_DISCARD_MAX, or the
                              client waits for 100-continue */
    HTTP_BODY_REFUSE_AFTER /* read and throw the body away, then 413: libmicrohttpd has no
                              lingering close, and a client still sending its body would get a
                              reset instead of the answer */
};

/* The body limit of ROUTE (HTTP_BODY_DEFAULT for NULL or a route that sets none). */
size_t http_body_limit(const struct http_route *route);

/* Judges the Content-Length (and Expect) headers of CONN's request against LIMIT. */
enum http_oversize http_declared_oversize(struct MHD_Connection *conn, size_t limit);

/* True when the raw request target URI is over HTTP_MAX_TARGET bytes or has more than
 * HTTP_MAX_QUERY_PARAMS query parameters; its query is then cut to nothing in place. URI
 * must be libmicrohttpd's own buffer as its URI log callback gets it: writable, and not yet
 * split into parameters. Cutting the query keeps libmicrohttpd from running out of its
 * per-connection memory storing the parameters (it would answer with an HTML page, or not at
 * all) before coupond can answer 414 in JSON. */
bool http_target_too_long(const char *uri);

#endif
