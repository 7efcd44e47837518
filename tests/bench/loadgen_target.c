/* loadgen_target: the target of loadgen_ossl (a loopback https:// URL: address, Host
 * header, path prefix, the name for SNI) and the client's TLS context (server verified
 * against --ca, client certificate unless --no-cert, TLS 1.2 or later, ALPN http/1.1). */
#define _GNU_SOURCE
#include "loadgen_target.h"
#include "loadgen_http.h"
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

/* Dies with MSG, ARG and OpenSSL's last error. */
static void die_ssl(const char *msg, const char *arg)
{
    char e[256], m[1024];
    ERR_error_string_n(ERR_peek_last_error(), e, sizeof e);
    snprintf(m, sizeof m, "%s: %s", arg, e);
    die(msg, m);
}

void lg_target_parse(struct lg_target *t, const char *url)
{
    const char *p = strncmp(url, "https://", 8) == 0 ? url + 8 : NULL;
    if (p == NULL)
        die("the URL must start with https://", url);
    static const char *const hosts[] = {"127.0.0.1", "localhost", "[::1]"};
    size_t h = 0, n = 0;
    for (; h < 3; h++)
        if (strncmp(p, hosts[h], n = strlen(hosts[h])) == 0 && (p[n] == ':' || p[n] == '\0'))
            break;
    if (h == 3)
        die("only loopback targets are allowed", url);
    const char *port = "443", *slash = strchr(p, '/');
    size_t alen = slash ? (size_t)(slash - p) : strlen(p);
    if (alen >= sizeof t->authority || strlen(p + alen) >= sizeof t->prefix)
        die("the URL is too long", url);
    memcpy(t->authority, p, alen);
    memcpy(t->prefix, p + alen, strlen(p + alen) + 1);
    if (t->authority[n] == ':')
        port = t->authority + n + 1;
    if (parse_u64(port, "the URL's port") - 1 > 65534)
        die("bad port in", url);
    const char *name = h == 0 ? "127.0.0.1" : h == 1 ? "localhost" : "::1";
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *ai;
    int e = getaddrinfo(name, port, &hints, &ai);
    if (e != 0)
        die("cannot resolve", gai_strerror(e));
    const struct addrinfo *pick = ai; /* localhost: IPv4 first, where coupond listens */
    for (const struct addrinfo *a = ai; a != NULL; a = a->ai_next)
        if (a->ai_family == AF_INET && (pick = a) != NULL)
            break;
    memcpy(&t->addr, pick->ai_addr, pick->ai_addrlen);
    t->addr_len = pick->ai_addrlen;
    freeaddrinfo(ai);
    const struct sockaddr_in *a4 = (const struct sockaddr_in *)&t->addr;
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&t->addr;
    if (!(t->addr.ss_family == AF_INET && (ntohl(a4->sin_addr.s_addr) >> 24) == 127) &&
        !(t->addr.ss_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr)))
        die("the host does not resolve to a loopback address", name);
    X509_VERIFY_PARAM *vp = SSL_CTX_get0_param(t->ctx);
    if (h == 1) {
        snprintf(t->sni, sizeof t->sni, "%s", name);
        if (X509_VERIFY_PARAM_set1_host(vp, name, 0) != 1)
            die_ssl("cannot set the host to verify", name);
    } else if (X509_VERIFY_PARAM_set1_ip_asc(vp, name) != 1) {
        die_ssl("cannot set the address to verify", name);
    }
}

void lg_target_tls(struct lg_target *t)
{
    if ((t->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
        die_ssl("SSL_CTX_new failed", "-");
    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
    if (o.ca != NULL ? SSL_CTX_load_verify_locations(t->ctx, o.ca, NULL) != 1
                     : SSL_CTX_set_default_verify_paths(t->ctx) != 1)
        die_ssl("cannot load the CA", o.ca ? o.ca : "(system default)");
    if (!o.no_cert) {
        if (SSL_CTX_use_certificate_chain_file(t->ctx, o.cert) != 1)
            die_ssl("cannot load the client certificate", o.cert);
        if (SSL_CTX_use_PrivateKey_file(t->ctx, o.key, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(t->ctx) != 1)
            die_ssl("cannot load the client key", o.key);
    }
    SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_read_ahead(t->ctx, 1); /* whole records per read(), not header then body */
    static const unsigned char alpn[] = "\x08http/1.1";
    if (SSL_CTX_set_alpn_protos(t->ctx, alpn, sizeof alpn - 1) != 0)
        die_ssl("cannot set ALPN", "http/1.1");
}
