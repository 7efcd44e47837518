/* Key ranges in memory: per kind, the first serial each MAC key issued, in ascending key
 * order, and the horizon below which they are complete. */
#include <stdlib.h>

#include "coupon/key_ranges.h"
#include "coupon/keys.h"

struct kind_ranges {
    unsigned n;
    uint8_t key[CPN_KEY_ID_MAX];
    uint64_t first[CPN_KEY_ID_MAX];
    uint64_t horizon;
};

struct cpn_key_ranges {
    struct kind_ranges kind[2]; /* by enum cpn_kind */
};

struct cpn_key_ranges *cpn_key_ranges_new(void)
{
    return calloc(1, sizeof(struct cpn_key_ranges));
}

void cpn_key_ranges_free(struct cpn_key_ranges *r)
{
    free(r);
}

static bool kind_ok(enum cpn_kind kind)
{
    return kind == CPN_KIND_COUPON || kind == CPN_KIND_CARD;
}

enum cpn_err cpn_key_ranges_add(struct cpn_key_ranges *r, enum cpn_kind kind, unsigned key_id,
                                uint64_t first_serial)
{
    if (r == NULL || !kind_ok(kind) || key_id < 1 || key_id > CPN_KEY_ID_MAX || first_serial < 1 ||
        first_serial > (uint64_t)UINT32_MAX + 1)
        return CPN_ERR_BAD_REQUEST;
    struct kind_ranges *k = &r->kind[kind];
    if (k->n > 0 && (key_id <= k->key[k->n - 1] || first_serial < k->first[k->n - 1]))
        return CPN_ERR_BAD_REQUEST;
    k->key[k->n] = (uint8_t)key_id;
    k->first[k->n] = first_serial;
    k->n++;
    return CPN_OK;
}

void cpn_key_ranges_set_horizon(struct cpn_key_ranges *r, enum cpn_kind kind, uint64_t next_serial)
{
    if (r != NULL && kind_ok(kind))
        r->kind[kind].horizon = next_serial;
}

uint64_t cpn_key_ranges_horizon(const struct cpn_key_ranges *r, enum cpn_kind kind)
{
    return r != NULL && kind_ok(kind) ? r->kind[kind].horizon : 0;
}

unsigned cpn_key_ranges_key(const struct cpn_key_ranges *r, enum cpn_kind kind, uint32_t serial)
{
    if (r == NULL || !kind_ok(kind))
        return 0;
    const struct kind_ranges *k = &r->kind[kind];
    /* The last range whose first serial is at most SERIAL (binary search; ranges ascend). */
    unsigned lo = 0, hi = k->n;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (k->first[mid] <= serial)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? 0 : k->key[lo - 1];
}

unsigned cpn_key_ranges_first_key(const struct cpn_key_ranges *r, enum cpn_kind kind)
{
    if (r == NULL || !kind_ok(kind) || r->kind[kind].n == 0)
        return 0;
    return r->kind[kind].key[0];
}
