/* The outbox publisher thread: every outbox-poll-ms it publishes what committed (at most
 * 1000 events a round, at once again while there is more), prunes once a minute (every
 * second when events are kept less than ten minutes), measures
 * every five seconds, and wakes the readers of this process. Events published by another
 * coupond reach this one's live feed through LISTEN/NOTIFY and its webhooks by polling. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "db.h"
#include "db_events.h"
#include "db_link.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"

#define PUBLISH_MAX 1000
#define PRUNE_MAX   10000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER; /* new head, or stopping */
static pthread_t thread;
static bool started, stopping;
static int64_t head;
/* Set at start and by a reload (outbox_configure), read by the thread. */
static atomic_uint poll_ms;
static _Atomic int64_t retention_s;

static struct timespec deadline_in(unsigned ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleeps MS unless stopping; returns false once stopping. */
static bool pause_ms(unsigned ms)
{
    struct timespec until = deadline_in(ms);
    pthread_mutex_lock(&lock);
    while (!stopping && pthread_cond_timedwait(&changed, &lock, &until) == 0)
        ;
    bool go_on = !stopping;
    pthread_mutex_unlock(&lock);
    return go_on;
}

static void set_head(int64_t h)
{
    pthread_mutex_lock(&lock);
    if (h > head) {
        head = h;
        pthread_cond_broadcast(&changed);
    }
    pthread_mutex_unlock(&lock);
}

/* Prunes in rounds of PRUNE_MAX until nothing is left to prune or it fails. */
static void prune(struct db_link *l)
{
    int64_t deleted = 0, total = 0;
    int rc;
    do {
        rc = db_events_prune(l, retention_s, PRUNE_MAX, &deleted);
        total += rc == DB_ONE_RESULT ? deleted : 0;
    } while (rc == DB_ONE_RESULT && deleted == PRUNE_MAX && pause_ms(0));
    if (total > 0)
        log_msg(LOGL_INFO, "outbox: pruned %lld delivered event(s)", (long long)total);
}

static void *publisher(void *arg)
{
    (void)arg;
    struct db_link *l = NULL;
    double next_prune = 0, next_stats = 0;
    for (;;) {
        if (l != NULL && db_link_broken(l)) {
            db_link_close(l);
            l = NULL;
        }
        if (l == NULL)
            l = db_link_open(false);
        if (l == NULL) {
            if (!pause_ms(1000))
                break;
            continue;
        }
        int64_t published = 0, h = 0;
        int rc = db_events_publish(l, PUBLISH_MAX, &published, &h);
        if (rc == DB_ONE_RESULT)
            set_head(h);
        if (!pause_ms(0))
            break; /* stopping: no prune or measure (its statement may have been cancelled) */
        double now = now_s();
        if (now >= next_prune) {
            prune(l);
            /* Once a minute; every second when events are kept less than ten minutes. */
            next_prune = now + (retention_s < 600 ? 1 : 60);
        }
        if (now >= next_stats) {
            struct db_events_stats st;
            if (db_events_stats(l, &st) == DB_ONE_RESULT)
                metrics_outbox_set(st.kept, st.queued, st.head, st.oldest_undelivered_s);
            next_stats = now + 5;
        }
        /* More waiting: publish again at once; otherwise wait for the next poll. */
        unsigned wait = rc == DB_ONE_RESULT && published == PUBLISH_MAX ? 0
                        : rc == DB_ONE_RESULT                           ? poll_ms
                                                                        : 1000;
        if (!pause_ms(wait))
            break;
    }
    db_link_close(l);
    return NULL;
}

void outbox_configure(const struct svc_config *cfg)
{
    atomic_store(&poll_ms, cfg->outbox_poll_ms);
    atomic_store(&retention_s, (int64_t)cfg->event_retention_s);
}

enum cpn_err outbox_start(const struct svc_config *cfg)
{
    outbox_configure(cfg);
    stopping = false;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_destroy(&changed);
    pthread_cond_init(&changed, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&thread, NULL, publisher, NULL) != 0) {
        log_msg(LOGL_ERROR, "cannot start the outbox publisher thread");
        return CPN_ERR_INTERNAL;
    }
    started = true;
    return CPN_OK;
}

void outbox_stop(void)
{
    pthread_mutex_lock(&lock);
    stopping = true;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
    if (started)
        db_link_join(thread, "outbox publisher");
    started = false;
}

int64_t outbox_wait(int64_t seen, unsigned timeout_ms)
{
    struct timespec until = deadline_in(timeout_ms);
    pthread_mutex_lock(&lock);
    while (!stopping && head <= seen && pthread_cond_timedwait(&changed, &lock, &until) == 0)
        ;
    int64_t h = stopping ? -1 : head;
    pthread_mutex_unlock(&lock);
    return h;
}
