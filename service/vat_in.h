/* A basket's parts per VAT rate (issue 17): "basket_by_vat": {"1": 3000, "2": 2000}, keyed
 * by DSFinV-K's rate keys (1 to 99), read strictly; and the discount apportioned to them. */
#ifndef SVC_VAT_IN_H
#define SVC_VAT_IN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "coupon/shares.h"

struct vat_parts {
    size_t n;                      /* 1..CPN_SHARES_MAX */
    int keys[CPN_SHARES_MAX];      /* ascending */
    int64_t cents[CPN_SHARES_MAX]; /* >= 0 */
};

/* Reads object KEY of IN as the parts of a basket of BASKET cents: 1 to CPN_SHARES_MAX rate
 * keys ("1".."99", no leading zero), each with whole cents >= 0, adding up to BASKET exactly.
 * Returns 1 (read, *OUT sorted by key), 0 (absent or null), or -1 with DETAIL filled. */
int vat_parts_read(const json_t *in, const char *key, int64_t basket, struct vat_parts *out,
                   char *detail, size_t dlen);

/* Writes P as compact JSON text ({"1":3000,"2":2000}) into BUF. Returns 0, or -1 when LEN is
 * too small. */
int vat_parts_text(const struct vat_parts *p, char *buf, size_t len);

/* The discount DISCOUNT apportioned to P's rates (cpn_apportion, as the database's vat_split
 * does) as a JSON object; NULL when DISCOUNT is above the basket or out of memory. */
json_t *vat_shares_json(const struct vat_parts *p, int64_t discount);

#endif
