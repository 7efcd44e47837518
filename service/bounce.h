/* Bounce-back coupons (issue 17): the next_coupon of an answer (both code forms, written with
 * the keys as the coupon was issued), and the pools of serials the database hands them out
 * from, filled ahead of time by a thread of coupond's own (off the tills' path: filling takes
 * the serial counter, which a bulk issue may hold for seconds). */
#ifndef SVC_BOUNCE_H
#define SVC_BOUNCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "coupon/err.h"
#include "db_bounce.h"

#define BOUNCE_POOL_BLOCK    128 /* serials reserved per fill */
#define BOUNCE_POOL_LOW      64  /* a pool with fewer is filled (bounce_issue() says so) */
#define BOUNCE_LIVE_PERIOD_S 5   /* how often the pool thread looks */

/* The next_coupon object for N: {code, signed, campaign_id, valid_from, valid_until, offer,
 * card_bound}; NULL when N holds no coupon or its forms cannot be written (logged). Wakes the
 * pool thread when N says its pool runs low. The caller owns the result. */
json_t *bounce_json(const struct db_next_coupon *n);

/* Fills bounce-back CAMPAIGN's pool with one block of clean serials, in one transaction on
 * the calling thread's connection. Returns CPN_OK; CPN_ERR_NOT_FOUND (no such bounce-back
 * campaign); CPN_ERR_STALE_KEY (logged); CPN_ERR_NO_SERIALS; CPN_ERR_UNAVAILABLE or
 * CPN_ERR_INTERNAL when the database failed. Nothing is left half done. */
enum cpn_err bounce_pool_fill(int64_t campaign) CPN_MUST_CHECK;

/* Whether any campaign has a bounce-back trigger and has not ended, as the pool thread last
 * saw (every BOUNCE_LIVE_PERIOD_S seconds; true before its first look, and from the moment this
 * coupond creates one). The tills' calls pass it to the database, which looks for a trigger
 * only then. A trigger created through another coupond takes effect here within the period. */
bool bounce_live(void);

/* Marks that a campaign with a trigger exists (its creation, on this coupond). */
void bounce_set_live(void);

/* Starts the pool thread, which every BOUNCE_LIVE_PERIOD_S seconds and when woken reads
 * bounce_live() again and fills every pool that runs low. Returns CPN_OK or CPN_ERR_INTERNAL
 * (no thread: pools are filled only when a campaign is created, and bounce_live() stays
 * true). */
enum cpn_err bounce_start(void) CPN_MUST_CHECK;

/* Asks the pool thread to look at the pools now (no-op without the thread). Thread-safe. */
void bounce_wake(void);

/* Stops the pool thread and waits for it; safe to call twice or without bounce_start. */
void bounce_stop(void);

#endif
