/* Every HTTP handler, one file per resource (service/http_<resource>.c). */
#ifndef SVC_HANDLERS_H
#define SVC_HANDLERS_H

#include "http.h"

enum MHD_Result http_healthz_get(struct http_req *r);
enum MHD_Result http_metrics_get(struct http_req *r);
enum MHD_Result http_whoami_get(struct http_req *r);
enum MHD_Result http_campaigns_list(struct http_req *r);
enum MHD_Result http_campaigns_get(struct http_req *r);
enum MHD_Result http_campaigns_create(struct http_req *r);

/* Parses a positive decimal id from TEXT. Returns 0 and sets *ID, or -1. */
int http_parse_id(const char *text, int64_t *id);

/* Maps a failed db_status to the answer: soft → 503 unavailable, hard → 500. */
enum MHD_Result http_reply_db_failure(struct http_req *r, int db_status);

#endif
