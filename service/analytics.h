/* The statistics of a report and of an A/B test, added to the counts the database answered:
 * rates, differences in percentage points with Newcombe's 95 % interval, p-values, the
 * verdict in one sentence, and the holdout's lift. Pure: JSON in, JSON out (service/stats.c
 * does the arithmetic). */
#ifndef SVC_ANALYTICS_H
#define SVC_ANALYTICS_H

#include <jansson.h>
#include <stdint.h>

#define ANALYTICS_ALPHA 0.05 /* 95 % confidence, two-sided */

/* Completes REPORT's "holdout" object (when it is not null): each group's rate; lift_pp (mailed
 * minus held-out rate, percentage points) with lift_pp_ci (Newcombe); lift_pct (relative to the
 * held-out rate) with lift_pct_ci (log interval of the ratio); p_value (pooled z-test);
 * significant (the interval excludes 0); incremental_revenue_per_piece_cents,
 * incremental_revenue_cents (per piece times the mailed cards) and incremental_roas (that over
 * REPORT's cost_cents). Undefined figures are null. Returns 0, or -1 when REPORT does not have
 * the expected shape or memory ran out. */
int analytics_holdout(json_t *report);

/* Completes the A/B test COMPARE (campaign_compare's JSON): every cell's rate and, for each
 * variant against the control, diff_pp with ci_pp, p_value, significant, verdict ("better",
 * "worse", "not_significant", "no_data"), pieces_needed (per cell, to show a difference of the
 * observed size at the control's rate with power 0.8; null when it cannot be said) and one
 * sentence. The control cell has those fields null. Adds "confidence": 0.95. Returns 0 or -1
 * as analytics_holdout. */
int analytics_compare(json_t *compare);

/* Writes N with thousands separators ("42,694") into BUF. */
void analytics_thousands(int64_t n, char *buf, size_t len);

#endif
