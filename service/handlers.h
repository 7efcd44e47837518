/* Every HTTP handler, one file per resource (service/http_<resource>.c). */
#ifndef SVC_HANDLERS_H
#define SVC_HANDLERS_H

#include "http.h"
#include "http_reply.h"

/* The route table's handlers (service/http.c): each reads R (path parameters, query, body,
 * principal: the route's roles are checked before) and answers it exactly once through
 * http_reply.h, or suspends the connection and answers later; returns what libmicrohttpd
 * should do with the connection (MHD_NO closes it). */
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
enum MHD_Result http_terminals_closing(struct http_req *r);
enum MHD_Result http_offline_conflicts_list(struct http_req *r);
enum MHD_Result http_events_get(struct http_req *r);
enum MHD_Result http_webhooks_create(struct http_req *r);
enum MHD_Result http_webhooks_list(struct http_req *r);
enum MHD_Result http_webhooks_get(struct http_req *r);
enum MHD_Result http_webhooks_delete(struct http_req *r);
enum MHD_Result http_webhooks_deliveries(struct http_req *r);
enum MHD_Result http_webhooks_redeliver(struct http_req *r);
enum MHD_Result http_redemptions_return(struct http_req *r);
enum MHD_Result http_receipt_codes_create(struct http_req *r);
enum MHD_Result http_cards_credit_receipt(struct http_req *r);

#endif
