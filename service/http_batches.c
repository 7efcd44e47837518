/* Batch and audit handlers: GET /v1/campaigns/{id}/batches (marketer: the campaign's batches
 * with their downloads), POST /v1/batches/{id}/void (marketer: withdraw a misprinted batch;
 * its coupons are refused as voided_batch from then on) and GET /v1/audit (admin: who changed
 * what, when, with the values before and after). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_lifecycle.h"
#include "db_reports.h"
#include "handlers.h"
#include "http_common.h"
#include "json_in.h"

/* Answers 200 with JSON text TEXT (freed) wrapped as {KEY: value}. */
static enum MHD_Result reply_wrapped(struct http_req *r, char *text, const char *key)
{
    json_t *v = json_loads(text, 0, NULL);
    free(text);
    if (v == NULL)
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    return http_reply_json(r, 200, json_pack("{s:o}", key, v));
}

enum MHD_Result http_batches_list(struct http_req *r)
{
    int64_t id;
    if (http_parse_id(r->params[0], &id) != 0)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, "There is no campaign with that id.");
    char *text = NULL;
    int rc = db_campaign_batches(id, &text);
    if (rc == DB_NO_RESULTS)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, "There is no campaign with that id.");
    if (rc != DB_ONE_RESULT)
        return http_reply_db_failure(r, rc);
    return reply_wrapped(r, text, "batches");
}

enum MHD_Result http_batches_void(struct http_req *r)
{
    static const char *const allowed[] = {"reason", NULL};
    int64_t id;
    if (http_parse_id(r->params[0], &id) != 0)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, "There is no batch with that id.");
    json_t *in = NULL;
    const char *reason = NULL;
    char detail[256];
    if (r->body_len > 0) {
        enum MHD_Result replied;
        in = http_body_object(r, &replied);
        if (in == NULL)
            return replied;
        const char *unknown = jin_unknown_key(in, allowed);
        if (unknown != NULL)
            snprintf(detail, sizeof detail, "The field '%.60s' is not known.", unknown);
        if (unknown != NULL ||
            jin_str_field(in, "reason", false, 200, &reason, detail, sizeof detail) < 0) {
            json_decref(in);
            return http_reply_error(r, CPN_ERR_BAD_REQUEST, detail);
        }
    }
    struct db_change c;
    int rc =
        db_batch_void(id, reason, r->principal->name, principal_role_name(r->principal->role), &c);
    json_decref(in); /* reason pointed into it */
    enum MHD_Result result;
    json_t *v;
    switch (rc != DB_ONE_RESULT ? DBW_NONE : c.status) {
    case DBW_NONE:
        result = http_reply_db_failure(r, rc);
        break;
    case DBW_NOT_FOUND:
        result = http_reply_error(r, CPN_ERR_NOT_FOUND, "There is no batch with that id.");
        break;
    case DBW_OK:
        v = c.json != NULL ? json_loads(c.json, 0, NULL) : NULL;
        result =
            v != NULL ? http_reply_json(r, 200, v) : http_reply_error(r, CPN_ERR_INTERNAL, NULL);
        break;
    default:
        result = http_reply_error(r, CPN_ERR_INTERNAL, NULL);
        break;
    }
    db_change_clear(&c);
    return result;
}

enum MHD_Result http_audit_list(struct http_req *r)
{
    int64_t after = 0, limit = 100, campaign = 0;
    const char *a = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "after");
    const char *l = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "limit");
    const char *c = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "campaign");
    if (a != NULL && strcmp(a, "0") != 0 && http_parse_id(a, &after) != 0)
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "The parameter 'after' must be an audit entry id.");
    if (l != NULL && (http_parse_id(l, &limit) != 0 || limit > 1000))
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "The parameter 'limit' must be from 1 to 1000.");
    if (c != NULL && http_parse_id(c, &campaign) != 0)
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "The parameter 'campaign' must be a campaign id.");
    char *text = NULL;
    int rc = db_audit_list(after, (int)limit, campaign, &text);
    if (rc != DB_ONE_RESULT)
        return http_reply_db_failure(r, rc);
    return reply_wrapped(r, text, "entries");
}
