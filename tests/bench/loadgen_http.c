/* loadgen_http: see loadgen_http.h. */
#define _GNU_SOURCE
#include "loadgen_http.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_CONNS   4096
#define MAX_THREADS 16

struct opts o;

_Noreturn void die(const char *msg, const char *arg)
{
    fprintf(stderr, "loadgen_ossl: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    exit(2);
}

static void usage(FILE *f)
{
    fputs(
        "usage: loadgen_ossl --url https://127.0.0.1:PORT [options]\n"
        "  --url BASE           service base URL; loopback hosts only (127.0.0.1, localhost, "
        "[::1])\n"
        "  --ca FILE            CA that signed the server certificate (default: the system's)\n"
        "  --cert FILE --key FILE   client certificate and key (mutual TLS)\n"
        "  --no-cert            send no client certificate (plain TLS)\n"
        "  -c, --conns N        concurrent keep-alive connections (default 4)\n"
        "  -t, --threads N      client threads, connections split among them (default 1)\n"
        "  -d, --duration S     stop starting requests after S seconds (default 5, max 600)\n"
        "  -n, --requests N     stop after N timed requests (default 10000000)\n"
        "  -m, --method M       request method (default GET, POST when a body is given)\n"
        "  -p, --path P         path template; \"{i}\" becomes the request counter (default "
        "/healthz)\n"
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
        "  --rate R             open loop: start R requests per second at fixed times, whatever\n"
        "                       the answers' pace (a request waits for a free connection when\n"
        "                       all are busy); latency counts from the request's scheduled time,\n"
        "                       so a late server is not hidden (no coordinated omission)\n"
        "output (one line): label requests errors status=CODE:COUNT,... rps p50_ms p90_ms p99_ms\n"
        "  max_ms connects (new TCP+TLS connections made, priming included)\n"
        "  conns threads duration_s prime_requests prime_errors exhausted=0|1\n"
        "Status 0 counts requests that got no answer (connection, TLS or protocol errors).\n",
        f);
}

/* Reads FILE into L, one entry per non-empty line. Exits on error. */
static void read_lines(const char *file, struct lines *l)
{
    FILE *f = fopen(file, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0)
        die("cannot open", file);
    long size = ftell(f);
    if (size < 0)
        die("cannot size", file);
    rewind(f);
    l->buf = malloc((size_t)size + 1);
    if (l->buf == NULL || fread(l->buf, 1, (size_t)size, f) != (size_t)size)
        die("cannot read", file);
    fclose(f);
    l->buf[size] = '\0';
    size_t cap = 0;
    for (char *s = l->buf, *nl; s != NULL && *s != '\0'; s = nl != NULL ? nl + 1 : NULL) {
        nl = strchr(s, '\n');
        if (nl != NULL)
            *nl = '\0';
        size_t len = strlen(s);
        if (len > 0 && s[len - 1] == '\r')
            s[--len] = '\0';
        if (len == 0)
            continue;
        if (l->n == cap) {
            cap = cap ? cap * 2 : 1024;
            l->line = realloc(l->line, cap * sizeof *l->line);
            l->len = realloc(l->len, cap * sizeof *l->len);
            if (l->line == NULL || l->len == NULL)
                die("out of memory", NULL);
        }
        l->line[l->n] = s;
        l->len[l->n++] = len;
    }
    if (l->n == 0)
        die("no lines in", file);
}

uint64_t parse_u64(const char *s, const char *what)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
        die("not a number for", what);
    return v;
}

static bool is_arg(const char *a, const char *long_name, const char *short_name)
{
    return strcmp(a, long_name) == 0 || (short_name != NULL && strcmp(a, short_name) == 0);
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

void parse_args(int argc, char **argv)
{
    o = (struct opts){.conns = 4,
                      .threads = 1,
                      .duration = 5,
                      .max_requests = 10000000,
                      .path = "/healthz",
                      .prime = true,
                      .show_errors = 3,
                      .label = "-"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
#define ARG(l, s) is_arg(a, l, s)
#define VAL()     (i + 1 < argc ? argv[++i] : (die("missing value for", a), ""))
        if (ARG("--help", "-h")) {
            usage(stdout);
            exit(0);
        } else if (ARG("--url", NULL))
            o.url = VAL();
        else if (ARG("--ca", NULL))
            o.ca = VAL();
        else if (ARG("--cert", NULL))
            o.cert = VAL();
        else if (ARG("--key", NULL))
            o.key = VAL();
        else if (ARG("--no-cert", NULL))
            o.no_cert = true;
        else if (ARG("--conns", "-c"))
            o.conns = (unsigned)parse_u64(VAL(), a);
        else if (ARG("--threads", "-t"))
            o.threads = (unsigned)parse_u64(VAL(), a);
        else if (ARG("--duration", "-d")) {
            char *end = NULL;
            const char *v = VAL();
            o.duration = strtod(v, &end);
            if (end == v || *end != '\0' || !(o.duration > 0 && o.duration <= 600))
                die("--duration must be from 0 to 600 seconds", v);
        } else if (ARG("--requests", "-n"))
            o.max_requests = parse_u64(VAL(), a);
        else if (ARG("--method", "-m"))
            o.method = VAL();
        else if (ARG("--path", "-p"))
            o.path = VAL();
        else if (ARG("--body", "-b"))
            o.body = VAL();
        else if (ARG("--paths", NULL))
            o.paths_file = VAL();
        else if (ARG("--bodies", NULL))
            o.bodies_file = VAL();
        else if (ARG("--wrap", NULL))
            o.wrap = true;
        else if (ARG("--start", NULL))
            o.start = parse_u64(VAL(), a);
        else if (ARG("--expect", NULL))
            parse_expect(VAL());
        else if (ARG("--no-prime", NULL))
            o.prime = false;
        else if (ARG("--show-errors", NULL))
            o.show_errors = (unsigned)parse_u64(VAL(), a);
        else if (ARG("--label", NULL))
            o.label = VAL();
        else if (ARG("--rate", NULL)) {
            char *end = NULL;
            const char *v = VAL();
            o.rate = strtod(v, &end);
            if (end == v || *end != '\0' || !(o.rate > 0 && o.rate <= 1e6))
                die("--rate must be from 0 to 1000000 requests per second", v);
        } else {
            usage(stderr);
            die("unknown argument", a);
        }
#undef ARG
#undef VAL
    }
    if (o.url == NULL)
        die("--url is required", NULL);
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
    for (const char *m = o.method; *m != '\0'; m++)
        if (*m < 'A' || *m > 'Z')
            die("the method must be upper-case letters", o.method);
    if (strcmp(o.method, "POST") == 0 && o.body == NULL && o.bodies_file == NULL)
        o.body = "";
    o.head = strcmp(o.method, "HEAD") == 0;
}

enum { S_HEAD, S_LEN, S_CHUNK_SIZE, S_CHUNK_DATA, S_CHUNK_END, S_TRAILER, S_EOF, S_DONE };

void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            fputs("loadgen_ossl: out of memory\n", stderr);
            exit(2);
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

void buf_tmpl(struct buf *b, const char *tmpl, uint64_t i)
{
    char num[24];
    int nlen = snprintf(num, sizeof num, "%" PRIu64, i);
    for (const char *p = tmpl;;) {
        const char *m = strstr(p, "{i}");
        if (m == NULL) {
            buf_str(b, p);
            return;
        }
        buf_add(b, p, (size_t)(m - p));
        buf_add(b, num, (size_t)nlen);
        p = m + 3;
    }
}

size_t http_request(struct buf *b, const char *method, const char *prefix, const char *path,
                    size_t path_len, const char *authority, const char *body, size_t body_len)
{
    b->len = 0;
    buf_str(b, method);
    buf_add(b, " ", 1);
    size_t target = b->len;
    buf_str(b, prefix);
    buf_add(b, path, path_len);
    if (b->len == target)
        buf_add(b, "/", 1);
    buf_str(b, " HTTP/1.1\r\nHost: ");
    buf_str(b, authority);
    buf_str(b, "\r\nAccept: */*\r\n");
    if (body != NULL) {
        char cl[32];
        int n = snprintf(cl, sizeof cl, "%zu", body_len);
        buf_str(b, "Content-Type: application/json\r\nContent-Length: ");
        buf_add(b, cl, (size_t)n);
        buf_str(b, "\r\n\r\n");
        buf_add(b, body, body_len);
    } else {
        buf_str(b, "\r\n");
    }
    return target;
}

void http_resp_init(struct http_resp *r, bool head)
{
    memset(r, 0, offsetof(struct http_resp, body));
    r->state = S_HEAD;
    r->head = head;
    r->body_len = 0;
    r->body[0] = '\0';
    r->error = NULL;
}

/* The length of the line at P through its '\n' (0: incomplete); *CONTENT: without "\r\n". */
static size_t line_at(const char *p, size_t avail, size_t *content)
{
    const char *nl = memchr(p, '\n', avail);
    if (nl == NULL)
        return 0;
    size_t n = (size_t)(nl - p);
    *content = n > 0 && p[n - 1] == '\r' ? n - 1 : n;
    return n + 1;
}

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && (**s == ' ' || **s == '\t'))
        (*s)++, (*n)--;
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

static bool is_token(const char *s, size_t n, const char *word)
{
    return n == strlen(word) && strncasecmp(s, word, n) == 0;
}

/* Whether the comma-separated list S[0, N) holds WORD; LAST: only as its last item. */
static bool list_has(const char *s, size_t n, const char *word, bool last)
{
    bool found = false;
    while (n > 0) {
        const char *comma = memchr(s, ',', n);
        size_t k = comma ? (size_t)(comma - s) : n;
        const char *t = s;
        size_t tn = k;
        trim(&t, &tn);
        found = is_token(t, tn, word);
        if (found && !last)
            return true;
        s += k + (comma != NULL);
        n -= k + (comma != NULL);
    }
    return found;
}

/* Parses one header section P[0, N) (status line through the empty line) into R. */
static int parse_head(struct http_resp *r, const char *p, size_t n)
{
    size_t len = 0, at = line_at(p, n, &len);
    if (len < 12 || strncmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') || p[8] != ' ' ||
        p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9' ||
        (len > 12 && p[12] != ' ')) {
        r->error = "malformed status line";
        return -1;
    }
    bool http10 = p[7] == '0', keep_alive = false, chunked = false, te = false, has_len = false;
    int status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    uint64_t clen = 0;
    for (size_t step; (step = line_at(p + at, n - at, &len)) > 0 && len > 0; at += step) {
        const char *name = p + at, *colon = memchr(name, ':', len);
        if (colon == NULL) {
            r->error = "malformed header line";
            return -1;
        }
        size_t nn = (size_t)(colon - name), vn = len - nn - 1;
        const char *v = colon + 1;
        trim(&v, &vn);
        if (is_token(name, nn, "content-length")) {
            uint64_t x = 0;
            for (size_t i = 0; i < vn; i++) {
                if (v[i] < '0' || v[i] > '9' || x > (UINT64_MAX - 9) / 10) {
                    r->error = "bad Content-Length";
                    return -1;
                }
                x = x * 10 + (uint64_t)(v[i] - '0');
            }
            if (vn == 0 || (has_len && x != clen)) {
                r->error = "bad or conflicting Content-Length";
                return -1;
            }
            has_len = true;
            clen = x;
        } else if (is_token(name, nn, "transfer-encoding")) {
            te = true;
            chunked = list_has(v, vn, "chunked", true);
        } else if (is_token(name, nn, "connection")) {
            r->close |= list_has(v, vn, "close", false);
            keep_alive |= list_has(v, vn, "keep-alive", false);
        }
    }
    if (http10 && !keep_alive)
        r->close = true;
    if (status < 200) {
        if (status == 101) {
            r->error = "unexpected 101 Switching Protocols";
            return -1;
        }
        r->close = false; /* an interim answer: the final one follows */
        return 0;
    }
    r->status = status;
    if (r->head || status == 204 || status == 304) {
        r->state = S_DONE;
    } else if (te) { /* Transfer-Encoding wins over Content-Length */
        r->state = chunked ? S_CHUNK_SIZE : S_EOF;
        r->close |= !chunked;
    } else if (has_len) {
        r->remain = clen;
        r->state = clen > 0 ? S_LEN : S_DONE;
    } else {
        r->state = S_EOF;
        r->close = true;
    }
    return 0;
}

static void keep(struct http_resp *r, const char *p, size_t n)
{
    size_t room = sizeof r->body - 1 - r->body_len;
    size_t take = n < room ? n : room;
    memcpy(r->body + r->body_len, p, take);
    r->body_len += take;
    r->body[r->body_len] = '\0';
}

static int fail(struct http_resp *r, const char *why)
{
    r->error = why;
    return -1;
}

int http_feed(struct http_resp *r, char *buf, size_t *lenp)
{
    size_t n = *lenp, at = 0, step, len;
    int rc = 0;
    while (rc == 0) {
        const char *p = buf + at;
        size_t avail = n - at;
        if (r->state == S_HEAD) {
            /* the header section ends at an empty line */
            size_t end = 0;
            for (size_t off = 0; (step = line_at(p + off, avail - off, &len)) > 0; off += step) {
                if (len == 0) {
                    end = off + step;
                    break;
                }
            }
            if (end == 0)
                break;
            if (parse_head(r, p, end) != 0)
                return -1;
            at += end;
        } else if (r->state == S_EOF) { /* the body runs to the end of the connection */
            keep(r, p, avail);
            at += avail;
            break;
        } else if (r->state == S_LEN || r->state == S_CHUNK_DATA) {
            if (avail == 0)
                break;
            size_t take = avail < r->remain ? avail : (size_t)r->remain;
            keep(r, p, take);
            at += take;
            r->remain -= take;
            if (r->remain == 0)
                r->state = r->state == S_LEN ? S_DONE : S_CHUNK_END;
        } else if (r->state == S_DONE) {
            rc = 1;
        } else { /* a line of the chunked framing */
            if ((step = line_at(p, avail, &len)) == 0)
                break;
            at += step;
            if (r->state == S_CHUNK_END) {
                if (len != 0)
                    return fail(r, "chunk data not followed by CRLF");
                r->state = S_CHUNK_SIZE;
            } else if (r->state == S_TRAILER) {
                if (len == 0)
                    r->state = S_DONE;
            } else { /* S_CHUNK_SIZE: hex digits, then optional ";extensions" */
                uint64_t size = 0;
                size_t i = 0;
                for (; i < len; i++) {
                    char c = p[i];
                    int d = c >= '0' && c <= '9'                     ? c - '0'
                            : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                                     : -1;
                    if (d < 0)
                        break;
                    if (size >> 59)
                        return fail(r, "chunk size too large");
                    size = size * 16 + (uint64_t)d;
                }
                while (i < len && (p[i] == ' ' || p[i] == '\t'))
                    i++;
                if (i == 0 || (i < len && p[i] != ';'))
                    return fail(r, "bad chunk size line");
                r->remain = size;
                r->state = size > 0 ? S_CHUNK_DATA : S_TRAILER;
            }
        }
    }
    if (rc == 1 && at < n)
        r->close = true; /* bytes nobody asked for: do not trust this connection again */
    if (rc == 1) {
        *lenp = 0;
    } else {
        memmove(buf, buf + at, n - at);
        *lenp = n - at;
    }
    return rc;
}

int http_eof(struct http_resp *r)
{
    if (r->state == S_EOF) {
        r->state = S_DONE;
        return 1;
    }
    r->error = r->state == S_HEAD ? "connection closed before an answer"
                                  : "connection closed in the middle of an answer";
    return -1;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

void lg_sort_latencies(uint32_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_u32);
}

double lg_percentile_ms(const uint32_t *v, size_t n, double p)
{
    return n == 0 ? 0 : v[(size_t)(p * (double)(n - 1) + 0.5)] / 1000.0;
}
