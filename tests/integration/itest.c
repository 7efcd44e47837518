/* Integration-test client over real mutual TLS (libcurl with OpenSSL). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "itest.h"

struct itest_client {
    CURL *curl;
    char *cert, *key, *ca;
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

const char *itest_base_url(void)
{
    static char url[128];
    const char *listen = getenv("COUPOND_TEST_LISTEN");
    snprintf(url, sizeof url, "https://%s", listen && *listen ? listen : "127.0.0.1:18743");
    return url;
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

long itest_request(struct itest_client *c, const char *method, const char *path,
                   const char *body, json_t **json, char **raw)
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
