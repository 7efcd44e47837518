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

#define ROW_MAX (CPN_SHORT_LEN + CPN_SIGNED_MAX_LEN + 40)
#define MAX_SIGNERS 16

struct export_state {
    struct db_export *db;
    struct coupon_terms terms;
    char *buf;
    size_t len, pos, cap;
    bool header_done, finished;
    unsigned signers;
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

/* Fetches and formats the next chunk into ST->buf. Returns 0, or -1 on error. */
static int refill(struct export_state *st)
{
    st->len = st->pos = 0;
    if (!st->header_done) {
        st->header_done = true;
        st->len = (size_t)snprintf(st->buf, st->cap, "code,signed,issued_at,state\n");
        return 0;
    }
    PGresult *res = NULL;
    int n = db_export_fetch(st->db, &res);
    if (n < 0)
        return -1;
    if (n == 0) {
        PQclear(res);
        st->finished = true;
        return 0;
    }
    char(*rows)[ROW_MAX] = malloc((size_t)n * ROW_MAX);
    if (rows == NULL) {
        PQclear(res);
        return -1;
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
    int rc = 0;
    for (unsigned k = 0; k < t; k++)
        if (jobs[k].failed)
            rc = -1;
    for (int i = 0; rc == 0 && i < n; i++) {
        size_t l = strlen(rows[i]);
        memcpy(st->buf + st->len, rows[i], l);
        st->len += l;
    }
    free(rows);
    PQclear(res);
    return rc;
}

static ssize_t export_read(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    struct export_state *st = cls;
    while (st->pos == st->len) {
        if (st->finished)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (refill(st) != 0) {
            log_msg(LOG_ERROR, "CSV export of campaign %" PRIu32 " failed midway",
                    st->terms.campaign);
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
    }
    size_t n = st->len - st->pos;
    if (n > max)
        n = max;
    memcpy(out, st->buf + st->pos, n);
    st->pos += n;
    return (ssize_t)n;
}

static void export_free(void *cls)
{
    struct export_state *st = cls;
    db_export_close(st->db);
    free(st->buf);
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
    st->cap = 2048 * ROW_MAX + 64;
    st->buf = malloc(st->cap);
    st->db = st->buf != NULL ? db_export_open(campaign) : NULL;
    if (st->db == NULL) {
        export_free(st);
        return http_reply_error(r, CPN_ERR_UNAVAILABLE, NULL);
    }
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, export_read, st,
                                          export_free);
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
