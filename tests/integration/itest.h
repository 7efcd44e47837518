/* Integration-test client: libcurl over mutual TLS to the coupond the coupond_running
 * fixture started, with the dev PKI's certificates, and JSON answers. */
#ifndef ITEST_H
#define ITEST_H

#include <curl/curl.h>
#include <jansson.h>
#include <stddef.h>

struct itest_client;

/* A client presenting certs/dev/NAME.pem and NAME.key (NAME NULL: no certificate). */
struct itest_client *itest_client_new(const char *name);

/* A client presenting the given certificate and key files (either may be NULL). */
struct itest_client *itest_client_files(const char *cert, const char *key);

/* Frees C and its connection; NULL is a no-op. */
void itest_client_free(struct itest_client *c);

/* Sends Accept-Language: ACCEPT_LANGUAGE with the client's requests from now on (NULL: none). */
void itest_client_language(struct itest_client *c, const char *accept_language);

/* Sends METHOD PATH with BODY (NULL: none). Returns the HTTP status, or -1 when no
 * HTTP answer came (TLS refused, connection closed); *JSON (if not NULL) gets the parsed
 * body or NULL; *RAW (if not NULL) the raw body (caller frees). */
long itest_request(struct itest_client *c, const char *method, const char *path, const char *body,
                   json_t **json, char **raw);

/* How many connections the client's handle opened so far. */
long itest_connects(struct itest_client *c);

/* The base URL, https://127.0.0.1:18743 by default. */
const char *itest_base_url(void);

/* The path of a file in the source tree (static buffer per call site not needed:
 * returns a new string the caller frees). */
char *itest_source_path(const char *rel);

/* The "error" member of JSON, or "" when absent. */
const char *itest_error_code(const json_t *json);

/* Runs SHELL_COMMAND and returns its exit status (-1 on failure to run). */
int itest_sh(const char *shell_command);

/* Creates a campaign as the marketer with FIELDS_JSON merged over a valid default
 * (percent 10, min basket 0, running from 2020 to 2099); returns its id or -1. */
long long itest_campaign(const char *fields_json);

/* Issues COUNT coupons of CAMPAIGN (EXTRA_JSON merged into the body, may be NULL) and
 * returns the answer (caller decrefs), or NULL. */
json_t *itest_issue(long long campaign, int count, const char *extra_json);

/* The I-th short code of an issue answer. */
const char *itest_code(const json_t *issued, size_t i);

/* Runs SQL with one text parameter $1 (PARAM; NULL for none) on $COUPOND_DB and returns
 * the first value as a number (-1 on failure). */
long long itest_sql_number(const char *sql, const char *param);

/* POSTs a redemption of CODE for BASKET cents under TXN (with CARD, when not NULL) as client
 * C; returns the HTTP status (-1 when no answer) and, when ANSWER is not NULL, the parsed
 * answer the caller decrefs. */
long itest_redeem(struct itest_client *c, const char *code, long basket, const char *txn,
                  const char *card, json_t **answer);

/* Seconds on the monotonic clock, for timing. */
double itest_now_s(void);

#endif
