/* Clean serials (serials.c): the serials whose short form passes the offensive-word filter,
 * the one search both coupons (a batch, on many threads) and cards (one at a time) use. */
#ifndef SVC_SERIALS_H
#define SVC_SERIALS_H

#include <stddef.h>
#include <stdint.h>

#include "codes.h"
#include "coupon/err.h"

/* Fills OUT with the first N serials in [FIRST, END) of KIND whose short form is clean,
 * looking at candidates on THREADS threads (0: all cores, at most 8); *LAST gets the last
 * serial taken. FIRST must be at least 1 and END at most 2^32. Returns CPN_OK;
 * CPN_ERR_NO_SERIALS when [FIRST, END) holds fewer than N clean ones (OUT then partly
 * filled); CPN_ERR_NO_MEMORY; or a codes error. */
enum cpn_err serials_clean(enum cpn_kind kind, int64_t first, int64_t end, size_t n, uint32_t *out,
                           int64_t *last, unsigned threads) CPN_MUST_CHECK;

#endif
