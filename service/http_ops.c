/* Operations endpoints: GET /healthz (no certificate), GET /metrics (admin), GET
 * /v1/whoami (any principal: who coupond sees), and small helpers the handlers share. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "coupon/qr.h"
#include "db.h"
#include "handlers.h"
#include "metrics.h"

enum MHD_Result http_healthz_get(struct http_req *r)
{
    PGresult *res = NULL;
    int rc = db_query("ping", 0, NULL, &res);
    PQclear(res);
    if (rc != DB_ONE_RESULT)
        return http_reply_json(
            r, 503, json_pack("{s:s, s:s}", "status", "degraded", "database", "unreachable"));
    return http_reply_json(r, 200, json_pack("{s:s, s:s}", "status", "ok", "database", "ok"));
}

enum MHD_Result http_metrics_get(struct http_req *r)
{
    char *text = metrics_render();
    if (text == NULL)
        return http_reply_error(r, CPN_ERR_NO_MEMORY, NULL);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(strlen(text), text, free);
    if (resp == NULL) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/plain; version=0.0.4; charset=utf-8");
    return http_queue(r, 200, resp);
}

enum MHD_Result http_whoami_get(struct http_req *r)
{
    const struct principal *p = r->principal;
    json_t *body = json_pack("{s:s, s:s}", "role", principal_role_name(p->role), "name", p->name);
    if (body != NULL && p->role == ROLE_TERMINAL)
        json_object_set_new(body, "store", json_integer(p->store));
    return http_reply_json(r, 200, body);
}

int http_parse_id(const char *text, int64_t *id)
{
    if (text == NULL || *text < '1' || *text > '9' || strlen(text) > 18)
        return -1;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0' || v <= 0)
        return -1;
    *id = v;
    return 0;
}

enum MHD_Result http_reply_db_failure(struct http_req *r, int db_status)
{
    return http_reply_error(r, db_status == DB_SOFT_ERROR ? CPN_ERR_UNAVAILABLE : CPN_ERR_INTERNAL,
                            NULL);
}

enum MHD_Result http_reply_qr(struct http_req *r, const char *text, bool png)
{
    struct cpn_qr_options opts = {.module_px = png ? 6 : 4, .quiet_zone = 4};
    enum MHD_Result result;
    enum cpn_err err;
    if (png) {
        uint8_t *img = NULL;
        size_t len = 0;
        err = cpn_qr_png(text, &opts, &img, &len, NULL);
        result = err == CPN_OK ? http_reply_bytes(r, 200, "image/png", img, len)
                               : http_reply_error(r, err, NULL);
        free(img);
    } else {
        char *svg = NULL;
        size_t len = 0;
        err = cpn_qr_svg(text, &opts, &svg, &len, NULL);
        result = err == CPN_OK ? http_reply_bytes(r, 200, "image/svg+xml", svg, len)
                               : http_reply_error(r, err, NULL);
        free(svg);
    }
    return result;
}
