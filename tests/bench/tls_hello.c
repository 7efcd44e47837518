/* tls_hello: the "plain TLS" ceiling of benchmark row a. The smallest server that does the
 * frame of a request the way coupond does it: libmicrohttpd with GnuTLS, the same poll()
 * thread pool, the same server certificate and TLS priorities, kept-alive connections;
 * but no client certificate asked for, no routing, no log line, no database. Every request
 * gets 200 and coupond's own /livez body. Runs until SIGINT or SIGTERM.
 *
 *   tls_hello --listen 127.0.0.1:PORT --cert server.pem --key server.key [--threads N] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
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
    fputs("usage: tls_hello --listen 127.0.0.1:PORT --cert FILE --key FILE [--threads N]\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *listen = NULL, *cert = NULL, *key = NULL;
    unsigned threads = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--listen") == 0)
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
    if (argc % 2 == 0 || colon == NULL || cert == NULL || key == NULL || threads == 0 ||
        threads > 256)
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
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_TLS | MHD_USE_ERROR_LOG | MHD_USE_POLL_INTERNAL_THREAD, (uint16_t)port, NULL, NULL,
        answer, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&in4, MHD_OPTION_THREAD_POOL_SIZE,
        threads, MHD_OPTION_CONNECTION_LIMIT, 4096u, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16 * 1024), MHD_OPTION_HTTPS_MEM_CERT,
        pem_cert, MHD_OPTION_HTTPS_MEM_KEY, pem_key, MHD_OPTION_HTTPS_PRIORITIES, PRIORITIES,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "tls_hello: cannot serve on %s\n", listen);
        return 1;
    }
    int sig = 0;
    sigwait(&stop, &sig);
    MHD_stop_daemon(d);
    free(pem_cert);
    free(pem_key);
    return 0;
}
