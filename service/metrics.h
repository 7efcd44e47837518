/* Counters for GET /metrics (Prometheus text format), lock-free. */
#ifndef SVC_METRICS_H
#define SVC_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct http_route;

/* Names the routes for the request metrics: route index i is ROUTES[i] (borrowed, kept until
 * exit; at most the first 64 are counted by name). Call before serving. */
void metrics_set_routes(const struct http_route *routes, size_t n);

/* Counts one finished request of route index ROUTE (SIZE_MAX: no route matched). */
void metrics_count_request(size_t route, unsigned status, bool completed, long long duration_ns);

/* Counts one refused client certificate. */
void metrics_count_refused_certificate(void);

/* Adds D (+1 or -1) to the open connections gauge. */
void metrics_connection_delta(int d);

/* Records that revocation checks are on (a CRL is configured) or off (--no-crl). */
void metrics_crl_enabled(bool on);

/* Records the CRL in force: its thisUpdate, nextUpdate ((time_t)-1: none) and how many
 * certificates it revokes. */
void metrics_crl_in_force(time_t this_update, time_t next_update, size_t revoked);

/* Records AT as the time of the last successful CRL load (applied, or found unchanged). */
void metrics_crl_loaded(time_t at);

/* Counts one CRL load that failed or was refused. */
void metrics_count_crl_failure(void);

/* What the connection guard did to a connection (http_guard.c). */
enum metrics_conn_event {
    METRICS_CONN_REFUSED_PER_ADDRESS,        /* the address has its limit of connections */
    METRICS_CONN_REFUSED_UNAUTH_PER_ADDRESS, /* … of connections without a certificate yet */
    METRICS_CONN_EVICTED,                    /* closed to make room in the unauthenticated budget */
    METRICS_CONN_DEADLINE,                   /* closed: no authenticated request by the deadline */
    METRICS_CONN_EVENTS
};

/* Counts one connection event E. */
void metrics_count_connection_event(enum metrics_conn_event e);

/* Adds D (+1 or -1) to the gauge of connections without a verified certificate. */
void metrics_unauthenticated_delta(int d);

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
