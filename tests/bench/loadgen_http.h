/* loadgen_http: the half of loadgen_ossl without sockets or TLS: the command line (the
 * same as loadgen's), the request sources (--paths/--bodies files, "{i}" templates), HTTP/1.1
 * request formatting and an incremental response parser (status line, headers,
 * Content-Length, chunked or close-delimited bodies). */
#ifndef LOADGEN_HTTP_H
#define LOADGEN_HTTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_STATUS 600

struct lines {
    char *buf;
    const char **line;
    size_t *len;
    size_t n;
};

struct opts {
    const char *url, *ca, *cert, *key, *method, *path, *body, *paths_file, *bodies_file, *label;
    bool no_cert, wrap, prime, head;
    unsigned conns, threads, show_errors;
    double duration;
    double rate; /* requests per second, open loop (0: closed loop, as fast as answered) */
    uint64_t max_requests, start;
    bool expect[MAX_STATUS];
    bool expect_set;
    struct lines paths, bodies;
};

/* The options in force (parse_args fills them). */
extern struct opts o;

/* Prints MSG (and ARG when not NULL) on standard error and exits 2. */
_Noreturn void die(const char *msg, const char *arg);

/* Parses S as an unsigned decimal number; dies naming WHAT when it is not one. */
uint64_t parse_u64(const char *s, const char *what);
/* Fills in o from the command line (exits on --help or a bad argument). */
void parse_args(int argc, char **argv);

struct buf {
    char *p;
    size_t len, cap;
};

/* Appends N bytes of S to B, growing it (dies when out of memory). */
void buf_add(struct buf *b, const char *s, size_t n);
/* Appends TMPL with every "{i}" replaced by I. */
void buf_tmpl(struct buf *b, const char *tmpl, uint64_t i);

/* Replaces B's content with "METHOD PREFIX PATH HTTP/1.1" and headers (Host AUTHORITY,
 * Accept) and, when BODY is not NULL, Content-Type: application/json, Content-Length and
 * the body. Returns the offset of the request target in B. */
size_t http_request(struct buf *b, const char *method, const char *prefix, const char *path,
                    size_t path_len, const char *authority, const char *body, size_t body_len);

struct http_resp {
    int state;
    int status;      /* of the final (non-1xx) answer */
    bool head;       /* the request was HEAD: no body follows */
    bool close;      /* the connection cannot carry another request */
    uint64_t remain; /* body or chunk bytes still to come */
    char body[512];  /* the body's first bytes, NUL-terminated, for error reports */
    size_t body_len;
    const char *error; /* why http_feed or http_eof failed */
};
void http_resp_init(struct http_resp *r, bool head);
/* Consumes the answer's bytes from BUF[0, *LEN), leaving what it cannot use yet at the
 * front of BUF. Returns 1 when the answer is complete, 0 when it needs more bytes, -1 on a
 * protocol error (r->error). Bytes left after a complete answer set r->close. */
int http_feed(struct http_resp *r, char *buf, size_t *len);
/* The connection ended: 1 when that completes a close-delimited body, else -1. */
int http_eof(struct http_resp *r);

/* Sorts N latencies (microseconds) in place, ascending. */
void lg_sort_latencies(uint32_t *v, size_t n);
/* The P-th percentile (0..1) of N sorted latencies, in milliseconds; 0 when N is 0. */
double lg_percentile_ms(const uint32_t *v, size_t n, double p);

#endif
