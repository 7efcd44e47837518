/* How handlers answer (http_reply.c): each request is answered exactly once through one of
 * these. */
#ifndef SVC_HTTP_REPLY_H
#define SVC_HTTP_REPLY_H

#include <jansson.h>
#include <microhttpd.h>
#include <stddef.h>

#include "coupon/err.h"
#include "http.h"
#include "http_queue.h"

/* Answers with BODY as JSON and STATUS; takes ownership of BODY (NULL → 500). */
enum MHD_Result http_reply_json(struct http_req *r, unsigned status, json_t *body);

/* Answers with the registry's status and {"error","message"}; DETAIL, when not NULL,
 * replaces the registry's sentence. */
enum MHD_Result http_reply_error(struct http_req *r, enum cpn_err err, const char *detail);

/* As http_reply_error, with EXTRA's fields merged into the body (EXTRA is taken). */
enum MHD_Result http_reply_error_extra(struct http_req *r, enum cpn_err err, const char *detail,
                                       json_t *extra);

/* Answers with a body of LEN bytes copied from DATA and content type CTYPE. */
enum MHD_Result http_reply_bytes(struct http_req *r, unsigned status, const char *ctype,
                                 const void *data, size_t len);

/* Parses the request body as a JSON object. On success returns it (caller decrefs);
 * otherwise answers 400 bad_request itself and returns NULL with *REPLIED set to the
 * handler's return value. */
json_t *http_body_object(struct http_req *r, enum MHD_Result *replied);

#endif
