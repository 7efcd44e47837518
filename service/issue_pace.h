/* Pacing of coupon issues: an issue works in small pieces and, while tills are being served,
 * pauses between them so that it keeps to a share of the time (--issue-share), leaving
 * PostgreSQL's CPU and WAL flushes to the tills' redemptions meanwhile (issue 10). With no
 * till request in the last ISSUE_TILL_WINDOW seconds nobody waits for it: it runs at full
 * speed. */
#ifndef SVC_ISSUE_PACE_H
#define SVC_ISSUE_PACE_H

#include <stdbool.h>

#define ISSUE_SHARE_DEFAULT 33   /* percent of the time an issue works */
#define ISSUE_SHARE_MIN     10   /* the slowest pacing allowed (an issue ten times as long) */
#define ISSUE_SHARE_MAX     100  /* no pauses */
#define ISSUE_PAUSE_MAX     0.25 /* seconds: the longest single pause (a cancel waits no more) */
#define ISSUE_TILL_WINDOW   1.0  /* seconds: a till request this recent makes issues pace */

/* Sets the share (percent, clamped to ISSUE_SHARE_MIN..ISSUE_SHARE_MAX) that issues started
 * from now on keep to. Thread-safe. */
void issue_pace_configure(unsigned share_pct);

/* The share set by issue_pace_configure (ISSUE_SHARE_DEFAULT until then). Thread-safe. */
unsigned issue_pace_share(void);

/* The pause (seconds, 0 to ISSUE_PAUSE_MAX) an issue takes now when, of the ELAPSED_S seconds
 * since it started, it spent BUSY_S working (its own CPU and its statements), so that it works
 * SHARE_PCT percent of the time overall: the elapsed time it is behind BUSY_S * 100 /
 * SHARE_PCT, capped (a longer debt is paid over the next pauses). A share of 100 or more
 * never pauses; a share below ISSUE_SHARE_MIN counts as ISSUE_SHARE_MIN; negative, NaN or
 * day-long (or longer) inputs give 0. Pure. */
double issue_pace_pause(double busy_s, double elapsed_s, unsigned share_pct);

/* Notes a till's request (a terminal certificate's) at AT_NS, nanoseconds of CLOCK_MONOTONIC.
 * Thread-safe, lock-free; called on every such request. */
void issue_pace_note_till(long long at_ns);

/* Whether a till request was noted within ISSUE_TILL_WINDOW seconds before NOW_NS
 * (nanoseconds of CLOCK_MONOTONIC). Thread-safe. */
bool issue_pace_tills_active(long long now_ns);

#endif
