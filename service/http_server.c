/* The HTTPS front's threads and sockets: the workers (--threads libmicrohttpd daemons of one
 * poll() thread each, one database connection each through db.c), the accept loop that
 * spreads connections over them (acceptor.h), the TLS credentials they serve with, and each
 * connection's life (its state, its place in the connection guard, its worker's count). The
 * requests themselves are http.c's (http_internal.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "acceptor.h"
#include "files.h"
#include "http.h"
#include "http_conn.h"
#include "http_guard.h"
#include "http_internal.h"
#include "listen_fds.h"
#include "log.h"
#include "metrics.h"
#include "tls_creds.h"
#include "trust.h"

/* One worker: a libmicrohttpd daemon with one poll() thread (and, through db.c, one database
 * connection), fed by the accept loop. */
struct http_worker {
    struct http_server *srv;
    unsigned index;
};

/* The running front: the workers and the accept loop that spreads connections over them. */
struct http_server {
    unsigned n;
    struct MHD_Daemon **daemons;
    struct http_worker *workers;
    struct acceptor *acceptor;
};

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    const struct http_worker *w = cls;
    struct conn_ctx *ctx = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        ctx = calloc(1, sizeof *ctx);
        *socket_context = ctx;
        metrics_connection_delta(1);
        if (ctx != NULL) {
            guard_open(&ctx->guard, conn);
            ctx->tls = tls_creds_hold(); /* this connection's handshake uses these */
        } else {
            /* No memory to keep the connection's state: end it at once. */
            const union MHD_ConnectionInfo *fi =
                MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
            if (fi != NULL)
                (void)shutdown(fi->connect_fd, SHUT_RDWR);
        }
    } else {
        if (ctx != NULL) {
            guard_close(&ctx->guard);
            tls_creds_release(ctx->tls);
        }
        free(ctx);
        *socket_context = NULL;
        metrics_connection_delta(-1);
        acceptor_gone(w->srv->acceptor, w->index);
    }
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';
    log_msg(LOGL_DEBUG, "mhd: %s", line);
}

static char *read_pem(const char *path)
{
    char *buf = file_read_all(path, 1u << 20, NULL);
    if (buf == NULL || buf[0] == '\0') {
        log_msg(LOGL_ERROR, "cannot read %s: %s", path, buf == NULL ? strerror(errno) : "empty");
        free(buf);
        return NULL;
    }
    return buf;
}

/* The CA's text, which libmicrohttpd keeps while the daemon runs: it names the CA in its
 * certificate requests (the names a browser picks a certificate by; read at start only). */
static char *pem_ca;

/* The gnutls_certificate_retrieve_function2 of every handshake: the server certificate and
 * key the connection pinned when it opened (tls_creds.h), so a reload reaches new connections
 * only and never frees what a handshake uses. */
static int retrieve_cert(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
                         const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
                         gnutls_pcert_st **pcert, unsigned int *pcert_length, gnutls_privkey_t *key)
{
    (void)req_ca_dn;
    (void)nreqs;
    (void)pk_algos;
    (void)pk_algos_length;
    struct MHD_Connection *conn = gnutls_session_get_ptr(session);
    struct conn_ctx *ctx = conn != NULL ? http_conn_of(conn) : NULL;
    if (ctx == NULL || ctx->tls == NULL)
        return -1; /* no credentials pinned: the handshake fails */
    tls_creds_get(ctx->tls, pcert, pcert_length, key);
    return 0;
}

/* Loads the server certificate and key and the client CA of CFG and puts them in force.
 * Returns 0, or -1 after logging why. */
static int load_tls(const struct svc_config *cfg)
{
    char why[512];
    struct tls_creds *creds = NULL;
    struct trust *trust = NULL;
    if (tls_creds_load(cfg->cert, cfg->key, &creds, why, sizeof why) != CPN_OK ||
        trust_load(cfg->ca, &trust, why, sizeof why) != CPN_OK) {
        log_msg(LOGL_ERROR, "%s", why);
        tls_creds_release(creds);
        return -1;
    }
    log_msg(LOGL_INFO, "server certificate %s", tls_creds_describe(creds, why, sizeof why));
    tls_creds_install(creds);
    trust_install(trust);
    return 0;
}

/* Frees what http_start read and put in force. */
static void http_free_tls(void)
{
    free(pem_ca);
    pem_ca = NULL;
    tls_creds_uninstall();
    trust_uninstall();
}

/* Starts worker W: a daemon with one poll() thread and no listening socket of its own.
 * Returns it, or NULL. */
static struct MHD_Daemon *start_worker(const struct svc_config *cfg, struct http_worker *w)
{
    /* poll(), not epoll: libmicrohttpd 0.9.75's epoll loop spins at full CPU on a TLS
     * handshake the client leaves unfinished (measured: 0.94 of a core per such socket,
     * until the idle time-out), so a few half-open sockets would take every worker. Its
     * poll() loop does not, at the same throughput (see docs/operations.md). */
    unsigned flags = MHD_USE_TLS | MHD_USE_ERROR_LOG | MHD_USE_POLL_INTERNAL_THREAD |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET;
    return MHD_start_daemon(
        flags, 0, guard_accept, NULL, http_on_request, NULL,
        /* the accept loop keeps the whole to cfg->max_connections */
        MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
        cfg->idle_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16 * 1024),
        MHD_OPTION_HTTPS_CERT_CALLBACK, retrieve_cert, MHD_OPTION_HTTPS_MEM_TRUST, pem_ca,
        MHD_OPTION_HTTPS_PRIORITIES,
        /* TLS 1.2 with (EC)DHE key exchange only, whatever the server key: never RSA key
         * transport (no forward secrecy); TLS 1.3 has nothing else. */
        "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:"
        "+CHACHA20-POLY1305:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:%SERVER_PRECEDENCE",
        MHD_OPTION_NOTIFY_COMPLETED, http_on_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION,
        on_connection, w, MHD_OPTION_URI_LOG_CALLBACK, http_on_uri, NULL,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
}

/* Stops the workers of SRV that run, then frees SRV (its accept loop stopped first). */
static void stop_server(struct http_server *srv)
{
    acceptor_quiesce(srv->acceptor);
    for (unsigned k = 0; k < srv->n; k++)
        if (srv->daemons[k] != NULL)
            MHD_stop_daemon(srv->daemons[k]);
    acceptor_free(srv->acceptor);
    free(srv->daemons);
    free(srv->workers);
    free(srv);
}

/* Starts CFG's workers and the accept loop on the listening socket SOCK (taken: closed on
 * failure). Returns the server, or NULL after logging why. */
static struct http_server *start_server(const struct svc_config *cfg, int sock)
{
    struct http_server *srv = calloc(1, sizeof *srv);
    if (srv != NULL) {
        srv->daemons = calloc(cfg->threads, sizeof *srv->daemons);
        srv->workers = calloc(cfg->threads, sizeof *srv->workers);
    }
    if (srv == NULL || srv->daemons == NULL || srv->workers == NULL) {
        log_msg(LOGL_ERROR, "out of memory");
        if (srv != NULL)
            stop_server(srv);
        close(sock);
        return NULL;
    }
    for (srv->n = 0; srv->n < cfg->threads; srv->n++) {
        srv->workers[srv->n] = (struct http_worker){.srv = srv, .index = srv->n};
        srv->daemons[srv->n] = start_worker(cfg, &srv->workers[srv->n]);
        if (srv->daemons[srv->n] == NULL) {
            log_msg(LOGL_ERROR, "cannot start worker %u (bad certificate/key?)", srv->n + 1);
            stop_server(srv);
            close(sock);
            return NULL;
        }
    }
    srv->acceptor = acceptor_start(sock, srv->daemons, srv->n, cfg->max_connections);
    if (srv->acceptor == NULL) {
        stop_server(srv);
        close(sock);
        return NULL;
    }
    return srv;
}

struct http_server *http_start(const struct svc_config *cfg)
{
    http_routes_register();
    struct guard_limits limits = {.per_address = cfg->max_per_address,
                                  .unauth = cfg->max_unauth,
                                  .unauth_per_address = cfg->max_unauth_per_address,
                                  .deadline_s = cfg->handshake_deadline_s};
    if (guard_start(&limits) != CPN_OK)
        return NULL;
    pem_ca = read_pem(cfg->ca);
    if (pem_ca == NULL || load_tls(cfg) != 0)
        goto fail;
    char why[256];
    int sock = listen_fds_socket(why, sizeof why);
    if (sock == -2) {
        log_msg(LOGL_ERROR, "socket activation: %s", why);
        goto fail;
    }
    struct sockaddr_in in4;
    struct sockaddr_in6 in6;
    struct sockaddr *addr;
    memset(&in4, 0, sizeof in4);
    memset(&in6, 0, sizeof in6);
    if (inet_pton(AF_INET, cfg->listen_host, &in4.sin_addr) == 1) {
        in4.sin_family = AF_INET;
        in4.sin_port = htons((uint16_t)cfg->port);
        addr = (struct sockaddr *)&in4;
    } else if (inet_pton(AF_INET6, cfg->listen_host, &in6.sin6_addr) == 1) {
        in6.sin6_family = AF_INET6;
        in6.sin6_port = htons((uint16_t)cfg->port);
        addr = (struct sockaddr *)&in6;
    } else if (strcmp(cfg->listen_host, "localhost") == 0) {
        in4.sin_family = AF_INET;
        in4.sin_port = htons((uint16_t)cfg->port);
        in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr = (struct sockaddr *)&in4;
    } else {
        log_msg(LOGL_ERROR, "listen address '%s' is not an IP address", cfg->listen_host);
        goto fail;
    }
    char where[80];
    snprintf(where, sizeof where, strchr(cfg->listen_host, ':') ? "[%s]:%u" : "%s:%u",
             cfg->listen_host, cfg->port);
    bool activated = sock >= 0;
    if (!activated) {
        socklen_t len = addr->sa_family == AF_INET6 ? sizeof in6 : sizeof in4;
        sock = acceptor_listen(addr, len, 1024);
        if (sock < 0) {
            log_msg(LOGL_ERROR, "cannot serve on %s: %s", where, strerror(errno));
            goto fail;
        }
    }
    (void)listen_fds_address(sock, where, sizeof where);
    /* Connections come from coupond's own accept loop (acceptor.h), which spreads them over
     * the workers; libmicrohttpd's pooled workers would race for accept() instead. */
    struct http_server *srv = start_server(cfg, sock);
    if (srv == NULL)
        goto fail;
    log_msg(LOGL_INFO, "listening on https://%s%s", where,
            activated ? " (the socket the service manager passed: socket activation; the "
                        "listen setting is not used)"
                      : "");
    return srv;
fail:
    http_free_tls();
    guard_stop();
    return NULL;
}

void http_stop(struct http_server *srv)
{
    stop_server(srv);
    guard_stop();
    http_free_tls();
}

void http_quiesce(struct http_server *srv)
{
    /* closes the listening socket: new connections are refused (or wait in coupond.socket's
     * queue) */
    acceptor_quiesce(srv->acceptor);
}
