/* Campaign life-cycle handlers (marketer): POST /v1/campaigns/{id}/pause, /resume and /end,
 * and PATCH /v1/campaigns/{id} (name, a later end, cost and the analytics fields). Each is
 * idempotent (asking again for what is already so changes nothing) and recorded in the audit
 * log by the stored function that makes the change. */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "db_lifecycle.h"
#include "handlers.h"
#include "http_common.h"
#include "json_fields.h"
#include "json_in.h"

#define MAX_CENTS 100000000000000LL /* as for POST /v1/campaigns */

static const char no_campaign[] = "There is no campaign with that id.";

/* Answers a change: 200 with the JSON, or the refusal its status stands for. */
static enum MHD_Result reply_change(struct http_req *r, int rc, struct db_change *c)
{
    enum MHD_Result result;
    json_t *v;
    switch (rc != DB_ONE_RESULT ? DBW_NONE : c->status) {
    case DBW_NONE:
        result = http_reply_db_failure(r, rc);
        break;
    case DBW_NOT_FOUND:
        result = http_reply_error(r, CPN_ERR_NOT_FOUND, no_campaign);
        break;
    case DBW_ENDED:
        result = http_reply_error(r, CPN_ERR_CONFLICT,
                                  "The campaign has ended: it can no longer be paused, resumed or "
                                  "extended.");
        break;
    case DBW_EARLIER_END:
        result = http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                  "The field 'ends_at' can only move the end later; to end the "
                                  "campaign early, use POST /v1/campaigns/{id}/end.");
        break;
    case DBW_OK:
        v = c->json != NULL ? json_loads(c->json, 0, NULL) : NULL;
        result =
            v != NULL ? http_reply_json(r, 200, v) : http_reply_error(r, CPN_ERR_INTERNAL, NULL);
        break;
    default:
        result = http_reply_error(r, CPN_ERR_INTERNAL, NULL);
        break;
    }
    db_change_clear(c);
    return result;
}

/* Pause, resume or end the {id} campaign. The body, if any, must be an empty object. */
static enum MHD_Result lifecycle(struct http_req *r, const char *action)
{
    int64_t id;
    if (http_parse_id(r->params[0], &id) != 0)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, no_campaign);
    if (r->body_len > 0) {
        enum MHD_Result replied;
        json_t *in = http_body_object(r, &replied);
        if (in == NULL)
            return replied;
        bool empty = json_object_size(in) == 0;
        json_decref(in);
        if (!empty)
            return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                    "This request takes no fields: send no body or {}.");
    }
    struct db_change c;
    int rc = db_campaign_lifecycle(id, action, r->principal->name,
                                   principal_role_name(r->principal->role), &c);
    return reply_change(r, rc, &c);
}

enum MHD_Result http_campaigns_pause(struct http_req *r)
{
    return lifecycle(r, "pause");
}

enum MHD_Result http_campaigns_resume(struct http_req *r)
{
    return lifecycle(r, "resume");
}

enum MHD_Result http_campaigns_end(struct http_req *r)
{
    return lifecycle(r, "end");
}

/* Reads the PATCH body IN into *P. Returns 0, or -1 with DETAIL filled. */
static int read_patch(const json_t *in, struct campaign_patch *p, char *detail, size_t dlen)
{
    static const char *const allowed[] = {"name",
                                          "ends_at",
                                          "cost_cents",
                                          "fixed_cost_cents",
                                          "gross_margin_pct",
                                          "in_home_date",
                                          "response_window_days",
                                          NULL};
    static const char *const fixed[] = {"channel", "starts_at",  "offer", "max_redemptions",
                                        "stores",  "variant_of", "id",    NULL};
    const char *unknown = jin_unknown_key(in, allowed);
    if (unknown != NULL) {
        bool known = false;
        for (const char *const *f = fixed; !known && *f != NULL; f++)
            known = strcmp(*f, unknown) == 0;
        if (known)
            snprintf(detail, dlen,
                     "The field '%.60s' cannot change after the campaign was created.", unknown);
        else
            snprintf(detail, dlen, "The field '%.60s' is not known.", unknown);
        return -1;
    }
    if (json_object_size(in) == 0) {
        snprintf(detail, dlen, "The body names nothing to change.");
        return -1;
    }
    int end = jin_time_field(in, "ends_at", false, &p->ends_at, detail, dlen);
    if (end < 0 || jin_str_field(in, "name", false, 200, &p->name, detail, dlen) < 0 ||
        jin_date_field(in, "in_home_date", false, p->in_home_date, detail, dlen) < 0)
        return -1;
    if (end == 1 && (p->ends_at <= 0 || p->ends_at > UINT32_MAX)) {
        snprintf(detail, dlen, "The campaign must end before 2106-02-07.");
        return -1;
    }
    int cost = jin_int_field(in, "cost_cents", false, 0, MAX_CENTS, &p->cost_cents, detail, dlen);
    int fixed_cost = cost < 0 ? -1
                              : jin_int_field(in, "fixed_cost_cents", false, 0, MAX_CENTS,
                                              &p->fixed_cost_cents, detail, dlen);
    int margin = fixed_cost < 0 ? -1
                                : jin_pct_field(in, "gross_margin_pct", false, 100,
                                                &p->gross_margin_pct, detail, dlen);
    int window = margin < 0 ? -1
                            : jin_int_field(in, "response_window_days", false, 1, 3660,
                                            &p->response_window_days, detail, dlen);
    if (window < 0)
        return -1;
    p->has_cost = cost == 1;
    p->has_fixed_cost = fixed_cost == 1;
    p->has_margin = margin == 1;
    p->has_window = window == 1;
    return 0;
}

enum MHD_Result http_campaigns_patch(struct http_req *r)
{
    int64_t id;
    if (http_parse_id(r->params[0], &id) != 0)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, no_campaign);
    enum MHD_Result replied;
    json_t *in = http_body_object(r, &replied);
    if (in == NULL)
        return replied;
    struct campaign_patch p;
    char detail[256];
    memset(&p, 0, sizeof p);
    if (read_patch(in, &p, detail, sizeof detail) != 0) {
        json_decref(in);
        return http_reply_error(r, CPN_ERR_BAD_REQUEST, detail);
    }
    struct db_change c;
    int rc =
        db_campaign_update(id, &p, r->principal->name, principal_role_name(r->principal->role), &c);
    json_decref(in); /* p.name pointed into it */
    return reply_change(r, rc, &c);
}
