/* GET /v1/campaigns/{id}/coupons.csv: every coupon of a campaign as
 * code,signed,issued_at,state — streamed in chunks from a cursor on a connection of its
 * own, the signed forms made on all cores, never all rows in memory. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "db_coupons.h"
#include "handlers.h"
#include "log.h"

#define ROW_MAX     (CPN_SHORT_LEN + CPN_SIGNED_MAX_LEN + 40)
#define MAX_SIGNERS 16

/* A chunk of formatted CSV rows, ready to send. */
struct chunk {
    char *data;
    size_t len;
    struct chunk *next;
};

/* The export: a producer thread fetches and signs chunks ahead (at most QUEUE_MAX
 * waiting) while libmicrohttpd's worker sends the current one. */
#define QUEUE_MAX 3

struct export_state {
    struct db_export *db;
    struct coupon_terms terms;
    unsigned signers;
    pthread_t producer;
    bool producer_started;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct chunk *head, *tail; /* produced, not yet sent */
    size_t queued;
    bool done, failed, cancelled;
    struct chunk *current; /* being sent */
    size_t pos;
};

/* One signer's share of a fetched chunk: rows I with I % STRIDE == START. */
struct sign_job {
    PGresult *res;
    const struct coupon_terms *terms;
    char (*rows)[ROW_MAX];
    size_t start, stride, n;
    bool failed;
};

static void *sign_rows(void *arg)
{
    struct sign_job *j = arg;
    char short_form[CPN_SHORT_LEN + 1], signed_form[CPN_SIGNED_MAX_LEN + 1];
    for (size_t i = j->start; i < j->n; i += j->stride) {
        uint32_t serial = (uint32_t)strtoul(PQgetvalue(j->res, (int)i, 0), NULL, 10);
        long uses = strtol(PQgetvalue(j->res, (int)i, 1), NULL, 10);
        long max_uses = strtol(PQgetvalue(j->res, (int)i, 2), NULL, 10);
        uint32_t card = PQgetisnull(j->res, (int)i, 3)
                            ? 0
                            : (uint32_t)strtoul(PQgetvalue(j->res, (int)i, 3), NULL, 10);
        if (codes_coupon_forms(serial, j->terms, card, short_form, signed_form,
                               sizeof signed_form) != CPN_OK) {
            j->failed = true;
            return NULL;
        }
        snprintf(j->rows[i], ROW_MAX, "%s,%s,%s,%s\n", short_form, signed_form,
                 PQgetvalue(j->res, (int)i, 4), uses >= max_uses ? "redeemed" : "issued");
    }
    return NULL;
}

/* Fetches and signs the next rows into a new chunk. Returns the chunk, NULL at the
 * end (*FAILED false) or on error (*FAILED true). */
static struct chunk *produce(struct export_state *st, bool *failed)
{
    *failed = false;
    PGresult *res = NULL;
    int n = db_export_fetch(st->db, &res);
    if (n <= 0) {
        *failed = n < 0;
        PQclear(res);
        return NULL;
    }
    char(*rows)[ROW_MAX] = malloc((size_t)n * ROW_MAX);
    struct chunk *c = calloc(1, sizeof *c);
    if (c != NULL)
        c->data = malloc((size_t)n * ROW_MAX);
    if (rows == NULL || c == NULL || c->data == NULL) {
        free(rows);
        if (c != NULL)
            free(c->data);
        free(c);
        PQclear(res);
        *failed = true;
        return NULL;
    }
    struct sign_job jobs[MAX_SIGNERS];
    pthread_t threads[MAX_SIGNERS];
    unsigned t = st->signers;
    bool started[MAX_SIGNERS] = {false};
    for (unsigned k = 0; k < t; k++) {
        jobs[k] = (struct sign_job){res, &st->terms, rows, k, t, (size_t)n, false};
        started[k] = k > 0 && pthread_create(&threads[k], NULL, sign_rows, &jobs[k]) == 0;
    }
    sign_rows(&jobs[0]);
    for (unsigned k = 1; k < t; k++) {
        if (started[k])
            pthread_join(threads[k], NULL);
        else
            sign_rows(&jobs[k]); /* no thread: do its share here */
    }
    for (unsigned k = 0; k < t; k++)
        *failed = *failed || jobs[k].failed;
    for (int i = 0; !*failed && i < n; i++) {
        size_t l = strlen(rows[i]);
        memcpy(c->data + c->len, rows[i], l);
        c->len += l;
    }
    free(rows);
    PQclear(res);
    if (*failed) {
        free(c->data);
        free(c);
        return NULL;
    }
    return c;
}

static void *producer_main(void *arg)
{
    struct export_state *st = arg;
    for (;;) {
        pthread_mutex_lock(&st->lock);
        while (st->queued >= QUEUE_MAX && !st->cancelled)
            pthread_cond_wait(&st->changed, &st->lock);
        bool stop = st->cancelled;
        pthread_mutex_unlock(&st->lock);
        if (stop)
            return NULL;
        bool failed;
        struct chunk *c = produce(st, &failed);
        pthread_mutex_lock(&st->lock);
        if (c == NULL) {
            st->done = true;
            st->failed = failed;
        } else {
            if (st->tail != NULL)
                st->tail->next = c;
            else
                st->head = c;
            st->tail = c;
            st->queued++;
        }
        pthread_cond_broadcast(&st->changed);
        pthread_mutex_unlock(&st->lock);
        if (c == NULL)
            return NULL;
    }
}

static void free_chunk(struct chunk *c)
{
    if (c != NULL)
        free(c->data);
    free(c);
}

static ssize_t export_read(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    struct export_state *st = cls;
    while (st->current == NULL || st->pos == st->current->len) {
        free_chunk(st->current);
        st->current = NULL;
        st->pos = 0;
        pthread_mutex_lock(&st->lock);
        while (st->head == NULL && !st->done)
            pthread_cond_wait(&st->changed, &st->lock);
        struct chunk *c = st->head;
        if (c != NULL) {
            st->head = c->next;
            if (st->head == NULL)
                st->tail = NULL;
            st->queued--;
            pthread_cond_broadcast(&st->changed);
        }
        bool failed = st->failed;
        pthread_mutex_unlock(&st->lock);
        if (c == NULL) {
            if (failed) {
                log_msg(LOG_ERROR, "CSV export of campaign %" PRIu32 " failed midway",
                        st->terms.campaign);
                return MHD_CONTENT_READER_END_WITH_ERROR;
            }
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        st->current = c;
    }
    size_t n = st->current->len - st->pos;
    if (n > max)
        n = max;
    memcpy(out, st->current->data + st->pos, n);
    st->pos += n;
    return (ssize_t)n;
}

static void export_free(void *cls)
{
    struct export_state *st = cls;
    if (st->producer_started) {
        pthread_mutex_lock(&st->lock);
        st->cancelled = true;
        pthread_cond_broadcast(&st->changed);
        pthread_mutex_unlock(&st->lock);
        pthread_join(st->producer, NULL);
    }
    while (st->head != NULL) {
        struct chunk *c = st->head;
        st->head = c->next;
        free_chunk(c);
    }
    free_chunk(st->current);
    db_export_close(st->db);
    pthread_mutex_destroy(&st->lock);
    pthread_cond_destroy(&st->changed);
    free(st);
}

enum MHD_Result http_coupons_export(struct http_req *r)
{
    int64_t campaign;
    if (http_parse_id(r->params[0], &campaign) != 0)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, "There is no campaign with that id.");
    struct export_state *st = calloc(1, sizeof *st);
    if (st == NULL)
        return http_reply_error(r, CPN_ERR_NO_MEMORY, NULL);
    uint32_t card = 0;
    int rc = db_terms(campaign, 0, &st->terms, &card);
    if (rc != DB_ONE_RESULT) {
        free(st);
        return rc == DB_NO_RESULTS
                   ? http_reply_error(r, CPN_ERR_NOT_FOUND, "There is no campaign with that id.")
                   : http_reply_db_failure(r, rc);
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    st->signers = ncpu < 1 ? 1 : ncpu > MAX_SIGNERS ? MAX_SIGNERS : (unsigned)ncpu;
    pthread_mutex_init(&st->lock, NULL);
    pthread_cond_init(&st->changed, NULL);
    st->db = db_export_open(campaign);
    if (st->db == NULL) {
        export_free(st);
        return http_reply_error(r, CPN_ERR_UNAVAILABLE, NULL);
    }
    /* The header goes first, as a chunk of its own. */
    struct chunk *header = calloc(1, sizeof *header);
    if (header != NULL)
        header->data = strdup("code,signed,issued_at,state\n");
    if (header == NULL || header->data == NULL) {
        free_chunk(header);
        export_free(st);
        return http_reply_error(r, CPN_ERR_NO_MEMORY, NULL);
    }
    header->len = strlen(header->data);
    st->current = header;
    st->producer_started = pthread_create(&st->producer, NULL, producer_main, st) == 0;
    if (!st->producer_started) {
        export_free(st);
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    }
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
                                                                  export_read, st, export_free);
    if (resp == NULL) {
        export_free(st);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/csv; charset=utf-8");
    char disp[96];
    snprintf(disp, sizeof disp, "attachment; filename=\"campaign-%" PRId64 "-coupons.csv\"",
             campaign);
    MHD_add_response_header(resp, "Content-Disposition", disp);
    return http_queue(r, 200, resp);
}
