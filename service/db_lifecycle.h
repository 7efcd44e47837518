/* The life cycle of campaigns and batches: pause, resume, end, change a campaign (PATCH) and
 * void a batch, each one stored-function call that also writes the audit log; no HTTP. */
#ifndef SVC_DB_LIFECYCLE_H
#define SVC_DB_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

#include "coupon/err.h"
#include "db_words.h"

/* What a change answered: the function's status word and the object's JSON. */
struct db_change {
    enum db_word status; /* ok, not_found, ended, earlier_end */
    char *json;          /* the campaign or batch as JSON, or NULL; owned */
};

/* Frees what C holds (NULL-safe). */
void db_change_clear(struct db_change *c);

/* campaign_lifecycle(CAMPAIGN, ACTION ("pause", "resume" or "end"), ACTOR, ROLE). Returns a
 * db_status (DB_ONE_RESULT on success) and fills *OUT. */
int db_campaign_lifecycle(int64_t campaign, const char *action, const char *actor, const char *role,
                          struct db_change *out) CPN_MUST_CHECK;

/* What a PATCH may change; the has_ flags say which fields were given. */
struct campaign_patch {
    const char *name; /* NULL: unchanged */
    int64_t ends_at;  /* Unix seconds; 0: unchanged */
    bool has_cost, has_fixed_cost, has_margin, has_window;
    int64_t cost_cents, fixed_cost_cents;
    int64_t gross_margin_pct; /* hundredths of a percent */
    int64_t response_window_days;
    char in_home_date[11]; /* "" unchanged */
};

/* campaign_update(CAMPAIGN, P..., ACTOR, ROLE). Returns as db_campaign_lifecycle. */
int db_campaign_update(int64_t campaign, const struct campaign_patch *p, const char *actor,
                       const char *role, struct db_change *out) CPN_MUST_CHECK;

/* batch_void(BATCH, REASON (may be NULL), ACTOR, ROLE). Returns as db_campaign_lifecycle. */
int db_batch_void(int64_t batch, const char *reason, const char *actor, const char *role,
                  struct db_change *out) CPN_MUST_CHECK;

#endif
