/* Group commit (issue 12's stretch): the commonest redemptions of several tills booked by one
 * statement in one transaction, and checks without a receipt answered by one statement. Worker
 * threads hand such a redemption to a queue and wait; a few group threads of their own, each with
 * its database connection, take whatever the queue holds when they are free (never waiting for a
 * group to fill: a lone redemption goes alone at once) and book it with the statement
 * "redeem_group" (db_statements.c), the redeem_fast statement over arrays. Every rule, key and
 * guard stays the database's: a redemption the statement does not book, or every one of a group
 * that failed as a whole, goes back to its worker, which asks redeem_fast and redeem() as it would
 * alone. Checks without a receipt queue apart and one thread of their own answers them
 * ("check_group"), so that a check never waits behind a commit. */
#ifndef SVC_DB_REDEEM_GROUP_H
#define SVC_DB_REDEEM_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "coupon/err.h"
#include "db_redemptions.h"

/* The most redemptions one group books, and the most group threads. */
#define DB_GROUP_MAX         64
#define DB_GROUP_THREADS_MAX 16

/* Starts THREADS group threads booking up to MAX redemptions per transaction, and one more
 * answering up to MAX checks per statement (a queue of its own). MAX 0 (or 1)
 * leaves group commit off: db_redeem_group answers DB_NO_RESULTS at once. Returns CPN_OK, or
 * CPN_ERR_NO_MEMORY / CPN_ERR_INTERNAL when a thread cannot start (nothing then runs). Call
 * once, after db_setup and before the workers start. */
enum cpn_err db_group_start(unsigned max, unsigned threads) CPN_MUST_CHECK;

/* Stops the group threads once the queue is empty; call after the workers stopped. A no-op
 * when group commit is off. */
void db_group_stop(void);

/* Offers one plain redemption (online; no receipt, VAT parts or bounce-back: what redeem_fast
 * books) to the next group and waits for its answer, at most about the statement deadline.
 * Returns DB_ONE_RESULT with *OUT filled (status ok) when the group booked it; DB_NO_RESULTS
 * when it did not (nothing of it is booked): *JUDGED true when the group's statement ran and
 * found it outside the common case (a refusal, a replay, a rule: redeem() answers), false
 * when group commit is off or the group failed as a whole (the caller asks as it would
 * alone); DB_SOFT_ERROR when the database was lost or late (503; a retry under the same key
 * replays). TERMINAL and TXN are borrowed until it returns. */
int db_redeem_group(uint32_t serial, int32_t store, const char *terminal, const char *txn,
                    int64_t basket, uint32_t card, struct redeem_answer *out,
                    bool *judged) CPN_MUST_CHECK;

/* Offers one check without a receipt to the next group, which answers it with
 * coupon_check_fast() (one statement for the group, no transaction to commit), and waits
 * for its answer, at most about the statement deadline. Returns DB_ONE_RESULT with *OUT
 * filled as check_fast() fills it (no such coupon: not_found) and *FULL true when
 * coupon_check() must answer instead; DB_NO_RESULTS when group commit is off or the group
 * failed (the caller asks alone); DB_SOFT_ERROR when the database was lost or late. */
int db_check_group(uint32_t serial, int32_t store, int64_t basket, uint32_t card,
                   struct redeem_answer *out, bool *full) CPN_MUST_CHECK;

/* What the group threads did since start, by kind (for /metrics): statements sent, the
 * redemptions or checks in them, statements that failed as a whole (each of theirs then
 * asked alone), and requests that waited past the deadline before a thread took them (503,
 * never sent). */
struct db_group_stats {
    unsigned long long statements, items, failed, late;
};

/* Fills REDEEM and CHECK with the counts so far (all 0 while group commit is off).
 * Thread-safe. */
void db_group_stats(struct db_group_stats *redeem, struct db_group_stats *check);

#endif
