/* Webhook subscriptions (admin): POST/GET /v1/webhooks, GET/DELETE /v1/webhooks/{id},
 * GET /v1/webhooks/{id}/deliveries (the delivery log), POST /v1/webhooks/{id}/redeliver.
 * Input is read strictly; the secret is answered once, at creation. */
#include <curl/curl.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_webhooks.h"
#include "event_json.h"
#include "handlers.h"
#include "http_common.h"
#include "json_in.h"
#include "webhook_sign.h"

#define MAX_TYPES 64

/* Answers JSON text TEXT (freed) with STATUS, wrapped as {WRAP: ...} when WRAP is set. */
static enum MHD_Result reply_text(struct http_req *r, unsigned status, char *text, const char *wrap)
{
    json_t *v = json_loads(text, 0, NULL);
    free(text);
    if (v == NULL)
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    if (wrap != NULL)
        v = json_pack("{s:o}", wrap, v);
    return http_reply_json(r, status, v);
}

/* Checks URL: https, a host, no user or password. Returns 0, or -1 with DETAIL filled. */
static int check_url(const char *url, char *detail, size_t dlen)
{
    if (strncmp(url, "https://", 8) != 0) {
        snprintf(detail, dlen,
                 "The url must be an https:// address: events are sent only over TLS.");
        return -1;
    }
    CURLU *u = curl_url();
    char *host = NULL, *user = NULL;
    bool ok = u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host[0] != '\0' &&
              curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_NO_USER;
    curl_free(host);
    curl_free(user);
    curl_url_cleanup(u);
    if (!ok)
        snprintf(detail, dlen,
                 "The url is not a valid https address with a host (and without a user name).");
    return ok ? 0 : -1;
}

/* Checks that PEM holds at least one X.509 certificate and nothing that is not one.
 * Returns 0, or -1 with DETAIL filled. */
static int check_ca(const char *pem, char *detail, size_t dlen)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    int certs = 0;
    X509 *x;
    while (bio != NULL) {
        x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (x == NULL)
            break;
        X509_free(x);
        certs++;
    }
    BIO_free(bio);
    if (certs == 0) {
        snprintf(detail, dlen,
                 "The field 'ca_pem' holds no certificate: give the PEM text of the CA that "
                 "issued the receiver's certificate, or leave the field out to trust the "
                 "system's CAs.");
        return -1;
    }
    return 0;
}

/* Reads the optional CA bundle V (absent or null: the system's CAs) into *CA (borrowed).
 * Returns 0, or -1 with DETAIL filled. */
static int read_ca(const json_t *v, const char **ca, char *detail, size_t dlen)
{
    *ca = NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v) || json_string_length(v) > 65536) {
        snprintf(detail, dlen, "The field 'ca_pem' must be the PEM text of a CA (at most 64 KiB).");
        return -1;
    }
    if (check_ca(json_string_value(v), detail, dlen) != 0)
        return -1;
    *ca = json_string_value(v);
    return 0;
}

/* Reads EVENTS (an array of known types, or ["*"]) into a PostgreSQL array text in OUT.
 * Returns 0, or -1 with DETAIL filled. */
static int read_types(const json_t *events, char *out, size_t len, char *detail, size_t dlen)
{
    if (!json_is_array(events) || json_array_size(events) == 0 ||
        json_array_size(events) > MAX_TYPES) {
        snprintf(detail, dlen,
                 "The field 'events' must be a list of 1 to %d event types, or [\"*\"] for all.",
                 MAX_TYPES);
        return -1;
    }
    size_t used = (size_t)snprintf(out, len, "{");
    size_t i;
    json_t *t;
    json_array_foreach(events, i, t)
    {
        const char *name = json_string_value(t);
        bool star = name != NULL && strcmp(name, "*") == 0;
        if (name == NULL || (!star && !event_type_known(name)) ||
            (star && json_array_size(events) != 1)) {
            snprintf(detail, dlen,
                     "Unknown event type '%.64s'. The event types are: %s (or [\"*\"] "
                     "alone for all).",
                     name != NULL ? name : "(not a string)", event_types_text());
            return -1;
        }
        int n = snprintf(out + used, len - used, "%s%s", i > 0 ? "," : "", name);
        if (n < 0 || (size_t)n >= len - used)
            return -1;
        used += (size_t)n;
    }
    if (used + 2 > len)
        return -1;
    out[used++] = '}';
    out[used] = '\0';
    return 0;
}

enum MHD_Result http_webhooks_create(struct http_req *r)
{
    static const char *const allowed[] = {"url", "events", "ca_pem", "reveal_codes", NULL};
    enum MHD_Result replied;
    json_t *in = http_body_object(r, &replied);
    if (in == NULL)
        return replied;
    char detail[1024], types[MAX_TYPES * 32];
    const char *url = NULL, *ca = NULL;
    const char *unknown = jin_unknown_key(in, allowed);
    json_t *reveal = json_object_get(in, "reveal_codes");
    if (unknown != NULL) {
        snprintf(detail, sizeof detail, "Unknown field '%.64s'.", unknown);
    } else if (jin_str_field(in, "url", true, 2048, &url, detail, sizeof detail) < 0 ||
               check_url(url, detail, sizeof detail) != 0 ||
               read_types(json_object_get(in, "events"), types, sizeof types, detail,
                          sizeof detail) != 0) {
        /* detail filled */
    } else if (read_ca(json_object_get(in, "ca_pem"), &ca, detail, sizeof detail) != 0) {
        /* detail filled */
    } else if (reveal != NULL && !json_is_boolean(reveal)) {
        snprintf(detail, sizeof detail, "The field 'reveal_codes' must be true or false.");
    } else {
        detail[0] = '\0';
    }
    if (detail[0] != '\0') {
        json_decref(in);
        return http_reply_error(r, CPN_ERR_BAD_REQUEST, detail);
    }
    const char *key = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Idempotency-Key");
    if (key != NULL) {
        size_t n = strlen(key);
        bool printable = n >= 1 && n <= 128;
        for (size_t i = 0; printable && i < n; i++)
            printable = key[i] > 0x20 && key[i] < 0x7f;
        if (!printable) {
            json_decref(in);
            return http_reply_error(
                r, CPN_ERR_BAD_REQUEST,
                "The Idempotency-Key header must be 1 to 128 printable ASCII characters.");
        }
    }
    uint8_t secret[WEBHOOK_SECRET_LEN];
    if (webhook_secret_new(secret, sizeof secret) != CPN_OK) {
        json_decref(in);
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    }
    struct webhook_new w = {.url = url,
                            .types = types,
                            .ca_pem = ca,
                            .secret = secret,
                            .secret_len = sizeof secret,
                            .reveal_codes = json_is_true(reveal),
                            .request_key = key,
                            .created_by = r->principal->name};
    enum db_word status = DBW_NONE;
    char *json = NULL;
    int rc = db_webhook_create(&w, &status, &json);
    OPENSSL_cleanse(secret, sizeof secret);
    json_decref(in);
    if (rc != DB_ONE_RESULT)
        return http_reply_db_failure(r, rc);
    switch (status) {
    case DBW_OK:
        return reply_text(r, 201, json, NULL);
    case DBW_REPLAY:
        return reply_text(r, 200, json, NULL);
    case DBW_CONFLICT:
        free(json);
        return http_reply_error(r, CPN_ERR_CONFLICT,
                                "This Idempotency-Key was already used for another subscription.");
    default:
        free(json);
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    }
}

enum MHD_Result http_webhooks_list(struct http_req *r)
{
    char *json = NULL;
    int rc = db_webhook_list(&json);
    if (rc != DB_ONE_RESULT)
        return http_reply_db_failure(r, rc);
    return reply_text(r, 200, json, "webhooks");
}

static const char no_webhook[] = "There is no webhook subscription with that id.";

enum MHD_Result http_webhooks_get(struct http_req *r)
{
    int64_t id;
    char *json = NULL;
    if (http_parse_id(r->params[0], &id) != 0)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, no_webhook);
    int rc = db_webhook_get(id, &json);
    if (rc == DB_NO_RESULTS)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, no_webhook);
    return rc == DB_ONE_RESULT ? reply_text(r, 200, json, NULL) : http_reply_db_failure(r, rc);
}

enum MHD_Result http_webhooks_delete(struct http_req *r)
{
    int64_t id;
    char *json = NULL;
    if (http_parse_id(r->params[0], &id) != 0)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, no_webhook);
    int rc = db_webhook_delete(id, &json);
    if (rc == DB_NO_RESULTS)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, no_webhook);
    return rc == DB_ONE_RESULT ? reply_text(r, 200, json, NULL) : http_reply_db_failure(r, rc);
}

enum MHD_Result http_webhooks_deliveries(struct http_req *r)
{
    int64_t id, before = 0, limit = 100;
    if (http_parse_id(r->params[0], &id) != 0)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, no_webhook);
    const char *b = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "before");
    const char *l = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "limit");
    if (b != NULL && http_parse_id(b, &before) != 0)
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "The parameter 'before' must be a delivery attempt id.");
    if (l != NULL && (http_parse_id(l, &limit) != 0 || limit > 1000))
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "The parameter 'limit' must be from 1 to 1000.");
    char *json = NULL;
    int rc = db_webhook_deliveries(id, before, (int)limit, &json);
    if (rc == DB_NO_RESULTS)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, no_webhook);
    if (rc != DB_ONE_RESULT)
        return http_reply_db_failure(r, rc);
    json_t *list = json_loads(json, 0, NULL);
    free(json);
    if (list == NULL)
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    return http_reply_json(
        r, 200, json_pack("{s:I, s:o}", "webhook_id", (json_int_t)id, "deliveries", list));
}

enum MHD_Result http_webhooks_redeliver(struct http_req *r)
{
    static const char *const allowed[] = {"from_event_id", NULL};
    int64_t id, from = 0;
    if (http_parse_id(r->params[0], &id) != 0)
        return http_reply_error(r, CPN_ERR_NOT_FOUND, no_webhook);
    enum MHD_Result replied;
    json_t *in = http_body_object(r, &replied);
    if (in == NULL)
        return replied;
    char detail[256];
    const char *unknown = jin_unknown_key(in, allowed);
    int got = unknown == NULL ? jin_int_field(in, "from_event_id", true, 1, INT64_MAX / 2, &from,
                                              detail, sizeof detail)
                              : -1;
    if (unknown != NULL)
        snprintf(detail, sizeof detail, "Unknown field '%.64s'.", unknown);
    json_decref(in);
    if (got != 1)
        return http_reply_error(r, CPN_ERR_BAD_REQUEST, detail);
    enum db_word status = DBW_NONE;
    char *json = NULL;
    int64_t oldest = 0;
    int rc = db_webhook_redeliver(id, from, &status, &json, &oldest);
    if (rc != DB_ONE_RESULT)
        return http_reply_db_failure(r, rc);
    if (status == DBW_OK)
        return reply_text(r, 200, json, NULL);
    free(json);
    switch (status) {
    case DBW_NOT_FOUND:
        return http_reply_error(r, CPN_ERR_NOT_FOUND, no_webhook);
    case DBW_DELETED:
        return http_reply_error(r, CPN_ERR_CONFLICT,
                                "This subscription was deleted; create a new one instead.");
    case DBW_PRUNED:
        snprintf(detail, sizeof detail,
                 "Events before id %" PRId64 " were pruned; redeliver from %" PRId64 " or later.",
                 oldest, oldest);
        return http_reply_error(r, CPN_ERR_BAD_REQUEST, detail);
    case DBW_FUTURE:
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "There is no event with that id yet; redeliver from an id that was "
                                "published.");
    default:
        return http_reply_error(r, CPN_ERR_INTERNAL, NULL);
    }
}
