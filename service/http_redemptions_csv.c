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
    struct db_redemption_row *rows; /* FETCH_ROWS of them */
    struct csv_buf buf;
    size_t pos;
    bool done;
};

/* Appends the number V as a field. */
static void number_field(struct csv_buf *b, int64_t v)
{
    char text[24];
    snprintf(text, sizeof text, "%" PRId64, v);
    csv_field(b, text, true);
}

/* Appends the short form of serial SERIAL of KIND as a field ("" when it cannot be made). */
static void code_field(struct csv_buf *b, enum cpn_kind kind, uint32_t serial)
{
    char code[CPN_SHORT_LEN + 1];
    bool clean;
    csv_field(b, codes_short(kind, serial, code, &clean) == CPN_OK ? code : "", false);
}

/* Appends TEXT as a text field, or an empty one when it is "" (NULL in the database). */
static void text_field(struct csv_buf *b, const char *text)
{
    csv_field(b, text[0] != '\0' ? text : NULL, false);
}

/* Formats the N rows ROWS into the export's buffer (replacing what was sent), in the header's
 * order. */
static void format_rows(struct rows_export *e, const struct db_redemption_row *rows, size_t n)
{
    csv_buf_clear(&e->buf);
    e->pos = 0;
    for (size_t i = 0; i < n; i++) {
        const struct db_redemption_row *r = &rows[i];
        number_field(&e->buf, r->id);
        text_field(&e->buf, r->redeemed_at);
        text_field(&e->buf, r->day);
        number_field(&e->buf, r->store);
        text_field(&e->buf, r->terminal);
        code_field(&e->buf, CPN_KIND_COUPON, r->code);
        if (r->has_card)
            code_field(&e->buf, CPN_KIND_CARD, r->card);
        else
            csv_field(&e->buf, NULL, false);
        number_field(&e->buf, r->basket_cents);
        number_field(&e->buf, r->discount_cents);
        number_field(&e->buf, r->points);
        text_field(&e->buf, r->receipt);
        text_field(&e->buf, r->voided_at);
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
        int n = db_cursor_fetch(e->cursor, e->rows, FETCH_ROWS);
        if (n < 0)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        e->done = n < FETCH_ROWS;
        format_rows(e, e->rows, (size_t)n);
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
    free(e->rows);
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
    if (e != NULL)
        e->rows = malloc(FETCH_ROWS * sizeof *e->rows);
    int rc = e != NULL && e->rows != NULL ? db_cursor_redemptions(id, from, to, &e->cursor)
                                          : DB_HARD_ERROR;
    if (rc != DB_ONE_RESULT) {
        if (e != NULL)
            free(e->rows);
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
