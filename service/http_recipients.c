/* POST /v1/campaigns/{id}/recipients (marketer): a mailing's recipient list, as JSON
 * {cards: [...], holdout_pct} or as CSV (Content-Type text/csv, one card per line, holdout_pct
 * as a query parameter), up to a million cards. Answers 201 {campaign_id, recipients, mailed,
 * holdout, holdout_pct, issued, batch_id}; the same list again answers the same with 200.
 * Reading, checking, drawing and issuing run as an issue job (issue_job.h) off the worker,
 * while the connection is suspended, so the worker's other connections (tills) go on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codes.h"
#include "handlers.h"
#include "issue_job.h"
#include "http_common.h"
#include "json_fields.h"
#include "json_in.h"
#include "recipients_upload.h"

/* One upload while its job runs: the worker takes what it needs from the request and
 * suspends the connection; the job's thread reads the list, runs the upload, builds the
 * answer and resumes the connection. */
struct upload_call {
    struct issue_job *job;
    struct MHD_Connection *conn;
    int64_t campaign;
    const char *body; /* borrowed from the request, which outlives the job */
    size_t body_len;
    bool csv;
    char *pct_param;          /* owned: the query's holdout_pct (CSV), NULL when absent */
    const char *actor, *role; /* borrowed from the connection's principal */
    unsigned status;          /* of ANSWER */
    json_t *answer;           /* success; NULL: answer ERR with DETAIL */
    enum cpn_err err;
    char detail[400]; /* "" = the registry's sentence */
};

static void upload_call_free(void *ctx)
{
    struct upload_call *call = ctx;
    issue_job_free(call->job);
    json_decref(call->answer);
    free(call->pct_param);
    free(call);
}

/* True when the request's Content-Type is MIME (parameters after ';' ignored). */
static bool content_type_is(struct http_req *r, const char *mime)
{
    const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
    size_t n = strlen(mime);
    return ct != NULL && strncasecmp(ct, mime, n) == 0 && (ct[n] == '\0' || ct[n] == ';');
}

/* Reads the list and the holdout percentage from CALL's body. Returns CPN_OK, or an error
 * with DETAIL. */
static enum cpn_err read_upload(const struct upload_call *call, struct recipients_list *list,
                                int64_t *pct, char *detail, size_t dlen)
{
    if (call->csv) {
        const char *p = call->pct_param;
        json_t *wrap = json_pack("{s:o}", "holdout_pct",
                                 p != NULL ? json_loads(p, JSON_DECODE_ANY, NULL) : json_null());
        int got =
            wrap != NULL ? jin_pct_field(wrap, "holdout_pct", true, 100, pct, detail, dlen) : -1;
        json_decref(wrap);
        if (got < 0) {
            snprintf(detail, dlen,
                     "The parameter 'holdout_pct' (0 to 100, at most two decimals) is required "
                     "with a CSV list.");
            return CPN_ERR_BAD_REQUEST;
        }
        return recipients_from_csv(call->body, call->body_len, list, detail, dlen);
    }
    static const char *const allowed[] = {"cards", "holdout_pct", NULL};
    json_error_t jerr;
    json_t *in = call->body_len > 0
                     ? json_loadb(call->body, call->body_len, JSON_REJECT_DUPLICATES, &jerr)
                     : NULL;
    if (!json_is_object(in)) {
        json_decref(in);
        snprintf(detail, dlen,
                 "The body must be a JSON object {cards, holdout_pct} or, with Content-Type "
                 "text/csv, one card number per line.");
        return CPN_ERR_BAD_REQUEST;
    }
    enum cpn_err err = CPN_ERR_BAD_REQUEST;
    const char *unknown = jin_unknown_key(in, allowed);
    if (unknown != NULL)
        snprintf(detail, dlen, "The field '%.60s' is not known.", unknown);
    else if (jin_pct_field(in, "holdout_pct", true, 100, pct, detail, dlen) >= 0)
        err = recipients_from_json(json_object_get(in, "cards"), list, detail, dlen);
    json_decref(in);
    return err;
}

/* The sentence for cards that are not ours. */
static void unknown_sentence(const struct recipients_result *res, char *out, size_t len)
{
    size_t pos = (size_t)snprintf(out, len, "These cards of the list were never issued: ");
    for (size_t i = 0; i < res->n_unknown && pos < len; i++) {
        char text[CPN_SHORT_LEN + 1];
        bool clean;
        if (codes_short(CPN_KIND_CARD, res->unknown[i], text, &clean) != CPN_OK)
            snprintf(text, sizeof text, "?");
        pos += (size_t)snprintf(out + pos, len - pos, "%s%s", i ? ", " : "", text);
    }
    if (pos < len)
        snprintf(out + pos, len - pos, "%s",
                 res->n_unknown == 5 ? ", ... (and perhaps more)." : ".");
}

/* Reads and runs CALL's upload and puts the answer into CALL. Returns its outcome. */
static enum cpn_err upload(struct upload_call *call, const atomic_bool *cancel)
{
    int64_t pct = 0;
    struct recipients_list list = {0};
    char *detail = call->detail;
    size_t dlen = sizeof call->detail;
    detail[0] = '\0';
    enum cpn_err err = read_upload(call, &list, &pct, detail, dlen);
    if (err != CPN_OK) {
        if (err != CPN_ERR_BAD_REQUEST)
            detail[0] = '\0';
        return err;
    }
    struct recipients_upload u = {.campaign = call->campaign,
                                  .list = &list,
                                  .holdout_pct = pct,
                                  .actor = call->actor,
                                  .role = call->role,
                                  .cancel = cancel};
    struct recipients_result res;
    enum db_word why = DBW_NONE;
    err = recipients_run(&u, &res, &why);
    recipients_list_clear(&list);
    if (err == CPN_ERR_NOT_FOUND)
        snprintf(detail, dlen, "There is no campaign with that id.");
    else if (err == CPN_ERR_BAD_REQUEST)
        unknown_sentence(&res, detail, dlen);
    else if (err == CPN_ERR_CONFLICT)
        snprintf(detail, dlen, "%s",
                 why == DBW_ENDED
                     ? "The campaign has ended: it takes no recipient list."
                     : "This campaign already has another recipient list (a campaign has one; "
                       "the same list again is answered as before).");
    else if (err == CPN_ERR_UNAVAILABLE && atomic_load(cancel))
        snprintf(detail, dlen,
                 "coupond is stopping, so nothing of the list was recorded or issued; please "
                 "send it again.");
    if (err != CPN_OK)
        return err;
    char pct_text[24];
    jin_pct_format(pct, pct_text, sizeof pct_text);
    call->answer =
        json_pack("{s:I, s:I, s:I, s:I, s:f, s:I, s:o}", "campaign_id", (json_int_t)call->campaign,
                  "recipients", (json_int_t)res.recipients, "mailed", (json_int_t)res.mailed,
                  "holdout", (json_int_t)res.holdout, "holdout_pct", strtod(pct_text, NULL),
                  "issued", (json_int_t)res.issued, "batch_id",
                  res.batch_id > 0 ? json_integer(res.batch_id) : json_null());
    if (call->answer == NULL)
        return CPN_ERR_NO_MEMORY;
    call->status = res.replay ? 200 : 201;
    return CPN_OK;
}

/* The job's WORK, on its thread. */
static enum cpn_err upload_work(void *arg, const atomic_bool *cancel)
{
    struct upload_call *call = arg;
    call->err = upload(call, cancel);
    return call->err;
}

/* The job's DONE, on its thread: the worker may go on. */
static void upload_done(void *arg)
{
    struct upload_call *call = arg;
    MHD_resume_connection(call->conn);
}

/* Called again once the job has resumed the connection: answers. */
static enum MHD_Result upload_reply(struct http_req *r, struct upload_call *call)
{
    if (call->answer != NULL) {
        json_t *answer = call->answer;
        call->answer = NULL;
        return http_reply_json(r, call->status, answer);
    }
    if (call->err == CPN_OK) /* no answer was built */
        call->err = CPN_ERR_INTERNAL;
    return http_reply_error(r, call->err, call->detail[0] != '\0' ? call->detail : NULL);
}

enum MHD_Result http_recipients_upload(struct http_req *r)
{
    if (r->handler_ctx != NULL)
        return upload_reply(r, r->handler_ctx);
    int64_t campaign;
    if (http_parse_id(r->params[0], &campaign) != 0)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, "There is no campaign with that id.");
    struct upload_call *call = calloc(1, sizeof *call);
    if (call == NULL)
        return http_reply_error(r, CPN_ERR_NO_MEMORY, NULL);
    call->conn = r->conn;
    call->err = CPN_ERR_INTERNAL; /* until the job has run */
    call->campaign = campaign;
    call->body = r->body;
    call->body_len = r->body_len;
    call->csv = content_type_is(r, "text/csv");
    const char *p = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "holdout_pct");
    call->pct_param = p != NULL ? strdup(p) : NULL;
    call->actor = r->principal->name;
    call->role = principal_role_name(r->principal->role);
    enum cpn_err err = p != NULL && call->pct_param == NULL
                           ? CPN_ERR_NO_MEMORY
                           : issue_job_new_work(upload_work, call, &call->job);
    if (err != CPN_OK) {
        upload_call_free(call);
        if (err != CPN_ERR_UNAVAILABLE)
            return http_reply_error(r, err, NULL);
        if (issue_jobs_stopping())
            return http_reply_error(r, err, "coupond is stopping; please send the list again.");
        char detail[256];
        snprintf(detail, sizeof detail,
                 "%u issues (recipient lists included) are running already, as many as run at "
                 "once; nothing was changed: please send the list again when one of them has "
                 "finished.",
                 issue_jobs_max());
        return http_reply_error(r, err, detail);
    }
    r->handler_ctx = call;
    r->handler_ctx_free = upload_call_free;
    /* Suspended before the job can resume it; answered on the call after the resume. */
    MHD_suspend_connection(r->conn);
    issue_job_run(call->job, upload_done, call);
    return MHD_YES;
}
