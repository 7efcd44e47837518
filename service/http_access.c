/* The access line of every request, one JSON record each (log.h), and request ids. */
#include <stdatomic.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "http_access.h"
#include "http_conn.h"
#include "log.h"

static atomic_uint prefix; /* 0 until the first request draws it */
static atomic_ullong counter;

/* The process's random prefix: drawn once (getrandom, or the clock and pid without it). */
static unsigned id_prefix(void)
{
    unsigned p = atomic_load(&prefix);
    if (p != 0)
        return p;
    if (getrandom(&p, sizeof p, GRND_NONBLOCK) != (ssize_t)sizeof p) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        p = (unsigned)ts.tv_nsec ^ ((unsigned)getpid() << 16);
    }
    if (p == 0)
        p = 1;
    unsigned expected = 0;
    if (!atomic_compare_exchange_strong(&prefix, &expected, p))
        p = expected; /* another thread drew it first */
    return p;
}

/* Writes the W lowest hex digits of V (lower case) into OUT. */
static void put_hex(char *out, unsigned long long v, int w)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = w - 1; i >= 0; i--) {
        out[i] = hex[v & 15];
        v >>= 4;
    }
}

void http_access_begin(struct http_req *r)
{
    unsigned long long n = atomic_fetch_add(&counter, 1) + 1;
    /* "%08x%012llx" of the prefix and the counter's low 48 bits, without printf's cost. */
    _Static_assert(sizeof r->request_id > 20, "a request id is 20 hex digits");
    put_hex(r->request_id, id_prefix(), 8);
    put_hex(r->request_id + 8, n & 0xffffffffffffULL, 12);
    r->request_id[20] = '\0';
}

/* True for the routes a load balancer or Prometheus calls all the time. */
static bool probe(const char *route)
{
    return strcmp(route, "healthz") == 0 || strcmp(route, "livez") == 0 ||
           strcmp(route, "readyz") == 0 || strcmp(route, "metrics") == 0;
}

void http_access_log(const struct http_req *r, bool completed, long long duration_ns)
{
    const char *method = r->method[0] != '\0' ? r->method : "-";
    const char *route = r->route != NULL ? r->route->name : "unmatched";
    enum log_level level = probe(route) ? LOGL_DEBUG : LOGL_INFO;
    if (!log_enabled(level))
        return;
    const struct principal *p = r->principal;
    if (p == NULL && r->ctx != NULL && http_conn_authenticated(r->ctx))
        p = &r->ctx->principal; /* a probe on a connection with a certificate */
    struct log_field f[12];
    size_t n = 0;
    f[n++] = LOGF_STR("kind", "access");
    f[n++] = LOGF_STR("request_id", r->request_id);
    f[n++] = LOGF_STR("method", method);
    f[n++] = LOGF_STR("route", route);
    if (r->route == NULL)
        f[n++] = LOGF_STR("path", r->path); /* unsplit when nothing matched; codes masked */
    f[n++] = LOGF_NUM("status", r->status);
    if (r->refusal != CPN_OK)
        f[n++] = LOGF_STR("error", cpn_err_code(r->refusal));
    f[n++] = LOGF_DBL("duration_ms", (double)duration_ns / 1e6);
    if (p != NULL && p->verdict == CPN_OK) {
        f[n++] = LOGF_STR("principal", p->name);
        f[n++] = LOGF_STR("role", principal_role_name(p->role));
        if (p->role == ROLE_TERMINAL)
            f[n++] = LOGF_NUM("store", p->store);
    }
    if (!completed)
        f[n++] = LOGF_STR("aborted", "the answer was not sent completely");
    log_record(level, f, n, "%s %s %u", method, route, r->status);
}
