/* Bulk export of a campaign's coupons, streamed in chunks from a cursor on a connection of
 * its own, the signed forms (and QR images) made on all cores, never all rows in memory:
 * GET /v1/campaigns/{id}/coupons.csv (code,signed,issued_at,state),
 * GET /v1/campaigns/{id}/qr.tar?format=png|svg (one QR image of the signed form per coupon,
 * named after its short code, in a POSIX ustar archive) and
 * GET /v1/campaigns/{id}/lettershop.csv (card,code,signed of the personalised coupons: the
 * mailing's addressing file); each for one batch with ?batch=. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "coupon/qr.h"
#include "db.h"
#include "db_coupons.h"
#include "fanout.h"
#include "handlers.h"
#include "http_common.h"
#include "http_export.h"
#include "log.h"
#include "tar.h"

#define ROW_MAX (CPN_SHORT_LEN + CPN_SIGNED_MAX_LEN + 40)

enum export_format { EXPORT_CSV, EXPORT_TAR_PNG, EXPORT_TAR_SVG, EXPORT_LETTERSHOP };

/* One row's bytes: a CSV line, or a tar entry (header, file, padding). */
struct piece {
    char *data;
    size_t len;
};

/* A chunk of formatted CSV rows, ready to send. */
struct chunk {
    char *data;
    size_t len;
    struct chunk *next;
};

/* The export: a producer thread fetches and signs chunks ahead (at most QUEUE_MAX
 * waiting) while libmicrohttpd's worker sends the current one. When the worker finds no
 * chunk ready it suspends the connection instead of waiting, so the other connections of
 * that worker are served meanwhile; the producer resumes it. At most EXPORTS_MAX exports run
 * at once (each holds a database connection and a producer thread). A client that stops
 * reading leaves the queue full: when the worker has taken no chunk for export_stall_s, the
 * producer cancels the export. However it ends, the producer closes its database connection
 * (and so the REPEATABLE READ snapshot) and gives the slot back at once, not when the HTTP
 * connection ends; a cancelled answer then ends with an error. */
#define QUEUE_MAX   3
#define EXPORTS_MAX 4

static pthread_mutex_t exports_lock = PTHREAD_MUTEX_INITIALIZER;
static struct export_state *exports; /* running exports, for the cap and for shutdown */
static unsigned exports_running;
static bool exports_closing;
static unsigned export_stall_s = 60;

void http_exports_configure(unsigned stall_timeout_s)
{
    pthread_mutex_lock(&exports_lock);
    export_stall_s = stall_timeout_s > 0 ? stall_timeout_s : 1;
    pthread_mutex_unlock(&exports_lock);
}

struct export_state {
    struct MHD_Connection *conn;
    struct export_state *next_export; /* the registry of running exports */
    bool suspended;                   /* the worker is waiting for the producer (under lock) */
    enum export_format format;
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
    struct timespec progress; /* when the worker last took a chunk (CLOCK_MONOTONIC) */
    unsigned stall_s;         /* export_stall_s when the export started */
    struct chunk *current;    /* being sent */
    size_t pos;
};

/* One signer's share of a fetched chunk: rows I with I % STRIDE == START. */
struct sign_job {
    const struct db_export_row *res;
    const struct coupon_terms *terms;
    enum export_format format;
    struct piece *rows;
    size_t start, stride, n;
    bool failed;
};

/* Renders the QR image of SIGNED_FORM for coupon SHORT_FORM as a tar entry. */
static int qr_entry(enum export_format format, const char *short_form, const char *signed_form,
                    struct piece *out)
{
    struct cpn_qr_options opts = {.module_px = format == EXPORT_TAR_PNG ? 6 : 4, .quiet_zone = 4};
    char name[CPN_SHORT_LEN + 8];
    void *img = NULL;
    size_t len = 0;
    enum cpn_err err;
    if (format == EXPORT_TAR_PNG) {
        snprintf(name, sizeof name, "%s.png", short_form);
        err = cpn_qr_png(signed_form, &opts, (uint8_t **)&img, &len, NULL);
    } else {
        snprintf(name, sizeof name, "%s.svg", short_form);
        err = cpn_qr_svg(signed_form, &opts, (char **)&img, &len, NULL);
    }
    out->data = err == CPN_OK ? tar_entry(name, img, len, &out->len) : NULL;
    free(img);
    return out->data != NULL ? 0 : -1;
}

static void *sign_rows(void *arg)
{
    struct sign_job *j = arg;
    char short_form[CPN_SHORT_LEN + 1], signed_form[CPN_SIGNED_MAX_LEN + 1];
    for (size_t i = j->start; i < j->n; i += j->stride) {
        const struct db_export_row *row = &j->res[i];
        uint32_t serial = row->serial, card = row->card_serial;
        if (codes_coupon_forms(serial, j->terms, card, short_form, signed_form,
                               sizeof signed_form) != CPN_OK) {
            j->failed = true;
            return NULL;
        }
        if (j->format == EXPORT_LETTERSHOP) {
            char card_form[CPN_SHORT_LEN + 1];
            bool clean;
            if (card == 0)
                continue; /* not personalised: not in the lettershop's file */
            j->rows[i].data = malloc(ROW_MAX);
            if (j->rows[i].data == NULL ||
                codes_short(CPN_KIND_CARD, card, card_form, &clean) != CPN_OK) {
                j->failed = true;
                return NULL;
            }
            int len = snprintf(j->rows[i].data, ROW_MAX, "%s,%s,%s\n", card_form, short_form,
                               signed_form);
            j->rows[i].len = len > 0 && len < ROW_MAX ? (size_t)len : 0;
            continue;
        }
        if (j->format != EXPORT_CSV) {
            if (qr_entry(j->format, short_form, signed_form, &j->rows[i]) != 0) {
                j->failed = true;
                return NULL;
            }
            continue;
        }
        j->rows[i].data = malloc(ROW_MAX);
        if (j->rows[i].data == NULL) {
            j->failed = true;
            return NULL;
        }
        int len = snprintf(j->rows[i].data, ROW_MAX, "%s,%s,%s,%s\n", short_form, signed_form,
                           row->issued_at, row->uses >= row->max_uses ? "redeemed" : "issued");
        j->rows[i].len = len > 0 && len < ROW_MAX ? (size_t)len : 0;
    }
    return NULL;
}

/* Fetches and signs the next rows into a new chunk. Returns the chunk, NULL at the
 * end (*FAILED false) or on error (*FAILED true). */
static struct chunk *produce(struct export_state *st, bool *failed)
{
    *failed = false;
    bool csv = st->format == EXPORT_CSV || st->format == EXPORT_LETTERSHOP;
    size_t want = csv ? 2048 : 256;
    struct db_export_row *res = malloc(want * sizeof *res);
    int n = res != NULL ? db_export_fetch(st->db, res, want) : DB_HARD_ERROR;
    if (n <= 0) {
        *failed = n < 0;
        free(res);
        return NULL;
    }
    struct piece *rows = calloc((size_t)n, sizeof *rows);
    struct chunk *c = calloc(1, sizeof *c);
    if (rows == NULL || c == NULL) {
        free(rows);
        free(c);
        free(res);
        *failed = true;
        return NULL;
    }
    struct sign_job jobs[FANOUT_MAX];
    unsigned t = st->signers;
    for (unsigned k = 0; k < t; k++)
        jobs[k] = (struct sign_job){res, &st->terms, st->format, rows, k, t, (size_t)n, false};
    fanout_run(sign_rows, jobs, sizeof jobs[0], t);
    for (unsigned k = 0; k < t; k++)
        *failed = *failed || jobs[k].failed;
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += rows[i].len;
    c->data = *failed ? NULL : malloc(total > 0 ? total : 1);
    *failed = *failed || c->data == NULL;
    for (int i = 0; i < n; i++) {
        if (!*failed) {
            memcpy(c->data + c->len, rows[i].data, rows[i].len);
            c->len += rows[i].len;
        }
        free(rows[i].data);
    }
    free(rows);
    free(res);
    if (*failed) {
        free(c->data);
        free(c);
        return NULL;
    }
    return c;
}

static void free_chunk(struct chunk *c)
{
    if (c != NULL)
        free(c->data);
    free(c);
}

/* Takes ST out of the registry of running exports (if it is in it). */
static void unregister(struct export_state *st)
{
    pthread_mutex_lock(&exports_lock);
    for (struct export_state **p = &exports; *p != NULL; p = &(*p)->next_export) {
        if (*p == st) {
            *p = st->next_export;
            exports_running--;
            break;
        }
    }
    pthread_mutex_unlock(&exports_lock);
}

/* Waits (under ST's lock) while the queue is full. Returns true when the worker has taken no
 * chunk for the stall timeout: the client stopped reading. */
static bool wait_for_room(struct export_state *st)
{
    while (st->queued >= QUEUE_MAX && !st->cancelled) {
        struct timespec until = st->progress, now;
        until.tv_sec += st->stall_s;
        if (pthread_cond_timedwait(&st->changed, &st->lock, &until) != ETIMEDOUT)
            continue;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (st->queued >= QUEUE_MAX && !st->cancelled &&
            (now.tv_sec > st->progress.tv_sec + st->stall_s ||
             (now.tv_sec == st->progress.tv_sec + st->stall_s &&
              now.tv_nsec >= st->progress.tv_nsec)))
            return true;
    }
    return false;
}

/* Cancels a stalled export from its producer: drops the queue and marks it failed, so the
 * worker ends the answer with an error when (if ever) the client reads on. */
static void cancel_stalled(struct export_state *st)
{
    pthread_mutex_lock(&st->lock);
    while (st->head != NULL) {
        struct chunk *c = st->head;
        st->head = c->next;
        free_chunk(c);
    }
    st->tail = NULL;
    st->queued = 0;
    st->done = true;
    st->failed = true;
    st->cancelled = true;
    pthread_mutex_unlock(&st->lock);
    log_msg(LOGL_WARN,
            "export of campaign %" PRIu32 " cancelled: its client read nothing for %u s "
            "(slot and database snapshot released)",
            st->terms.campaign, st->stall_s);
}

/* The producer's last act: ends the read-only transaction (closing its connection) and
 * gives the slot back; what is queued is sent (or dropped) by the worker later. */
static void producer_end(struct export_state *st)
{
    db_export_close(st->db);
    st->db = NULL;
    unregister(st);
}

static void *producer_main(void *arg)
{
    struct export_state *st = arg;
    for (;;) {
        pthread_mutex_lock(&st->lock);
        bool stalled = wait_for_room(st);
        bool stop = st->cancelled;
        pthread_mutex_unlock(&st->lock);
        if (stalled)
            cancel_stalled(st);
        if (stop || stalled) {
            producer_end(st);
            return NULL;
        }
        bool failed;
        struct chunk *c = produce(st, &failed);
        bool end = c == NULL;
        if (end) {
            db_export_close(st->db); /* every row is fetched: end the snapshot now */
            st->db = NULL;
        }
        if (end && !failed && (st->format == EXPORT_TAR_PNG || st->format == EXPORT_TAR_SVG)) {
            /* A tar archive ends with two zero blocks. */
            c = calloc(1, sizeof *c);
            if (c != NULL)
                c->data = tar_end(&c->len);
            if (c == NULL || c->data == NULL) {
                free(c);
                c = NULL;
                failed = true;
            }
        }
        pthread_mutex_lock(&st->lock);
        if (c != NULL) {
            if (st->tail != NULL)
                st->tail->next = c;
            else
                st->head = c;
            st->tail = c;
            st->queued++;
        }
        if (end) {
            st->done = true;
            st->failed = failed;
        }
        bool resume = st->suspended;
        st->suspended = false;
        pthread_cond_broadcast(&st->changed);
        pthread_mutex_unlock(&st->lock);
        if (resume)
            MHD_resume_connection(st->conn);
        if (end) {
            producer_end(st);
            return NULL;
        }
    }
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
        if (st->head == NULL && !st->done) {
            /* Nothing ready: step aside until the producer resumes us. */
            st->suspended = true;
            MHD_suspend_connection(st->conn);
            pthread_mutex_unlock(&st->lock);
            return 0;
        }
        struct chunk *c = st->head;
        if (c != NULL) {
            st->head = c->next;
            if (st->head == NULL)
                st->tail = NULL;
            st->queued--;
            clock_gettime(CLOCK_MONOTONIC, &st->progress);
            pthread_cond_broadcast(&st->changed);
        }
        bool failed = st->failed;
        pthread_mutex_unlock(&st->lock);
        if (c == NULL) {
            if (failed) {
                log_msg(LOGL_ERROR, "export of campaign %" PRIu32 " failed or was cancelled midway",
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

void http_exports_stop(void)
{
    /* Resumed outside exports_lock: a worker may free an export (and take that lock) while
     * libmicrohttpd holds its own locks. A suspended export cannot be freed meanwhile. */
    struct MHD_Connection *resume[EXPORTS_MAX];
    size_t n = 0;
    pthread_mutex_lock(&exports_lock);
    exports_closing = true;
    for (struct export_state *st = exports; st != NULL; st = st->next_export) {
        pthread_mutex_lock(&st->lock);
        st->cancelled = true;
        st->done = true;
        st->failed = true;
        if (st->suspended && n < EXPORTS_MAX)
            resume[n++] = st->conn;
        st->suspended = false;
        pthread_cond_broadcast(&st->changed);
        pthread_mutex_unlock(&st->lock);
    }
    pthread_mutex_unlock(&exports_lock);
    for (size_t i = 0; i < n; i++)
        MHD_resume_connection(resume[i]);
}

static void export_free(void *cls)
{
    struct export_state *st = cls;
    unregister(st);
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

/* A new export of FORMAT for CONN, in the registry of running exports. Returns it, or NULL
 * with *ERR: CPN_ERR_UNAVAILABLE when as many run as may (or coupond is stopping),
 * CPN_ERR_NO_MEMORY. */
static struct export_state *export_admit(struct MHD_Connection *conn, enum export_format format,
                                         enum cpn_err *err)
{
    struct export_state *st = calloc(1, sizeof *st);
    *err = CPN_ERR_NO_MEMORY;
    if (st == NULL)
        return NULL;
    st->format = format;
    st->conn = conn;
    pthread_mutex_init(&st->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&st->changed, &attr);
    pthread_condattr_destroy(&attr);
    clock_gettime(CLOCK_MONOTONIC, &st->progress);
    pthread_mutex_lock(&exports_lock);
    st->stall_s = export_stall_s;
    bool admitted = !exports_closing && exports_running < EXPORTS_MAX;
    if (admitted) {
        st->next_export = exports;
        exports = st;
        exports_running++;
    }
    pthread_mutex_unlock(&exports_lock);
    if (!admitted) {
        export_free(st);
        *err = CPN_ERR_UNAVAILABLE;
        return NULL;
    }
    return st;
}

/* A CSV export's header line goes first, as a chunk of its own (nothing for a tar archive).
 * Returns 0, or -1 when out of memory. */
static int csv_header(struct export_state *st)
{
    if (st->format != EXPORT_CSV && st->format != EXPORT_LETTERSHOP)
        return 0;
    struct chunk *header = calloc(1, sizeof *header);
    if (header != NULL)
        header->data = strdup(st->format == EXPORT_CSV ? "code,signed,issued_at,state\n"
                                                       : "card,code,signed\n");
    if (header == NULL || header->data == NULL) {
        free_chunk(header);
        return -1;
    }
    header->len = strlen(header->data);
    st->current = header;
    return 0;
}

/* Starts the export of the campaign in the {id} parameter in FORMAT and answers with it
 * as CTYPE, offered for download as FILENAME_SUFFIX. */
static enum MHD_Result start_export(struct http_req *r, enum export_format format,
                                    const char *ctype, const char *suffix)
{
    int64_t campaign, batch = 0;
    if (http_parse_id(r->params[0], &campaign) != 0)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, "There is no campaign with that id.");
    const char *b = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "batch");
    if (b != NULL && http_parse_id(b, &batch) != 0)
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "The parameter 'batch' must be a batch id.");
    enum cpn_err err;
    struct export_state *st = export_admit(r->conn, format, &err);
    if (st == NULL)
        return http_reply_error(r, err,
                                err == CPN_ERR_UNAVAILABLE
                                    ? "Too many exports are running at once; please try again in "
                                      "a minute."
                                    : NULL);
    uint32_t card = 0;
    int rc = db_terms(campaign, 0, &st->terms, &card);
    if (rc != DB_ONE_RESULT) {
        export_free(st);
        return rc == DB_NO_RESULTS
                   ? http_reply_error(r, CPN_ERR_NOT_FOUND, "There is no campaign with that id.")
                   : http_reply_db_failure(r, rc);
    }
    st->signers = fanout_width(FANOUT_MAX);
    st->db = db_export_open(campaign, batch);
    if (st->db == NULL) {
        export_free(st);
        return http_reply_error(r, CPN_ERR_UNAVAILABLE, NULL);
    }
    if (csv_header(st) != 0) {
        export_free(st);
        return http_reply_error(r, CPN_ERR_NO_MEMORY, NULL);
    }
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
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    char disp[96];
    snprintf(disp, sizeof disp, "attachment; filename=\"campaign-%" PRId64 "-%s\"", campaign,
             suffix);
    MHD_add_response_header(resp, "Content-Disposition", disp);
    return http_queue(r, 200, resp);
}

enum MHD_Result http_coupons_export(struct http_req *r)
{
    return start_export(r, EXPORT_CSV, "text/csv; charset=utf-8", "coupons.csv");
}

enum MHD_Result http_coupons_qr_tar(struct http_req *r)
{
    const char *format = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "format");
    if (format == NULL || strcmp(format, "png") == 0)
        return start_export(r, EXPORT_TAR_PNG, "application/x-tar", "qr-png.tar");
    if (strcmp(format, "svg") == 0)
        return start_export(r, EXPORT_TAR_SVG, "application/x-tar", "qr-svg.tar");
    return http_reply_error(r, CPN_ERR_BAD_REQUEST, "The parameter 'format' must be png or svg.");
}

enum MHD_Result http_coupons_lettershop(struct http_req *r)
{
    return start_export(r, EXPORT_LETTERSHOP, "text/csv; charset=utf-8", "lettershop.csv");
}
