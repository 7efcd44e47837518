/* Integration-test client over real mutual TLS (libcurl with OpenSSL). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "itest.h"

struct itest_client {
    CURL *curl;
    char *cert, *key, *ca;
    char language[64]; /* an Accept-Language header to send, or "" */
};

struct body {
    char *p;
    size_t len;
};

static size_t on_data(char *ptr, size_t size, size_t n, void *userdata)
{
    struct body *b = userdata;
    size_t add = size * n;
    char *np = realloc(b->p, b->len + add + 1);
    if (np == NULL)
        return 0;
    memcpy(np + b->len, ptr, add);
    b->p = np;
    b->len += add;
    b->p[b->len] = '\0';
    return add;
}

static char base_url[128];
static pthread_once_t base_once = PTHREAD_ONCE_INIT;

static void make_base_url(void)
{
    const char *listen = getenv("COUPOND_TEST_LISTEN");
    snprintf(base_url, sizeof base_url, "https://%s",
             listen && *listen ? listen : "127.0.0.1:18743");
}

const char *itest_base_url(void)
{
    pthread_once(&base_once, make_base_url);
    return base_url;
}

char *itest_source_path(const char *rel)
{
    const char *src = getenv("COUPOND_SOURCE_DIR");
    char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", src && *src ? src : ".", rel);
    return strdup(buf);
}

struct itest_client *itest_client_files(const char *cert, const char *key)
{
    struct itest_client *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->curl = curl_easy_init();
    c->ca = itest_source_path("certs/dev/ca.pem");
    c->cert = cert ? strdup(cert) : NULL;
    c->key = key ? strdup(key) : NULL;
    curl_easy_setopt(c->curl, CURLOPT_CAINFO, c->ca);
    if (c->cert != NULL)
        curl_easy_setopt(c->curl, CURLOPT_SSLCERT, c->cert);
    if (c->key != NULL)
        curl_easy_setopt(c->curl, CURLOPT_SSLKEY, c->key);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    return c;
}

struct itest_client *itest_client_new(const char *name)
{
    if (name == NULL)
        return itest_client_files(NULL, NULL);
    char rel[256];
    snprintf(rel, sizeof rel, "certs/dev/%s.pem", name);
    char *cert = itest_source_path(rel);
    snprintf(rel, sizeof rel, "certs/dev/%s.key", name);
    char *key = itest_source_path(rel);
    struct itest_client *c = itest_client_files(cert, key);
    free(cert);
    free(key);
    return c;
}

void itest_client_free(struct itest_client *c)
{
    if (c == NULL)
        return;
    curl_easy_cleanup(c->curl);
    free(c->cert);
    free(c->key);
    free(c->ca);
    free(c);
}

void itest_client_language(struct itest_client *c, const char *accept_language)
{
    if (accept_language == NULL)
        c->language[0] = '\0';
    else
        snprintf(c->language, sizeof c->language, "Accept-Language: %s", accept_language);
}

long itest_request(struct itest_client *c, const char *method, const char *path, const char *body,
                   json_t **json, char **raw)
{
    char url[1024];
    snprintf(url, sizeof url, "%s%s", itest_base_url(), path);
    struct body b = {NULL, 0};
    struct curl_slist *headers = NULL;
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &b);
    if (body != NULL) {
        headers = curl_slist_append(headers, "Content-Type: application/json");
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else {
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, NULL);
        curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
    }
    if (c->language[0] != '\0')
        headers = curl_slist_append(headers, c->language);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
    CURLcode rc = curl_easy_perform(c->curl);
    curl_slist_free_all(headers);
    long status = -1;
    if (rc != CURLE_OK)
        fprintf(stderr, "itest: %s %s: %s\n", method, path, curl_easy_strerror(rc));
    if (rc == CURLE_OK)
        curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    if (json != NULL)
        *json = b.p != NULL ? json_loadb(b.p, b.len, 0, NULL) : NULL;
    if (raw != NULL)
        *raw = b.p;
    else
        free(b.p);
    return status;
}

long itest_connects(struct itest_client *c)
{
    long n = 0;
    curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, &n);
    return n;
}

const char *itest_error_code(const json_t *json)
{
    const char *s = json_string_value(json_object_get(json, "error"));
    return s != NULL ? s : "";
}

int itest_sh(const char *cmd)
{
    int rc = system(cmd);
    if (rc == -1 || !WIFEXITED(rc))
        return -1;
    return WEXITSTATUS(rc);
}

#include <libpq-fe.h>

long long itest_campaign(const char *fields_json)
{
    json_t *body = json_pack("{s:s, s:s, s:i, s:s, s:s, s:{s:s, s:i, s:i}}", "name",
                             "itest campaign", "channel", "mailing", "cost_cents", 10000,
                             "starts_at", "2020-01-01T00:00:00Z", "ends_at", "2099-01-01T00:00:00Z",
                             "offer", "kind", "percent", "value", 10, "min_basket_cents", 0);
    if (fields_json != NULL) {
        json_t *extra = json_loads(fields_json, 0, NULL);
        if (extra == NULL)
            return -1;
        json_object_update(body, extra);
        json_decref(extra);
    }
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct itest_client *m = itest_client_new("marketer");
    json_t *answer = NULL;
    long status = itest_request(m, "POST", "/v1/campaigns", text, &answer, NULL);
    free(text);
    itest_client_free(m);
    long long id = status == 201 ? json_integer_value(json_object_get(answer, "id")) : -1;
    if (status != 201)
        fprintf(stderr, "itest_campaign: status %ld\n", status);
    json_decref(answer);
    return id;
}

json_t *itest_issue(long long campaign, int count, const char *extra_json)
{
    json_t *body = json_pack("{s:i}", "count", count);
    if (extra_json != NULL) {
        json_t *extra = json_loads(extra_json, 0, NULL);
        json_object_update(body, extra);
        json_decref(extra);
    }
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    char path[128];
    snprintf(path, sizeof path, "/v1/campaigns/%lld/coupons", campaign);
    struct itest_client *m = itest_client_new("marketer");
    json_t *answer = NULL;
    long status = itest_request(m, "POST", path, text, &answer, NULL);
    free(text);
    itest_client_free(m);
    if (status != 201) {
        fprintf(stderr, "itest_issue: status %ld\n", status);
        json_decref(answer);
        return NULL;
    }
    return answer;
}

const char *itest_code(const json_t *issued, size_t i)
{
    return json_string_value(
        json_object_get(json_array_get(json_object_get(issued, "coupons"), i), "code"));
}

long long itest_sql_number(const char *sql, const char *param)
{
    const char *info = getenv("COUPOND_DB");
    PGconn *conn = PQconnectdb(info != NULL ? info : "");
    long long v = -1;
    if (PQstatus(conn) == CONNECTION_OK) {
        const char *params[1] = {param};
        PGresult *r = PQexecParams(conn, sql, param != NULL ? 1 : 0, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
            v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        else
            fprintf(stderr, "itest_sql_number: %s", PQerrorMessage(conn));
        PQclear(r);
    }
    PQfinish(conn);
    return v;
}

long itest_redeem(struct itest_client *c, const char *code, long basket, const char *txn,
                  const char *card, json_t **answer)
{
    json_t *body = json_pack("{s:s, s:I, s:s}", "code", code, "basket_cents", (json_int_t)basket,
                             "txn_id", txn);
    if (body != NULL && card != NULL)
        json_object_set_new(body, "card", json_string(card));
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text == NULL)
        return -1;
    long status = itest_request(c, "POST", "/v1/redemptions", text, answer, NULL);
    free(text);
    return status;
}

double itest_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
