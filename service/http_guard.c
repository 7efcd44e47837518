/* Connection admission for the HTTPS front (see http_guard.h): per-address counts in a
 * search tree, the unauthenticated connections in a list ordered by arrival (so the oldest
 * is the first to miss its deadline and, of the busiest address, the first to be evicted),
 * and a watchdog thread that shuts overdue sockets down. One mutex guards it all; it is taken a few
 * times per connection, never per request. */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "http_guard.h"
#include "log.h"
#include "metrics.h"

#define WATCH_NS (100 * 1000 * 1000)
#define REPORT_NS                                                                                  \
    (60LL * 1000 * 1000 * 1000) /* a summary of the guard's work at most this often                \
                                 */

/* An address as counted: IPv4 address, or the /64 of an IPv6 address. */
struct guard_addr {
    uint8_t key[17]; /* 16 address bytes, then the family: 4 or 6 */
    unsigned total;  /* open connections */
    unsigned pending;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake;
static struct guard_limits lim;
static void *addrs; /* tsearch tree of struct guard_addr */
static struct guard_conn *head, *tail;
static unsigned pending_total;
static pthread_t watchdog;
static bool running;
static unsigned long tally[METRICS_CONN_EVENTS]; /* since the last summary in the log */

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_addr(const void *a, const void *b)
{
    return memcmp(((const struct guard_addr *)a)->key, ((const struct guard_addr *)b)->key,
                  sizeof((const struct guard_addr *)a)->key);
}

/* The counting key of SA: IPv4 (also IPv4-mapped IPv6) whole, IPv6 by its /64. */
static void addr_key(const struct sockaddr *sa, socklen_t len, struct guard_addr *out)
{
    memset(out, 0, sizeof *out);
    if (sa != NULL && sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        memcpy(out->key, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        out->key[16] = 4;
    } else if (sa != NULL && sa->sa_family == AF_INET6 &&
               len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const uint8_t *a6 = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(a6, mapped, sizeof mapped) == 0) {
            memcpy(out->key, a6 + 12, 4);
            out->key[16] = 4;
        } else {
            memcpy(out->key, a6, 8);
            out->key[16] = 6;
        }
    } /* else: every other kind of address shares the all-zero key */
}

/* True when one more connection from A would break a limit; counts which. Under lock. */
static bool over_limit(const struct guard_addr *a)
{
    if (a == NULL)
        return false;
    if (lim.per_address != 0 && a->total >= lim.per_address) {
        metrics_count_connection_event(METRICS_CONN_REFUSED_PER_ADDRESS);
        tally[METRICS_CONN_REFUSED_PER_ADDRESS]++;
        return true;
    }
    if (lim.unauth_per_address != 0 && a->pending >= lim.unauth_per_address) {
        metrics_count_connection_event(METRICS_CONN_REFUSED_UNAUTH_PER_ADDRESS);
        tally[METRICS_CONN_REFUSED_UNAUTH_PER_ADDRESS]++;
        return true;
    }
    return false;
}

enum MHD_Result guard_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)cls;
    struct guard_addr key;
    addr_key(addr, addrlen, &key);
    pthread_mutex_lock(&lock);
    void *node = tfind(&key, &addrs, cmp_addr);
    bool refuse = over_limit(node != NULL ? *(struct guard_addr **)node : NULL);
    pthread_mutex_unlock(&lock);
    return refuse ? MHD_NO : MHD_YES;
}

/* Takes G out of the pending list and the budget. Under lock. */
static void unpend(struct guard_conn *g)
{
    if (!g->pending)
        return;
    if (g->prev != NULL)
        g->prev->next = g->next;
    else
        head = g->next;
    if (g->next != NULL)
        g->next->prev = g->prev;
    else
        tail = g->prev;
    g->prev = g->next = NULL;
    g->pending = false;
    g->addr->pending--;
    pending_total--;
    metrics_unauthenticated_delta(-1);
}

/* Ends G's connection: libmicrohttpd sees the socket end and closes it. Under lock. */
static void cut(struct guard_conn *g, enum metrics_conn_event why)
{
    if (g->fd >= 0)
        (void)shutdown(g->fd, SHUT_RDWR);
    metrics_count_connection_event(why);
    tally[why]++;
    unpend(g);
}

/* The connection to close when the budget is over: the oldest one of the address with the most
 * unauthenticated connections, so that a flood from one place evicts itself and a till's
 * handshake in progress is not evicted by a flood from elsewhere. Never NEWCOMER. O(budget),
 * under lock. */
static struct guard_conn *pick_victim(const struct guard_conn *newcomer)
{
    struct guard_conn *victim = NULL;
    for (struct guard_conn *c = head; c != NULL; c = c->next)
        if (c != newcomer && (victim == NULL || c->addr->pending > victim->addr->pending))
            victim = c;
    return victim;
}

void guard_open(struct guard_conn *g, struct MHD_Connection *conn)
{
    memset(g, 0, sizeof *g);
    g->fd = -1;
    const union MHD_ConnectionInfo *fi =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *ai =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (fi != NULL)
        g->fd = fi->connect_fd;
    /* libmicrohttpd gives the address without its length; the family says it. */
    const struct sockaddr *sa = ai != NULL ? ai->client_addr : NULL;
    socklen_t salen = 0;
    if (sa != NULL && sa->sa_family == AF_INET)
        salen = (socklen_t)sizeof(struct sockaddr_in);
    else if (sa != NULL && sa->sa_family == AF_INET6)
        salen = (socklen_t)sizeof(struct sockaddr_in6);
    struct guard_addr key;
    addr_key(sa, salen, &key);
    pthread_mutex_lock(&lock);
    void *node = tfind(&key, &addrs, cmp_addr);
    struct guard_addr *a = node != NULL ? *(struct guard_addr **)node : NULL;
    if (over_limit(a)) {
        if (g->fd >= 0)
            (void)shutdown(g->fd, SHUT_RDWR);
        pthread_mutex_unlock(&lock);
        return;
    }
    if (a == NULL) {
        a = malloc(sizeof *a);
        if (a != NULL) {
            *a = key;
            if (tsearch(a, &addrs, cmp_addr) == NULL) {
                free(a);
                a = NULL;
            }
        }
        if (a == NULL) { /* out of memory: this connection cannot be accounted for */
            if (g->fd >= 0)
                (void)shutdown(g->fd, SHUT_RDWR);
            pthread_mutex_unlock(&lock);
            return;
        }
    }
    a->total++;
    a->pending++;
    g->addr = a;
    g->pending = true;
    g->deadline_ns = now_ns() + (long long)lim.deadline_s * 1000000000LL;
    g->prev = tail;
    if (tail != NULL)
        tail->next = g;
    else
        head = g;
    tail = g;
    pending_total++;
    metrics_unauthenticated_delta(1);
    while (pending_total > lim.unauth) {
        struct guard_conn *victim = pick_victim(g);
        if (victim == NULL)
            break;
        cut(victim, METRICS_CONN_EVICTED);
    }
    pthread_mutex_unlock(&lock);
}

void guard_settle(struct guard_conn *g)
{
    pthread_mutex_lock(&lock);
    unpend(g);
    pthread_mutex_unlock(&lock);
}

void guard_close(struct guard_conn *g)
{
    pthread_mutex_lock(&lock);
    unpend(g);
    struct guard_addr *a = g->addr;
    if (a != NULL && --a->total == 0) {
        tdelete(a, &addrs, cmp_addr);
        free(a);
    }
    g->addr = NULL;
    g->fd = -1;
    pthread_mutex_unlock(&lock);
}

/* Logs what the guard did since the last summary, if anything. Under lock. */
static void report(void)
{
    unsigned long sum = 0;
    for (int i = 0; i < METRICS_CONN_EVENTS; i++)
        sum += tally[i];
    if (sum == 0)
        return;
    log_msg(LOGL_WARN,
            "connections without a verified certificate in the last minute or so: %lu refused "
            "(address at its limit: %lu in all, %lu unauthenticated), %lu closed at the "
            "handshake deadline, %lu evicted for newer ones",
            tally[METRICS_CONN_REFUSED_PER_ADDRESS] +
                tally[METRICS_CONN_REFUSED_UNAUTH_PER_ADDRESS],
            tally[METRICS_CONN_REFUSED_PER_ADDRESS], tally[METRICS_CONN_REFUSED_UNAUTH_PER_ADDRESS],
            tally[METRICS_CONN_DEADLINE], tally[METRICS_CONN_EVICTED]);
    memset(tally, 0, sizeof tally);
}

static void *watch(void *arg)
{
    (void)arg;
    long long next_report = now_ns() + REPORT_NS;
    pthread_mutex_lock(&lock);
    while (running) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += WATCH_NS;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        (void)pthread_cond_timedwait(&wake, &lock, &until);
        long long now = now_ns();
        while (head != NULL && head->deadline_ns <= now)
            cut(head, METRICS_CONN_DEADLINE);
        if (now >= next_report) {
            report();
            next_report = now + REPORT_NS;
        }
    }
    report();
    pthread_mutex_unlock(&lock);
    return NULL;
}

enum cpn_err guard_start(const struct guard_limits *limits)
{
    lim = *limits;
    if (lim.unauth == 0)
        lim.unauth = 1;
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0 ||
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&wake, &attr) != 0) {
        log_msg(LOGL_ERROR, "cannot start the connection guard: %s", strerror(errno));
        return CPN_ERR_INTERNAL;
    }
    pthread_condattr_destroy(&attr);
    running = true;
    if (pthread_create(&watchdog, NULL, watch, NULL) != 0) {
        running = false;
        pthread_cond_destroy(&wake);
        log_msg(LOGL_ERROR, "cannot start the connection guard's watchdog thread");
        return CPN_ERR_INTERNAL;
    }
    return CPN_OK;
}

void guard_stop(void)
{
    pthread_mutex_lock(&lock);
    bool was = running;
    running = false;
    if (was)
        pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    if (!was)
        return;
    pthread_join(watchdog, NULL);
    pthread_cond_destroy(&wake);
    pthread_mutex_lock(&lock);
    while (addrs != NULL) { /* none left once every connection has closed; be safe */
        struct guard_addr *a = *(struct guard_addr **)addrs;
        tdelete(a, &addrs, cmp_addr);
        free(a);
    }
    head = tail = NULL;
    pending_total = 0;
    pthread_mutex_unlock(&lock);
}
