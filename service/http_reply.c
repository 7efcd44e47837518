/* How handlers answer: JSON, errors from the registry (an HTML page on the console's paths),
 * bytes, and the request body read as a JSON object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_lang.h"
#include "http_reply.h"
#include "http_ui.h"
#include "json_out.h"

enum MHD_Result http_reply_bytes(struct http_req *r, unsigned status, const char *ctype,
                                 const void *data, size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    return http_queue(r, status, resp);
}

enum MHD_Result http_reply_json(struct http_req *r, unsigned status, json_t *body)
{
    /* The hot answers are written by json_out.c; what it leaves (reals, non-ASCII text) by
     * jansson, with the same flags and so the same bytes. Reals (report ratios) print as the
     * database rounded them, not with 17 digits. */
    size_t len = 0;
    char *text = json_out_compact(body, &len);
    if (text == NULL && body != NULL) {
        text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(12));
        len = text != NULL ? strlen(text) : 0;
    }
    json_decref(body);
    if (text == NULL) {
        static const char oom[] = "{\"error\":\"internal\",\"message\":\"Out of memory.\"}";
        return http_reply_bytes(r, 500, "application/json", oom, sizeof oom - 1);
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(len, text, free);
    if (resp == NULL) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    return http_queue(r, status, resp);
}

enum MHD_Result http_reply_error_extra(struct http_req *r, enum cpn_err err, const char *detail,
                                       json_t *extra)
{
    r->refusal = err;
    if (http_ui_path(r->path)) {
        json_decref(extra);
        return http_ui_reply_error(r, err, detail);
    }
    json_t *body = json_pack("{s:s, s:s}", "error", cpn_err_code(err), "message",
                             detail != NULL ? detail : cpn_err_message_lang(err, http_req_lang(r)));
    if (body != NULL && extra != NULL)
        json_object_update(body, extra);
    json_decref(extra);
    return http_reply_json(r, (unsigned)cpn_err_http_status(err), body);
}

enum MHD_Result http_reply_error(struct http_req *r, enum cpn_err err, const char *detail)
{
    return http_reply_error_extra(r, err, detail, NULL);
}

json_t *http_body_object(struct http_req *r, enum MHD_Result *replied)
{
    json_error_t jerr;
    json_t *obj = NULL;
    char detail[256];
    if (r->body_len == 0) {
        *replied = http_reply_error(r, CPN_ERR_BAD_REQUEST, "The request needs a JSON body.");
        return NULL;
    }
    obj = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (obj == NULL) {
        snprintf(detail, sizeof detail, "The body is not valid JSON: %s (at character %d).",
                 jerr.text, jerr.position);
        *replied = http_reply_error(r, CPN_ERR_BAD_REQUEST, detail);
        return NULL;
    }
    if (!json_is_object(obj)) {
        json_decref(obj);
        *replied = http_reply_error(r, CPN_ERR_BAD_REQUEST, "The body must be a JSON object.");
        return NULL;
    }
    return obj;
}
