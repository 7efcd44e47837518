/* The drain on SIGTERM (http_drain.c): readiness turns 503 and answers close their
 * connections, then new requests are refused while the ones in flight finish. */
#ifndef SVC_HTTP_DRAIN_H
#define SVC_HTTP_DRAIN_H

#include <stdbool.h>

/* Counts a request that has begun (libmicrohttpd saw its request line). Returns false when
 * coupond is closing: the caller answers it 503 without any business logic. */
bool http_drain_request_begin(void);

/* Counts a request that has ended (answered or aborted); one per http_drain_request_begin. */
void http_drain_request_end(void);

/* Readiness turns 503 (GET /readyz) and every answer closes its connection from now on. */
void http_drain_start(void);

/* True once http_drain_start was called. */
bool http_draining(void);

/* New requests are refused (http_drain_request_begin answers false) from now on. */
void http_drain_close(void);

/* Waits until no request is in flight or TIMEOUT_MS milliseconds have passed. Returns the
 * number of requests still in flight (0: all finished). */
unsigned long http_drain_wait(unsigned timeout_ms);

/* Requests in flight now. */
unsigned long http_drain_inflight(void);

#endif
