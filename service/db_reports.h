/* Report stored-function calls for the marketer: a campaign's report, its A/B test, its
 * batches, and the audit log; no HTTP. Each answers JSON text the caller frees. */
#ifndef SVC_DB_REPORTS_H
#define SVC_DB_REPORTS_H

#include <stdint.h>

#include "coupon/err.h"

/* campaign_report(CAMPAIGN, FROM, TO) (local dates "YYYY-MM-DD" or NULL for open ends) as JSON
 * text in *JSON (caller frees). Returns a db_status: DB_ONE_RESULT, DB_NO_RESULTS when the
 * campaign does not exist, or a failure (*JSON NULL). */
int db_campaign_report(int64_t campaign, const char *from, const char *to,
                       char **json) CPN_MUST_CHECK;

/* campaign_compare(CAMPAIGN): the A/B test's cells as JSON text in *JSON. Returns as
 * db_campaign_report. */
int db_campaign_compare(int64_t campaign, char **json) CPN_MUST_CHECK;

/* campaign_batches(CAMPAIGN): the campaign's batches as a JSON array text in *JSON. Returns as
 * db_campaign_report. */
int db_campaign_batches(int64_t campaign, char **json) CPN_MUST_CHECK;

/* audit_list(AFTER, LIMIT, CAMPAIGN (0: all)): a page of the audit log as a JSON array text in
 * *JSON. Returns DB_ONE_RESULT or a failure. */
int db_audit_list(int64_t after, int limit, int64_t campaign, char **json) CPN_MUST_CHECK;

#endif
