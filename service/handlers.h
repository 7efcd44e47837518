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
enum MHD_Result http_coupons_issue(struct http_req *r);
enum MHD_Result http_coupons_export(struct http_req *r);
enum MHD_Result http_coupons_qr_tar(struct http_req *r);
enum MHD_Result http_coupons_get(struct http_req *r);
enum MHD_Result http_coupons_qr_svg(struct http_req *r);
enum MHD_Result http_coupons_qr_png(struct http_req *r);
enum MHD_Result http_checks_create(struct http_req *r);
enum MHD_Result http_redemptions_create(struct http_req *r);
enum MHD_Result http_redemptions_void(struct http_req *r);
enum MHD_Result http_reports_get(struct http_req *r);
enum MHD_Result http_keys_get(struct http_req *r);
enum MHD_Result http_cards_issue(struct http_req *r);
enum MHD_Result http_cards_get(struct http_req *r);
enum MHD_Result http_cards_qr_svg(struct http_req *r);
enum MHD_Result http_cards_qr_png(struct http_req *r);
enum MHD_Result http_cards_earn(struct http_req *r);
enum MHD_Result http_cards_burn(struct http_req *r);
enum MHD_Result http_card_transactions_void(struct http_req *r);
enum MHD_Result http_campaigns_patch(struct http_req *r);
enum MHD_Result http_campaigns_pause(struct http_req *r);
enum MHD_Result http_campaigns_resume(struct http_req *r);
enum MHD_Result http_campaigns_end(struct http_req *r);
enum MHD_Result http_reports_csv(struct http_req *r);
enum MHD_Result http_redemptions_csv(struct http_req *r);
enum MHD_Result http_compare_get(struct http_req *r);
enum MHD_Result http_plan_get(struct http_req *r);
enum MHD_Result http_recipients_upload(struct http_req *r);
enum MHD_Result http_coupons_lettershop(struct http_req *r);
enum MHD_Result http_batches_list(struct http_req *r);
enum MHD_Result http_batches_void(struct http_req *r);
enum MHD_Result http_audit_list(struct http_req *r);
enum MHD_Result http_ui_index(struct http_req *r);
enum MHD_Result http_ui_asset(struct http_req *r);
enum MHD_Result http_redemptions_return(struct http_req *r);
enum MHD_Result http_receipt_codes_create(struct http_req *r);
enum MHD_Result http_cards_credit_receipt(struct http_req *r);

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
