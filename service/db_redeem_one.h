/* One redeem() call in its own transaction (db_redeem_one.c), below both db_redeem() and the
 * group commit. */
#ifndef SVC_DB_REDEEM_ONE_H
#define SVC_DB_REDEEM_ONE_H

#include <stdbool.h>
#include <stdint.h>

#include "coupon/err.h"
#include "db.h"
#include "db_redemptions.h"

/* db_redeem() without the group: always its own transaction. */
int db_redeem_alone(uint32_t serial, int32_t store, const char *terminal, const char *txn,
                    int64_t basket, uint32_t card, const char *receipt, const char *offline_at,
                    const char *basket_by_vat, bool bounce,
                    struct redeem_answer *out) CPN_MUST_CHECK;

/* The number of redeem()'s answer columns. */
#define DB_REDEEM_NCOLS 23

/* Fills COLS with redeem()'s answer columns read into *OUT (and *NO_RECEIPT told whether the
 * receipt fields were NULL), ended by DB_COL_END. */
void db_redeem_cols(struct db_col cols[DB_REDEEM_NCOLS + 1], struct redeem_answer *out,
                    bool *no_receipt);

#endif
