/* The live feed's hub thread: it wakes on a notification from the outbox publisher (LISTEN
 * coupond_events), on a reader that wants more, or every second; reads the new events into a
 * ring of the newest RING (each rendered once, codes masked, when a reader first wants it), and
 * then fills each reader's buffer (at most BUF_MAX bytes) from the ring, or from the database for a
 * reader further back. A reader whose buffer stays full while events wait for longer than twice the
 * heartbeat is cut off: its stream ends with an "event: close" message saying why, and the reader
 * resumes with Last-Event-ID. Ids are gap-free and commit-ordered (sql/functions/0810), so resuming
 * after the last id received loses and repeats nothing. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "db_events.h"
#include "db_link.h"
#include "event_json.h"
#include "events_hub.h"
#include "log.h"
#include "metrics.h"

#define RING        4096
#define BUF_MAX     (64 * 1024)
#define BUF_RESERVE 512 /* kept free for the closing message */
#define CLIENTS_MAX 256
#define FETCH_MAX   500

struct ring_ev {
    struct db_event ev; /* as stored (its payload owned) */
    char *json;         /* rendered (masked) when a reader first wants it, else NULL */
};

struct hub_client {
    struct hub_client *next;
    pthread_mutex_t lock;
    struct hub_filter filter;
    int64_t cursor; /* the last id considered (sent or filtered out) */
    bool from_now;  /* cursor is set to the head on the first feed */
    char *buf;      /* BUF_MAX bytes: buf[pos..len) to send */
    size_t pos, len;
    bool suspended, closing, ended;
    bool behind; /* events wait for it that its buffer did not take */
    time_t last_write, last_read;
    void (*resume)(void *);
    void *arg;
};

static pthread_mutex_t hub_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hub_client *clients;
static unsigned nclients;
static bool running, closing;
static pthread_t thread;
static int wake_pipe[2] = {-1, -1};
static atomic_uint heartbeat_s; /* set at start and by a reload (hub_configure) */

/* The ring: events ring_first..ring_last (only the hub thread writes it). */
static struct ring_ev ring[RING];
static int64_t ring_first = 1, ring_last;
static bool ring_ready;

static void poke(void)
{
    if (wake_pipe[1] >= 0) {
        char b = 1;
        ssize_t n = write(wake_pipe[1], &b, 1);
        (void)n; /* a full pipe already wakes the hub */
    }
}

static const char keep_alive[] = ": keep-alive\n\n";

static bool matches(const struct hub_filter *f, const char *type, int64_t campaign)
{
    if (f->campaign > 0 && campaign != f->campaign)
        return false;
    if (f->ntypes == 0)
        return true;
    for (unsigned i = 0; i < f->ntypes; i++)
        if (strcmp(f->types[i], type) == 0)
            return true;
    return false;
}

/* Appends TEXT (LEN bytes) to C's buffer if it fits below LIMIT; under C's lock. */
static bool append(struct hub_client *c, const char *text, size_t len, size_t limit)
{
    if (c->pos > 0 && c->pos == c->len)
        c->pos = c->len = 0;
    if (c->len + len > limit && c->pos > 0) {
        memmove(c->buf, c->buf + c->pos, c->len - c->pos);
        c->len -= c->pos;
        c->pos = 0;
    }
    if (c->len + len > limit)
        return false;
    memcpy(c->buf + c->len, text, len);
    c->len += len;
    c->last_write = time(NULL);
    return true;
}

/* Appends event ID with JSON as one SSE message. */
static bool append_event(struct hub_client *c, int64_t id, const char *json)
{
    char head[40];
    int h = snprintf(head, sizeof head, "id: %" PRId64 "\ndata: ", id);
    size_t jl = strlen(json);
    if ((size_t)h + jl + 2 > BUF_MAX - BUF_RESERVE - (c->len - c->pos))
        return false;
    return append(c, head, (size_t)h, BUF_MAX - BUF_RESERVE) &&
           append(c, json, jl, BUF_MAX - BUF_RESERVE) &&
           append(c, "\n\n", 2, BUF_MAX - BUF_RESERVE);
}

/* Ends C's stream after MESSAGE (an SSE close event) when given. */
static void end_stream(struct hub_client *c, const char *reason, const char *message)
{
    if (c->closing)
        return;
    c->closing = true;
    if (reason != NULL) {
        char text[BUF_RESERVE];
        int n = snprintf(text, sizeof text,
                         "event: close\ndata: {\"type\":\"stream.closed\",\"reason\":\"%s\","
                         "\"last_event_id\":%" PRId64 ",\"message\":\"%s\"}\n\n",
                         reason, c->cursor, message);
        if (n > 0 && (size_t)n < sizeof text)
            (void)append(c, text, (size_t)n, BUF_MAX);
    }
}

/* Fills C from the database while it is behind the ring. Returns false when the database
 * failed (the hub retries on its next round). */
static bool catch_up(struct db_link *l, struct hub_client *c)
{
    char types[HUB_MAX_TYPES * 49 + 3] = "{";
    size_t used = 1;
    for (unsigned i = 0; i < c->filter.ntypes && used < sizeof types; i++)
        used += (size_t)snprintf(types + used, sizeof types - used, "%s%s", i > 0 ? "," : "",
                                 c->filter.types[i]);
    if (used + 2 > sizeof types)
        return false;
    types[used] = '}';
    types[used + 1] = '\0';
    struct db_event_list list = {0};
    int n = db_events_after(l, c->cursor, FETCH_MAX, c->filter.ntypes > 0 ? types : NULL,
                            c->filter.campaign, &list);
    if (n < 0)
        return false;
    bool full = false;
    for (int i = 0; i < n && !full; i++) {
        const struct db_event *e = &list.items[i];
        if (e->id >= ring_first)
            break; /* the ring has it */
        char *json = event_json(e, false);
        full = json == NULL || !append_event(c, e->id, json);
        free(json);
        if (!full)
            c->cursor = e->id;
    }
    /* Nothing more matched before the ring: skip to it. */
    if (!full && (n < FETCH_MAX || (n > 0 && list.items[n - 1].id >= ring_first - 1)) &&
        c->cursor < ring_first - 1)
        c->cursor = ring_first - 1;
    db_event_list_clear(&list);
    return true;
}

/* Fills C (under its lock) from the ring or the database; decides on heartbeats and on
 * cutting it off. Returns true when C was suspended and now has something to read. */
static bool feed(struct db_link *l, struct hub_client *c, time_t now)
{
    if (c->closing || !ring_ready)
        return false;
    if (c->from_now) {
        c->cursor = ring_last;
        c->from_now = false;
    }
    /* Less room than a few events: full (and no database read that could not be sent). */
    bool full = BUF_MAX - BUF_RESERVE - (c->len - c->pos) < 4096;
    if (!full && c->cursor < ring_first - 1 && l != NULL)
        (void)catch_up(l, c);
    while (!full && c->cursor >= ring_first - 1 && c->cursor < ring_last) {
        struct ring_ev *e = &ring[(c->cursor + 1) % RING];
        if (matches(&c->filter, e->ev.type, e->ev.campaign)) {
            if (e->json == NULL)
                e->json = event_json(&e->ev, false);
            full = !append_event(c, e->ev.id, e->json != NULL ? e->json : "{}");
        }
        if (!full)
            c->cursor = e->ev.id;
    }
    bool waiting = c->cursor < ring_last;
    full = full || BUF_MAX - BUF_RESERVE - (c->len - c->pos) < 4096;
    c->behind = waiting || c->cursor < ring_first - 1;
    if (waiting && full && now - c->last_read > (time_t)(2 * heartbeat_s))
        end_stream(c, "slow_reader",
                   "You did not read the stream fast enough; reconnect with Last-Event-ID to "
                   "resume.");
    else if (!waiting && c->len == c->pos && now - c->last_write >= (time_t)heartbeat_s)
        (void)append(c, keep_alive, sizeof keep_alive - 1, BUF_MAX);
    bool wake = c->suspended && (c->len > c->pos || c->closing);
    if (wake)
        c->suspended = false;
    return wake;
}

/* Reads the events published after the ring's last into the ring. Returns false on a
 * database failure. */
static bool refill_ring(struct db_link *l)
{
    if (!ring_ready) {
        int64_t head;
        if (db_events_head(l, &head) != DB_ONE_RESULT)
            return false;
        pthread_mutex_lock(&hub_lock);
        ring_first = head + 1;
        ring_last = head;
        ring_ready = true;
        pthread_mutex_unlock(&hub_lock);
    }
    for (;;) {
        struct db_event_list list = {0};
        int n = db_events_after(l, ring_last, FETCH_MAX, NULL, 0, &list);
        if (n < 0)
            return false;
        for (int i = 0; i < n; i++) {
            const struct db_event *e = &list.items[i];
            if (e->id != ring_last + 1)
                break; /* cannot happen: ids are gap-free */
            struct ring_ev *slot = &ring[e->id % RING];
            free(slot->json);
            free(slot->ev.payload);
            slot->json = NULL;
            slot->ev = *e; /* takes the payload */
            list.items[i].payload = NULL;
            pthread_mutex_lock(&hub_lock);
            ring_last = e->id;
            if (ring_last - ring_first >= RING)
                ring_first = ring_last - RING + 1;
            pthread_mutex_unlock(&hub_lock);
        }
        db_event_list_clear(&list);
        if (n < FETCH_MAX)
            return true;
    }
}

static void *hub_main(void *arg)
{
    (void)arg;
    struct db_link *l = NULL;
    void (*resume_fn[CLIENTS_MAX])(void *);
    void *resume_arg[CLIENTS_MAX];
    for (;;) {
        pthread_mutex_lock(&hub_lock);
        bool stop = !running;
        pthread_mutex_unlock(&hub_lock);
        if (stop)
            break;
        if (l != NULL && db_link_broken(l)) {
            db_link_close(l);
            l = NULL;
        }
        if (l == NULL)
            l = db_link_open(true);
        struct pollfd p[2] = {{.fd = wake_pipe[0], .events = POLLIN},
                              {.fd = l != NULL ? db_link_socket(l) : -1, .events = POLLIN}};
        int ready = poll(p, 2, 1000);
        if (ready > 0 && (p[0].revents & POLLIN)) {
            char drain[64];
            while (read(wake_pipe[0], drain, sizeof drain) > 0)
                ;
        }
        /* New events: told by the publisher (NOTIFY), or looked for once a second; with no
         * reader nothing is read or rendered (the ring starts again at the head when one
         * comes, and a reader resuming further back catches up from the database). */
        int told = l != NULL ? db_link_notified(l) : -1;
        pthread_mutex_lock(&hub_lock);
        bool readers = clients != NULL;
        if (!readers)
            ring_ready = false;
        pthread_mutex_unlock(&hub_lock);
        if (readers && (told > 0 || (told == 0 && (ready == 0 || !ring_ready))))
            (void)refill_ring(l);
        time_t now = time(NULL);
        size_t nresume = 0;
        pthread_mutex_lock(&hub_lock);
        for (struct hub_client *c = clients; c != NULL; c = c->next) {
            pthread_mutex_lock(&c->lock);
            if (feed(l, c, now) && nresume < CLIENTS_MAX) {
                resume_fn[nresume] = c->resume;
                resume_arg[nresume++] = c->arg;
            }
            pthread_mutex_unlock(&c->lock);
        }
        pthread_mutex_unlock(&hub_lock);
        /* Outside hub_lock: libmicrohttpd may free a client (taking hub_lock) while holding
         * its own locks; a suspended connection cannot be freed meanwhile. */
        for (size_t i = 0; i < nresume; i++)
            resume_fn[i](resume_arg[i]);
    }
    db_link_close(l);
    return NULL;
}

void hub_configure(const struct svc_config *cfg)
{
    atomic_store(&heartbeat_s, cfg->sse_heartbeat_s);
}

enum cpn_err hub_start(const struct svc_config *cfg)
{
    hub_configure(cfg);
    if (pipe(wake_pipe) != 0 || fcntl(wake_pipe[0], F_SETFL, O_NONBLOCK) != 0 ||
        fcntl(wake_pipe[1], F_SETFL, O_NONBLOCK) != 0) {
        log_msg(LOGL_ERROR, "live feed: cannot make a pipe: %s", strerror(errno));
        return CPN_ERR_INTERNAL;
    }
    running = true;
    closing = false;
    if (pthread_create(&thread, NULL, hub_main, NULL) != 0) {
        running = false;
        log_msg(LOGL_ERROR, "live feed: cannot start its thread");
        return CPN_ERR_INTERNAL;
    }
    return CPN_OK;
}

void hub_close_clients(void)
{
    void (*resume_fn[CLIENTS_MAX])(void *);
    void *resume_arg[CLIENTS_MAX];
    size_t n = 0;
    pthread_mutex_lock(&hub_lock);
    closing = true;
    for (struct hub_client *c = clients; c != NULL; c = c->next) {
        pthread_mutex_lock(&c->lock);
        end_stream(c, "shutdown", "coupond is stopping; reconnect with Last-Event-ID to resume.");
        if (c->suspended && n < CLIENTS_MAX) {
            c->suspended = false;
            resume_fn[n] = c->resume;
            resume_arg[n++] = c->arg;
        }
        pthread_mutex_unlock(&c->lock);
    }
    pthread_mutex_unlock(&hub_lock);
    for (size_t i = 0; i < n; i++)
        resume_fn[i](resume_arg[i]);
}

void hub_stop(void)
{
    pthread_mutex_lock(&hub_lock);
    bool was = running;
    running = false;
    pthread_mutex_unlock(&hub_lock);
    if (was) {
        poke();
        db_link_join(thread, "live feed");
    }
    for (size_t i = 0; i < RING; i++) {
        free(ring[i].json);
        free(ring[i].ev.payload);
        ring[i].json = NULL;
        ring[i].ev.payload = NULL;
    }
    ring_ready = false;
    for (int i = 0; i < 2; i++) {
        if (wake_pipe[i] >= 0)
            close(wake_pipe[i]);
        wake_pipe[i] = -1;
    }
}

struct hub_client *hub_client_new(int64_t after, const struct hub_filter *filter,
                                  void (*resume)(void *), void *arg)
{
    struct hub_client *c = calloc(1, sizeof *c);
    char *buf = malloc(BUF_MAX);
    if (c == NULL || buf == NULL) {
        free(c);
        free(buf);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    c->filter = *filter;
    c->buf = buf;
    c->cursor = after < 0 ? 0 : after;
    c->from_now = after < 0;
    c->last_write = c->last_read = time(NULL);
    c->resume = resume;
    c->arg = arg;
    /* The browser's EventSource retries after 2 s; a comment opens the stream at once. */
    static const char opening[] = "retry: 2000\n: coupond live feed\n\n";
    (void)append(c, opening, sizeof opening - 1, BUF_MAX);
    pthread_mutex_lock(&hub_lock);
    bool admitted = running && !closing && nclients < CLIENTS_MAX;
    if (admitted) {
        c->next = clients;
        clients = c;
        nclients++;
    }
    pthread_mutex_unlock(&hub_lock);
    if (!admitted) {
        pthread_mutex_destroy(&c->lock);
        free(c->buf);
        free(c);
        return NULL;
    }
    metrics_sse_delta(1);
    poke();
    return c;
}

ssize_t hub_client_read(struct hub_client *c, char *out, size_t max, void (*suspend)(void *),
                        void *arg)
{
    pthread_mutex_lock(&c->lock);
    size_t n = c->len - c->pos;
    if (n == 0) {
        ssize_t rc = 0;
        if (c->closing) {
            c->ended = true;
            rc = -1;
        } else {
            c->suspended = true;
            suspend(arg);
        }
        bool behind = c->behind;
        pthread_mutex_unlock(&c->lock);
        if (rc == 0 && behind)
            poke(); /* a reader that wants more than its buffer held: the hub fills it */
        return rc;
    }
    if (n > max)
        n = max;
    memcpy(out, c->buf + c->pos, n);
    c->pos += n;
    c->last_read = time(NULL);
    pthread_mutex_unlock(&c->lock);
    return (ssize_t)n;
}

void hub_client_free(struct hub_client *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&hub_lock);
    for (struct hub_client **p = &clients; *p != NULL; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            nclients--;
            break;
        }
    }
    pthread_mutex_unlock(&hub_lock);
    metrics_sse_delta(-1);
    pthread_mutex_destroy(&c->lock);
    free(c->buf);
    free(c);
}
