/* Counters for GET /metrics (Prometheus text format), lock-free. */
#ifndef SVC_METRICS_H
#define SVC_METRICS_H

#include <stdbool.h>
#include <stddef.h>

/* Counts one finished request of route index ROUTE (SIZE_MAX: no route matched). */
void metrics_count_request(size_t route, unsigned status, bool completed, long long duration_ns);

/* Counts one refused client certificate. */
void metrics_count_refused_certificate(void);

/* Adds D (+1 or -1) to the open connections gauge. */
void metrics_connection_delta(int d);

/* Sets the outbox gauges: events kept, rows queued (not yet published), the last event id,
 * and the age in seconds of the oldest event not yet delivered everywhere. */
void metrics_outbox_set(long long kept, long long queued, long long head, double oldest_s);

/* Counts one webhook delivery attempt, DELIVERED or failed. */
void metrics_count_webhook(bool delivered);

/* Adds D (+1 or -1) to the open live-feed (SSE) streams gauge. */
void metrics_sse_delta(int d);

/* Renders every metric in Prometheus text format into a new string the caller frees;
 * NULL when out of memory. */
char *metrics_render(void);

#endif
