/* Campaign stored-function calls: one function per call, no HTTP. */
#ifndef SVC_DB_CAMPAIGNS_H
#define SVC_DB_CAMPAIGNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"
#include "db_words.h"

#define CAMPAIGN_MAX_STORES 1000

struct campaign_new {
    const char *name;
    const char *channel;
    int64_t cost_cents;
    int64_t starts_at;      /* Unix seconds (unless starts_on is given) */
    int64_t ends_at;        /* Unix seconds (unless ends_on is given) */
    char starts_on[11];     /* YYYY-MM-DD: from the start of that local day ("" for starts_at) */
    char ends_on[11];       /* YYYY-MM-DD: to the end of that local day ("" for ends_at) */
    const char *offer_kind; /* percent, amount, points */
    bool offer_multiply;    /* points: offer_value is a factor (2..10), not a number */
    int64_t offer_value;
    int64_t min_basket_cents;
    int64_t max_redemptions; /* 0: unlimited */
    int32_t stores[CAMPAIGN_MAX_STORES];
    size_t nstores;     /* 0: every store */
    int64_t variant_of; /* 0: none */
    const char *created_by;
    const char *created_role; /* the creator's role, for the audit log */
    char in_home_date[11];    /* YYYY-MM-DD, or "" for the start's local date */
    bool has_gross_margin;
    int64_t gross_margin_pct; /* hundredths of a percent (3550 = 35.50 %) */
    bool has_fixed_cost;
    int64_t fixed_cost_cents;
    int64_t response_window_days; /* 0: the default (56) */
    /* counter (issue 17) */
    int64_t max_per_card;    /* live redemptions per bonus card; 0: no limit */
    int64_t max_per_receipt; /* coupons of this campaign on one receipt; 0: the default (1) */
    const char *combinable;  /* "exclusive" or "stackable"; NULL: stackable */
    bool has_trigger;        /* a bounce-back trigger (channel receipt only): */
    int64_t trigger_min_basket_cents;
    bool trigger_card_required;
};

/* A page of campaigns with id > AFTER as a JSON array text in *JSON (caller frees), only
 * those in STATE and on CHANNEL when these are not NULL. Returns a db_status (DB_ONE_RESULT
 * on success). */
int db_campaign_list(int64_t after, int limit, const char *state, const char *channel,
                     char **json) CPN_MUST_CHECK;

/* Campaign ID as JSON text in *JSON (caller frees). DB_NO_RESULTS when unknown. */
int db_campaign_get(int64_t id, char **json) CPN_MUST_CHECK;

/* Campaign ID as JSON text in *JSON (caller frees) without the figures that need its
 * redemptions (redeemed, response_rate, revenue_cents, discount_cents, roas).
 * DB_NO_RESULTS when unknown. */
int db_campaign_get_terms(int64_t id, char **json) CPN_MUST_CHECK;

/* Creates C (and its audit entry). On DB_ONE_RESULT *JSON is the new campaign (caller frees)
 * and *ERR is CPN_OK, or *JSON is NULL and *ERR is CPN_ERR_BAD_REQUEST with *WHY
 * DBW_VARIANT_NOT_FOUND or DBW_VARIANT_OF_VARIANT. On DB_HARD_ERROR with *ERR
 * CPN_ERR_BAD_REQUEST a rule of the table (a CHECK constraint) refused it: when the points
 * offer is above the programme's maximum, *JSON is the sentence that says so (caller frees). */
int db_campaign_create(const struct campaign_new *c, char **json, enum cpn_err *err,
                       enum db_word *why) CPN_MUST_CHECK;

#endif
