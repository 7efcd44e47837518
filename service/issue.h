/* Issuing coupons: one transaction that allocates serials, COPYs the rows and records
 * the batch, so an interrupted or refused issue leaves nothing half-issued. */
#ifndef SVC_ISSUE_H
#define SVC_ISSUE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "codes.h"
#include "coupon/err.h"

#define ISSUE_MAX_COUNT  1000000
#define ISSUE_SERIAL_END 4294967296LL /* one past the last coupon serial (32 bits) */

struct issue_request {
    int64_t campaign;
    int count;
    int max_uses;            /* 1 for single-use coupons, N for a generic (public) code */
    uint32_t card_serial;    /* personalised: bound to this card; 0 = none */
    const uint32_t *cards;   /* COUNT cards, coupon i bound to cards[i] (a mailing's
                                recipients); NULL: card_serial for every coupon */
    const char *request_key; /* Idempotency-Key header, may be NULL */
    const char *created_by;
    const atomic_bool *cancel; /* may be NULL; when it turns true the issue stops, rolled back */
    int max_per_card;          /* a generic code's uses per card (issue 17); 0 = no limit */
};

struct issue_result {
    bool replay;
    int64_t batch_id;
    uint32_t *serials; /* COUNT serials, owned; freed by issue_result_clear */
    size_t count;
    struct coupon_terms terms;
    int64_t serials_left; /* after a new issue and on CPN_ERR_NO_SERIALS: serials left; else 0 */
};

/* Issues REQ on the calling thread's database connection, in one transaction (db_transaction;
 * called inside another one's work, a recipient list's, it is part of that one). Returns
 * CPN_OK (also for a replay of the same request key), CPN_ERR_NOT_FOUND (no such campaign),
 * CPN_ERR_CONFLICT (the request key was used with another body), CPN_ERR_NO_SERIALS (the
 * serial space left is too small for COUNT coupons: refused before any coupon is written,
 * OUT->serials_left says how many are left), CPN_ERR_UNAVAILABLE (database unreachable, or
 * REQ->cancel turned true) or CPN_ERR_INTERNAL. On any error nothing was issued (the
 * transaction rolled back, or is left for the outer one's runner to roll back) and OUT holds
 * no serials. */
enum cpn_err issue_coupons(const struct issue_request *req,
                           struct issue_result *out) CPN_MUST_CHECK;

/* Frees R's serials and zeroes it. */
void issue_result_clear(struct issue_result *r);

#endif
