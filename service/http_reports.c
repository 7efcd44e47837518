/* Report handlers (marketer): GET /v1/campaigns/{id}/report (JSON) and report.csv (the same
 * figures as one table for a spreadsheet), GET /v1/campaigns/{id}/compare (the A/B test) and
 * GET /v1/plan (pieces per cell). The database counts; service/analytics.c adds the
 * statistics. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics.h"
#include "csv.h"
#include "db.h"
#include "db_reports.h"
#include "handlers.h"
#include "http_common.h"
#include "json_fields.h"
#include "stats.h"

static const char no_campaign[] = "There is no campaign with that id.";

/* Reads ?from= and ?to= (local dates, inclusive) into *FROM and *TO (NULL when absent).
 * Returns 0, or -1 after answering 400 itself (*REPLIED). */
static int read_range(struct http_req *r, const char **from, const char **to,
                      enum MHD_Result *replied)
{
    *from = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "from");
    *to = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "to");
    const char *bad = *from != NULL && jin_date_check(*from) != 0 ? "from"
                      : *to != NULL && jin_date_check(*to) != 0   ? "to"
                                                                  : NULL;
    char detail[128];
    if (bad != NULL) {
        snprintf(detail, sizeof detail, "The parameter '%s' must be a date such as 2026-12-01.",
                 bad);
        *replied = http_reply_error(r, CPN_ERR_BAD_REQUEST, detail);
        return -1;
    }
    if (*from != NULL && *to != NULL && strcmp(*from, *to) > 0) {
        *replied = http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                    "The parameter 'from' must not be after 'to'.");
        return -1;
    }
    return 0;
}

/* The report of the {id} campaign over ?from=..?to=, with its statistics; NULL after
 * answering the refusal itself (*REPLIED). */
static json_t *load_report(struct http_req *r, enum MHD_Result *replied)
{
    int64_t id;
    const char *from, *to;
    if (http_parse_id(r->params[0], &id) != 0) {
        *replied = http_reply_error(r, CPN_ERR_NOT_FOUND, no_campaign);
        return NULL;
    }
    if (read_range(r, &from, &to, replied) != 0)
        return NULL;
    char *text = NULL;
    int rc = db_campaign_report(id, from, to, &text);
    if (rc != DB_ONE_RESULT) {
        *replied = rc == DB_NO_RESULTS ? http_reply_error(r, CPN_ERR_NOT_FOUND, no_campaign)
                                       : http_reply_db_failure(r, rc);
        return NULL;
    }
    json_t *report = json_loads(text, 0, NULL);
    free(text);
    if (report == NULL || analytics_holdout(report) != 0) {
        json_decref(report);
        *replied = http_reply_error(r, CPN_ERR_INTERNAL, NULL);
        return NULL;
    }
    return report;
}

enum MHD_Result http_reports_get(struct http_req *r)
{
    enum MHD_Result replied;
    json_t *report = load_report(r, &replied);
    return report != NULL ? http_reply_json(r, 200, report) : replied;
}

/* V as CSV number text into BUF ("" for null or a non-number). */
static const char *number_text(const json_t *v, char *buf, size_t len)
{
    buf[0] = '\0';
    if (json_is_integer(v))
        snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, len, "%.10g", json_real_value(v));
    return buf;
}

/* One row: SECTION, KEY, then the numbers of OBJ under the report.csv's number columns
 * (VALUE as the value column). */
static void csv_row(struct csv_buf *b, const char *section, const char *key, const json_t *value,
                    const json_t *obj)
{
    static const char *const cols[] = {"redeemed", "revenue_cents", "discount_cents",
                                       "cumulative_share", NULL};
    char num[64];
    csv_field(b, section, false);
    csv_field(b, key, false);
    if (json_is_string(value))
        csv_field(b, json_string_value(value), false);
    else
        csv_field(b, number_text(value, num, sizeof num), true);
    for (const char *const *c = cols; *c != NULL; c++)
        csv_field(b, number_text(json_object_get(obj, *c), num, sizeof num), true);
    csv_end_row(b);
}

/* A list section of the report: one row per entry, keyed by its KEY_FIELD. */
static void csv_list(struct csv_buf *b, const json_t *report, const char *list, const char *section,
                     const char *key_field)
{
    size_t i;
    json_t *e;
    char key[64];
    json_array_foreach(json_object_get(report, list), i, e)
    {
        const json_t *k = json_object_get(e, key_field);
        if (json_is_string(k))
            snprintf(key, sizeof key, "%s", json_string_value(k));
        else
            number_text(k, key, sizeof key);
        csv_row(b, section, key, NULL, e);
    }
}

/* The scalar figures of OBJ (numbers, strings, booleans, two-element intervals and nested
 * objects) as rows of SECTION, their keys prefixed with PREFIX ("mailed.responders",
 * "lift_pp_ci_low"). Lists are left to csv_list. */
static void csv_scalars(struct csv_buf *b, const char *section, const char *prefix,
                        const json_t *obj)
{
    const char *k;
    json_t *v;
    char key[128];
    json_object_foreach((json_t *)obj, k, v)
    {
        snprintf(key, sizeof key, "%s%s", prefix, k);
        if (strcmp(key, "holdout") == 0)
            continue; /* a section of its own */
        if (json_is_array(v) && json_array_size(v) == 2 && json_is_number(json_array_get(v, 0))) {
            char bound[160];
            snprintf(bound, sizeof bound, "%s_low", key);
            csv_row(b, section, bound, json_array_get(v, 0), NULL);
            snprintf(bound, sizeof bound, "%s_high", key);
            csv_row(b, section, bound, json_array_get(v, 1), NULL);
        } else if (json_is_boolean(v)) {
            json_t *t = json_string(json_is_true(v) ? "true" : "false");
            csv_row(b, section, key, t, NULL);
            json_decref(t);
        } else if (json_is_object(v)) {
            char nested[160];
            snprintf(nested, sizeof nested, "%s.", key);
            csv_scalars(b, section, nested, v);
        } else if (!json_is_array(v)) {
            csv_row(b, section, key, v, NULL);
        }
    }
}

enum MHD_Result http_reports_csv(struct http_req *r)
{
    static const char *const header[] = {
        "section",          "key", "value", "redeemed", "revenue_cents", "discount_cents",
        "cumulative_share", NULL};
    struct csv_style style;
    if (csv_style_from(MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "sep"),
                       &style) != 0)
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "The parameter 'sep' must be ',' or ';' or 'tab'.");
    enum MHD_Result replied;
    json_t *report = load_report(r, &replied);
    if (report == NULL)
        return replied;
    struct csv_buf b;
    csv_buf_init(&b, &style);
    csv_header(&b, header);
    csv_scalars(&b, "summary", "", report);
    json_t *holdout = json_object_get(report, "holdout");
    if (json_is_object(holdout))
        csv_scalars(&b, "holdout", "", holdout);
    csv_list(&b, report, "by_store", "store", "store");
    csv_list(&b, report, "by_day", "day", "day");
    csv_list(&b, report, "by_days_since_drop", "days_since_drop", "day");
    int64_t id = json_integer_value(json_object_get(report, "campaign_id"));
    json_decref(report);
    if (b.failed) {
        csv_buf_clear(&b);
        return http_reply_error(r, CPN_ERR_NO_MEMORY, NULL);
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(b.len, b.data, free);
    if (resp == NULL) {
        csv_buf_clear(&b);
        return MHD_NO;
    }
    char disp[96];
    snprintf(disp, sizeof disp, "attachment; filename=\"campaign-%" PRId64 "-report.csv\"", id);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/csv; charset=utf-8");
    MHD_add_response_header(resp, "Content-Disposition", disp);
    return http_queue(r, 200, resp);
}

enum MHD_Result http_compare_get(struct http_req *r)
{
    int64_t id;
    if (http_parse_id(r->params[0], &id) != 0)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, no_campaign);
    char *text = NULL;
    int rc = db_campaign_compare(id, &text);
    if (rc == DB_NO_RESULTS)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, no_campaign);
    if (rc != DB_ONE_RESULT)
        return http_reply_db_failure(r, rc);
    json_t *out = json_loads(text, 0, NULL);
    free(text);
    if (out == NULL || analytics_compare(out) != 0) {
        json_decref(out);
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    }
    return http_reply_json(r, 200, out);
}

/* Reads query parameter NAME as a number in (LO, HI) into *OUT (DEFAULT when absent).
 * Returns 0 or -1. */
static int read_rate(struct http_req *r, const char *name, double lo, double hi, double dflt,
                     double *out)
{
    const char *s = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
    if (s == NULL) {
        *out = dflt;
        return 0;
    }
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !(v > lo && v < hi))
        return -1;
    *out = v;
    return 0;
}

enum MHD_Result http_plan_get(struct http_req *r)
{
    double baseline, mde, alpha, power;
    if (MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "baseline") == NULL ||
        MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "mde") == NULL)
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "The parameters 'baseline' (today's response rate, such as 0.01) "
                                "and 'mde' (the smallest difference to detect, such as 0.002) are "
                                "required.");
    if (read_rate(r, "baseline", 0.0, 1.0, 0, &baseline) != 0)
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "The parameter 'baseline' must be a rate between 0 and 1, such as "
                                "0.01 for 1 %.");
    if (read_rate(r, "mde", -1.0, 1.0, 0, &mde) != 0 || mde == 0.0 ||
        !(baseline + mde > 0.0 && baseline + mde < 1.0))
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "The parameter 'mde' must be a difference of rates (such as 0.002 "
                                "for 0.2 percentage points), not 0, with baseline + mde between "
                                "0 and 1.");
    if (read_rate(r, "alpha", 0.0, 0.5, ANALYTICS_ALPHA, &alpha) != 0 ||
        read_rate(r, "power", 0.5, 1.0, 0.8, &power) != 0)
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "The parameter 'alpha' must lie between 0 and 0.5 and 'power' "
                                "between 0.5 and 1.");
    int64_t n = stats_plan(baseline, mde, alpha, power);
    if (n < 0)
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "A difference this small would need more than 10^12 pieces per "
                                "cell.");
    return http_reply_json(r, 200,
                           json_pack("{s:f, s:f, s:f, s:f, s:f, s:b, s:I, s:I}", "baseline",
                                     baseline, "mde", mde, "target", baseline + mde, "alpha", alpha,
                                     "power", power, "two_sided", 1, "pieces_per_cell",
                                     (json_int_t)n, "pieces_total", (json_int_t)(2 * n)));
}
