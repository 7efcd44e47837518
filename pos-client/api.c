/* The till's HTTPS client for coupond on one reused libcurl easy handle (OpenSSL, mutual TLS,
 * TLS >= 1.2, only our CA trusted), which turns curl's and the service's failures into one
 * sentence for the cashier plus a technical detail for IT. */
#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "pos/api.h"
#include "pos/i18n.h"
#include "pos/version.h"

#define MESSAGE_SIZE 512
#define DETAIL_SIZE  (CURL_ERROR_SIZE + 128)

struct pos_api {
    CURL *curl;
    struct curl_slist *headers;
    char *url;
    long timeout_ms, connect_timeout_ms;
    /* The answer body being received: LEN bytes of DATA (CAP allocated), TOO_LARGE when it went
     * past POS_API_MAX_BODY. */
    char *data;
    size_t len, cap;
    bool too_large;
    unsigned long calls; /* requests started, for tests that must prove none went out */
    bool unsent;         /* the last call failed before any of its request left the till */
    char errbuf[CURL_ERROR_SIZE];
    char message[MESSAGE_SIZE];
    char detail[DETAIL_SIZE];
};

/* libcurl's write callback: appends the N*SIZE bytes at PTR to the body of API (USERDATA).
 * Returns the bytes taken; fewer (which fails the transfer) past POS_API_MAX_BODY or when out of
 * memory. */
static size_t on_body(char *ptr, size_t size, size_t n, void *userdata)
{
    struct pos_api *api = userdata;
    size_t add = size * n;
    if (add > (size_t)POS_API_MAX_BODY - api->len) {
        api->too_large = true;
        return 0;
    }
    if (api->len + add + 1 > api->cap) {
        size_t cap = api->cap == 0 ? 4096 : api->cap;
        while (cap < api->len + add + 1)
            cap *= 2;
        char *data = realloc(api->data, cap);
        if (data == NULL)
            return 0;
        api->data = data;
        api->cap = cap;
    }
    memcpy(api->data + api->len, ptr, add);
    api->len += add;
    return add;
}

struct pos_api *pos_api_new(const struct pos_config *cfg)
{
    struct pos_api *api = calloc(1, sizeof *api);
    if (api == NULL)
        return NULL;
    api->url = strdup(cfg->url);
    api->timeout_ms = cfg->timeout_ms;
    api->connect_timeout_ms = cfg->connect_timeout_ms;
    api->curl = curl_easy_init();
    struct curl_slist *h = NULL;
    /* Accept-Language: the service's sentences come in the till's language. */
    const char *lines[] = {"Accept: application/json", "Content-Type: application/json",
                           "Expect:", pos_i18n_accept_language()};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        struct curl_slist *next = curl_slist_append(h, lines[i]);
        if (next == NULL) {
            curl_slist_free_all(h);
            h = NULL;
            break;
        }
        h = next;
    }
    api->headers = h;
    if (api->url == NULL || api->curl == NULL || api->headers == NULL) {
        pos_api_free(api);
        return NULL;
    }
    CURL *c = api->curl;
    bool ok = true;
    ok = ok && curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https") == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_ERRORBUFFER, api->errbuf) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_USERAGENT, "pos-client/" POS_VERSION) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_HTTPHEADER, api->headers) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_WRITEDATA, api) == CURLE_OK;
    ok = ok &&
         curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)POS_API_MAX_BODY) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, cfg->timeout_ms) == CURLE_OK;
    /* Trust only our CA: no system bundle, no system CA directory. */
    ok = ok && curl_easy_setopt(c, CURLOPT_CAINFO, cfg->ca) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_CAPATH, NULL) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSLCERT, cfg->cert) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM") == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSLKEY, cfg->key) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM") == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK;
    if (!ok) {
        pos_api_free(api);
        return NULL;
    }
    return api;
}

void pos_api_free(struct pos_api *api)
{
    if (api == NULL)
        return;
    if (api->curl != NULL)
        curl_easy_cleanup(api->curl);
    curl_slist_free_all(api->headers);
    free(api->url);
    free(api->data);
    free(api);
}

const char *pos_api_message(const struct pos_api *api)
{
    return api->message;
}

const char *pos_api_detail(const struct pos_api *api)
{
    return api->detail;
}

bool pos_api_unsent(const struct pos_api *api)
{
    return api->unsent;
}

unsigned long pos_api_calls(const struct pos_api *api)
{
    return api->calls;
}

/* Writes MS milliseconds as "8 s" or "2.5 s" into BUF (SIZE bytes). */
static void seconds(char *buf, size_t size, long ms)
{
    if (ms % 1000 == 0)
        snprintf(buf, size, "%ld s", ms / 1000);
    else
        snprintf(buf, size, "%.1f s", (double)ms / 1000.0);
}

/* Returns true when curl's error text ERR says the server sent a TLS alert about our
 * certificate (unknown CA, bad, expired, revoked or missing certificate, access denied). */
static bool alert_about_our_certificate(const char *err)
{
    return strstr(err, "alert") != NULL &&
           (strstr(err, "certificate") != NULL || strstr(err, "unknown ca") != NULL ||
            strstr(err, "access denied") != NULL);
}

/* Fills API's message and detail for the transport failure RC of a METHOD call, and returns the
 * error for it (see pos_api_call()). */
static enum cpn_err transport_failure(struct pos_api *api, CURLcode rc, const char *method)
{
    long request_size = 0;
    if (curl_easy_getinfo(api->curl, CURLINFO_REQUEST_SIZE, &request_size) != CURLE_OK)
        request_size = 1; /* cannot tell: assume it went out */
    bool sent = request_size > 0;
    bool safe = strcmp(method, "GET") == 0;
    /* Failures before the request is written (no connection, no TLS session) with nothing sent:
     * the service cannot have seen this call. */
    api->unsent = !sent && (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT ||
                            rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR ||
                            rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CACERT_BADFILE ||
                            rc == CURLE_FAILED_INIT);
    const char *fate = !sent  ? _("nothing was done")
                       : safe ? _("nothing was changed")
                              : _("it is not known whether it went through");
    snprintf(api->detail, sizeof api->detail, "curl error %d: %s", (int)rc,
             api->errbuf[0] != '\0' ? api->errbuf : curl_easy_strerror(rc));

    char wait[32];
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        seconds(wait, sizeof wait, sent ? api->timeout_ms : api->connect_timeout_ms);
        snprintf(api->message, sizeof api->message,
                 _("No answer from the coupon service within %s: %s; please try again."), wait,
                 fate);
        return CPN_ERR_TIMEOUT;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
        snprintf(api->message, sizeof api->message,
                 _("The coupon service at %s cannot be reached: nothing was done; please try "
                   "again, or call IT if it keeps happening."),
                 api->url);
        return CPN_ERR_UNAVAILABLE;
    case CURLE_PEER_FAILED_VERIFICATION:
        snprintf(api->message, sizeof api->message,
                 _("The server at %s is not the coupon service this till trusts (its "
                   "certificate does not match): nothing was sent; please call IT."),
                 api->url);
        return CPN_ERR_UNAVAILABLE;
    case CURLE_SSL_CERTPROBLEM:
        snprintf(api->message, sizeof api->message, "%s",
                 _("This till's certificate or key cannot be used: please call IT."));
        return CPN_ERR_IO;
    case CURLE_SSL_CACERT_BADFILE:
        snprintf(api->message, sizeof api->message, "%s",
                 _("This till's CA certificate file cannot be used: please call IT."));
        return CPN_ERR_IO;
    case CURLE_OUT_OF_MEMORY:
        snprintf(api->message, sizeof api->message, _("This till ran out of memory: %s."), fate);
        return CPN_ERR_NO_MEMORY;
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
        if (api->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
            snprintf(api->message, sizeof api->message, "%s",
                     _("The coupon service's answer is too large for this till: please call "
                       "IT."));
            return CPN_ERR_INTERNAL;
        }
        snprintf(api->message, sizeof api->message, _("This till ran out of memory: %s."), fate);
        return CPN_ERR_NO_MEMORY;
    default:
        break;
    }
    if (alert_about_our_certificate(api->detail)) {
        snprintf(api->message, sizeof api->message, "%s", _(POS_API_CERT_REFUSED));
        return CPN_ERR_UNAUTHORIZED;
    }
    if (rc == CURLE_SSL_CONNECT_ERROR) {
        snprintf(api->message, sizeof api->message,
                 _("No secure connection to the coupon service at %s could be set up: nothing "
                   "was done; please call IT."),
                 api->url);
        return CPN_ERR_UNAVAILABLE;
    }
    snprintf(api->message, sizeof api->message,
             _("The connection to the coupon service at %s broke off: %s; please try again."),
             api->url, fate);
    return CPN_ERR_UNAVAILABLE;
}

/* The error for an HTTP failure STATUS whose body named no machine code we know. */
static enum cpn_err error_for_status(long status)
{
    switch (status) {
    case 400:
        return CPN_ERR_BAD_REQUEST;
    case 401:
        return CPN_ERR_UNAUTHORIZED;
    case 403:
        return CPN_ERR_FORBIDDEN;
    case 404:
        return CPN_ERR_NOT_FOUND;
    case 405:
        return CPN_ERR_METHOD_NOT_ALLOWED;
    case 409:
        return CPN_ERR_CONFLICT;
    case 413:
        return CPN_ERR_PAYLOAD_TOO_LARGE;
    case 408:
        return CPN_ERR_TIMEOUT;
    case 429:
    case 502:
    case 503:
        return CPN_ERR_UNAVAILABLE;
    case 504:
        return CPN_ERR_TIMEOUT;
    default:
        return status >= 400 && status < 500 ? CPN_ERR_BAD_REQUEST : CPN_ERR_INTERNAL;
    }
}

/* Copies TEXT into BUF (SIZE bytes) as one line: control characters become spaces. */
static void copy_one_line(char *buf, size_t size, const char *text)
{
    snprintf(buf, size, "%s", text);
    for (char *p = buf; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
}

/* Reads the HTTP failure STATUS with body JSON (may be NULL): fills API's message and detail and
 * returns the error (see pos_api_call()). */
static enum cpn_err http_failure(struct pos_api *api, long status, const json_t *json)
{
    const char *code = json_string_value(json_object_get(json, "error"));
    const char *text = json_string_value(json_object_get(json, "message"));
    enum cpn_err err = cpn_err_from_code(code);
    /* An unknown machine code: trust the status class rather than call a refusal internal. */
    if (err == CPN_ERR_INTERNAL && (code == NULL || strcmp(code, "internal") != 0))
        err = error_for_status(status);
    if (status == 401) {
        /* The service's sentence ("... revoked") is for IT; the cashier needs to call them. */
        snprintf(api->message, sizeof api->message, "%s", _(POS_API_CERT_REFUSED));
        char said[200]; /* fits DETAIL_SIZE with the rest */
        copy_one_line(said, sizeof said, text != NULL ? text : "");
        snprintf(api->detail, sizeof api->detail, "HTTP 401 %.40s: %s",
                 code != NULL ? code : "(no machine code)", said);
        return CPN_ERR_UNAUTHORIZED;
    }
    copy_one_line(api->message, sizeof api->message,
                  text != NULL && text[0] != '\0' ? text : pos_err_message(err));
    snprintf(api->detail, sizeof api->detail, "HTTP %ld %s", status,
             code != NULL ? code : "(no machine code)");
    return err;
}

/* Sets up API's handle for METHOD with PAYLOAD (NULL for none). Returns true on success. */
static bool set_method(struct pos_api *api, const char *method, const char *payload)
{
    CURL *c = api->curl;
    bool get = strcmp(method, "GET") == 0;
    bool post = strcmp(method, "POST") == 0;
    bool ok = curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, get || post ? NULL : method) == CURLE_OK;
    if (payload == NULL && !post)
        return ok && curl_easy_setopt(c, CURLOPT_HTTPGET, 1L) == CURLE_OK;
    const char *p = payload != NULL ? payload : "";
    ok = ok && curl_easy_setopt(c, CURLOPT_POST, 1L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(p)) == CURLE_OK;
    return ok && curl_easy_setopt(c, CURLOPT_POSTFIELDS, p) == CURLE_OK;
}

enum cpn_err pos_api_call(struct pos_api *api, const char *method, const char *path,
                          const json_t *body, long *status, json_t **response)
{
    assert(method != NULL && path != NULL && path[0] == '/');
    *status = 0;
    *response = NULL;
    api->message[0] = api->detail[0] = api->errbuf[0] = '\0';
    api->len = 0;
    api->too_large = false;
    api->unsent = false;

    size_t ulen = strlen(api->url), plen = strlen(path);
    char *url = malloc(ulen + plen + 1);
    char *payload = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    if (url == NULL || (body != NULL && payload == NULL)) {
        free(url);
        free(payload);
        snprintf(api->message, sizeof api->message, "%s",
                 _("This till ran out of memory: nothing was done."));
        api->unsent = true;
        return CPN_ERR_NO_MEMORY;
    }
    memcpy(url, api->url, ulen);
    memcpy(url + ulen, path, plen + 1);

    CURLcode rc = CURLE_FAILED_INIT;
    api->calls++;
    if (curl_easy_setopt(api->curl, CURLOPT_URL, url) == CURLE_OK &&
        set_method(api, method, payload))
        rc = curl_easy_perform(api->curl);
    free(url);
    free(payload);
    if (rc != CURLE_OK)
        return transport_failure(api, rc, method);

    if (curl_easy_getinfo(api->curl, CURLINFO_RESPONSE_CODE, status) != CURLE_OK)
        *status = 0;
    json_error_t jerr;
    jerr.text[0] = '\0';
    json_t *json = api->len > 0 ? json_loadb(api->data, api->len, 0, &jerr) : NULL;
    if (*status >= 400 && *status < 600) {
        *response = json;
        return http_failure(api, *status, json);
    }
    if (*status >= 200 && *status < 300 && (json != NULL || api->len == 0)) {
        *response = json;
        return CPN_OK;
    }
    json_decref(json);
    snprintf(api->message, sizeof api->message, "%s",
             _("The coupon service's answer cannot be read by this till: please call IT."));
    if (*status >= 200 && *status < 300)
        snprintf(api->detail, sizeof api->detail, "HTTP %ld with a body that is not JSON: %s",
                 *status, jerr.text);
    else
        snprintf(api->detail, sizeof api->detail, "unexpected HTTP status %ld", *status);
    return CPN_ERR_INTERNAL;
}
