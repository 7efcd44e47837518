/* Webhook delivery (Standard Webhooks): a thread of its own, with its own database
 * connection and HTTPS client, that sends every subscribed event at least once. */
#ifndef SVC_WEBHOOK_DELIVER_H
#define SVC_WEBHOOK_DELIVER_H

#include "config.h"
#include "coupon/err.h"

/* Starts the delivery thread per CFG (attempt time-out, longest pause between attempts, when
 * to give up). Call after outbox_start(). Returns CPN_OK, or an error (logged) with nothing
 * started. */
enum cpn_err webhooks_start(const struct svc_config *cfg) CPN_MUST_CHECK;

/* Stops the thread after its current round; call before outbox_stop() returns waiters -1, or
 * after it (either order works). Safe when never started. */
void webhooks_stop(void);

#endif
