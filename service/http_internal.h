/* What the HTTPS front's two halves share (http.c): the callbacks libmicrohttpd calls for
 * every request, which http_server.c gives each worker, and the route table's registration
 * with the metrics. */
#ifndef SVC_HTTP_INTERNAL_H
#define SVC_HTTP_INTERNAL_H

#include <microhttpd.h>
#include <stddef.h>

/* Registers the route table with metrics.c (one counter set per route); call once before the
 * first request. */
void http_routes_register(void);

/* libmicrohttpd's URI log callback (MHD_OPTION_URI_LOG_CALLBACK): the request's state,
 * marked for an early refusal when coupond is draining or the target is too long. */
void *http_on_uri(void *cls, const char *uri, struct MHD_Connection *conn);

/* libmicrohttpd's access handler: routes, authenticates, collects the body within the
 * route's limit and calls the route's handler once the body is complete. */
enum MHD_Result http_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version, const char *upload_data,
                                size_t *upload_data_size, void **req_cls);

/* libmicrohttpd's MHD_OPTION_NOTIFY_COMPLETED: counts, logs and frees the request. */
void http_on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                       enum MHD_RequestTerminationCode toe);

#endif
