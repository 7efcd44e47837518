/* Helpers every handler uses (http_common.c): ids in paths, the till's txn_id and
 * idempotency scope, void requests, database failures and QR answers. */
#ifndef SVC_HTTP_COMMON_H
#define SVC_HTTP_COMMON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "principal.h"

/* The till's idempotency scope: "<store>/<terminal name>". Returns 0, or -1 if LEN is short. */
int http_terminal_key(const struct principal *p, char *out, size_t len);

/* Reads the required txn_id (1..64 of A-Z a-z 0-9 - _ . :) into *TXN (borrowed from IN).
 * Returns 0, or -1 with DETAIL filled. */
int http_read_txn(const json_t *in, const char **txn, char *detail, size_t dlen);

/* Parses a positive decimal id from TEXT. Returns 0 and sets *ID, or -1. */
int http_parse_id(const char *text, int64_t *id);

/* Answers with TEXT (a signed form) as a QR code: PNG (6 px per module) or SVG. */
enum MHD_Result http_reply_qr(struct http_req *r, const char *text, bool png);

/* Reads a void request: the {id} path parameter and the body {"txn_id"}. Returns the body
 * (the caller decrefs it; *TXN points into it) with *ID and TERMINAL (the till's
 * idempotency scope, 128 bytes) set; or NULL after answering the refusal itself
 * (*REPLIED), with NOT_FOUND as the sentence of a 404. */
json_t *http_read_void(struct http_req *r, const char *not_found, int64_t *id, const char **txn,
                       char terminal[128], enum MHD_Result *replied);

/* Maps a failed db_status to the answer: soft → 503 unavailable, hard → 500. */
enum MHD_Result http_reply_db_failure(struct http_req *r, int db_status);

#endif
