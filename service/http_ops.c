/* Operations endpoints: GET /healthz, /livez (the process serves) and /readyz (the database
 * answers and coupond is not draining), all three without a certificate; GET /metrics (admin
 * or monitor); GET /v1/whoami (who coupond sees); GET /v1/keys (any principal: the public
 * verification keys). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codes.h"
#include "coupon/hex.h"
#include "coupon/keys.h"
#include "db.h"
#include "handlers.h"
#include "http_drain.h"
#include "metrics.h"
#include "metrics_ops.h"

/* One round trip to the database on the worker's connection (db_ping), timed for /metrics.
 * Returns true when it answered. */
static bool database_answers(void)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = db_ping();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    metrics_database_ping(rc == DB_ONE_RESULT, secs);
    return rc == DB_ONE_RESULT;
}

enum MHD_Result http_healthz_get(struct http_req *r)
{
    if (!database_answers())
        return http_reply_json(
            r, 503, json_pack("{s:s, s:s}", "status", "degraded", "database", "unreachable"));
    return http_reply_json(r, 200, json_pack("{s:s, s:s}", "status", "ok", "database", "ok"));
}

enum MHD_Result http_livez_get(struct http_req *r)
{
    return http_reply_json(r, 200, json_pack("{s:s}", "status", "alive"));
}

enum MHD_Result http_readyz_get(struct http_req *r)
{
    if (http_draining())
        return http_reply_json(r, 503, json_pack("{s:s}", "status", "draining"));
    if (!database_answers())
        return http_reply_json(
            r, 503, json_pack("{s:s, s:s}", "status", "not_ready", "database", "unreachable"));
    return http_reply_json(r, 200, json_pack("{s:s, s:s}", "status", "ready", "database", "ok"));
}

enum MHD_Result http_metrics_get(struct http_req *r)
{
    (void)database_answers(); /* coupond_database_up and its round trip, fresh at each scrape */
    char *counters = metrics_render(), *ops = metrics_ops_render();
    size_t n1 = counters != NULL ? strlen(counters) : 0, n2 = ops != NULL ? strlen(ops) : 0;
    char *text = counters != NULL && ops != NULL ? realloc(counters, n1 + n2 + 1) : NULL;
    if (text == NULL) {
        free(counters);
        free(ops);
        return http_reply_error(r, CPN_ERR_NO_MEMORY, NULL);
    }
    memcpy(text + n1, ops, n2 + 1);
    free(ops);
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
    struct codes_keys *held = codes_keys_hold();
    const struct cpn_keyring *k = held != NULL ? codes_keys_ring(held) : NULL;
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
    codes_keys_release(held);
    return http_reply_json(r, 200, json_pack("{s:o}", "keys", list));
}
