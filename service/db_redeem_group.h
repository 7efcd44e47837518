/* Group commit of redemptions (db_redeem_group.c, issue 12's stretch): plain redemptions that
 * arrive while the database is busy with others go to PostgreSQL together, in one transaction
 * with one commit, each still judged by redeem() on its own and answered on its own. */
#ifndef SVC_DB_REDEEM_GROUP_H
#define SVC_DB_REDEEM_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "coupon/err.h"
#include "db_redemptions.h"

/* The largest group coupond sends. */
#define DB_GROUP_MAX 64

/* Sets the group commit: MAX_GROUP redemptions at most per transaction (0 or 1: off, every
 * redemption alone) and at most IN_FLIGHT groups at once (at least 1). Safe to call while
 * serving (a reload): requests already waiting finish under the old setting. */
void db_group_configure(unsigned max_group, unsigned in_flight);

/* Whether group commit is on. */
bool db_group_on(void);

/* How many groups of two or more were sent, and how many redemptions they carried, since the
 * start (for /metrics and the tests). */
void db_group_counts(uint64_t *groups, uint64_t *grouped);

/* db_redeem() of a plain request (no card, receipt, VAT parts or offline time) through the
 * group: when fewer than the allowed groups are in flight, the caller sends what is waiting
 * (its own request included, oldest first) as one group on its own connection, else it waits
 * for a group to take it. A group of one is db_redeem_alone(). When a group fails as a whole
 * (nothing of it committed), each of its requests is sent alone by its own caller. Returns as
 * db_redeem_alone(). */
int db_redeem_grouped(uint32_t serial, int32_t store, const char *terminal, const char *txn,
                      int64_t basket, bool bounce, struct redeem_answer *out) CPN_MUST_CHECK;

#endif
