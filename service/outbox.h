/* The outbox publisher: a thread of its own with its own database connection that numbers
 * committed events (events_publish()), prunes what was delivered long enough ago, and keeps
 * the outbox metrics. Readers in this process (the live feed, webhook delivery) wait on it. */
#ifndef SVC_OUTBOX_H
#define SVC_OUTBOX_H

#include <stdint.h>

#include "config.h"
#include "coupon/err.h"

/* Starts the publisher per CFG (poll interval, retention). Returns CPN_OK, or an error
 * (logged) with nothing started. A database that cannot be reached is not an error: the
 * thread keeps trying. */
enum cpn_err outbox_start(const struct svc_config *cfg) CPN_MUST_CHECK;

/* Stops the publisher and wakes every waiter; safe when never started. */
void outbox_stop(void);

/* Waits until this process published an event after id SEEN, outbox_stop() was called, or
 * TIMEOUT_MS passed. Returns the last id this process knows to be published (0 before the
 * first publish), or -1 once stopping. */
int64_t outbox_wait(int64_t seen, unsigned timeout_ms);

#endif
