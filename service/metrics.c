/* Request, latency, connection and refusal counters, rendered for Prometheus. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "http.h"
#include "metrics.h"

#define MAX_ROUTES 64
#define NBUCKETS   11

static const double bucket_le[NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                           0.05,   0.1,   0.25,   1.0,   5.0};
static const char *const bucket_text[NBUCKETS] = {
    "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "1", "5"};

struct route_counters {
    atomic_ullong by_class[6]; /* 1xx..5xx, then aborted */
    atomic_ullong buckets[NBUCKETS];
    atomic_ullong count;
    atomic_ullong sum_ns;
};

static struct route_counters counters[MAX_ROUTES + 1]; /* last: unmatched */
static const struct http_route *http_routes;           /* their names, from http_start */
static size_t http_route_count;
static atomic_ullong refused_certificates;
static atomic_llong open_connections;
static atomic_bool crl_on;
static atomic_llong crl_this_update, crl_next_update, crl_loaded_at, crl_revoked;
static atomic_ullong crl_failures;
static atomic_ullong conn_events[METRICS_CONN_EVENTS];
static atomic_llong unauthenticated;

void metrics_count_request(size_t route, unsigned status, bool completed, long long duration_ns)
{
    struct route_counters *c = &counters[route < MAX_ROUTES ? route : MAX_ROUTES];
    unsigned cls = completed && status >= 100 && status < 600 ? status / 100 - 1 : 5;
    atomic_fetch_add(&c->by_class[cls], 1);
    atomic_fetch_add(&c->count, 1);
    if (duration_ns < 0)
        duration_ns = 0;
    atomic_fetch_add(&c->sum_ns, (unsigned long long)duration_ns);
    double s = (double)duration_ns / 1e9;
    for (int i = 0; i < NBUCKETS; i++)
        if (s <= bucket_le[i])
            atomic_fetch_add(&c->buckets[i], 1);
}

static atomic_llong outbox_kept, outbox_queued, outbox_head, outbox_oldest_ms, sse_streams;
static atomic_ullong webhook_attempts[2];

void metrics_outbox_set(long long kept, long long queued, long long head, double oldest_s)
{
    atomic_store(&outbox_kept, kept);
    atomic_store(&outbox_queued, queued);
    atomic_store(&outbox_head, head);
    atomic_store(&outbox_oldest_ms, (long long)(oldest_s * 1000.0));
}

void metrics_count_webhook(bool delivered)
{
    atomic_fetch_add(&webhook_attempts[delivered ? 1 : 0], 1);
}

void metrics_sse_delta(int d)
{
    atomic_fetch_add(&sse_streams, d);
}

void metrics_count_refused_certificate(void)
{
    atomic_fetch_add(&refused_certificates, 1);
}

void metrics_connection_delta(int d)
{
    atomic_fetch_add(&open_connections, d);
}

void metrics_crl_enabled(bool on)
{
    atomic_store(&crl_on, on);
}

void metrics_crl_in_force(time_t this_update, time_t next_update, size_t revoked)
{
    atomic_store(&crl_this_update, (long long)this_update);
    atomic_store(&crl_next_update, (long long)next_update);
    atomic_store(&crl_revoked, (long long)revoked);
}

void metrics_crl_loaded(time_t at)
{
    atomic_store(&crl_loaded_at, (long long)at);
}

void metrics_count_crl_failure(void)
{
    atomic_fetch_add(&crl_failures, 1);
}

void metrics_count_connection_event(enum metrics_conn_event e)
{
    if (e < METRICS_CONN_EVENTS)
        atomic_fetch_add(&conn_events[e], 1);
}

void metrics_unauthenticated_delta(int d)
{
    atomic_fetch_add(&unauthenticated, d);
}

struct buf {
    char *p;
    size_t len, cap;
    bool failed;
};

static void add(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct buf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = true;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        char *np = realloc(b->p, b->cap * 2);
        if (np == NULL) {
            b->failed = true;
            return;
        }
        b->p = np;
        b->cap *= 2;
    }
}

void metrics_set_routes(const struct http_route *routes, size_t n)
{
    http_routes = routes;
    http_route_count = n;
}

/* Adds the request counters and latency histograms of every route (and of "unmatched"). */
static void add_route_metrics(struct buf *b)
{
    static const char *classes[6] = {"1xx", "2xx", "3xx", "4xx", "5xx", "aborted"};
    add(b, "# HELP coupond_requests_total HTTP requests answered, by route and status class.\n"
           "# TYPE coupond_requests_total counter\n");
    size_t nroutes = http_route_count < MAX_ROUTES ? http_route_count : MAX_ROUTES;
    for (size_t r = 0; r <= nroutes; r++) {
        struct route_counters *c = &counters[r == nroutes ? MAX_ROUTES : r];
        const char *name = r == nroutes ? "unmatched" : http_routes[r].name;
        for (int k = 0; k < 6; k++)
            add(b, "coupond_requests_total{route=\"%s\",status=\"%s\"} %llu\n", name, classes[k],
                (unsigned long long)atomic_load(&c->by_class[k]));
    }
    add(b, "# HELP coupond_request_duration_seconds Time from request to response.\n"
           "# TYPE coupond_request_duration_seconds histogram\n");
    for (size_t r = 0; r <= nroutes; r++) {
        struct route_counters *c = &counters[r == nroutes ? MAX_ROUTES : r];
        const char *name = r == nroutes ? "unmatched" : http_routes[r].name;
        for (int i = 0; i < NBUCKETS; i++)
            add(b, "coupond_request_duration_seconds_bucket{route=\"%s\",le=\"%s\"} %llu\n", name,
                bucket_text[i], (unsigned long long)atomic_load(&c->buckets[i]));
        unsigned long long count = atomic_load(&c->count);
        add(b, "coupond_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n", name,
            count);
        add(b, "coupond_request_duration_seconds_sum{route=\"%s\"} %.9f\n", name,
            (double)atomic_load(&c->sum_ns) / 1e9);
        add(b, "coupond_request_duration_seconds_count{route=\"%s\"} %llu\n", name, count);
    }
}

/* Adds the CRL in force to B: whether one is used, its dates, size, loads and age. */
static void add_crl_metrics(struct buf *b)
{
    add(b,
        "# HELP coupond_crl_enabled 1 when client certificates are checked against a CRL.\n"
        "# TYPE coupond_crl_enabled gauge\n"
        "coupond_crl_enabled %d\n"
        "# HELP coupond_crl_this_update_seconds thisUpdate of the CRL in force (Unix time).\n"
        "# TYPE coupond_crl_this_update_seconds gauge\n"
        "coupond_crl_this_update_seconds %lld\n"
        "# HELP coupond_crl_next_update_seconds nextUpdate of the CRL in force (Unix time; "
        "-1: none).\n"
        "# TYPE coupond_crl_next_update_seconds gauge\n"
        "coupond_crl_next_update_seconds %lld\n"
        "# HELP coupond_crl_last_load_seconds When the CRL file was last read and verified "
        "(Unix time).\n"
        "# TYPE coupond_crl_last_load_seconds gauge\n"
        "coupond_crl_last_load_seconds %lld\n"
        "# HELP coupond_crl_revoked Certificates the CRL in force revokes.\n"
        "# TYPE coupond_crl_revoked gauge\n"
        "coupond_crl_revoked %lld\n"
        "# HELP coupond_crl_load_failures_total CRL loads that failed or were refused.\n"
        "# TYPE coupond_crl_load_failures_total counter\n"
        "coupond_crl_load_failures_total %llu\n",
        atomic_load(&crl_on) ? 1 : 0, (long long)atomic_load(&crl_this_update),
        (long long)atomic_load(&crl_next_update), (long long)atomic_load(&crl_loaded_at),
        (long long)atomic_load(&crl_revoked), (unsigned long long)atomic_load(&crl_failures));
    long long this_update = atomic_load(&crl_this_update);
    if (atomic_load(&crl_on) && this_update > 0)
        add(b,
            "# HELP coupond_crl_age_seconds Seconds since the thisUpdate of the CRL in force.\n"
            "# TYPE coupond_crl_age_seconds gauge\n"
            "coupond_crl_age_seconds %lld\n",
            (long long)time(NULL) - this_update);
}

char *metrics_render(void)
{
    struct buf b = {malloc(16384), 0, 16384, false};
    if (b.p == NULL)
        return NULL;
    add_route_metrics(&b);
    add(&b,
        "# HELP coupond_refused_certificates_total Client certificates refused.\n"
        "# TYPE coupond_refused_certificates_total counter\n"
        "coupond_refused_certificates_total %llu\n"
        "# HELP coupond_open_connections TLS connections open now.\n"
        "# TYPE coupond_open_connections gauge\n"
        "coupond_open_connections %lld\n",
        (unsigned long long)atomic_load(&refused_certificates),
        (long long)atomic_load(&open_connections));
    add(&b,
        "# HELP coupond_unauthenticated_connections Connections without a verified client "
        "certificate now (handshake or first request under way).\n"
        "# TYPE coupond_unauthenticated_connections gauge\n"
        "coupond_unauthenticated_connections %lld\n"
        "# HELP coupond_connections_refused_total Connections refused on accept, by limit.\n"
        "# TYPE coupond_connections_refused_total counter\n"
        "coupond_connections_refused_total{limit=\"per_address\"} %llu\n"
        "coupond_connections_refused_total{limit=\"unauthenticated_per_address\"} %llu\n"
        "# HELP coupond_connections_cut_total Unauthenticated connections closed by coupond.\n"
        "# TYPE coupond_connections_cut_total counter\n"
        "coupond_connections_cut_total{reason=\"evicted\"} %llu\n"
        "coupond_connections_cut_total{reason=\"deadline\"} %llu\n",
        (long long)atomic_load(&unauthenticated),
        (unsigned long long)atomic_load(&conn_events[METRICS_CONN_REFUSED_PER_ADDRESS]),
        (unsigned long long)atomic_load(&conn_events[METRICS_CONN_REFUSED_UNAUTH_PER_ADDRESS]),
        (unsigned long long)atomic_load(&conn_events[METRICS_CONN_EVICTED]),
        (unsigned long long)atomic_load(&conn_events[METRICS_CONN_DEADLINE]));
    add_crl_metrics(&b);
    add(&b,
        "# HELP coupond_outbox_events Events kept in the outbox (published, not yet pruned).\n"
        "# TYPE coupond_outbox_events gauge\ncoupond_outbox_events %lld\n"
        "# HELP coupond_outbox_queued Events committed but not yet published.\n"
        "# TYPE coupond_outbox_queued gauge\ncoupond_outbox_queued %lld\n"
        "# HELP coupond_outbox_head_id The id of the last published event.\n"
        "# TYPE coupond_outbox_head_id gauge\ncoupond_outbox_head_id %lld\n"
        "# HELP coupond_outbox_oldest_undelivered_seconds Age of the oldest event not yet "
        "published or delivered to every active webhook.\n"
        "# TYPE coupond_outbox_oldest_undelivered_seconds gauge\n"
        "coupond_outbox_oldest_undelivered_seconds %.3f\n"
        "# HELP coupond_webhook_attempts_total Webhook delivery attempts, by result.\n"
        "# TYPE coupond_webhook_attempts_total counter\n"
        "coupond_webhook_attempts_total{result=\"delivered\"} %llu\n"
        "coupond_webhook_attempts_total{result=\"failed\"} %llu\n"
        "# HELP coupond_sse_streams Live feed (GET /v1/events) streams open now.\n"
        "# TYPE coupond_sse_streams gauge\ncoupond_sse_streams %lld\n",
        (long long)atomic_load(&outbox_kept), (long long)atomic_load(&outbox_queued),
        (long long)atomic_load(&outbox_head), (double)atomic_load(&outbox_oldest_ms) / 1000.0,
        (unsigned long long)atomic_load(&webhook_attempts[1]),
        (unsigned long long)atomic_load(&webhook_attempts[0]),
        (long long)atomic_load(&sse_streams));
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
