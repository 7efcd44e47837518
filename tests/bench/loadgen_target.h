/* loadgen_target: where loadgen_ossl connects and how it speaks TLS there. */
#ifndef LOADGEN_TARGET_H
#define LOADGEN_TARGET_H
#include <openssl/ssl.h>
#include <sys/socket.h>

struct lg_target {
    struct sockaddr_storage addr; /* the loopback address to connect to */
    socklen_t addr_len;
    char authority[280]; /* the Host header: host[:port] as in the URL */
    char prefix[1024];   /* the URL's path, put before every request's path */
    char sni[256];       /* the name sent for SNI, or "" for an address */
    SSL_CTX *ctx;        /* the client's TLS context; SSL_CTX_free it when done */
};

/* Creates T->ctx from the options in force (o.ca, o.cert, o.key, o.no_cert): the server is
 * verified, TLS 1.2 or later, ALPN http/1.1. Dies with OpenSSL's reason on failure. */
void lg_target_tls(struct lg_target *t);

/* Fills T from URL, which must be https:// to a loopback host (127.0.0.1[:port], localhost
 * or [::1]); sets the name or address the server certificate must match in T->ctx (so
 * lg_target_tls comes first). Dies with a sentence on any other URL. */
void lg_target_parse(struct lg_target *t, const char *url);
#endif
