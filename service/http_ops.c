/* Operations endpoints: GET /healthz (no certificate), GET /metrics (admin), GET
 * /v1/whoami (any principal: who coupond sees), GET /v1/keys (any principal: the public
 * verification keys). */
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "coupon/hex.h"
#include "coupon/keys.h"
#include "db.h"
#include "handlers.h"
#include "metrics.h"

enum MHD_Result http_healthz_get(struct http_req *r)
{
    if (db_ping() != DB_ONE_RESULT)
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

enum MHD_Result http_keys_get(struct http_req *r)
{
    const struct cpn_keyring *k = codes_keyring();
    unsigned ids[CPN_KEY_ID_MAX];
    size_t n = k != NULL ? cpn_keyring_public_ids(k, ids) : 0;
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < n; i++) {
        uint8_t pub[CPN_PUBLIC_KEY_BYTES];
        char hex[2 * CPN_PUBLIC_KEY_BYTES + 1];
        if (cpn_keyring_public_key(k, ids[i], pub) != CPN_OK)
            continue;
        cpn_hex_encode(pub, sizeof pub, hex);
        json_t *key =
            json_pack("{s:i, s:s, s:s, s:b}", "id", (int)ids[i], "alg", "Ed25519", "public_key",
                      hex, "current", ids[i] == cpn_keyring_current_sign_id(k));
        if (key != NULL && cpn_keyring_is_retired(k, ids[i]))
            json_object_set_new(key, "retired", json_true()); /* its codes are refused */
        json_array_append_new(list, key);
    }
    return http_reply_json(r, 200, json_pack("{s:o}", "keys", list));
}
