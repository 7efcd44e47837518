/* tls_hello: the "plain TLS" ceiling of benchmark rows a and a2. The smallest server that
 * does the frame of a request the way coupond does it: libmicrohttpd with GnuTLS, N poll()
 * threads, the same server certificate and TLS priorities, kept-alive connections; but no
 * client certificate asked for, no routing, no log line, no database. Every request gets 200
 * and coupond's own /livez body. Runs until SIGINT or SIGTERM.
 *
 * Threads: libmicrohttpd's own pool (its workers race for accept()), or with --spread as
 * coupond serves since stop 24: N daemons of one poll() thread each, and the main thread
 * accepting every connection and handing it to the next daemon in turn (MHD_add_connection).
 *
 *   tls_hello --listen 127.0.0.1:PORT --cert server.pem --key server.key [--threads N]
 *             [--spread] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* coupond's TLS priorities (service/http.c): TLS 1.2/1.3, AEAD ciphers, (EC)DHE only. */
#define PRIORITIES                                                                                 \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:"            \
    "+CHACHA20-POLY1305:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:%SERVER_PRECEDENCE"

static const char BODY[] = "{\"status\":\"alive\"}";

/* Reads the whole file PATH into a NUL-terminated buffer (the caller frees it); exits 2
 * with a sentence when it cannot. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "tls_hello: cannot open %s\n", path);
        exit(2);
    }
    size_t cap = 4096, len = 0;
    char *p = malloc(cap);
    size_t n;
    while (p != NULL && (n = fread(p + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len - 1 == 0) {
            char *q = realloc(p, cap * 2);
            if (q == NULL)
                free(p);
            p = q;
            cap *= 2;
        }
    }
    fclose(f);
    if (p == NULL) {
        fprintf(stderr, "tls_hello: out of memory reading %s\n", path);
        exit(2);
    }
    p[len] = '\0';
    return p;
}

/* Answers every request, on the handler's second call as coupond does (the first call only
 * announces the request), with 200 and BODY. */
static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *data_size, void **state)
{
    (void)cls, (void)url, (void)method, (void)version, (void)data;
    static int announced;
    if (*state == NULL) {
        *state = &announced;
        return MHD_YES;
    }
    if (*data_size != 0) { /* a body: read and ignore it */
        *data_size = 0;
        return MHD_YES;
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(sizeof BODY - 1, (void *)BODY, MHD_RESPMEM_PERSISTENT);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ok;
}

static void usage(void)
{
    fputs("usage: tls_hello --listen 127.0.0.1:PORT --cert FILE --key FILE [--threads N] "
          "[--spread]\n",
          stderr);
    exit(2);
}

/* Starts one daemon: a pool of THREADS workers listening on ADDR, or (ADDR NULL) one poll()
 * thread fed by MHD_add_connection. */
static struct MHD_Daemon *start(const struct sockaddr_in *addr, unsigned threads,
                                const char *pem_cert, const char *pem_key)
{
    unsigned flags = MHD_USE_TLS | MHD_USE_ERROR_LOG | MHD_USE_POLL_INTERNAL_THREAD;
    struct MHD_OptionItem where[] = {
        addr != NULL ? (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, (void *)addr}
                     : (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL},
        {MHD_OPTION_END, 0, NULL}};
    if (addr == NULL)
        flags |= MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC;
    return MHD_start_daemon(flags, 0, NULL, NULL, answer, NULL, MHD_OPTION_ARRAY, where,
                            MHD_OPTION_THREAD_POOL_SIZE, addr != NULL ? threads : 0u,
                            MHD_OPTION_CONNECTION_LIMIT, 4096u, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16 * 1024),
                            MHD_OPTION_HTTPS_MEM_CERT, pem_cert, MHD_OPTION_HTTPS_MEM_KEY, pem_key,
                            MHD_OPTION_HTTPS_PRIORITIES, PRIORITIES, MHD_OPTION_LISTEN_BACKLOG_SIZE,
                            1024u, MHD_OPTION_END);
}

/* listen(2) with a queue of 1024 (main's argument "listen" hides the function's name). */
static int listen_on(int fd)
{
    return listen(fd, 1024);
}

/* --spread: the daemons and the listening socket the accept thread serves. */
struct spread {
    struct MHD_Daemon **d;
    unsigned n;
    int fd;
};

/* Accepts connections forever and hands each to the next daemon in turn. */
static void *accept_loop(void *arg)
{
    struct spread *sp = arg;
    for (unsigned next = 0;; next = (next + 1) % sp->n) {
        struct sockaddr_in peer;
        socklen_t len = sizeof peer;
        int c = accept4(sp->fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) {
            usleep(1000);
            continue;
        }
        (void)MHD_add_connection(sp->d[next], c, (struct sockaddr *)&peer, len);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *listen = NULL, *cert = NULL, *key = NULL;
    unsigned threads = 2;
    int spread = 0;
    for (int i = 1; i < argc; i += 2) {
        if (strcmp(argv[i], "--spread") == 0) {
            spread = 1;
            i--;
        } else if (i + 1 >= argc)
            usage();
        else if (strcmp(argv[i], "--listen") == 0)
            listen = argv[i + 1];
        else if (strcmp(argv[i], "--cert") == 0)
            cert = argv[i + 1];
        else if (strcmp(argv[i], "--key") == 0)
            key = argv[i + 1];
        else if (strcmp(argv[i], "--threads") == 0)
            threads = (unsigned)strtoul(argv[i + 1], NULL, 10);
        else
            usage();
    }
    const char *colon = listen != NULL ? strrchr(listen, ':') : NULL;
    if (colon == NULL || cert == NULL || key == NULL || threads == 0 || threads > 256)
        usage();
    char host[64];
    size_t hl = (size_t)(colon - listen);
    unsigned long port = strtoul(colon + 1, NULL, 10);
    struct sockaddr_in in4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (hl >= sizeof host || port == 0 || port > 65535)
        usage();
    memcpy(host, listen, hl);
    host[hl] = '\0';
    if (inet_pton(AF_INET, host, &in4.sin_addr) != 1)
        usage();
    char *pem_cert = slurp(cert), *pem_key = slurp(key);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL); /* the pool's threads inherit the mask */
    struct MHD_Daemon *pool = NULL;
    struct spread sp = {.n = threads, .fd = -1};
    if (!spread) {
        pool = start(&in4, threads, pem_cert, pem_key);
        if (pool == NULL) {
            fprintf(stderr, "tls_hello: cannot serve on %s\n", listen);
            return 1;
        }
    } else {
        int on = 1;
        pthread_t t;
        sp.d = calloc(threads, sizeof *sp.d);
        sp.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (sp.d == NULL || sp.fd < 0 ||
            setsockopt(sp.fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
            bind(sp.fd, (struct sockaddr *)&in4, sizeof in4) != 0 || listen_on(sp.fd) != 0) {
            fprintf(stderr, "tls_hello: cannot serve on %s\n", listen);
            return 1;
        }
        for (unsigned k = 0; k < threads; k++)
            if ((sp.d[k] = start(NULL, 0, pem_cert, pem_key)) == NULL) {
                fprintf(stderr, "tls_hello: cannot start daemon %u\n", k + 1);
                return 1;
            }
        if (pthread_create(&t, NULL, accept_loop, &sp) != 0)
            return 1;
    }
    int sig = 0;
    sigwait(&stop, &sig);
    if (pool != NULL)
        MHD_stop_daemon(pool);
    /* --spread: the process ends; the accept thread and its daemons end with it. */
    free(pem_cert);
    free(pem_key);
    return 0;
}
