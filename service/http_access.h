/* The access line of every request and its request id (http_access.c). */
#ifndef SVC_HTTP_ACCESS_H
#define SVC_HTTP_ACCESS_H

#include <stdbool.h>

#include "http.h"

/* Gives R a new request id (20 hex digits: a per-process random prefix and a counter), unique
 * within the process and unlikely to repeat across restarts. Thread-safe. */
void http_access_begin(struct http_req *r);

/* Writes R's access line: request id, method, route (or the path of a request no route
 * matched, codes masked), status, the machine code of a refusal, duration, principal (name,
 * role, a terminal's store), and a note when the answer was not sent completely. Probes
 * (/healthz, /livez, /readyz, /metrics) are written at debug level, every other request at
 * info. */
void http_access_log(const struct http_req *r, bool completed, long long duration_ns);

#endif
