/* Webhook delivery: one thread with its own database connection and its own libcurl multi
 * handle (HTTPS only, keep-alive, the subscription's CA), so nothing it does touches a till's
 * request. Each round takes, per due subscription it holds the claim of, the next events after
 * its cursor (up to WINDOW at once, one while it is failing), POSTs them in parallel signed per
 * Standard Webhooks, and records the attempts and the new cursor in one call. At least once:
 * the cursor moves only past events that were answered 2xx; an event after a failed one is
 * sent again with the same webhook-id. State lives in the database, so a restart resumes. */
#include <curl/curl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db.h"
#include "db_events.h"
#include "db_link.h"
#include "db_webhooks.h"
#include "event_json.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "webhook_deliver.h"
#include "webhook_sign.h"

#define WINDOW     32 /* events in flight per subscription */
#define HOST_CONNS 8  /* connections per receiver */
#define MAX_CLAIMS 1024

static pthread_t thread;
static bool started;
static atomic_bool stopping; /* read by the thread between rounds; outbox_stop wakes it */
static atomic_bool cut;      /* webhooks_stop: attempts in progress are abandoned */
/* Set at start and by a reload (webhooks_configure), read by the thread. */
static atomic_uint timeout_s, retry_max_s;
static _Atomic int64_t give_up_s;

/* One POST of one event. */
struct attempt {
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    int64_t event;
    long status;
    long retry_after; /* seconds from a Retry-After header, 0 when none */
    char error[CURL_ERROR_SIZE];
    int duration_ms;
    bool delivered;
};

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

static size_t header_line(char *p, size_t size, size_t n, void *arg)
{
    struct attempt *a = arg;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len > sizeof name - 1 && len < 64 && strncasecmp(p, name, sizeof name - 1) == 0) {
        char v[64];
        memcpy(v, p + sizeof name - 1, len - (sizeof name - 1));
        v[len - (sizeof name - 1)] = '\0';
        long s = strtol(v, NULL, 10);
        a->retry_after = s > 0 && s < 86400 ? s : 0;
    }
    return len;
}

/* Prepares A to POST BODY (taken) to W, signed for now. Returns 0, or -1. */
static int attempt_prepare(struct attempt *a, const struct db_webhook *w, int64_t event, char *body,
                           long long now)
{
    memset(a, 0, sizeof *a);
    a->event = event;
    a->body = body;
    char msg_id[32], sig[WEBHOOK_SIG_MAX], h[160];
    snprintf(msg_id, sizeof msg_id, "evt_%" PRId64, event);
    if (webhook_sign(w->secret, w->secret_len, msg_id, now, body, strlen(body), sig) != CPN_OK)
        return -1;
    a->easy = curl_easy_init();
    if (a->easy == NULL)
        return -1;
    const char *lines[] = {"Content-Type: application/json", "User-Agent: coupond-webhooks/1",
                           "Expect:"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        a->headers = curl_slist_append(a->headers, lines[i]);
    snprintf(h, sizeof h, "webhook-id: %s", msg_id);
    a->headers = curl_slist_append(a->headers, h);
    snprintf(h, sizeof h, "webhook-timestamp: %lld", now);
    a->headers = curl_slist_append(a->headers, h);
    snprintf(h, sizeof h, "webhook-signature: %s", sig);
    a->headers = curl_slist_append(a->headers, h);
    if (a->headers == NULL)
        return -1;
    CURL *e = a->easy;
    curl_easy_setopt(e, CURLOPT_URL, w->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, a->headers);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, a->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(a->body));
    curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)timeout_s);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)(timeout_s < 10 ? timeout_s : 10));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_line);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, a);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, a->error);
    curl_easy_setopt(e, CURLOPT_PRIVATE, a);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (w->ca_pem != NULL) {
        struct curl_blob blob = {
            .data = w->ca_pem, .len = strlen(w->ca_pem), .flags = CURL_BLOB_COPY};
        curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
    }
    return 0;
}

static void attempt_clear(struct attempt *a)
{
    curl_easy_cleanup(a->easy);
    curl_slist_free_all(a->headers);
    free(a->body);
    a->easy = NULL;
    a->headers = NULL;
    a->body = NULL;
}

/* Runs every prepared attempt of A (N) on MULTI until all are done. */
static void run_all(CURLM *multi, struct attempt *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].easy != NULL)
            curl_multi_add_handle(multi, a[i].easy);
    int running = 1;
    while (running > 0 && !atomic_load(&cut)) {
        if (curl_multi_perform(multi, &running) != CURLM_OK)
            break;
        if (running > 0)
            curl_multi_poll(multi, NULL, 0, 200, NULL);
    }
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        struct attempt *t = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        if (t == NULL)
            continue;
        curl_off_t us = 0;
        curl_easy_getinfo(m->easy_handle, CURLINFO_TOTAL_TIME_T, &us);
        t->duration_ms = (int)(us / 1000);
        if (m->data.result == CURLE_OK) {
            curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &t->status);
            t->delivered = t->status >= 200 && t->status <= 299;
        } else if (t->error[0] == '\0') {
            snprintf(t->error, sizeof t->error, "%s", curl_easy_strerror(m->data.result));
        }
    }
    for (size_t i = 0; i < n; i++)
        if (a[i].easy != NULL)
            curl_multi_remove_handle(multi, a[i].easy);
}

/* The pause after the FAILURES-th failure in a row: 1 s doubling up to retry-max, +-20%. */
static double backoff(int failures)
{
    double d = ldexp(1.0, failures > 30 ? 30 : failures - 1);
    if (d > retry_max_s)
        d = retry_max_s;
    return d * (0.8 + 0.4 * ((double)rand() / RAND_MAX));
}

/* Sentence for a failed attempt, for the subscription's last_error. */
static void describe(const struct attempt *a, const char *url, char *out, size_t len)
{
    if (a->status > 0)
        snprintf(out, len, "%s answered HTTP %ld to event %" PRId64 ".", url, a->status, a->event);
    else
        snprintf(out, len, "Event %" PRId64 " could not be delivered to %s: %s.", a->event, url,
                 a->error);
}

/* Records the round of W over attempts A (N, in event order). */
static void record(struct db_link *l, const struct db_webhook *w, struct attempt *a, size_t n,
                   int64_t complete_upto)
{
    int64_t events[WINDOW];
    int statuses[WINDOW], durations[WINDOW];
    const char *errors[WINDOW];
    bool delivered[WINDOW];
    struct db_webhook_round r = {.id = w->id,
                                 .from_cursor = w->cursor,
                                 .new_cursor = complete_upto,
                                 .give_up_s = give_up_s,
                                 .n = n,
                                 .events = events,
                                 .statuses = statuses,
                                 .errors = errors,
                                 .durations_ms = durations,
                                 .delivered = delivered};
    char why[512];
    long retry_after = 0;
    for (size_t i = 0; i < n; i++) {
        events[i] = a[i].event;
        statuses[i] = (int)a[i].status;
        durations[i] = a[i].duration_ms;
        delivered[i] = a[i].delivered;
        errors[i] = a[i].delivered ? NULL : a[i].status > 0 ? "non-2xx answer" : a[i].error;
        metrics_count_webhook(a[i].delivered);
        if (!a[i].delivered && !r.failed) {
            /* The cursor stops before the first failure. */
            r.failed = true;
            r.new_cursor = a[i].event - 1;
            describe(&a[i], w->url, why, sizeof why);
            r.error = why;
        }
        r.gone = r.gone || a[i].status == 410;
        if (a[i].retry_after > retry_after)
            retry_after = a[i].retry_after;
    }
    if (r.failed) {
        r.retry_in_s = backoff(w->failures + 1);
        if (retry_after > r.retry_in_s)
            r.retry_in_s = (double)retry_after;
    }
    if (r.new_cursor < w->cursor)
        r.new_cursor = w->cursor;
    if (db_webhook_result(l, &r) != DB_ONE_RESULT)
        log_msg(LOGL_WARN, "webhook %" PRId64 ": could not record a round; it is sent again",
                w->id);
}

/* One round for W. Returns true when W has more events waiting. */
static bool deliver_round(struct db_link *l, CURLM *multi, const struct db_webhook *w)
{
    int64_t head = 0;
    if (db_events_head(l, &head) != DB_ONE_RESULT)
        return false;
    int window = w->failures > 0 ? 1 : WINDOW;
    bool any = strcmp(w->types, "{*}") == 0;
    struct db_event_list list = {0};
    int n = db_events_after(l, w->cursor, window, any ? NULL : w->types, 0, &list);
    if (n < 0)
        return false;
    /* Events up to the head read before are all visible now (ids commit in order): with
     * fewer than the window found, the cursor may move past the others to the head. */
    int64_t upto = n == window ? list.items[n - 1].id : head;
    if (n > 0 && list.items[n - 1].id > upto)
        upto = list.items[n - 1].id;
    if (n == 0) {
        if (head > w->cursor)
            record(l, w, NULL, 0, head);
        return false;
    }
    struct attempt a[WINDOW];
    long long now = (long long)time(NULL);
    size_t ready = 0;
    for (int i = 0; i < n; i++) {
        char *body = event_json(&list.items[i], w->reveal_codes);
        if (body == NULL || attempt_prepare(&a[ready], w, list.items[i].id, body, now) != 0) {
            if (body != NULL)
                attempt_clear(&a[ready]);
            log_msg(LOGL_ERROR, "webhook %" PRId64 ": cannot prepare event %" PRId64, w->id,
                    list.items[i].id);
            break;
        }
        ready++;
    }
    db_event_list_clear(&list);
    if (ready == 0)
        return false;
    if (ready < (size_t)n)
        upto = a[ready - 1].event;
    run_all(multi, a, ready);
    if (atomic_load(&cut)) {
        /* Stopping: nothing recorded, so the whole window is sent again (same webhook-id) by
         * the next start. At least once. */
        for (size_t i = 0; i < ready; i++)
            attempt_clear(&a[i]);
        return false;
    }
    record(l, w, a, ready, upto);
    bool all_ok = true;
    for (size_t i = 0; i < ready; i++) {
        all_ok = all_ok && a[i].delivered;
        attempt_clear(&a[i]);
    }
    return all_ok && n == window;
}

/* The ids this connection holds the claim of. */
struct claims {
    int64_t ids[MAX_CLAIMS];
    size_t n;
};

static bool claimed(struct db_link *l, struct claims *c, int64_t id)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->ids[i] == id)
            return true;
    bool got = false;
    if (c->n < MAX_CLAIMS && db_webhook_claim(l, id, &got) == DB_ONE_RESULT && got)
        c->ids[c->n++] = id;
    return got;
}

static void *deliverer(void *arg)
{
    (void)arg;
    CURLM *multi = curl_multi_init();
    if (multi == NULL) {
        log_msg(LOGL_ERROR, "webhooks: cannot create a libcurl multi handle; no deliveries");
        return NULL;
    }
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)HOST_CONNS);
    struct db_link *l = NULL;
    struct claims *c = calloc(1, sizeof *c);
    int64_t seen = 0;
    while (!stopping && c != NULL) {
        if (l != NULL && db_link_broken(l)) {
            db_link_close(l);
            l = NULL;
        }
        if (l == NULL) {
            c->n = 0; /* a new connection holds no claim */
            l = db_link_open(false);
        }
        bool more = false;
        struct db_webhook_list due = {0};
        if (l != NULL && db_webhooks_due(l, &due) > 0) {
            for (size_t i = 0; i < due.n && !stopping; i++)
                if (claimed(l, c, due.items[i].id))
                    more = deliver_round(l, multi, &due.items[i]) || more;
        }
        db_webhook_list_clear(&due);
        if (!more) {
            int64_t h = outbox_wait(seen, l == NULL ? 1000 : 500);
            if (h < 0)
                break;
            seen = h;
        }
    }
    db_link_close(l);
    free(c);
    curl_multi_cleanup(multi);
    return NULL;
}

void webhooks_configure(const struct svc_config *cfg)
{
    atomic_store(&timeout_s, cfg->webhook_timeout_s);
    atomic_store(&retry_max_s, cfg->webhook_retry_max_s);
    atomic_store(&give_up_s, (int64_t)cfg->webhook_give_up_s);
}

enum cpn_err webhooks_start(const struct svc_config *cfg)
{
    webhooks_configure(cfg);
    stopping = false;
    cut = false;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_msg(LOGL_ERROR, "webhooks: libcurl did not initialise");
        return CPN_ERR_INTERNAL;
    }
    if (pthread_create(&thread, NULL, deliverer, NULL) != 0) {
        log_msg(LOGL_ERROR, "webhooks: cannot start the delivery thread");
        curl_global_cleanup();
        return CPN_ERR_INTERNAL;
    }
    started = true;
    return CPN_OK;
}

void webhooks_drain(void)
{
    atomic_store(&stopping, true);
}

void webhooks_stop(void)
{
    atomic_store(&stopping, true);
    atomic_store(&cut, true);
    if (started) {
        db_link_join(thread, "webhook delivery");
        curl_global_cleanup();
    }
    started = false;
}
