/* Campaign handlers (marketer): POST /v1/campaigns, GET /v1/campaigns (filtered by state and
 * channel), GET /v1/campaigns/{id} (?figures=false: without the figures). Input is read
 * strictly: unknown fields are refused. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "campaign_rules.h"
#include "db.h"
#include "db_campaigns.h"
#include "handlers.h"
#include "http_common.h"
#include "json_fields.h"
#include "json_in.h"

#define MAX_CENTS 100000000000000LL /* one trillion euros: far beyond any campaign */

static const char *const channels[] = {"mailing", "email", "display", "social", "print", "receipt",
                                       "sms",     "app",   "poster",  "radio",  "other", NULL};

static bool in_list(const char *s, const char *const *list)
{
    for (; *list != NULL; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

/* Answers with JSON text TEXT (a campaign or list) wrapped as needed; frees TEXT. */
static enum MHD_Result reply_text(struct http_req *r, unsigned status, char *text,
                                  const char *wrap_key)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);
    free(text);
    if (v == NULL)
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    if (wrap_key != NULL)
        v = json_pack("{s:o}", wrap_key, v);
    return http_reply_json(r, status, v);
}

enum MHD_Result http_campaigns_list(struct http_req *r)
{
    static const char *const states[] = {"scheduled", "running",   "paused",
                                         "ended",     "exhausted", NULL};
    int64_t after = 0, limit = 100;
    const char *a = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "after");
    const char *l = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "limit");
    const char *state = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "state");
    const char *channel = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "channel");
    if (state != NULL && !in_list(state, states))
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "The parameter 'state' must be scheduled, running, paused, ended "
                                "or exhausted.");
    if (channel != NULL && !in_list(channel, channels))
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "The parameter 'channel' must be one of mailing, email, display, "
                                "social, print, receipt, sms, app, poster, radio, other.");
    if (a != NULL && strcmp(a, "0") != 0 && http_parse_id(a, &after) != 0)
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "The parameter 'after' must be a campaign id.");
    if (l != NULL && (http_parse_id(l, &limit) != 0 || limit > 1000))
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "The parameter 'limit' must be from 1 to 1000.");
    char *text = NULL;
    int rc = db_campaign_list(after, (int)limit, state, channel, &text);
    if (rc != DB_ONE_RESULT)
        return http_reply_db_failure(r, rc);
    return reply_text(r, 200, text, "campaigns");
}

enum MHD_Result http_campaigns_get(struct http_req *r)
{
    int64_t id;
    if (http_parse_id(r->params[0], &id) != 0)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, "There is no campaign with that id.");
    /* ?figures=false: the terms only, without the figures' pass over the redemptions */
    const char *figures = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "figures");
    if (figures != NULL && strcmp(figures, "true") != 0 && strcmp(figures, "false") != 0)
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "The parameter 'figures' must be true or false.");
    char *text = NULL;
    int rc = figures != NULL && strcmp(figures, "false") == 0 ? db_campaign_get_terms(id, &text)
                                                              : db_campaign_get(id, &text);
    if (rc == DB_NO_RESULTS)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, "There is no campaign with that id.");
    if (rc != DB_ONE_RESULT)
        return http_reply_db_failure(r, rc);
    return reply_text(r, 200, text, NULL);
}

/* Reads the offer object into C. Returns 0, or -1 with DETAIL filled. */
static int read_offer(const json_t *offer, struct campaign_new *c, char *detail, size_t dlen)
{
    static const char *const allowed[] = {"kind", "value", "min_basket_cents", "multiply", NULL};
    static const char *const kinds[] = {"percent", "amount", "points", NULL};
    if (!json_is_object(offer)) {
        snprintf(detail, dlen,
                 "The field 'offer' must be an object {kind, value, min_basket_cents}.");
        return -1;
    }
    const char *unknown = jin_unknown_key(offer, allowed);
    if (unknown != NULL) {
        snprintf(detail, dlen, "The field 'offer.%.60s' is not known.", unknown);
        return -1;
    }
    if (jin_str_field(offer, "kind", true, 16, &c->offer_kind, detail, dlen) < 0)
        return -1;
    if (!in_list(c->offer_kind, kinds)) {
        snprintf(detail, dlen, "The offer kind must be percent, amount or points.");
        return -1;
    }
    json_t *multiply = json_object_get(offer, "multiply");
    if (multiply != NULL && !json_is_boolean(multiply)) {
        snprintf(detail, dlen, "The field 'offer.multiply' must be true or false.");
        return -1;
    }
    c->offer_multiply = json_is_true(multiply);
    if (c->offer_multiply) {
        if (strcmp(c->offer_kind, "points") != 0) {
            snprintf(detail, dlen, "Only a points offer can multiply ('offer.multiply').");
            return -1;
        }
        return jin_int_field(offer, "value", true, 2, 10, &c->offer_value, detail, dlen) < 0 ||
                       jin_int_field(offer, "min_basket_cents", false, 0, UINT32_MAX,
                                     &c->min_basket_cents, detail, dlen) < 0
                   ? -1
                   : 0;
    }
    /* Offer fields travel in the signed code as 32-bit numbers. */
    int64_t max = strcmp(c->offer_kind, "percent") == 0 ? 100 : UINT32_MAX;
    if (jin_int_field(offer, "value", true, 1, max, &c->offer_value, detail, dlen) < 0 ||
        jin_int_field(offer, "min_basket_cents", false, 0, UINT32_MAX, &c->min_basket_cents, detail,
                      dlen) < 0)
        return -1;
    return 0;
}

/* Reads the optional stores list into C. Returns 0, or -1 with DETAIL filled. */
static int read_stores(const json_t *stores, struct campaign_new *c, char *detail, size_t dlen)
{
    if (stores == NULL || json_is_null(stores))
        return 0;
    if (!json_is_array(stores) || json_array_size(stores) == 0 ||
        json_array_size(stores) > CAMPAIGN_MAX_STORES) {
        snprintf(detail, dlen, "The field 'stores' must be a list of 1 to %d store ids.",
                 CAMPAIGN_MAX_STORES);
        return -1;
    }
    size_t i;
    json_t *v;
    json_array_foreach(stores, i, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > INT32_MAX) {
            snprintf(detail, dlen, "Every entry of 'stores' must be a positive store id.");
            return -1;
        }
        c->stores[c->nstores++] = (int32_t)json_integer_value(v);
    }
    return 0;
}

/* Reads when the campaign runs into C: starts_at (an instant) or starts_on (a local date: from
 * the start of that day in the retailer's time zone), and ends_at or ends_on (to the end of that
 * local day), one of each. (Mixed, the order is checked by the schema.) Returns 0, or -1 with
 * DETAIL filled. */
static int read_window(const json_t *in, struct campaign_new *c, char *detail, size_t dlen)
{
    static const char *const keys[2][2] = {{"starts_at", "starts_on"}, {"ends_at", "ends_on"}};
    for (int i = 0; i < 2; i++) {
        bool at = json_object_get(in, keys[i][0]) != NULL;
        bool on = json_object_get(in, keys[i][1]) != NULL;
        if (at == on) {
            snprintf(detail, dlen,
                     at ? "Give '%s' or '%s', not both." : "The field '%s' (or '%s') is required.",
                     keys[i][0], keys[i][1]);
            return -1;
        }
        int64_t *instant = i == 0 ? &c->starts_at : &c->ends_at;
        char *date = i == 0 ? c->starts_on : c->ends_on;
        if ((at && jin_time_field(in, keys[i][0], true, instant, detail, dlen) < 0) ||
            (on && jin_date_field(in, keys[i][1], true, date, detail, dlen) < 0))
            return -1;
    }
    return 0;
}

/* Reads the analytics fields (in-home date, gross margin, fixed cost, response window) into
 * C. Returns 0, or -1 with DETAIL filled. */
static int read_analytics(const json_t *in, struct campaign_new *c, char *detail, size_t dlen)
{
    int got = jin_date_field(in, "in_home_date", false, c->in_home_date, detail, dlen);
    if (got < 0)
        return -1;
    got = jin_pct_field(in, "gross_margin_pct", false, 100, &c->gross_margin_pct, detail, dlen);
    if (got < 0)
        return -1;
    c->has_gross_margin = got == 1;
    got = jin_int_field(in, "fixed_cost_cents", false, 0, MAX_CENTS, &c->fixed_cost_cents, detail,
                        dlen);
    if (got < 0)
        return -1;
    c->has_fixed_cost = got == 1;
    return jin_int_field(in, "response_window_days", false, 1, 3660, &c->response_window_days,
                         detail, dlen) < 0
               ? -1
               : 0;
}

/* Reads the body IN of a new campaign into C (strings borrowed from IN) and checks what holds
 * across fields. Returns 0, or -1 with DETAIL filled. */
static int read_campaign(const json_t *in, struct campaign_new *c, char *detail, size_t dlen)
{
    static const char *const allowed[] = {"name",
                                          "channel",
                                          "cost_cents",
                                          "starts_at",
                                          "ends_at",
                                          "offer",
                                          "max_redemptions",
                                          "stores",
                                          "variant_of",
                                          "in_home_date",
                                          "gross_margin_pct",
                                          "fixed_cost_cents",
                                          "response_window_days",
                                          "starts_on",
                                          "ends_on",
                                          "max_per_card",
                                          "max_per_receipt",
                                          "combinable",
                                          "trigger",
                                          NULL};
    const char *unknown = jin_unknown_key(in, allowed);
    if (unknown != NULL) {
        snprintf(detail, dlen, "The field '%.60s' is not known.", unknown);
        return -1;
    }
    if (jin_str_field(in, "name", true, 200, &c->name, detail, dlen) < 0 ||
        jin_str_field(in, "channel", true, 16, &c->channel, detail, dlen) < 0)
        return -1;
    if (!in_list(c->channel, channels)) {
        snprintf(detail, dlen,
                 "The channel must be one of mailing, email, display, social, print, receipt, "
                 "sms, app, poster, radio, other.");
        return -1;
    }
    if (jin_int_field(in, "cost_cents", true, 0, MAX_CENTS, &c->cost_cents, detail, dlen) < 0 ||
        read_window(in, c, detail, dlen) < 0 ||
        read_offer(json_object_get(in, "offer"), c, detail, dlen) < 0 ||
        jin_int_field(in, "max_redemptions", false, 1, INT64_C(1000000000000), &c->max_redemptions,
                      detail, dlen) < 0 ||
        read_stores(json_object_get(in, "stores"), c, detail, dlen) < 0 ||
        jin_int_field(in, "variant_of", false, 1, INT64_MAX, &c->variant_of, detail, dlen) < 0 ||
        read_analytics(in, c, detail, dlen) < 0 || campaign_rules_read(in, c, detail, dlen) < 0)
        return -1;
    if (json_object_get(in, "offer") == NULL) {
        snprintf(detail, dlen, "The field 'offer' is required.");
        return -1;
    }
    if (c->ends_at > UINT32_MAX || strcmp(c->ends_on, "2106-02-06") > 0) {
        /* The signed form carries the end as 32-bit Unix seconds. */
        snprintf(detail, dlen, "The campaign must end before 2106-02-07.");
        return -1;
    }
    if ((c->starts_on[0] == '\0' && c->ends_on[0] == '\0' && c->ends_at <= c->starts_at) ||
        (c->starts_on[0] != '\0' && c->ends_on[0] != '\0' &&
         strcmp(c->ends_on, c->starts_on) < 0)) {
        snprintf(detail, dlen, "The campaign must end after it starts.");
        return -1;
    }
    return 0;
}

/* Creates campaign C for R's principal and answers 201 with it, or the refusal. */
static enum MHD_Result create_campaign(struct http_req *r, struct campaign_new *c)
{
    char detail[256];
    enum MHD_Result result;
    c->created_by = r->principal->name;
    c->created_role = principal_role_name(r->principal->role);
    char *text = NULL;
    enum db_word why;
    enum cpn_err err;
    int rc = db_campaign_create(c, &text, &err, &why);
    if (rc == DB_ONE_RESULT && err == CPN_OK) {
        /* A bounce-back campaign gets its first serials now (the pool thread tops them up). */
        if (c->has_trigger)
            bounce_set_live();
        json_t *made = c->has_trigger ? json_loads(text, 0, NULL) : NULL;
        if (made != NULL &&
            bounce_pool_fill(json_integer_value(json_object_get(made, "id"))) != CPN_OK)
            bounce_wake();
        json_decref(made);
        result = reply_text(r, 201, text, NULL);
    } else if (err == CPN_ERR_BAD_REQUEST) {
        /* A refusal of the function (variant_not_found, variant_of_variant), or a rule of the
         * table (with the points maximum's own sentence in TEXT). */
        snprintf(detail, sizeof detail,
                 "Campaign %" PRId64 " is itself a variant: make this one a variant of its "
                 "control (an A/B test is one control and its variants).",
                 c->variant_of);
        result = http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                  rc != DB_ONE_RESULT ? (text != NULL ? text
                                                                      : "The campaign breaks a "
                                                                        "rule of the schema.")
                                  : why == DBW_VARIANT_OF_VARIANT
                                      ? detail
                                      : "The field 'variant_of' names no campaign.");
        free(text);
    } else {
        result = http_reply_db_failure(r, rc);
    }
    return result;
}

enum MHD_Result http_campaigns_create(struct http_req *r)
{
    enum MHD_Result replied;
    json_t *in = http_body_object(r, &replied);
    if (in == NULL)
        return replied;
    struct campaign_new *c = calloc(1, sizeof *c);
    char detail[256] = "";
    enum MHD_Result result;
    if (c == NULL)
        result = http_reply_error(r, CPN_ERR_NO_MEMORY, NULL);
    else if (read_campaign(in, c, detail, sizeof detail) != 0)
        result = http_reply_error(r, CPN_ERR_BAD_REQUEST, detail);
    else
        result = create_campaign(r, c);
    free(c);
    json_decref(in);
    return result;
}
