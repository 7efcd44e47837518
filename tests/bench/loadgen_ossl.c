/* loadgen_ossl: loadgen's interface and result line, written directly on OpenSSL (libssl)
 * instead of libcurl, so the client spends less of the shared machine's CPU. Each client
 * thread runs one epoll loop over its non-blocking connections; every connection is opened
 * once (TCP + TLS, server verified, client certificate unless --no-cert), carries one
 * HTTP/1.1 request at a time and is kept alive. A connection that has to be reopened
 * resumes its TLS session. HTTP formatting and parsing: loadgen_http.c. */
#define _GNU_SOURCE
#include "loadgen_http.h"
#include "loadgen_target.h"
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IN_CAP            16384 /* per connection: an answer's header section must fit */
#define REQUEST_TIMEOUT_S 30.0  /* as loadgen's CURLOPT_TIMEOUT_MS */
#define CONNECT_TIMEOUT_S 10.0  /* as loadgen's CURLOPT_CONNECTTIMEOUT_MS */

static atomic_uint_fast64_t next_index;   /* request counter, shared by all threads */
static atomic_uint_fast64_t timed_issued; /* timed requests started */
static atomic_bool exhausted;             /* a --paths/--bodies file ran out */
static atomic_uint shown_errors;
static pthread_barrier_t primed;
static double t_start, t_deadline;
static struct lg_target tg; /* from --url and the TLS options */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum cstate { C_CLOSED, C_CONNECT, C_HANDSHAKE, C_SEND, C_RECV };

struct conn {
    int fd;
    uint32_t ev; /* epoll events registered for fd */
    enum cstate st;
    bool busy;    /* a request is in flight */
    bool timed;   /* ... and it is a timed one */
    bool reused;  /* ... on a connection that had answered before */
    bool retried; /* ... and was already resent once on a fresh connection */
    bool fresh;   /* no answer yet on this TCP+TLS connection */
    SSL *ssl;
    SSL_SESSION *sess; /* to resume when the connection has to be reopened */
    struct buf req;
    size_t req_off, target; /* bytes sent; where the request target starts in req */
    char *in;
    size_t in_len, got; /* bytes buffered; bytes received for this request */
    struct http_resp resp;
    double sent, deadline, connect_deadline;
    char err[256];
};

struct worker {
    pthread_t tid;
    unsigned count, active;
    struct conn *conns;
    int epfd;
    struct buf path, body;
    uint64_t status[MAX_STATUS];
    uint64_t requests, errors, prime_requests, prime_errors, connects;
    uint32_t *lat_us;
    size_t nlat, caplat;
    double last_done;
    unsigned index; /* the thread's number, 0..threads-1 */
};

/* Formats C's next request. Returns false when there is none to make. */
static bool prepare(struct worker *w, struct conn *c, bool timed)
{
    if (timed) {
        if (now_s() >= t_deadline)
            return false;
        if (atomic_fetch_add(&timed_issued, 1) >= o.max_requests)
            return false;
    }
    uint64_t i = atomic_fetch_add(&next_index, 1), k = i - o.start;
    const char *path, *body = NULL;
    size_t path_len, body_len = 0;
    if (o.paths.n > 0) {
        if (k >= o.paths.n && !o.wrap) {
            atomic_store(&exhausted, true);
            return false;
        }
        path = o.paths.line[k % o.paths.n];
        path_len = o.paths.len[k % o.paths.n];
    } else {
        w->path.len = 0;
        buf_tmpl(&w->path, o.path, i);
        path = w->path.p;
        path_len = w->path.len;
    }
    if (o.bodies.n > 0) {
        if (k >= o.bodies.n && !o.wrap) {
            atomic_store(&exhausted, true);
            return false;
        }
        body = o.bodies.line[k % o.bodies.n];
        body_len = o.bodies.len[k % o.bodies.n];
    } else if (o.body != NULL) {
        w->body.len = 0;
        buf_tmpl(&w->body, o.body, i);
        body = w->body.p;
        body_len = w->body.len;
    }
    c->target =
        http_request(&c->req, o.method, tg.prefix, path, path_len, tg.authority, body, body_len);
    c->timed = timed;
    return true;
}

static bool is_expected(int status)
{
    if (status <= 0 || status >= MAX_STATUS)
        return false;
    return o.expect_set ? o.expect[status] : (status >= 200 && status < 300);
}

static void record(struct worker *w, struct conn *c, bool answered, double done)
{
    int status = answered ? c->resp.status : 0;
    bool ok = is_expected(status);
    if (!ok && atomic_fetch_add(&shown_errors, 1) < o.show_errors) {
        const char *t = c->req.p + c->target, *sp = strchr(t, ' ');
        fprintf(stderr, "loadgen_ossl: %s https://%s%.*s -> ", o.method, tg.authority,
                (int)(sp - t), t);
        if (answered)
            fprintf(stderr, "HTTP %d %s\n", status, c->resp.body);
        else
            fprintf(stderr, "%s\n", c->err);
    }
    if (!c->timed) {
        w->prime_requests++;
        w->prime_errors += !ok;
        return;
    }
    w->requests++;
    w->errors += !ok;
    w->status[status > 0 && status < MAX_STATUS ? status : 0]++;
    if (w->nlat == w->caplat) {
        w->caplat = w->caplat ? w->caplat * 2 : 65536;
        w->lat_us = realloc(w->lat_us, w->caplat * sizeof *w->lat_us);
        if (w->lat_us == NULL)
            die("out of memory", NULL);
    }
    double us = (done - c->sent) * 1e6;
    w->lat_us[w->nlat++] = us > 4e9 ? 4000000000u : (uint32_t)us;
    w->last_done = done;
}

/* Sets C's failure text; returns -1 for drive(). */
static int fail(struct conn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    ERR_clear_error();
    return -1;
}

static void set_ev(struct worker *w, struct conn *c, uint32_t ev)
{
    if (c->fd < 0 || c->ev == ev)
        return;
    struct epoll_event e = {.events = ev, .data.ptr = c};
    epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &e);
    c->ev = ev;
}

static void close_conn(struct conn *c)
{
    SSL_free(c->ssl); /* closing the descriptor also takes it out of the epoll set */
    c->ssl = NULL;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->ev = 0;
    c->st = C_CLOSED;
    c->in_len = 0;
}

/* Starts a TCP connection and its TLS client. 0: connected, 1: in progress, -1: failed. */
static int open_conn(struct worker *w, struct conn *c)
{
    w->connects++;
    c->fresh = true;
    c->connect_deadline = now_s() + CONNECT_TIMEOUT_S;
    c->fd = socket(tg.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return fail(c, "socket: %s", strerror(errno));
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int r = connect(c->fd, (const struct sockaddr *)&tg.addr, tg.addr_len);
    if (r != 0 && errno != EINPROGRESS)
        return fail(c, "connect: %s", strerror(errno));
    struct epoll_event e = {.events = EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, c->fd, &e) != 0)
        return fail(c, "epoll_ctl: %s", strerror(errno));
    c->ev = EPOLLOUT;
    if ((c->ssl = SSL_new(tg.ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1 ||
        (tg.sni[0] != '\0' && SSL_set_tlsext_host_name(c->ssl, tg.sni) != 1))
        return fail(c, "SSL_new failed");
    if (c->sess != NULL)
        SSL_set_session(c->ssl, c->sess);
    c->st = r == 0 ? C_HANDSHAKE : C_CONNECT;
    return r == 0 ? 0 : 1;
}

/* After an SSL call returned R: waits for what it wants (0) or fails (-1). */
static int ssl_wait(struct worker *w, struct conn *c, int r, const char *during)
{
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        set_ev(w, c, e == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT);
        return 0;
    }
    if (e == SSL_ERROR_ZERO_RETURN)
        return fail(c, "connection closed by the server during %s", during);
    if (e == SSL_ERROR_SYSCALL)
        return fail(c, "%s: %s", during, errno ? strerror(errno) : "unexpected EOF");
    char buf[160];
    ERR_error_string_n(ERR_peek_last_error(), buf, sizeof buf);
    long v = SSL_get_verify_result(c->ssl);
    return fail(c, "%s: %s%s%s", during, buf, v != X509_V_OK ? ": " : "",
                v != X509_V_OK ? X509_verify_cert_error_string(v) : "");
}

/* Runs C's request as far as it gets without blocking: 1 answered, 0 waiting, -1 failed. */
static int drive(struct worker *w, struct conn *c)
{
    for (;;) {
        int r, e;
        socklen_t el = sizeof e;
        switch (c->st) {
        case C_CLOSED:
            if ((r = open_conn(w, c)) != 0)
                return r < 0 ? -1 : 0;
            continue;
        case C_CONNECT:
            if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
                e = errno;
            if (e != 0)
                return fail(c, "connect: %s", strerror(e));
            c->st = C_HANDSHAKE;
            continue;
        case C_HANDSHAKE:
            ERR_clear_error();
            if ((r = SSL_connect(c->ssl)) != 1)
                return ssl_wait(w, c, r, "TLS handshake");
            c->st = C_SEND;
            continue;
        case C_SEND:
            r = SSL_write(c->ssl, c->req.p + c->req_off, (int)(c->req.len - c->req_off));
            if (r <= 0)
                return ssl_wait(w, c, r, "send");
            if ((c->req_off += (size_t)r) < c->req.len)
                continue;
            c->st = C_RECV;
            set_ev(w, c, EPOLLIN);
            if (!SSL_has_pending(c->ssl))
                return 0; /* the answer cannot be here yet */
            continue;
        case C_RECV:
            r = SSL_read(c->ssl, c->in + c->in_len, (int)(IN_CAP - c->in_len));
            if (r > 0) {
                c->in_len += (size_t)r;
                c->got += (size_t)r;
                if ((r = http_feed(&c->resp, c->in, &c->in_len)) != 0)
                    return r > 0 ? 1 : fail(c, "bad answer: %s", c->resp.error);
                if (c->in_len == IN_CAP)
                    return fail(c, "bad answer: header section or line over %d bytes", IN_CAP);
                continue;
            }
            if (SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN) {
                if (http_eof(&c->resp) > 0)
                    return 1;
                return fail(c, "%s", c->resp.error);
            }
            return ssl_wait(w, c, r, "receive");
        }
    }
}

static void start(struct conn *c)
{
    c->sent = now_s();
    c->deadline = c->sent + REQUEST_TIMEOUT_S;
    c->busy = true;
    c->reused = c->st != C_CLOSED;
    c->retried = false;
    c->req_off = 0;
    c->got = 0;
    http_resp_init(&c->resp, o.head);
    if (c->st != C_CLOSED)
        c->st = C_SEND;
}

/* Records C's finished request (R: 1 answered, -1 failed) and starts its next one.
 * Returns false when the connection has nothing more to do. */
static bool settle(struct worker *w, struct conn *c, int r)
{
    double done = now_s();
    if (r > 0 && c->fresh) {
        SSL_SESSION *s = SSL_get1_session(c->ssl);
        if (s != NULL && SSL_SESSION_is_resumable(s)) {
            SSL_SESSION_free(c->sess);
            c->sess = s;
        } else {
            SSL_SESSION_free(s);
        }
        c->fresh = false;
    }
    record(w, c, r > 0, done);
    if (r < 0 || c->resp.close)
        close_conn(c);
    c->busy = false;
    if (c->timed && o.rate == 0 && prepare(w, c, true)) {
        start(c);
        return true;
    }
    set_ev(w, c, 0);
    w->active--;
    return false;
}

static void advance(struct worker *w, struct conn *c)
{
    for (int r; (r = drive(w, c)) != 0;) {
        if (r < 0 && c->reused && !c->retried && c->got == 0) {
            /* a kept-alive connection the server had closed: resend on a fresh one */
            close_conn(c);
            c->reused = false;
            c->retried = true;
            c->req_off = 0;
            continue;
        }
        if (!settle(w, c, r))
            return;
    }
}

/* Fails the requests in flight past their deadline (scanned every 0.1 s). */
static void scan_deadlines(struct worker *w, double t, double *next_scan)
{
    if (t < *next_scan)
        return;
    *next_scan = t + 0.1;
    for (unsigned k = 0; k < w->count; k++) {
        struct conn *c = &w->conns[k];
        bool connecting = c->st == C_CONNECT || c->st == C_HANDSHAKE;
        if (!c->busy || (t < c->deadline && !(connecting && t >= c->connect_deadline)))
            continue;
        fail(c, t >= c->deadline ? "timed out after %.0f s" : "connect timed out after %.0f s",
             t >= c->deadline ? REQUEST_TIMEOUT_S : CONNECT_TIMEOUT_S);
        if (settle(w, c, -1))
            advance(w, c);
    }
}

/* Runs one phase until no request is in flight; TIMED says which. */
static void run_phase(struct worker *w, bool timed)
{
    for (unsigned k = 0; k < w->count; k++) {
        struct conn *c = &w->conns[k];
        if (prepare(w, c, timed)) {
            start(c);
            w->active++;
            advance(w, c);
        }
    }
    struct epoll_event ev[64];
    double next_scan = now_s() + 0.1;
    while (w->active > 0) {
        int n = epoll_wait(w->epfd, ev, 64, 100);
        for (int k = 0; k < n; k++) {
            struct conn *c = ev[k].data.ptr;
            if (c->busy)
                advance(w, c);
            else
                close_conn(c); /* an idle connection broke: reopen it when needed */
        }
        scan_deadlines(w, now_s(), &next_scan);
    }
}

/* The timed phase of --rate: this thread's share of the requests starts at fixed times
 * (every threads/rate seconds, the threads staggered), each on a free connection; one that
 * finds none waits for the next answer, its latency still counted from its scheduled time.
 * Sleeps with epoll_pwait2's nanosecond timeout, so a request is neither early nor late by
 * the millisecond of epoll_wait. */
static void run_paced(struct worker *w)
{
    double interval = (double)o.threads / o.rate, due = t_start + w->index / o.rate;
    bool done = false;
    struct epoll_event ev[64];
    double next_scan = now_s() + 0.1;
    while (!done || w->active > 0) {
        double t = now_s();
        while (!done && due <= t) {
            struct conn *c = NULL;
            for (unsigned k = 0; k < w->count && c == NULL; k++)
                if (!w->conns[k].busy)
                    c = &w->conns[k];
            if (c == NULL)
                break; /* every connection is busy: the request waits, its clock running */
            if (!prepare(w, c, true)) {
                done = true;
                break;
            }
            start(c);
            c->sent = due;
            w->active++;
            due += interval;
            advance(w, c);
            t = now_s();
        }
        if (!done && due <= t && now_s() >= t_deadline)
            done = true; /* the backlog is not started past the end */
        double wait = done || due <= t ? 0.1 : due - t;
        struct timespec ts = {.tv_sec = (time_t)wait,
                              .tv_nsec = (long)((wait - (double)(time_t)wait) * 1e9)};
        int n = epoll_pwait2(w->epfd, ev, 64, &ts, NULL);
        for (int k = 0; k < n; k++) {
            struct conn *c = ev[k].data.ptr;
            if (c->busy)
                advance(w, c);
            else
                close_conn(c); /* an idle connection broke: reopen it when needed */
        }
        scan_deadlines(w, now_s(), &next_scan);
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->conns = calloc(w->count, sizeof *w->conns);
    if (w->epfd < 0 || w->conns == NULL)
        die("epoll_create1 or calloc failed", NULL);
    for (unsigned k = 0; k < w->count; k++) {
        w->conns[k].fd = -1;
        if ((w->conns[k].in = malloc(IN_CAP)) == NULL)
            die("out of memory", NULL);
    }
    if (o.prime)
        run_phase(w, false);
    if (pthread_barrier_wait(&primed) == PTHREAD_BARRIER_SERIAL_THREAD) {
        /* One thread sets the clock; the second barrier publishes it. */
        t_start = now_s();
        t_deadline = t_start + o.duration;
    }
    pthread_barrier_wait(&primed);
    w->last_done = t_start;
    if (o.rate > 0)
        run_paced(w);
    else
        run_phase(w, true);
    for (unsigned k = 0; k < w->count; k++) {
        struct conn *c = &w->conns[k];
        if (c->ssl != NULL && c->st != C_CONNECT && c->st != C_HANDSHAKE)
            SSL_shutdown(c->ssl); /* close_notify, without waiting for the server's */
        close_conn(c);
        SSL_SESSION_free(c->sess);
        free(c->req.p);
        free(c->in);
    }
    free(w->conns);
    free(w->path.p);
    free(w->body.p);
    close(w->epfd);
    return NULL;
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    signal(SIGPIPE, SIG_IGN); /* a write to a connection the server closed fails instead */
    lg_target_tls(&tg);
    lg_target_parse(&tg, o.url);
    atomic_store(&next_index, o.start);
    t_deadline = 1e300; /* priming is bounded by the per-request timeout only */
    struct worker *w = calloc(o.threads, sizeof *w);
    if (w == NULL)
        die("out of memory", NULL);
    if (pthread_barrier_init(&primed, NULL, o.threads) != 0)
        die("pthread_barrier_init failed", NULL);
    for (unsigned t = 0; t < o.threads; t++) {
        w[t].count = o.conns / o.threads + (t < o.conns % o.threads);
        w[t].index = t;
        if (pthread_create(&w[t].tid, NULL, worker_main, &w[t]) != 0)
            die("pthread_create failed", NULL);
    }
    uint64_t status[MAX_STATUS] = {0};
    uint64_t requests = 0, errors = 0, prime_requests = 0, prime_errors = 0, connects = 0;
    size_t nlat = 0, at = 0;
    double last = 0;
    for (unsigned t = 0; t < o.threads; t++) {
        pthread_join(w[t].tid, NULL);
        nlat += w[t].nlat;
    }
    uint32_t *lat = malloc((nlat ? nlat : 1) * sizeof *lat);
    if (lat == NULL)
        die("out of memory", NULL);
    for (unsigned t = 0; t < o.threads; t++) {
        for (int s = 0; s < MAX_STATUS; s++)
            status[s] += w[t].status[s];
        requests += w[t].requests;
        errors += w[t].errors;
        prime_requests += w[t].prime_requests;
        prime_errors += w[t].prime_errors;
        connects += w[t].connects;
        if (w[t].last_done > last)
            last = w[t].last_done;
        if (w[t].nlat > 0)
            memcpy(lat + at, w[t].lat_us, w[t].nlat * sizeof *lat);
        at += w[t].nlat;
        free(w[t].lat_us);
    }
    lg_sort_latencies(lat, nlat);
    double elapsed = last - t_start;
    char hist[4096] = "";
    size_t hl = 0;
    for (int s = 0; s < MAX_STATUS; s++) {
        if (status[s] == 0)
            continue;
        int k = snprintf(hist + hl, sizeof hist - hl, "%s%d:%" PRIu64, hl ? "," : "", s, status[s]);
        if (k < 0 || (size_t)k >= sizeof hist - hl)
            break;
        hl += (size_t)k;
    }
    printf("label=%s requests=%" PRIu64 " errors=%" PRIu64 " status=%s rps=%.1f p50_ms=%.3f "
           "p90_ms=%.3f p99_ms=%.3f max_ms=%.3f connects=%" PRIu64 " conns=%u threads=%u "
           "duration_s=%.3f prime_requests=%" PRIu64 " prime_errors=%" PRIu64 " exhausted=%d\n",
           o.label, requests, errors, hl ? hist : "none",
           elapsed > 0 ? (double)requests / elapsed : 0.0, lg_percentile_ms(lat, nlat, 0.50),
           lg_percentile_ms(lat, nlat, 0.90), lg_percentile_ms(lat, nlat, 0.99),
           nlat ? lat[nlat - 1] / 1000.0 : 0.0, connects, o.conns, o.threads, elapsed,
           prime_requests, prime_errors, atomic_load(&exhausted) ? 1 : 0);
    free(lat);
    free(w);
    pthread_barrier_destroy(&primed);
    SSL_CTX_free(tg.ctx);
    return errors > 0 || requests == 0 ? 1 : 0;
}
