/* POST /v1/campaigns/{id}/recipients (marketer): a mailing's recipient list, as JSON
 * {cards: [...], holdout_pct} or as CSV (Content-Type text/csv, one card per line, holdout_pct
 * as a query parameter), up to a million cards. Answers 201 {campaign_id, recipients, mailed,
 * holdout, holdout_pct, issued, batch_id}; the same list again answers the same with 200. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codes.h"
#include "handlers.h"
#include "http_common.h"
#include "json_fields.h"
#include "json_in.h"
#include "recipients_upload.h"

/* True when the request's Content-Type is MIME (parameters after ';' ignored). */
static bool content_type_is(struct http_req *r, const char *mime)
{
    const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
    size_t n = strlen(mime);
    return ct != NULL && strncasecmp(ct, mime, n) == 0 && (ct[n] == '\0' || ct[n] == ';');
}

/* Reads the list and the holdout percentage from the body. Returns CPN_OK, or an error with
 * DETAIL. */
static enum cpn_err read_upload(struct http_req *r, struct recipients_list *list, int64_t *pct,
                                char *detail, size_t dlen)
{
    if (content_type_is(r, "text/csv")) {
        const char *p = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "holdout_pct");
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
        return recipients_from_csv(r->body, r->body_len, list, detail, dlen);
    }
    static const char *const allowed[] = {"cards", "holdout_pct", NULL};
    json_error_t jerr;
    json_t *in =
        r->body_len > 0 ? json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
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

enum MHD_Result http_recipients_upload(struct http_req *r)
{
    int64_t campaign, pct = 0;
    if (http_parse_id(r->params[0], &campaign) != 0)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, "There is no campaign with that id.");
    struct recipients_list list = {0};
    char detail[400];
    enum cpn_err err = read_upload(r, &list, &pct, detail, sizeof detail);
    if (err != CPN_OK)
        return http_reply_error(r, err, err == CPN_ERR_BAD_REQUEST ? detail : NULL);
    struct recipients_upload u = {.campaign = campaign,
                                  .list = &list,
                                  .holdout_pct = pct,
                                  .actor = r->principal->name,
                                  .role = principal_role_name(r->principal->role)};
    struct recipients_result res;
    const char *why = NULL;
    err = recipients_run(&u, &res, &why);
    recipients_list_clear(&list);
    if (err == CPN_ERR_NOT_FOUND)
        return http_reply_error(r, err, "There is no campaign with that id.");
    if (err == CPN_ERR_BAD_REQUEST) {
        unknown_sentence(&res, detail, sizeof detail);
        return http_reply_error(r, err, detail);
    }
    if (err == CPN_ERR_CONFLICT)
        return http_reply_error(r, err,
                                why != NULL && strcmp(why, "ended") == 0
                                    ? "The campaign has ended: it takes no recipient list."
                                    : "This campaign already has another recipient list (a "
                                      "campaign has one; the same list again is answered as "
                                      "before).");
    if (err != CPN_OK)
        return http_reply_error(r, err, NULL);
    char pct_text[24];
    jin_pct_format(pct, pct_text, sizeof pct_text);
    json_t *out =
        json_pack("{s:I, s:I, s:I, s:I, s:f, s:I, s:o}", "campaign_id", (json_int_t)campaign,
                  "recipients", (json_int_t)res.recipients, "mailed", (json_int_t)res.mailed,
                  "holdout", (json_int_t)res.holdout, "holdout_pct", strtod(pct_text, NULL),
                  "issued", (json_int_t)res.issued, "batch_id",
                  res.batch_id > 0 ? json_integer(res.batch_id) : json_null());
    return http_reply_json(r, res.replay ? 200 : 201, out);
}
