/* The till's HTTPS client for coupond: mutual TLS with the terminal's certificate, one connection
 * kept alive across calls, short time-outs, and every failure turned into one sentence a
 * cashier can act on. */
#ifndef POS_API_H
#define POS_API_H

#include <jansson.h>

#include "pos/config.h"
#include "pos/i18n.h"
#include "coupon/err.h"

/* The cashier's sentence when the service refuses this till's certificate, in the TLS
 * handshake or with HTTP 401 (the msgid: pos_api_message() gives it translated). */
#define POS_API_CERT_REFUSED                                                                       \
    N_("This till's certificate was refused by the coupon service; call IT.")

/* The largest answer body the till accepts. */
#define POS_API_MAX_BODY (1024L * 1024L)

struct pos_api;

/* A client for the service CFG names, with CFG's CA, terminal certificate, key and time-outs
 * (CFG is read now and not kept). Nothing is sent until the first call. The caller owns the
 * result and frees it with pos_api_free(); curl_global_init() must have been called. Returns NULL
 * when out of memory or when libcurl lacks what the till needs (HTTPS, TLS 1.2). */
struct pos_api *pos_api_new(const struct pos_config *cfg);

/* Closes API's connection and frees it; pos_api_free(NULL) does nothing. */
void pos_api_free(struct pos_api *api);

/* Sends METHOD ("GET", "POST", ...) to PATH (starting with '/', appended to the service URL)
 * with BODY as JSON (NULL for none) and waits at most the configured time-out. *STATUS gets the
 * HTTP status, 0 when no answer came. *RESPONSE gets the answer's JSON (the caller owns it and
 * json_decref()s it), also for 4xx/5xx error bodies; NULL when there was none or it was not
 * JSON. Returns:
 * - CPN_OK for 2xx (*RESPONSE may be NULL only when the body was empty);
 * - for 4xx/5xx, the error named by the body's "error" (by cpn_err_from_code(), else by the
 *   status), with the body's "message" as pos_api_message();
 * - CPN_ERR_TIMEOUT when no answer came in time;
 * - CPN_ERR_UNAUTHORIZED when the service refuses this till's certificate, in the TLS handshake
 *   (then *STATUS is 0) or with HTTP 401; the message is then POS_API_CERT_REFUSED;
 * - CPN_ERR_UNAVAILABLE when the service cannot be reached, its certificate is not trusted or
 *   the connection breaks;
 * - CPN_ERR_IO when the CA, certificate or key file cannot be used (a configuration problem);
 * - CPN_ERR_INTERNAL for an answer that cannot be read (not JSON, over POS_API_MAX_BODY, 1xx/3xx);
 * - CPN_ERR_NO_MEMORY.
 * After any return other than CPN_OK, pos_api_message() says what happened in one sentence for a
 * cashier, and pos_api_detail() the technical cause. */
CPN_MUST_CHECK enum cpn_err pos_api_call(struct pos_api *api, const char *method, const char *path,
                                         const json_t *body, long *status, json_t **response);

/* One sentence for the cashier about the last call's failure ("" after success); valid until the
 * next call on API. */
const char *pos_api_message(const struct pos_api *api);

/* The technical cause of the last call's failure for IT (curl's error, HTTP status and machine
 * code; "" after success); valid until the next call on API. */
const char *pos_api_detail(const struct pos_api *api);

/* Returns true when the last call on API failed before any byte of its request left the till
 * (no connection, no TLS session, out of memory before sending): the service cannot have acted on
 * it. False after success, after an HTTP answer, and whenever the request may have gone out. */
bool pos_api_unsent(const struct pos_api *api);

/* How many calls were started on API (for tests that prove a refusal needed no call). */
unsigned long pos_api_calls(const struct pos_api *api);

#endif
