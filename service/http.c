/* The HTTPS front's requests: the route table, routing, authentication once per connection,
 * body collection within each route's limit, and the callbacks libmicrohttpd calls for every
 * request (http_internal.h; the workers and sockets that serve them are http_server.c's). A
 * response is queued on a later call of the access handler, never the first, so that
 * libmicrohttpd keeps the connection alive; a refusal that must close the connection (no
 * valid certificate, a request target too long, a body far too large) is queued on the first
 * call, which makes libmicrohttpd close it after the answer without reading the body. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handlers.h"
#include "http.h"
#include "http_access.h"
#include "http_conn.h"
#include "http_drain.h"
#include "http_internal.h"
#include "http_limits.h"
#include "issue_pace.h"
#include "log.h"
#include "metrics.h"
#include "metrics_ops.h"

static const struct http_route http_routes[] = {
    {"GET", "/healthz", 0, http_healthz_get, "healthz", HTTP_BODY_DEFAULT},
    {"GET", "/metrics", ROLE_ADMIN | ROLE_MONITOR, http_metrics_get, "metrics", HTTP_BODY_DEFAULT},
    {"GET", "/v1/whoami", ROLE_ANY | ROLE_MONITOR, http_whoami_get, "whoami", HTTP_BODY_DEFAULT},
    {"GET", "/v1/campaigns", ROLE_MARKETER | ROLE_ADMIN, http_campaigns_list, "campaigns_list",
     HTTP_BODY_DEFAULT},
    {"POST", "/v1/campaigns", ROLE_MARKETER | ROLE_ADMIN, http_campaigns_create, "campaigns_create",
     256u << 10 /* stores: a list of thousands of ids */},
    {"GET", "/v1/campaigns/{}", ROLE_MARKETER | ROLE_ADMIN, http_campaigns_get, "campaigns_get",
     HTTP_BODY_DEFAULT},
    {"POST", "/v1/campaigns/{}/coupons", ROLE_MARKETER | ROLE_ADMIN, http_coupons_issue,
     "coupons_issue", HTTP_BODY_DEFAULT},
    {"GET", "/v1/campaigns/{}/coupons.csv", ROLE_MARKETER | ROLE_ADMIN, http_coupons_export,
     "coupons_export", HTTP_BODY_DEFAULT},
    {"GET", "/v1/campaigns/{}/qr.tar", ROLE_MARKETER | ROLE_ADMIN, http_coupons_qr_tar,
     "coupons_qr_tar", HTTP_BODY_DEFAULT},
    {"GET", "/v1/campaigns/{}/report", ROLE_MARKETER | ROLE_ADMIN, http_reports_get,
     "campaign_report", HTTP_BODY_DEFAULT},
    {"GET", "/v1/coupons/{}", ROLE_MARKETER | ROLE_ADMIN, http_coupons_get, "coupons_get",
     HTTP_BODY_DEFAULT},
    {"GET", "/v1/coupons/{}/qr.svg", ROLE_MARKETER | ROLE_ADMIN, http_coupons_qr_svg,
     "coupons_qr_svg", HTTP_BODY_DEFAULT},
    {"GET", "/v1/coupons/{}/qr.png", ROLE_MARKETER | ROLE_ADMIN, http_coupons_qr_png,
     "coupons_qr_png", HTTP_BODY_DEFAULT},
    {"POST", "/v1/checks", ROLE_TERMINAL, http_checks_create, "checks", HTTP_BODY_DEFAULT},
    {"POST", "/v1/redemptions", ROLE_TERMINAL, http_redemptions_create, "redemptions",
     HTTP_BODY_DEFAULT},
    {"POST", "/v1/redemptions/{}/void", ROLE_TERMINAL, http_redemptions_void, "redemptions_void",
     HTTP_BODY_DEFAULT},
    {"GET", "/v1/keys", ROLE_ANY, http_keys_get, "keys", HTTP_BODY_DEFAULT},
    {"POST", "/v1/cards", ROLE_ANY, http_cards_issue, "cards_issue", HTTP_BODY_DEFAULT},
    {"GET", "/v1/cards/{}", ROLE_ANY, http_cards_get, "cards_get", HTTP_BODY_DEFAULT},
    {"GET", "/v1/cards/{}/qr.svg", ROLE_ANY, http_cards_qr_svg, "cards_qr_svg", HTTP_BODY_DEFAULT},
    {"GET", "/v1/cards/{}/qr.png", ROLE_ANY, http_cards_qr_png, "cards_qr_png", HTTP_BODY_DEFAULT},
    {"POST", "/v1/cards/{}/earn", ROLE_TERMINAL, http_cards_earn, "cards_earn", HTTP_BODY_DEFAULT},
    {"POST", "/v1/cards/{}/burn", ROLE_TERMINAL, http_cards_burn, "cards_burn", HTTP_BODY_DEFAULT},
    {"POST", "/v1/card-transactions/{}/void", ROLE_TERMINAL, http_card_transactions_void,
     "card_transactions_void", HTTP_BODY_DEFAULT},
    {"PATCH", "/v1/campaigns/{}", ROLE_MARKETER | ROLE_ADMIN, http_campaigns_patch,
     "campaigns_patch", 64u << 10},
    {"POST", "/v1/campaigns/{}/pause", ROLE_MARKETER | ROLE_ADMIN, http_campaigns_pause,
     "campaigns_pause", HTTP_BODY_DEFAULT},
    {"POST", "/v1/campaigns/{}/resume", ROLE_MARKETER | ROLE_ADMIN, http_campaigns_resume,
     "campaigns_resume", HTTP_BODY_DEFAULT},
    {"POST", "/v1/campaigns/{}/end", ROLE_MARKETER | ROLE_ADMIN, http_campaigns_end,
     "campaigns_end", HTTP_BODY_DEFAULT},
    {"GET", "/v1/campaigns/{}/report.csv", ROLE_MARKETER | ROLE_ADMIN, http_reports_csv,
     "campaign_report_csv", HTTP_BODY_DEFAULT},
    {"GET", "/v1/campaigns/{}/redemptions.csv", ROLE_MARKETER | ROLE_ADMIN, http_redemptions_csv,
     "campaign_redemptions_csv", HTTP_BODY_DEFAULT},
    {"GET", "/v1/campaigns/{}/compare", ROLE_MARKETER | ROLE_ADMIN, http_compare_get,
     "campaign_compare", HTTP_BODY_DEFAULT},
    {"GET", "/v1/plan", ROLE_MARKETER | ROLE_ADMIN, http_plan_get, "plan", HTTP_BODY_DEFAULT},
    {"POST", "/v1/campaigns/{}/recipients", ROLE_MARKETER | ROLE_ADMIN, http_recipients_upload,
     "recipients_upload", HTTP_MAX_BODY_RECIPIENTS},
    {"GET", "/v1/campaigns/{}/lettershop.csv", ROLE_MARKETER | ROLE_ADMIN, http_coupons_lettershop,
     "coupons_lettershop", HTTP_BODY_DEFAULT},
    {"GET", "/v1/campaigns/{}/batches", ROLE_MARKETER | ROLE_ADMIN, http_batches_list,
     "batches_list", HTTP_BODY_DEFAULT},
    {"POST", "/v1/batches/{}/void", ROLE_MARKETER | ROLE_ADMIN, http_batches_void, "batches_void",
     HTTP_BODY_DEFAULT},
    {"GET", "/v1/audit", ROLE_ADMIN, http_audit_list, "audit_list", HTTP_BODY_DEFAULT},
    {"GET", "/ui", ROLE_MARKETER | ROLE_ADMIN, http_ui_index, "ui_index_bare", HTTP_BODY_DEFAULT},
    {"GET", "/ui/", ROLE_MARKETER | ROLE_ADMIN, http_ui_index, "ui_index", HTTP_BODY_DEFAULT},
    {"GET", "/ui/{}", ROLE_MARKETER | ROLE_ADMIN, http_ui_asset, "ui_asset", HTTP_BODY_DEFAULT},
    {"GET", "/v1/terminals/{}/closing", ROLE_TERMINAL | ROLE_ADMIN, http_terminals_closing,
     "terminals_closing", HTTP_BODY_DEFAULT},
    {"GET", "/v1/offline-conflicts", ROLE_MARKETER | ROLE_ADMIN, http_offline_conflicts_list,
     "offline_conflicts", HTTP_BODY_DEFAULT},
    {"GET", "/livez", 0, http_livez_get, "livez", HTTP_BODY_DEFAULT},
    {"GET", "/readyz", 0, http_readyz_get, "readyz", HTTP_BODY_DEFAULT},
    {"GET", "/v1/events", ROLE_MARKETER | ROLE_ADMIN, http_events_get, "events", HTTP_BODY_DEFAULT},
    {"POST", "/v1/webhooks", ROLE_ADMIN, http_webhooks_create, "webhooks_create", 128u << 10},
    {"GET", "/v1/webhooks", ROLE_ADMIN, http_webhooks_list, "webhooks_list", HTTP_BODY_DEFAULT},
    {"GET", "/v1/webhooks/{}", ROLE_ADMIN, http_webhooks_get, "webhooks_get", HTTP_BODY_DEFAULT},
    {"DELETE", "/v1/webhooks/{}", ROLE_ADMIN, http_webhooks_delete, "webhooks_delete",
     HTTP_BODY_DEFAULT},
    {"GET", "/v1/webhooks/{}/deliveries", ROLE_ADMIN, http_webhooks_deliveries,
     "webhooks_deliveries", HTTP_BODY_DEFAULT},
    {"POST", "/v1/webhooks/{}/redeliver", ROLE_ADMIN, http_webhooks_redeliver, "webhooks_redeliver",
     HTTP_BODY_DEFAULT},
    {"POST", "/v1/redemptions/{}/returns", ROLE_TERMINAL, http_redemptions_return,
     "redemptions_return", HTTP_BODY_DEFAULT},
    {"POST", "/v1/receipt-codes", ROLE_TERMINAL, http_receipt_codes_create, "receipt_codes",
     HTTP_BODY_DEFAULT},
    {"POST", "/v1/cards/{}/credit-receipt", ROLE_TERMINAL, http_cards_credit_receipt,
     "cards_credit_receipt", HTTP_BODY_DEFAULT},
};
static const size_t http_route_count = sizeof http_routes / sizeof http_routes[0];

void http_routes_register(void)
{
    metrics_set_routes(http_routes, http_route_count);
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Matches PATH (already split into R->path) against PATTERN, filling R->params. */
static bool match(const char *pattern, const char *path, struct http_req *r)
{
    unsigned np = 0;
    const char *p = pattern, *s = path;
    while (*p != '\0' && *s != '\0') {
        if (p[0] == '{' && p[1] == '}') {
            const char *end = strchr(s, '/');
            size_t len = end ? (size_t)(end - s) : strlen(s);
            if (len == 0 || np >= HTTP_MAX_PARAMS)
                return false;
            /* Remember the segment's offset; split after the whole match succeeds. */
            r->params[np++] = s;
            s += len;
            p += 2;
            continue;
        }
        if (*p != *s)
            return false;
        p++;
        s++;
    }
    if (*p != '\0' || *s != '\0')
        return false;
    r->nparams = np;
    return true;
}

/* Finds the route for METHOD and URL. Returns it, or NULL with *ERR set to
 * CPN_ERR_NOT_FOUND or CPN_ERR_METHOD_NOT_ALLOWED. Params point into R->path. */
static const struct http_route *route_for(const char *method, struct http_req *r, enum cpn_err *err)
{
    bool path_known = false;
    for (size_t i = 0; i < http_route_count; i++) {
        if (!match(http_routes[i].pattern, r->path, r))
            continue;
        path_known = true;
        size_t used = strlen(r->allow);
        snprintf(r->allow + used, sizeof r->allow - used, "%s%s", used ? ", " : "",
                 http_routes[i].method);
        if (strcmp(method, http_routes[i].method) == 0 ||
            (strcmp(method, "HEAD") == 0 && strcmp(http_routes[i].method, "GET") == 0)) {
            /* Terminate each parameter at its segment's end. */
            for (unsigned k = 0; k < r->nparams; k++) {
                char *seg = (char *)r->params[k];
                char *slash = strchr(seg, '/');
                if (slash != NULL)
                    *slash = '\0';
            }
            return &http_routes[i];
        }
    }
    r->nparams = 0;
    *err = path_known ? CPN_ERR_METHOD_NOT_ALLOWED : CPN_ERR_NOT_FOUND;
    return NULL;
}

/* The connection's principal: verified on its first request that shows a certificate or
 * needs one (NEED), re-checked on every later one. NULL when there is none to check (no TLS
 * state, or no certificate shown to a route that needs none). */
static struct principal *connection_principal(struct conn_ctx *ctx, struct MHD_Connection *conn,
                                              bool need)
{
    if (ctx == NULL)
        return NULL;
    if (ctx->verified) {
        principal_recheck(&ctx->principal);
        return &ctx->principal;
    }
    const union MHD_ConnectionInfo *ti =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (ti == NULL || ti->tls_session == NULL)
        return NULL;
    gnutls_session_t session = (gnutls_session_t)ti->tls_session;
    if (!need && !principal_presented(session))
        return NULL; /* /healthz without a certificate: nothing to refuse, nothing to log */
    principal_from_session(session, &ctx->principal);
    ctx->verified = true;
    if (ctx->principal.verdict != CPN_OK)
        metrics_count_refused_certificate();
    return &ctx->principal;
}

/* Decides, on the first call for a request, what needs no body: the route, the principal,
 * and the refusals. Answers at once (closing the connection) when the connection has no
 * valid certificate for a route that needs one, the request target is too long, or the
 * declared body is over the route's limit. */
static enum MHD_Result begin_request(struct http_req *r, struct MHD_Connection *conn,
                                     const char *url, const char *method)
{
    r->begun = true;
    r->conn = conn;
    r->ctx = http_conn_of(conn);
    snprintf(r->method, sizeof r->method, "%s", method);
    r->path = strdup(url);
    if (r->path == NULL)
        return MHD_NO;
    if (r->early == CPN_ERR_UNAVAILABLE) {
        /* coupond is stopping (http_drain.h): refused before anything, changing nothing. */
        r->close = true;
        return http_reply_error(r, CPN_ERR_UNAVAILABLE,
                                "coupond is stopping; please send the request again.");
    }
    enum cpn_err err = CPN_OK;
    r->route = route_for(method, r, &err);
    bool need = r->route == NULL || r->route->roles != 0;
    struct principal *p = connection_principal(r->ctx, conn, need);
    if (http_conn_authenticated(r->ctx))
        http_conn_settle(r->ctx);
    if (need && (p == NULL || p->verdict != CPN_OK)) {
        /* Refused before any business logic; the connection is closed. */
        r->early = p != NULL ? p->verdict : CPN_ERR_UNAUTHORIZED;
        r->close = true;
        return http_reply_error(r, r->early, NULL);
    }
    enum http_oversize over = http_declared_oversize(conn, http_body_limit(r->route));
    if (r->early == CPN_ERR_URI_TOO_LONG || over == HTTP_BODY_REFUSE_NOW) {
        r->close = true;
        if (r->early == CPN_OK)
            r->early = CPN_ERR_PAYLOAD_TOO_LARGE;
        return http_reply_error(r, r->early, NULL);
    }
    if (over == HTTP_BODY_REFUSE_AFTER) {
        r->early = CPN_ERR_PAYLOAD_TOO_LARGE; /* answered once the body is thrown away */
        r->close = true;
        return MHD_YES;
    }
    if (need) {
        r->principal = p;
        if (r->route != NULL && (r->route->roles & (unsigned)p->role) == 0)
            err = CPN_ERR_FORBIDDEN;
        if (p->role == ROLE_TERMINAL)
            issue_pace_note_till(r->started_ns); /* issues pace while tills are served */
    }
    r->early = err;
    return MHD_YES;
}

/* libmicrohttpd's URI log callback, with the raw request target before it parses the query:
 * the request's state starts here, marked for a 414 when the target is too long (its query
 * is then cut, see http_target_too_long). */
void *http_on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    struct http_req *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->conn = conn;
    r->started_ns = now_ns();
    http_access_begin(r);
    if (!http_drain_request_begin())
        r->early = CPN_ERR_UNAVAILABLE;
    else if (http_target_too_long(uri))
        r->early = CPN_ERR_URI_TOO_LONG;
    return r;
}

/* Anyone can send an endless chunked body: a burst, then a trickle of log lines about it. */
static struct log_limit oversize_log = LOG_LIMIT_INIT(5.0, 1.0);

enum MHD_Result http_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version, const char *upload_data,
                                size_t *upload_data_size, void **req_cls)
{
    (void)cls;
    (void)version;
    struct http_req *r = *req_cls;
    if (r == NULL) {
        r = calloc(1, sizeof *r);
        if (r == NULL)
            return MHD_NO;
        *req_cls = r;
        r->started_ns = now_ns();
        http_access_begin(r);
        if (!http_drain_request_begin())
            r->early = CPN_ERR_UNAVAILABLE;
    }
    if (!r->begun)
        return begin_request(r, conn, url, method);
    if (*upload_data_size != 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        r->body_seen += n;
        if (r->body_seen > http_body_limit(r->route) && r->early == CPN_OK) {
            /* A chunked body over the limit: thrown away from here on, then 413. */
            r->early = CPN_ERR_PAYLOAD_TOO_LARGE;
            r->close = true;
        }
        if (r->early == CPN_ERR_PAYLOAD_TOO_LARGE && r->body_seen > HTTP_DISCARD_MAX) {
            /* Only a chunked body gets here (a longer declared length is answered before its
             * body). libmicrohttpd cannot answer in the middle of a body: close. */
            unsigned long left_out = 0;
            if (log_limit_allow(&oversize_log, &left_out))
                log_msg(LOGL_INFO,
                        "request body over %u bytes without a Content-Length: "
                        "connection closed (%lu more not logged before)",
                        HTTP_DISCARD_MAX, left_out);
            return MHD_NO;
        }
        if (r->early != CPN_OK)
            return MHD_YES; /* discard */
        if (r->body_len + n + 1 > r->body_cap) {
            size_t cap = r->body_cap ? r->body_cap : 1024;
            while (cap < r->body_len + n + 1)
                cap *= 2;
            char *nb = realloc(r->body, cap);
            if (nb == NULL)
                return MHD_NO;
            r->body = nb;
            r->body_cap = cap;
        }
        memcpy(r->body + r->body_len, upload_data, n);
        r->body_len += n;
        r->body[r->body_len] = '\0';
        return MHD_YES;
    }
    if (r->status != 0)
        return MHD_YES; /* already answered */
    if (r->early != CPN_OK)
        return http_reply_error(r, r->early, NULL);
    return r->route->handler(r);
}

void http_on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                       enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    struct http_req *r = *req_cls;
    if (r == NULL)
        return;
    bool completed = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK;
    long long duration = now_ns() - r->started_ns;
    metrics_count_request(r->route != NULL ? (size_t)(r->route - http_routes) : SIZE_MAX, r->status,
                          completed, duration);
    if (r->refusal != CPN_OK)
        metrics_count_refusal(r->refusal);
    http_access_log(r, completed, duration);
    http_drain_request_end();
    if (r->handler_ctx_free != NULL)
        r->handler_ctx_free(r->handler_ctx);
    free(r->path);
    free(r->body);
    free(r);
    *req_cls = NULL;
}
