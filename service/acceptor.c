/* The accept loop of acceptor.h: poll() on the listening socket and a wake-up pipe, accept4()
 * what is waiting, MHD_add_connection() on the least loaded worker (libmicrohttpd's admission
 * callback, coupond's connection guard, runs there as it would on its own accept). */
#define _GNU_SOURCE /* accept4, pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "acceptor.h"
#include "log.h"

/* The most connections taken off the queue per wake-up before polling again. */
#define ACCEPT_BURST 64
/* How long to wait when the process is out of file descriptors or memory (ms). */
#define ACCEPT_BACKOFF_MS 20

struct acceptor {
    int fd;      /* the listening socket; -1 once quiesced */
    int wake[2]; /* a byte on wake[1] stops the thread */
    struct MHD_Daemon *const *workers;
    unsigned n, max_conns, last;
    atomic_uint *held; /* connections handed to each worker and not yet closed */
    pthread_t thread;
    bool told_fds;  /* running out of descriptors was logged (until an accept succeeds) */
    bool told_full; /* the connection limit was logged (until a connection is handed over) */
};

int acceptor_listen(const struct sockaddr *addr, socklen_t len, int backlog)
{
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        (addr->sa_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0) ||
        bind(fd, addr, len) != 0 || listen(fd, backlog) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* The worker for the next connection: the fewest connections held, the first after the last
 * one chosen among equals (so a burst on idle workers goes round them all). Sets *TOTAL to the
 * connections held by all. */
static unsigned least_loaded(struct acceptor *a, unsigned long *total)
{
    unsigned best = a->n, best_held = 0;
    *total = 0;
    for (unsigned i = 1; i <= a->n; i++) {
        unsigned k = (a->last + i) % a->n;
        unsigned held = atomic_load(&a->held[k]);
        *total += held;
        if (best == a->n || held < best_held) {
            best = k;
            best_held = held;
        }
    }
    return best;
}

/* Hands connection C (its peer PEER of LEN bytes) to the least loaded worker, or closes it
 * when MAX_CONNS are open. */
static void hand_over(struct acceptor *a, int c, const struct sockaddr *peer, socklen_t len)
{
    unsigned long total;
    unsigned k = least_loaded(a, &total);
    if (total >= a->max_conns) {
        if (!a->told_full)
            log_msg(LOGL_WARN, "%u connections are open (max-connections): closing new ones",
                    a->max_conns);
        a->told_full = true;
        close(c);
        return;
    }
    a->last = k;
    a->told_full = false;
    /* Counted before the worker sees it, so that the next choice knows; a refused connection
     * (the connection guard, out of memory) is never started and uncounted at once. */
    atomic_fetch_add(&a->held[k], 1);
    if (MHD_add_connection(a->workers[k], c, peer, len) != MHD_YES)
        atomic_fetch_sub(&a->held[k], 1); /* libmicrohttpd closed C */
}

/* Accepts up to ACCEPT_BURST waiting connections. Returns false when the process is short of
 * file descriptors or memory (the caller waits a moment). */
static bool accept_waiting(struct acceptor *a)
{
    for (int i = 0; i < ACCEPT_BURST; i++) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof peer;
        int c = accept4(a->fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                if (!a->told_fds)
                    log_msg(LOGL_WARN, "cannot accept a connection: %s (waiting)", strerror(errno));
                a->told_fds = true;
                return false;
            }
            return true; /* EAGAIN: nothing waits; ECONNABORTED, EINTR, ...: poll again */
        }
        a->told_fds = false;
        hand_over(a, c, (struct sockaddr *)&peer, len);
    }
    return true;
}

static void *accept_main(void *arg)
{
    struct acceptor *a = arg;
    int timeout = -1;
    for (;;) {
        struct pollfd p[2] = {{.fd = a->fd, .events = POLLIN},
                              {.fd = a->wake[0], .events = POLLIN}};
        int n = poll(p, 2, timeout);
        if (n < 0 && errno != EINTR) {
            log_msg(LOGL_ERROR, "accept loop: poll failed: %s", strerror(errno));
            break;
        }
        if (n > 0 && p[1].revents != 0)
            break; /* acceptor_quiesce */
        if (n > 0 && (p[0].revents & POLLNVAL) != 0) {
            log_msg(LOGL_ERROR, "accept loop: the listening socket is gone");
            break;
        }
        timeout = accept_waiting(a) ? -1 : ACCEPT_BACKOFF_MS;
    }
    return NULL;
}

struct acceptor *acceptor_start(int fd, struct MHD_Daemon *const *workers, unsigned n,
                                unsigned max_conns)
{
    struct acceptor *a = calloc(1, sizeof *a);
    atomic_uint *held = n > 0 ? calloc(n, sizeof *held) : NULL;
    if (a == NULL || held == NULL) {
        log_msg(LOGL_ERROR, "accept loop: out of memory");
        free(a);
        free(held);
        return NULL;
    }
    for (unsigned k = 0; k < n; k++)
        atomic_init(&held[k], 0);
    *a = (struct acceptor){
        .fd = fd, .workers = workers, .n = n, .max_conns = max_conns, .last = n - 1, .held = held};
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 ||
        pipe2(a->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        log_msg(LOGL_ERROR, "accept loop: %s", strerror(errno));
        free(held);
        free(a);
        return NULL;
    }
    if (pthread_create(&a->thread, NULL, accept_main, a) != 0) {
        log_msg(LOGL_ERROR, "accept loop: cannot start its thread");
        close(a->wake[0]);
        close(a->wake[1]);
        free(held);
        free(a);
        return NULL;
    }
    return a;
}

void acceptor_gone(struct acceptor *a, unsigned k)
{
    if (a != NULL && k < a->n)
        atomic_fetch_sub(&a->held[k], 1);
}

void acceptor_quiesce(struct acceptor *a)
{
    if (a == NULL || a->fd < 0)
        return;
    const char byte = 's';
    while (write(a->wake[1], &byte, 1) < 0 && errno == EINTR)
        ;
    pthread_join(a->thread, NULL);
    close(a->wake[0]);
    close(a->wake[1]);
    close(a->fd);
    a->fd = -1;
}

void acceptor_free(struct acceptor *a)
{
    if (a == NULL)
        return;
    acceptor_quiesce(a);
    free(a->held);
    free(a);
}
