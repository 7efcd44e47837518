/* loadgen: a bounded load generator for coupond over keep-alive (mutual) TLS on loopback.
 * libcurl's multi interface (OpenSSL backend); each of C connections has its own easy
 * handle, re-added after every answer so its kept-alive connection carries the next
 * request. Prints one line of key=value results (see usage()). */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define MAX_STATUS 600
#define MAX_CONNS 4096
#define MAX_THREADS 16

static void usage(FILE *f)
{
    fputs(
        "usage: loadgen --url https://127.0.0.1:PORT [options]\n"
        "  --url BASE           service base URL; loopback hosts only (127.0.0.1, localhost, [::1])\n"
        "  --ca FILE            CA that signed the server certificate\n"
        "  --cert FILE --key FILE   client certificate and key (mutual TLS)\n"
        "  --no-cert            send no client certificate (plain TLS)\n"
        "  -c, --conns N        concurrent keep-alive connections (default 4)\n"
        "  -t, --threads N      client threads, connections split among them (default 1)\n"
        "  -d, --duration S     stop starting requests after S seconds (default 5, max 600)\n"
        "  -n, --requests N     stop after N timed requests (default 10000000)\n"
        "  -m, --method M       GET or POST (default GET, POST when a body is given)\n"
        "  -p, --path P         path template; \"{i}\" becomes the request counter (default /healthz)\n"
        "  -b, --body B         body template; \"{i}\" becomes the request counter\n"
        "  --paths FILE         one path per line, used in order (overrides --path)\n"
        "  --bodies FILE        one body per line, used in order (overrides --body)\n"
        "  --wrap               start a file over at its end (default: stop at its end)\n"
        "  --start N            first value of the counter (default 0)\n"
        "  --expect LIST        statuses that count as success, e.g. 200,201 (default: any 2xx)\n"
        "  --no-prime           time from the first request (default: every connection first\n"
        "                       makes one untimed request, so handshakes are not timed)\n"
        "  --show-errors N      print the first N unexpected answers on stderr (default 3)\n"
        "  --label TEXT         echoed as label=TEXT in the result line\n"
        "output (one line): label requests errors status=CODE:COUNT,... rps p50_ms p90_ms p99_ms\n"
        "  max_ms connects (new connections, CURLINFO_NUM_CONNECTS summed, priming included)\n"
        "  conns threads duration_s prime_requests prime_errors exhausted=0|1\n",
        f);
}

struct lines {
    char *buf;
    const char **line;
    size_t *len;
    size_t n;
};

struct opts {
    const char *url, *ca, *cert, *key, *method, *path, *body, *paths_file, *bodies_file,
        *label;
    bool no_cert, wrap, prime;
    unsigned conns, threads, show_errors;
    double duration;
    uint64_t max_requests, start;
    bool expect[MAX_STATUS];
    bool expect_set;
    struct lines paths, bodies;
};

static struct opts o;
static atomic_uint_fast64_t next_index;      /* request counter, shared by all threads */
static atomic_uint_fast64_t timed_issued;    /* timed requests started */
static atomic_bool exhausted;                /* a --paths/--bodies file ran out */
static atomic_uint shown_errors;
static pthread_barrier_t primed;
static double t_start, t_deadline;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *msg, const char *arg)
{
    fprintf(stderr, "loadgen: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    exit(2);
}

/* Reads FILE into L, one entry per non-empty line. Exits on error. */
static void read_lines(const char *file, struct lines *l)
{
    FILE *f = fopen(file, "rb");
    if (f == NULL)
        die("cannot open", file);
    if (fseek(f, 0, SEEK_END) != 0)
        die("cannot seek", file);
    long size = ftell(f);
    if (size < 0)
        die("cannot size", file);
    rewind(f);
    l->buf = malloc((size_t)size + 1);
    if (l->buf == NULL || fread(l->buf, 1, (size_t)size, f) != (size_t)size)
        die("cannot read", file);
    fclose(f);
    l->buf[size] = '\0';
    size_t cap = 1024;
    l->line = malloc(cap * sizeof *l->line);
    l->len = malloc(cap * sizeof *l->len);
    if (l->line == NULL || l->len == NULL)
        die("out of memory", NULL);
    char *s = l->buf;
    while (s != NULL && *s != '\0') {
        char *nl = strchr(s, '\n');
        if (nl != NULL)
            *nl = '\0';
        size_t len = strlen(s);
        if (len > 0 && s[len - 1] == '\r')
            s[--len] = '\0';
        if (len > 0) {
            if (l->n == cap) {
                cap *= 2;
                l->line = realloc(l->line, cap * sizeof *l->line);
                l->len = realloc(l->len, cap * sizeof *l->len);
                if (l->line == NULL || l->len == NULL)
                    die("out of memory", NULL);
            }
            l->line[l->n] = s;
            l->len[l->n] = len;
            l->n++;
        }
        s = nl != NULL ? nl + 1 : NULL;
    }
    if (l->n == 0)
        die("no lines in", file);
}

/* Writes TEMPLATE with every "{i}" replaced by I into a fresh, NUL-terminated buffer. */
static char *expand(const char *tmpl, uint64_t i, size_t *out_len)
{
    char num[24];
    int nlen = snprintf(num, sizeof num, "%" PRIu64, i);
    size_t count = 0;
    for (const char *p = strstr(tmpl, "{i}"); p != NULL; p = strstr(p + 3, "{i}"))
        count++;
    size_t len = strlen(tmpl) + count * (size_t)nlen;
    char *out = malloc(len + 1), *w = out;
    if (out == NULL)
        die("out of memory", NULL);
    for (const char *p = tmpl; *p != '\0';) {
        if (p[0] == '{' && p[1] == 'i' && p[2] == '}') {
            memcpy(w, num, (size_t)nlen);
            w += nlen;
            p += 3;
        } else {
            *w++ = *p++;
        }
    }
    *w = '\0';
    *out_len = (size_t)(w - out);
    return out;
}

struct slot {
    CURL *easy;
    char *url;    /* owned */
    char *body;   /* owned when expanded from a template, else NULL */
    double sent;  /* when the request was added */
    bool timed;
    char errbuf[CURL_ERROR_SIZE];
    char resp[512];
    size_t resp_len;
};

struct worker {
    pthread_t tid;
    unsigned first, count; /* connection range */
    struct slot *slots;
    uint64_t status[MAX_STATUS];
    uint64_t requests, errors, prime_requests, prime_errors, connects;
    uint32_t *lat_us;
    size_t nlat, caplat;
    double last_done;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    struct slot *s = userp;
    size_t n = size * nmemb;
    size_t room = sizeof s->resp - 1 - s->resp_len;
    size_t take = n < room ? n : room;
    memcpy(s->resp + s->resp_len, data, take);
    s->resp_len += take;
    return n;
}

/* Prepares slot S for its next request. Returns false when there is none to make. */
static bool prepare(struct slot *s, bool timed)
{
    if (timed) {
        if (now_s() >= t_deadline)
            return false;
        uint64_t n = atomic_fetch_add(&timed_issued, 1);
        if (n >= o.max_requests)
            return false;
    }
    uint64_t i = atomic_fetch_add(&next_index, 1);
    uint64_t k = i - o.start;
    const char *path = o.path;
    size_t path_len = 0;
    char *path_owned = NULL;
    free(s->body);
    s->body = NULL;
    if (o.paths.n > 0) {
        if (k >= o.paths.n && !o.wrap) {
            atomic_store(&exhausted, true);
            return false;
        }
        path = o.paths.line[k % o.paths.n];
    } else {
        path_owned = expand(o.path, i, &path_len);
        path = path_owned;
    }
    const char *body = NULL;
    size_t body_len = 0;
    if (o.bodies.n > 0) {
        if (k >= o.bodies.n && !o.wrap) {
            atomic_store(&exhausted, true);
            free(path_owned);
            return false;
        }
        body = o.bodies.line[k % o.bodies.n];
        body_len = o.bodies.len[k % o.bodies.n];
    } else if (o.body != NULL) {
        s->body = expand(o.body, i, &body_len);
        body = s->body;
    }
    size_t ulen = strlen(o.url) + strlen(path) + 1;
    char *url = malloc(ulen);
    if (url == NULL)
        die("out of memory", NULL);
    snprintf(url, ulen, "%s%s", o.url, path);
    free(path_owned);
    free(s->url);
    s->url = url;
    curl_easy_setopt(s->easy, CURLOPT_URL, s->url);
    if (body != NULL) {
        curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, body);
    }
    s->timed = timed;
    s->resp_len = 0;
    s->errbuf[0] = '\0';
    return true;
}

static CURL *new_easy(struct slot *s, struct curl_slist *headers)
{
    CURL *e = curl_easy_init();
    if (e == NULL)
        die("curl_easy_init failed", NULL);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (o.ca != NULL)
        curl_easy_setopt(e, CURLOPT_CAINFO, o.ca);
    if (!o.no_cert) {
        curl_easy_setopt(e, CURLOPT_SSLCERT, o.cert);
        curl_easy_setopt(e, CURLOPT_SSLKEY, o.key);
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(e, CURLOPT_PRIVATE, s);
    if (strcmp(o.method, "POST") == 0)
        curl_easy_setopt(e, CURLOPT_POST, 1L);
    else if (strcmp(o.method, "GET") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, o.method);
    return e;
}

static bool is_expected(long status)
{
    if (status <= 0 || status >= MAX_STATUS)
        return false;
    return o.expect_set ? o.expect[status] : (status >= 200 && status < 300);
}

static void record(struct worker *w, struct slot *s, CURLcode rc, double done)
{
    long status = 0, connects = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(s->easy, CURLINFO_NUM_CONNECTS, &connects);
    w->connects += (uint64_t)connects;
    bool ok = rc == CURLE_OK && is_expected(status);
    if (!ok && atomic_fetch_add(&shown_errors, 1) < o.show_errors) {
        s->resp[s->resp_len] = '\0';
        fprintf(stderr, "loadgen: %s %s -> %s%ld %s\n", o.method, s->url,
                rc == CURLE_OK ? "HTTP " : "", rc == CURLE_OK ? status : (long)rc,
                rc == CURLE_OK ? s->resp : (s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc)));
    }
    if (!s->timed) {
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
    double us = (done - s->sent) * 1e6;
    w->lat_us[w->nlat++] = us > 4e9 ? 4000000000u : (uint32_t)us;
    w->last_done = done;
}

/* The event loop: libcurl's socket interface on an epoll set, so each wakeup touches only
 * the connections that are ready (curl_multi_perform would walk every handle). */
struct loop {
    CURLM *multi;
    int epfd;
    long timeout_ms; /* -1: no timer */
};

static int on_socket(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)e;
    struct loop *l = userp;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
        return 0;
    }
    struct epoll_event ev = {.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) |
                                       (what & CURL_POLL_OUT ? EPOLLOUT : 0u),
                             .data.fd = fd};
    /* curl_multi_assign marks sockets already in the set (the mark is never used). */
    if (socketp == NULL) {
        if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) != 0 && errno == EEXIST)
            epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
        curl_multi_assign(l->multi, fd, l);
    } else {
        epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
    }
    return 0;
}

static int on_timer(CURLM *m, long timeout_ms, void *userp)
{
    (void)m;
    ((struct loop *)userp)->timeout_ms = timeout_ms;
    return 0;
}

/* Runs the multi loop until no transfer is in flight; TIMED says which phase. */
static void run_phase(struct worker *w, CURLM *m, struct loop *l, bool timed)
{
    int running = 0, still = 0;
    for (unsigned k = 0; k < w->count; k++) {
        struct slot *s = &w->slots[k];
        if (prepare(s, timed)) {
            s->sent = now_s();
            curl_multi_add_handle(m, s->easy);
            running++;
        }
    }
    struct epoll_event ev[64];
    while (running > 0) {
        int n = epoll_wait(l->epfd, ev, 64, l->timeout_ms < 0 ? 100 : (int)l->timeout_ms);
        if (n <= 0) {
            curl_multi_socket_action(m, CURL_SOCKET_TIMEOUT, 0, &still);
        } else {
            for (int k = 0; k < n; k++) {
                int flags = (ev[k].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
                            (ev[k].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                            (ev[k].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
                curl_multi_socket_action(m, ev[k].data.fd, flags, &still);
            }
        }
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            double done = now_s();
            struct slot *s = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            CURLcode rc = msg->data.result;
            curl_multi_remove_handle(m, s->easy);
            running--;
            record(w, s, rc, done);
            if (timed && prepare(s, true)) {
                s->sent = now_s();
                curl_multi_add_handle(m, s->easy);
                running++;
            }
        }
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct curl_slist *headers = NULL;
    headers = curl_slist_append(headers, "Expect:");
    if (o.bodies_file != NULL || o.body != NULL)
        headers = curl_slist_append(headers, "Content-Type: application/json");
    CURLM *m = curl_multi_init();
    struct loop loop = {.multi = m, .epfd = epoll_create1(EPOLL_CLOEXEC), .timeout_ms = -1};
    if (m == NULL || loop.epfd < 0)
        die("curl_multi_init or epoll_create1 failed", NULL);
    curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(m, CURLMOPT_SOCKETDATA, &loop);
    curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(m, CURLMOPT_TIMERDATA, &loop);
    /* Exactly one connection per handle: no more are opened, none is dropped. */
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)w->count);
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)w->count);
    w->slots = calloc(w->count, sizeof *w->slots);
    if (w->slots == NULL)
        die("out of memory", NULL);
    for (unsigned k = 0; k < w->count; k++)
        w->slots[k].easy = new_easy(&w->slots[k], headers);
    if (o.prime)
        run_phase(w, m, &loop, false);
    int b = pthread_barrier_wait(&primed);
    if (b == PTHREAD_BARRIER_SERIAL_THREAD) {
        /* One thread sets the clock; the second barrier publishes it. */
        t_start = now_s();
        t_deadline = t_start + o.duration;
    }
    pthread_barrier_wait(&primed);
    w->last_done = t_start;
    run_phase(w, m, &loop, true);
    for (unsigned k = 0; k < w->count; k++) {
        curl_easy_cleanup(w->slots[k].easy);
        free(w->slots[k].url);
        free(w->slots[k].body);
    }
    free(w->slots);
    curl_multi_cleanup(m);
    close(loop.epfd);
    curl_slist_free_all(headers);
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(const uint32_t *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t k = (size_t)(p * (double)(n - 1) + 0.5);
    return v[k] / 1000.0;
}

static uint64_t parse_u64(const char *s, const char *what)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
        die("not a number for", what);
    return v;
}

/* Accepts only loopback hosts: https://127.0.0.1[:port], localhost, [::1]. */
static void check_loopback(const char *url)
{
    const char *p = strncmp(url, "https://", 8) == 0 ? url + 8 : NULL;
    if (p == NULL)
        die("the URL must start with https://", url);
    static const char *const hosts[] = {"127.0.0.1", "localhost", "[::1]"};
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        size_t n = strlen(hosts[i]);
        if (strncmp(p, hosts[i], n) == 0 && (p[n] == ':' || p[n] == '\0'))
            return;
    }
    die("only loopback targets are allowed", url);
}

static void parse_expect(const char *list)
{
    char *copy = strdup(list), *save = NULL;
    if (copy == NULL)
        die("out of memory", NULL);
    for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
        uint64_t v = parse_u64(t, "--expect");
        if (v < 100 || v >= MAX_STATUS)
            die("bad status in --expect", t);
        o.expect[v] = true;
    }
    o.expect_set = true;
    free(copy);
}

static bool is_arg(const char *a, const char *long_name, const char *short_name)
{
    return strcmp(a, long_name) == 0 || (short_name != NULL && strcmp(a, short_name) == 0);
}

static void parse_args(int argc, char **argv)
{
    o.conns = 4;
    o.threads = 1;
    o.duration = 5;
    o.max_requests = 10000000;
    o.path = "/healthz";
    o.prime = true;
    o.show_errors = 3;
    o.label = "-";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
#define ARG(long_, short_) (is_arg(a, long_, short_))
#define VAL() (has ? argv[++i] : (die("missing value for", a), ""))
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        } else if (ARG("--url", NULL)) {
            o.url = VAL();
        } else if (ARG("--ca", NULL)) {
            o.ca = VAL();
        } else if (ARG("--cert", NULL)) {
            o.cert = VAL();
        } else if (ARG("--key", NULL)) {
            o.key = VAL();
        } else if (ARG("--no-cert", NULL)) {
            o.no_cert = true;
        } else if (ARG("--conns", "-c")) {
            o.conns = (unsigned)parse_u64(VAL(), a);
        } else if (ARG("--threads", "-t")) {
            o.threads = (unsigned)parse_u64(VAL(), a);
        } else if (ARG("--duration", "-d")) {
            char *end = NULL;
            const char *v = VAL();
            o.duration = strtod(v, &end);
            if (end == v || *end != '\0' || !(o.duration > 0 && o.duration <= 600))
                die("--duration must be from 0 to 600 seconds", v);
        } else if (ARG("--requests", "-n")) {
            o.max_requests = parse_u64(VAL(), a);
        } else if (ARG("--method", "-m")) {
            o.method = VAL();
        } else if (ARG("--path", "-p")) {
            o.path = VAL();
        } else if (ARG("--body", "-b")) {
            o.body = VAL();
        } else if (ARG("--paths", NULL)) {
            o.paths_file = VAL();
        } else if (ARG("--bodies", NULL)) {
            o.bodies_file = VAL();
        } else if (ARG("--wrap", NULL)) {
            o.wrap = true;
        } else if (ARG("--start", NULL)) {
            o.start = parse_u64(VAL(), a);
        } else if (ARG("--expect", NULL)) {
            parse_expect(VAL());
        } else if (ARG("--no-prime", NULL)) {
            o.prime = false;
        } else if (ARG("--show-errors", NULL)) {
            o.show_errors = (unsigned)parse_u64(VAL(), a);
        } else if (ARG("--label", NULL)) {
            o.label = VAL();
        } else {
            usage(stderr);
            die("unknown argument", a);
        }
#undef ARG
#undef VAL
    }
    if (o.url == NULL)
        die("--url is required", NULL);
    check_loopback(o.url);
    if (!o.no_cert && (o.cert == NULL || o.key == NULL))
        die("--cert and --key are required (or --no-cert)", NULL);
    if (o.conns < 1 || o.conns > MAX_CONNS)
        die("--conns must be from 1 to 4096", NULL);
    if (o.threads < 1 || o.threads > MAX_THREADS || o.threads > o.conns)
        die("--threads must be from 1 to 16 and at most --conns", NULL);
    if (o.max_requests < 1)
        die("--requests must be at least 1", NULL);
    if (o.paths_file != NULL)
        read_lines(o.paths_file, &o.paths);
    if (o.bodies_file != NULL)
        read_lines(o.bodies_file, &o.bodies);
    if (o.method == NULL)
        o.method = (o.body != NULL || o.bodies_file != NULL) ? "POST" : "GET";
    if (strcmp(o.method, "POST") == 0 && o.body == NULL && o.bodies_file == NULL)
        o.body = "";
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    atomic_store(&next_index, o.start);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        die("curl_global_init failed", NULL);
    const curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);
    if (vi->ssl_version == NULL || strncmp(vi->ssl_version, "OpenSSL", 7) != 0)
        fprintf(stderr, "loadgen: warning: libcurl's TLS backend is %s, not OpenSSL\n",
                vi->ssl_version ? vi->ssl_version : "none");
    t_deadline = 1e300; /* priming is bounded by the per-request timeout only */
    struct worker *w = calloc(o.threads, sizeof *w);
    if (w == NULL)
        die("out of memory", NULL);
    if (pthread_barrier_init(&primed, NULL, o.threads) != 0)
        die("pthread_barrier_init failed", NULL);
    unsigned first = 0;
    for (unsigned t = 0; t < o.threads; t++) {
        w[t].first = first;
        w[t].count = o.conns / o.threads + (t < o.conns % o.threads);
        first += w[t].count;
        if (pthread_create(&w[t].tid, NULL, worker_main, &w[t]) != 0)
            die("pthread_create failed", NULL);
    }
    uint64_t status[MAX_STATUS] = {0};
    uint64_t requests = 0, errors = 0, prime_requests = 0, prime_errors = 0, connects = 0;
    size_t nlat = 0;
    double last = 0;
    for (unsigned t = 0; t < o.threads; t++) {
        pthread_join(w[t].tid, NULL);
        nlat += w[t].nlat;
    }
    uint32_t *lat = malloc((nlat ? nlat : 1) * sizeof *lat);
    if (lat == NULL)
        die("out of memory", NULL);
    size_t at = 0;
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
        memcpy(lat + at, w[t].lat_us, w[t].nlat * sizeof *lat);
        at += w[t].nlat;
        free(w[t].lat_us);
    }
    qsort(lat, nlat, sizeof *lat, cmp_u32);
    double elapsed = last - t_start;
    char hist[4096] = "";
    size_t hl = 0;
    for (int s = 0; s < MAX_STATUS; s++) {
        if (status[s] == 0)
            continue;
        int k = snprintf(hist + hl, sizeof hist - hl, "%s%d:%" PRIu64, hl ? "," : "", s,
                         status[s]);
        if (k < 0 || (size_t)k >= sizeof hist - hl)
            break;
        hl += (size_t)k;
    }
    printf("label=%s requests=%" PRIu64 " errors=%" PRIu64 " status=%s rps=%.1f p50_ms=%.3f "
           "p90_ms=%.3f p99_ms=%.3f max_ms=%.3f connects=%" PRIu64 " conns=%u threads=%u "
           "duration_s=%.3f prime_requests=%" PRIu64 " prime_errors=%" PRIu64 " exhausted=%d\n",
           o.label, requests, errors, hl ? hist : "none",
           elapsed > 0 ? (double)requests / elapsed : 0.0, pct(lat, nlat, 0.50),
           pct(lat, nlat, 0.90), pct(lat, nlat, 0.99), nlat ? lat[nlat - 1] / 1000.0 : 0.0,
           connects, o.conns, o.threads, elapsed, prime_requests, prime_errors,
           atomic_load(&exhausted) ? 1 : 0);
    free(lat);
    free(w);
    free(o.paths.buf);
    free(o.paths.line);
    free(o.paths.len);
    free(o.bodies.buf);
    free(o.bodies.line);
    free(o.bodies.len);
    pthread_barrier_destroy(&primed);
    curl_global_cleanup();
    return errors > 0 || requests == 0 ? 1 : 0;
}
