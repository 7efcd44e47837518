/* Coupon handlers (marketer): issue (POST /v1/campaigns/{id}/coupons, run as an issue job
 * off the worker while the connection is suspended), one coupon (GET /v1/coupons/{code}) and
 * its QR code (GET /v1/coupons/{code}/qr.svg and qr.png). The exports: http_export.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_campaigns.h"
#include "db_coupons.h"
#include "handlers.h"
#include "http_common.h"
#include "issue.h"
#include "issue_job.h"
#include "json_in.h"

#define LIST_LIMIT 1000

/* One issue request while its job runs: the worker suspends the connection; the job's
 * thread builds the answer (signing the listed coupons there too) and resumes it. */
struct issue_call {
    struct issue_job *job;
    struct MHD_Connection *conn;
    int64_t campaign;
    size_t count;
    uint32_t card_serial;
    unsigned status; /* of ANSWER */
    json_t *answer;  /* success; NULL: answer ERR with DETAIL */
    enum cpn_err err;
    char detail[256]; /* "" = the registry's sentence */
};

static void issue_call_free(void *ctx)
{
    struct issue_call *call = ctx;
    issue_job_free(call->job);
    json_decref(call->answer);
    free(call);
}

/* The answer of a finished issue: {campaign_id, issued, batch_id, coupons (up to
 * LIST_LIMIT)}, or the refusal; into CALL. */
static void issue_answer(struct issue_call *call)
{
    const struct issue_result *res;
    bool stopped;
    enum cpn_err err = issue_job_result(call->job, &res, &stopped);
    call->err = err;
    if (err == CPN_ERR_NOT_FOUND)
        snprintf(call->detail, sizeof call->detail, "There is no campaign with that id.");
    else if (err == CPN_ERR_CONFLICT)
        snprintf(call->detail, sizeof call->detail,
                 "This Idempotency-Key was already used for another issue request.");
    else if (err == CPN_ERR_NO_SERIALS)
        snprintf(call->detail, sizeof call->detail,
                 "Only %lld serial numbers are left for new coupons in this installation, too "
                 "few for %zu coupons (some numbers are skipped by the word filter): nothing "
                 "was issued.",
                 (long long)res->serials_left, call->count);
    else if (stopped)
        snprintf(call->detail, sizeof call->detail,
                 "coupond is stopping, so nothing was issued; please send the request again.");
    if (err != CPN_OK)
        return;
    json_t *out = json_pack("{s:I, s:I, s:I}", "campaign_id", (json_int_t)call->campaign, "issued",
                            (json_int_t)res->count, "batch_id", (json_int_t)res->batch_id);
    if (out != NULL && res->count <= LIST_LIMIT) {
        json_t *list = json_array();
        char short_form[CPN_SHORT_LEN + 1], signed_form[CPN_SIGNED_MAX_LEN + 1];
        for (size_t i = 0; list != NULL && i < res->count; i++) {
            if (codes_coupon_forms(res->serials[i], &res->terms, call->card_serial, short_form,
                                   signed_form, sizeof signed_form) != CPN_OK ||
                json_array_append_new(list, json_pack("{s:s, s:s}", "code", short_form, "signed",
                                                      signed_form)) != 0) {
                json_decref(list);
                list = NULL;
            }
        }
        if (list == NULL || json_object_set_new(out, "coupons", list) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    if (out == NULL) {
        call->err = CPN_ERR_INTERNAL;
        return;
    }
    call->answer = out;
    call->status = res->replay ? 200 : 201;
}

/* The job's DONE, on its thread: the answer, then the worker may go on. */
static void issue_done(void *arg)
{
    struct issue_call *call = arg;
    issue_answer(call);
    MHD_resume_connection(call->conn);
}

/* Called again once the job has resumed the connection: answers. */
static enum MHD_Result issue_reply(struct http_req *r, struct issue_call *call)
{
    if (call->answer != NULL) {
        json_t *answer = call->answer;
        call->answer = NULL;
        return http_reply_json(r, call->status, answer);
    }
    return http_reply_error(r, call->err, call->detail[0] != '\0' ? call->detail : NULL);
}

/* Reads the body IN of an issue request {count, card?, uses?} into REQ. Returns CPN_OK;
 * CPN_ERR_BAD_REQUEST with DETAIL; or the card's own refusal (DETAIL set). */
static enum cpn_err read_issue_body(const json_t *in, struct issue_request *req, char *detail,
                                    size_t dlen)
{
    static const char *const allowed[] = {"count", "card", "uses", "max_per_card", NULL};
    int64_t count = 0, uses = 1, per_card = 0;
    const char *card_text = NULL;
    const char *unknown = jin_unknown_key(in, allowed);
    if (unknown != NULL) {
        snprintf(detail, dlen, "The field '%.60s' is not known.", unknown);
        return CPN_ERR_BAD_REQUEST;
    }
    if (jin_int_field(in, "count", true, 1, ISSUE_MAX_COUNT, &count, detail, dlen) < 0 ||
        jin_int_field(in, "uses", false, 1, 1000000000, &uses, detail, dlen) < 0 ||
        jin_str_field(in, "card", false, CPN_CODE_INPUT_MAX, &card_text, detail, dlen) < 0 ||
        jin_int_field(in, "max_per_card", false, 1, 1000000, &per_card, detail, dlen) < 0)
        return CPN_ERR_BAD_REQUEST;
    if (per_card > 0 && uses < 2) {
        snprintf(detail, dlen,
                 "A limit per card ('max_per_card') belongs to a generic code ('uses' > 1).");
        return CPN_ERR_BAD_REQUEST;
    }
    if (uses > 1 && count != 1) {
        snprintf(detail, dlen,
                 "A generic code ('uses' > 1) is issued one at a time: set 'count' to 1.");
        return CPN_ERR_BAD_REQUEST;
    }
    if (card_text != NULL) {
        struct cpn_code card;
        enum cpn_err err = codes_read(card_text, CPN_KIND_CARD, &card);
        if (err != CPN_OK) {
            snprintf(detail, dlen, "The field 'card' is not a bonus card we issued.");
            return err;
        }
        req->card_serial = card.serial;
    }
    req->count = (int)count;
    req->max_uses = (int)uses;
    req->max_per_card = (int)per_card;
    return CPN_OK;
}

/* Reads the optional Idempotency-Key header (1 to 128 printable ASCII characters) into
 * REQ->request_key (borrowed from the connection). Returns 0, or -1 with DETAIL filled. */
static int read_request_key(struct http_req *r, struct issue_request *req, char *detail,
                            size_t dlen)
{
    const char *key = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Idempotency-Key");
    bool key_ok = key == NULL || (strlen(key) >= 1 && strlen(key) <= 128);
    for (const char *k = key; key_ok && k != NULL && *k != '\0'; k++)
        key_ok = *k >= 0x21 && *k <= 0x7e;
    if (!key_ok) {
        snprintf(detail, dlen,
                 "The Idempotency-Key header must be 1 to 128 printable ASCII characters.");
        return -1;
    }
    req->request_key = key;
    return 0;
}

/* Starts REQ as an issue job with R's connection suspended until it is done (answered by
 * issue_reply on the call after the resume); or answers why not (503 when as many issues run
 * as may, or coupond is stopping). */
static enum MHD_Result start_issue(struct http_req *r, const struct issue_request *req)
{
    struct issue_call *call = calloc(1, sizeof *call);
    if (call == NULL)
        return http_reply_error(r, CPN_ERR_NO_MEMORY, NULL);
    enum cpn_err err = issue_job_new(req, &call->job);
    if (err != CPN_OK) {
        free(call);
        if (err != CPN_ERR_UNAVAILABLE)
            return http_reply_error(r, err, NULL);
        if (issue_jobs_stopping())
            return http_reply_error(r, err, "coupond is stopping; please send the request again.");
        char detail[256];
        snprintf(detail, sizeof detail,
                 "%u issues are running already, as many as run at once; nothing was issued: "
                 "please try again when one of them has finished.",
                 issue_jobs_max());
        return http_reply_error(r, err, detail);
    }
    call->conn = r->conn;
    call->campaign = req->campaign;
    call->count = (size_t)req->count;
    call->card_serial = req->card_serial;
    r->handler_ctx = call;
    r->handler_ctx_free = issue_call_free;
    /* Suspended before the job can resume it; answered on the call after the resume. */
    MHD_suspend_connection(r->conn);
    issue_job_run(call->job, issue_done, call);
    return MHD_YES;
}

enum MHD_Result http_coupons_issue(struct http_req *r)
{
    if (r->handler_ctx != NULL)
        return issue_reply(r, r->handler_ctx);
    int64_t campaign;
    if (http_parse_id(r->params[0], &campaign) != 0)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, "There is no campaign with that id.");
    enum MHD_Result replied;
    json_t *in = http_body_object(r, &replied);
    if (in == NULL)
        return replied;
    char detail[256];
    struct issue_request req = {.campaign = campaign, .created_by = r->principal->name};
    enum cpn_err err = read_issue_body(in, &req, detail, sizeof detail);
    if (err == CPN_OK && read_request_key(r, &req, detail, sizeof detail) != 0)
        err = CPN_ERR_BAD_REQUEST;
    json_decref(in);
    if (err != CPN_OK)
        return http_reply_error(r, err, detail);
    return start_issue(r, &req);
}

/* Reads the {code} path parameter as a coupon; answers the refusal itself. */
static int path_coupon(struct http_req *r, struct cpn_code *code, enum MHD_Result *replied)
{
    enum cpn_err err = codes_read(r->params[0], CPN_KIND_COUPON, code);
    if (err != CPN_OK) {
        *replied = http_reply_error(r, err, NULL);
        return -1;
    }
    return 0;
}

enum MHD_Result http_coupons_get(struct http_req *r)
{
    struct cpn_code code;
    enum MHD_Result replied;
    if (path_coupon(r, &code, &replied) != 0)
        return replied;
    char *text = NULL;
    int rc = db_coupon_get(code.serial, &text);
    if (rc == DB_NO_RESULTS)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, "There is no coupon with that code.");
    if (rc != DB_ONE_RESULT)
        return http_reply_db_failure(r, rc);
    json_t *out = json_loads(text, 0, NULL);
    free(text);
    if (out == NULL)
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    char short_form[CPN_SHORT_LEN + 1];
    if (cpn_code_format_short(&code, short_form) == CPN_OK)
        json_object_set_new(out, "code", json_string(short_form));
    return http_reply_json(r, 200, out);
}

/* Looks the coupon up and renders its signed form as a QR code (SVG or PNG). */
static enum MHD_Result reply_qr(struct http_req *r, bool png)
{
    struct cpn_code code;
    enum MHD_Result replied;
    if (path_coupon(r, &code, &replied) != 0)
        return replied;
    struct coupon_terms terms;
    uint32_t card = 0;
    int rc = db_terms(0, code.serial, &terms, &card);
    if (rc == DB_NO_RESULTS)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, "There is no coupon with that code.");
    if (rc != DB_ONE_RESULT)
        return http_reply_db_failure(r, rc);
    char short_form[CPN_SHORT_LEN + 1], signed_form[CPN_SIGNED_MAX_LEN + 1];
    if (codes_coupon_forms(code.serial, &terms, card, short_form, signed_form,
                           sizeof signed_form) != CPN_OK)
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    return http_reply_qr(r, signed_form, png);
}

enum MHD_Result http_coupons_qr_svg(struct http_req *r)
{
    return reply_qr(r, false);
}

enum MHD_Result http_coupons_qr_png(struct http_req *r)
{
    return reply_qr(r, true);
}
