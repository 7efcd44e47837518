/* GET /v1/campaigns/{id}/redemptions.csv (marketer): every redemption of a campaign (voided
 * ones with when), ?from=&to= local days, ?sep=; for German spreadsheets, streamed from a
 * cursor a thousand rows at a time: the worker fetches the next rows only when the client has
 * taken the last ones, so a slow reader holds no worker; a reader that stops is dropped by the
 * connection time-out, which closes the cursor. At most EXPORTS_MAX such exports at once. */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "csv.h"
#include "db.h"
#include "db_cursor.h"
#include "handlers.h"
#include "http_common.h"
#include "json_fields.h"

#define EXPORTS_MAX 4
#define FETCH_ROWS  1000

static atomic_uint running;

struct rows_export {
    struct db_cursor *cursor;
    struct csv_buf buf;
    size_t pos;
    bool done;
};

/* Formats the rows of RES into the export's buffer (replacing what was sent). */
static void format_rows(struct rows_export *e, PGresult *res)
{
    csv_buf_clear(&e->buf);
    e->pos = 0;
    int cols = PQnfields(res);
    for (int i = 0; i < PQntuples(res); i++) {
        for (int c = 0; c < cols; c++) {
            const char *name = PQfname(res, c), *v = PQgetvalue(res, i, c);
            char code[CPN_SHORT_LEN + 1];
            bool clean;
            if (PQgetisnull(res, i, c)) {
                csv_field(&e->buf, NULL, false);
            } else if (strcmp(name, "code") == 0 || strcmp(name, "card") == 0) {
                enum cpn_kind kind = name[1] == 'o' ? CPN_KIND_COUPON : CPN_KIND_CARD;
                bool ok = codes_short(kind, (uint32_t)strtoul(v, NULL, 10), code, &clean) == CPN_OK;
                csv_field(&e->buf, ok ? code : "", false);
            } else {
                csv_field(&e->buf, v, db_cursor_numeric(res, c));
            }
        }
        csv_end_row(&e->buf);
    }
}

static ssize_t read_rows(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    struct rows_export *e = cls;
    while (e->pos == e->buf.len) {
        if (e->done)
            return MHD_CONTENT_READER_END_OF_STREAM;
        PGresult *res = NULL;
        int n = db_cursor_fetch(e->cursor, FETCH_ROWS, &res);
        if (n < 0)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        e->done = n < FETCH_ROWS;
        format_rows(e, res);
        PQclear(res);
        if (e->buf.failed)
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = e->buf.len - e->pos;
    if (n > max)
        n = max;
    memcpy(out, e->buf.data + e->pos, n);
    e->pos += n;
    return (ssize_t)n;
}

static void free_rows(void *cls)
{
    struct rows_export *e = cls;
    db_cursor_close(e->cursor);
    csv_buf_clear(&e->buf);
    free(e);
    atomic_fetch_sub(&running, 1);
}

enum MHD_Result http_redemptions_csv(struct http_req *r)
{
    static const char *const header[] = {
        "id",           "redeemed_at",    "day",    "store",   "terminal",  "code", "card",
        "basket_cents", "discount_cents", "points", "receipt", "voided_at", NULL};
    int64_t id;
    if (http_parse_id(r->params[0], &id) != 0)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, "There is no campaign with that id.");
    struct csv_style style;
    if (csv_style_from(MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "sep"),
                       &style) != 0)
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "The parameter 'sep' must be ',' or ';' or 'tab'.");
    const char *from = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "from");
    const char *to = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "to");
    if ((from != NULL && jin_date_check(from) != 0) || (to != NULL && jin_date_check(to) != 0))
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "The parameters 'from' and 'to' must be dates such as 2026-12-01.");
    if (atomic_fetch_add(&running, 1) >= EXPORTS_MAX) {
        atomic_fetch_sub(&running, 1);
        return http_reply_error(r, CPN_ERR_UNAVAILABLE,
                                "Too many exports are running at once; please try again in a "
                                "minute.");
    }
    struct rows_export *e = calloc(1, sizeof *e);
    int rc = e != NULL ? db_cursor_redemptions(id, from, to, &e->cursor) : DB_HARD_ERROR;
    if (rc != DB_ONE_RESULT) {
        free(e);
        atomic_fetch_sub(&running, 1);
        return rc == DB_NO_RESULTS
                   ? http_reply_error(r, CPN_ERR_NOT_FOUND, "There is no campaign with that id.")
                   : http_reply_db_failure(r, rc);
    }
    csv_buf_init(&e->buf, &style);
    csv_header(&e->buf, header);
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, read_rows, e, free_rows);
    if (resp == NULL) {
        free_rows(e);
        return MHD_NO;
    }
    char disp[96];
    snprintf(disp, sizeof disp, "attachment; filename=\"campaign-%" PRId64 "-redemptions.csv\"",
             id);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/csv; charset=utf-8");
    MHD_add_response_header(resp, "Content-Disposition", disp);
    return http_queue(r, 200, resp);
}
